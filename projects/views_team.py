"""The project team page of a fiche and the forms that change it (no JavaScript: one form
and one button per change). Who: `selectors.can_edit_fiche` edits; whoever else may read
the fiche (`fiche_structures`) reads; anyone else gets 404."""

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from formations.models import Programme, Structure
from projects.exceptions import ProjectsError
from projects.forms_fiches import RevisionForm
from projects.forms_team import MemberForm
from projects.models import ProjectFiche, TeamMember
from projects.selectors import can_edit_fiche, fiche_of, fiche_programmes, fiche_structures
from projects.selectors_team import structure_agents, team_state
from projects.services_ordering import DOWN, UP
from projects.services_team import (
    member_add,
    member_move,
    member_remove,
    member_update,
    referent_set,
)
from projects.validation import show_refusal


@dataclass(frozen=True)
class Place:
    programme: Programme
    structure: Structure
    fiche: ProjectFiche | None
    can_edit: bool

    @property
    def revision(self) -> int:
        return self.fiche.revision if self.fiche else 0

    def url(self, name: str, *args, anchor: str = "") -> str:
        url = reverse(f"projects:{name}", args=[self.programme.pk, self.structure.pk, *args])
        return f"{url}#{anchor}" if anchor else url


def fiche_place(request, programme: int, structure: int, *, write: bool = False) -> Place:
    """The fiche the URL names, for this user: out of reach → 404; a reader on a page that
    writes → 403."""
    programme = get_object_or_404(fiche_programmes(user=request.user), pk=programme)
    structure = get_object_or_404(
        fiche_structures(programme=programme, user=request.user), pk=structure
    )
    can_edit = can_edit_fiche(user=request.user, programme=programme, structure=structure)
    if write and not can_edit:
        raise PermissionDenied
    return Place(
        programme=programme,
        structure=structure,
        fiche=fiche_of(programme=programme, structure=structure),
        can_edit=can_edit,
    )


def posted_revision(request) -> int:
    form = RevisionForm(request.POST)
    if not form.is_valid():
        raise Http404
    return form.cleaned_data["revision"]


def posted_direction(request) -> str:
    direction = request.POST.get("direction")
    if direction not in (UP, DOWN):
        raise Http404
    return direction


def _member(place: Place, member_pk: int) -> TeamMember:
    if place.fiche is None:
        raise Http404
    return get_object_or_404(place.fiche.team.select_related("participant"), pk=member_pk)


def _form_page(request, place: Place, form, title: str):
    return render(
        request,
        "projects/team_form.html",
        {
            "place": place,
            "form": form,
            "page_title": title,
            "cancel_url": place.url("fiche_team"),
        },
    )


@require_GET
def fiche_team(request, programme, structure):
    place = fiche_place(request, programme, structure)
    return render(
        request,
        "projects/team.html",
        {"place": place, "team": team_state(programme=place.programme, fiche=place.fiche)},
    )


@require_http_methods(["GET", "POST"])
def fiche_team_add(request, programme, structure):
    place = fiche_place(request, programme, structure, write=True)
    form = MemberForm(
        request.POST or None,
        agents=structure_agents(structure=place.structure),
        initial={"revision": place.revision, "kind": TeamMember.Kind.AGENT},
    )
    if request.method == "POST" and form.is_valid():
        try:
            member = member_add(
                actor=request.user,
                programme=place.programme,
                structure=place.structure,
                expected_revision=form.cleaned_data["revision"],
                **form.service_fields(),
            )
        except ProjectsError as error:
            show_refusal(form, error)
        else:
            messages.success(
                request, _("%(name)s ajouté·e à l'équipe projet.") % {"name": member.full_name}
            )
            return redirect(place.url("fiche_team", anchor=f"membre-{member.pk}"))
    return _form_page(request, place, form, _("Ajouter un membre à l'équipe projet"))


@require_http_methods(["GET", "POST"])
def fiche_team_edit(request, programme, structure, member):
    place = fiche_place(request, programme, structure, write=True)
    current = _member(place, member)
    form = MemberForm(
        request.POST or None,
        agents=structure_agents(structure=place.structure),
        initial={
            "revision": place.revision,
            "kind": current.kind,
            "participant": current.participant_id,
            "full_name": "" if current.participant_id else current.full_name,
            "role": current.role,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            member_update(
                actor=request.user,
                programme=place.programme,
                structure=place.structure,
                member=current,
                expected_revision=form.cleaned_data["revision"],
                **form.service_fields(),
            )
        except ProjectsError as error:
            show_refusal(form, error)
        else:
            messages.success(request, _("Membre de l'équipe enregistré·e."))
            return redirect(place.url("fiche_team", anchor=f"membre-{current.pk}"))
    return _form_page(
        request, place, form, _("Modifier « %(name)s »") % {"name": current.full_name}
    )


@require_http_methods(["GET", "POST"])
def fiche_team_remove(request, programme, structure, member):
    place = fiche_place(request, programme, structure, write=True)
    current = _member(place, member)
    refused = None
    if request.method == "POST":
        try:
            member_remove(
                actor=request.user,
                programme=place.programme,
                structure=place.structure,
                member=current,
                expected_revision=posted_revision(request),
            )
        except ProjectsError as error:
            refused = error.message
        else:
            messages.success(
                request,
                _("%(name)s ne fait plus partie de l'équipe projet.") % {"name": current.full_name},
            )
            return redirect(place.url("fiche_team"))
    explanation = _("%(name)s sera retiré·e de l'équipe projet.") % {"name": current.full_name}
    if current.is_referent:
        explanation += " " + _(
            "C'est la ou le référent·e du projet : choisissez ensuite un·e autre référent·e "
            "parmi les agents."
        )
    return render(
        request,
        "projects/confirm.html",
        {
            "place": place,
            "page_title": _("Retirer « %(name)s » de l'équipe") % {"name": current.full_name},
            "explanation": explanation,
            "button": _("Retirer de l'équipe"),
            "refused": refused,
            "back_url": place.url("fiche_team"),
            "back_label": _("Retour à l'équipe projet"),
        },
    )


@require_POST
def fiche_team_move(request, programme, structure, member):
    place = fiche_place(request, programme, structure, write=True)
    current = _member(place, member)
    try:
        member_move(
            actor=request.user,
            programme=place.programme,
            structure=place.structure,
            member=current,
            direction=posted_direction(request),
            expected_revision=posted_revision(request),
        )
    except ProjectsError as error:
        messages.error(request, error.message)
    else:
        before = current.position
        current.refresh_from_db(fields=["position"])
        if current.position != before:
            messages.success(
                request,
                _("%(name)s passe en position %(n)s dans l'équipe.")
                % {"name": current.full_name, "n": current.position},
            )
    return redirect(place.url("fiche_team", anchor=f"membre-{current.pk}"))


@require_POST
def fiche_team_referent(request, programme, structure, member):
    place = fiche_place(request, programme, structure, write=True)
    current = _member(place, member)
    try:
        referent_set(
            actor=request.user,
            programme=place.programme,
            structure=place.structure,
            member=current,
            expected_revision=posted_revision(request),
        )
    except ProjectsError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("%(name)s est désormais référent·e du projet.") % {"name": current.full_name},
        )
    return redirect(place.url("fiche_team", anchor=f"membre-{current.pk}"))
