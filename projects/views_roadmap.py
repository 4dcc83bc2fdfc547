"""The road map page of a fiche (« feuille de route ») and the forms that change it: axes
in priority order with their actions; « Monter » / « Descendre » are plain forms. Who:
as the team page (`views_team.fiche_place`)."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from projects.exceptions import ProjectsError
from projects.forms_team import ActionForm, AxisForm, StatusForm
from projects.models import ActionStatus, RoadmapAction, RoadmapAxis
from projects.selectors_team import roadmap_axes
from projects.services_roadmap import (
    action_add,
    action_delete,
    action_move,
    action_set_status,
    action_update,
    axis_add,
    axis_delete,
    axis_move,
    axis_update,
)
from projects.validation import show_refusal
from projects.views_team import Place, fiche_place, posted_direction, posted_revision


def _axis(place: Place, axis_pk: int) -> RoadmapAxis:
    if place.fiche is None:
        raise Http404
    return get_object_or_404(place.fiche.axes, pk=axis_pk)


def _action(place: Place, action_pk: int) -> RoadmapAction:
    if place.fiche is None:
        raise Http404
    return get_object_or_404(
        RoadmapAction.objects.select_related("axis"), pk=action_pk, axis__fiche=place.fiche
    )


def _page(place: Place, anchor: str = "") -> str:
    return place.url("fiche_roadmap", anchor=anchor)


def _form_page(request, place: Place, form, title: str, intro: str = ""):
    return render(
        request,
        "projects/roadmap_form.html",
        {
            "place": place,
            "form": form,
            "page_title": title,
            "intro": intro,
            "cancel_url": _page(place),
        },
    )


def _confirm_page(request, place: Place, *, title, explanation, button, refused):
    return render(
        request,
        "projects/confirm.html",
        {
            "place": place,
            "page_title": title,
            "explanation": explanation,
            "button": button,
            "refused": refused,
            "back_url": _page(place),
            "back_label": _("Retour à la feuille de route"),
        },
    )


@require_GET
def fiche_roadmap(request, programme, structure):
    place = fiche_place(request, programme, structure)
    return render(
        request,
        "projects/roadmap.html",
        {
            "place": place,
            "axes": roadmap_axes(fiche=place.fiche),
            "statuses": ActionStatus.choices,
        },
    )


# --- Axes ----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def roadmap_axis_add(request, programme, structure):
    place = fiche_place(request, programme, structure, write=True)
    form = AxisForm(request.POST or None, initial={"revision": place.revision})
    if request.method == "POST" and form.is_valid():
        try:
            axis = axis_add(
                actor=request.user,
                programme=place.programme,
                structure=place.structure,
                expected_revision=form.cleaned_data["revision"],
                **form.service_fields(),
            )
        except ProjectsError as error:
            show_refusal(form, error)
        else:
            messages.success(request, _("Axe ajouté à la feuille de route."))
            return redirect(_page(place, f"axe-{axis.pk}"))
    return _form_page(
        request,
        place,
        form,
        _("Ajouter un axe de travail"),
        _("Le nouvel axe se place en dernière priorité ; montez-le ensuite si besoin."),
    )


@require_http_methods(["GET", "POST"])
def roadmap_axis_edit(request, programme, structure, axis):
    place = fiche_place(request, programme, structure, write=True)
    current = _axis(place, axis)
    form = AxisForm(
        request.POST or None,
        initial={
            "revision": place.revision,
            "title": current.title,
            "description": current.description,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            axis_update(
                actor=request.user,
                programme=place.programme,
                structure=place.structure,
                axis=current,
                expected_revision=form.cleaned_data["revision"],
                **form.service_fields(),
            )
        except ProjectsError as error:
            show_refusal(form, error)
        else:
            messages.success(request, _("Axe enregistré."))
            return redirect(_page(place, f"axe-{current.pk}"))
    return _form_page(
        request, place, form, _("Modifier l'axe « %(title)s »") % {"title": current.title}
    )


@require_http_methods(["GET", "POST"])
def roadmap_axis_delete(request, programme, structure, axis):
    place = fiche_place(request, programme, structure, write=True)
    current = _axis(place, axis)
    refused = None
    if request.method == "POST":
        try:
            axis_delete(
                actor=request.user,
                programme=place.programme,
                structure=place.structure,
                axis=current,
                expected_revision=posted_revision(request),
            )
        except ProjectsError as error:
            refused = error.message
        else:
            messages.success(request, _("Axe supprimé de la feuille de route."))
            return redirect(_page(place))
    count = current.actions.count()
    if count:
        explanation = ngettext(
            "L'axe et son action seront supprimés de la feuille de route ; les axes suivants "
            "montent d'un rang.",
            "L'axe et ses %(count)s actions seront supprimés de la feuille de route ; les axes "
            "suivants montent d'un rang.",
            count,
        ) % {"count": count}
    else:
        explanation = _(
            "L'axe, qui n'a pas d'action, sera supprimé de la feuille de route ; les axes "
            "suivants montent d'un rang."
        )
    return _confirm_page(
        request,
        place,
        title=_("Supprimer l'axe « %(title)s »") % {"title": current.title},
        explanation=explanation,
        button=_("Supprimer l'axe"),
        refused=refused,
    )


def _say_moved(request, moved, text: str) -> None:
    """The feedback of « Monter » / « Descendre »: where the item now stands (the page
    then focuses it, static/js/focus-target.js)."""
    before = moved.position
    moved.refresh_from_db(fields=["position"])
    if moved.position != before:
        messages.success(request, text % {"n": moved.position, "title": moved.title})


@require_POST
def roadmap_axis_move(request, programme, structure, axis):
    place = fiche_place(request, programme, structure, write=True)
    current = _axis(place, axis)
    try:
        axis_move(
            actor=request.user,
            programme=place.programme,
            structure=place.structure,
            axis=current,
            direction=posted_direction(request),
            expected_revision=posted_revision(request),
        )
    except ProjectsError as error:
        messages.error(request, error.message)
    else:
        _say_moved(request, current, _("L'axe passe en priorité %(n)s : %(title)s."))
    return redirect(_page(place, f"axe-{current.pk}"))


# --- Actions -------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def roadmap_action_add(request, programme, structure, axis):
    place = fiche_place(request, programme, structure, write=True)
    parent = _axis(place, axis)
    form = ActionForm(
        request.POST or None, initial={"revision": place.revision, "status": ActionStatus.TODO}
    )
    if request.method == "POST" and form.is_valid():
        try:
            action = action_add(
                actor=request.user,
                programme=place.programme,
                structure=place.structure,
                axis=parent,
                expected_revision=form.cleaned_data["revision"],
                **form.service_fields(),
            )
        except ProjectsError as error:
            show_refusal(form, error)
        else:
            messages.success(request, _("Action ajoutée."))
            return redirect(_page(place, f"action-{action.pk}"))
    return _form_page(
        request,
        place,
        form,
        _("Ajouter une action à l'axe « %(title)s »") % {"title": parent.title},
    )


@require_http_methods(["GET", "POST"])
def roadmap_action_edit(request, programme, structure, action):
    place = fiche_place(request, programme, structure, write=True)
    current = _action(place, action)
    form = ActionForm(
        request.POST or None,
        initial={
            "revision": place.revision,
            "title": current.title,
            "owner": current.owner,
            "due_on": current.due_on,
            "status": current.status,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            action_update(
                actor=request.user,
                programme=place.programme,
                structure=place.structure,
                action=current,
                expected_revision=form.cleaned_data["revision"],
                **form.service_fields(),
            )
        except ProjectsError as error:
            show_refusal(form, error)
        else:
            messages.success(request, _("Action enregistrée."))
            return redirect(_page(place, f"action-{current.pk}"))
    return _form_page(
        request, place, form, _("Modifier l'action « %(title)s »") % {"title": current.title}
    )


@require_http_methods(["GET", "POST"])
def roadmap_action_delete(request, programme, structure, action):
    place = fiche_place(request, programme, structure, write=True)
    current = _action(place, action)
    refused = None
    if request.method == "POST":
        try:
            action_delete(
                actor=request.user,
                programme=place.programme,
                structure=place.structure,
                action=current,
                expected_revision=posted_revision(request),
            )
        except ProjectsError as error:
            refused = error.message
        else:
            messages.success(request, _("Action supprimée."))
            return redirect(_page(place, f"axe-{current.axis_id}"))
    return _confirm_page(
        request,
        place,
        title=_("Supprimer l'action « %(title)s »") % {"title": current.title},
        explanation=_(
            "L'action sera retirée de l'axe « %(axis)s » ; les actions suivantes montent d'un rang."
        )
        % {"axis": current.axis.title},
        button=_("Supprimer l'action"),
        refused=refused,
    )


@require_POST
def roadmap_action_move(request, programme, structure, action):
    place = fiche_place(request, programme, structure, write=True)
    current = _action(place, action)
    try:
        action_move(
            actor=request.user,
            programme=place.programme,
            structure=place.structure,
            action=current,
            direction=posted_direction(request),
            expected_revision=posted_revision(request),
        )
    except ProjectsError as error:
        messages.error(request, error.message)
    else:
        _say_moved(request, current, _("L'action passe en position %(n)s de son axe : %(title)s."))
    return redirect(_page(place, f"action-{current.pk}"))


@require_POST
def roadmap_action_status(request, programme, structure, action):
    place = fiche_place(request, programme, structure, write=True)
    current = _action(place, action)
    form = StatusForm(request.POST)
    if not form.is_valid():
        raise Http404
    try:
        action_set_status(
            actor=request.user,
            programme=place.programme,
            structure=place.structure,
            action=current,
            expected_revision=form.cleaned_data["revision"],
            status=form.cleaned_data["status"],
        )
    except ProjectsError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("« %(title)s » : %(status)s.")
            % {
                "title": current.title,
                "status": ActionStatus(form.cleaned_data["status"]).label.lower(),
            },
        )
    return redirect(_page(place, f"action-{current.pk}"))
