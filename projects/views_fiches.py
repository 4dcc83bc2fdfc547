"""The fiche projet pages: the programme's themes (coordinators), the list of fiches, a
fiche read-only with its panels, the forms that edit its parts, its history and an earlier
state. A programme or a structure out of the user's reach is a 404 (a referent on another
structure's fiche); a reader who may not edit (a funder auditor) gets 403 on the forms."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from formations.panels import collect_panels
from formations.permissions import can_manage, is_structure_referent
from projects.exceptions import ProjectsError
from projects.forms_fiches import DataSheetForm, LessonsForm, ProjectForm, ThemeForm, ThemesForm
from projects.models import Project, Theme
from projects.panels import FICHE_LIST_PANELS, FICHE_PANELS, FicheContext
from projects.selectors import (
    can_edit_fiche,
    fiche_of,
    programme_time_zone,
    time_zone_plain_label,
)
from projects.selectors_fiches import (
    fiche_detail,
    fiche_programme,
    fiche_revision,
    fiche_revisions,
    fiche_rows,
    fiche_structure,
    programme_theme_list,
    theme_structures,
)
from projects.selectors_followup import can_read_follow_up
from projects.selectors_tasks import may_follow_structure
from projects.services_fiches import (
    fiche_data_sheet_save,
    fiche_lessons_save,
    fiche_project_save,
    fiche_themes_save,
    theme_add,
    theme_delete,
    theme_move,
    theme_rename,
    theme_usage,
)
from projects.services_ordering import DOWN, UP
from projects.validation import show_refusal

HISTORY_PER_PAGE = 20
# The two projects in the URL: …/modifier/projet-experimente/, …/modifier/projet-propose/.
PROJECT_SLUGS = {
    "experimente": Project.Kind.EXPERIMENTED,
    "propose": Project.Kind.PROPOSED,
}
PROJECT_SLUG_OF = {kind: slug for slug, kind in PROJECT_SLUGS.items()}


def _detail_url(programme, structure, anchor: str = "") -> str:
    url = reverse("projects:fiche_detail", args=[programme.pk, structure.pk])
    return f"{url}#{anchor}" if anchor else url


# --- Themes ---------------------------------------------------------------------------------


def _themes_programme(request, programme_id):
    programme = fiche_programme(user=request.user, programme_id=programme_id)
    if not can_manage(request.user):
        raise PermissionDenied
    return programme


def _theme(programme, theme_id) -> Theme:
    return get_object_or_404(
        Theme.objects.select_related("programme"), pk=theme_id, programme=programme
    )


@login_required
@require_http_methods(["GET", "POST"])
def theme_list(request, programme):
    programme = _themes_programme(request, programme)
    form = ThemeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            theme = theme_add(
                actor=request.user, programme=programme, label=form.cleaned_data["label"]
            )
        except ProjectsError as error:
            form.add_error("label", error.message)
        else:
            messages.success(
                request, _("Thématique « %(label)s » ajoutée.") % {"label": theme.label}
            )
            return redirect("projects:theme_list", programme.pk)
    return render(
        request,
        "projects/theme_list.html",
        {
            "programme": programme,
            "themes": programme_theme_list(programme=programme),
            "form": form,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def theme_edit(request, programme, theme):
    programme = _themes_programme(request, programme)
    theme = _theme(programme, theme)
    form = ThemeForm(request.POST or None, initial={"label": theme.label})
    if request.method == "POST" and form.is_valid():
        try:
            theme = theme_rename(actor=request.user, theme=theme, label=form.cleaned_data["label"])
        except ProjectsError as error:
            form.add_error("label", error.message)
        else:
            messages.success(
                request, _("Thématique renommée « %(label)s ».") % {"label": theme.label}
            )
            return redirect("projects:theme_list", programme.pk)
    return render(
        request,
        "projects/theme_form.html",
        {"programme": programme, "theme": theme, "form": form},
    )


@login_required
@require_POST
def theme_move_view(request, programme, theme):
    programme = _themes_programme(request, programme)
    theme = _theme(programme, theme)
    direction = request.POST.get("direction")
    if direction not in (UP, DOWN):
        messages.error(request, _("Déplacement inconnu."))
        return redirect("projects:theme_list", programme.pk)
    before = theme.position
    moved = theme_move(actor=request.user, theme=theme, direction=direction)
    if moved.position != before:
        messages.success(
            request,
            _("La thématique passe en position %(n)s : %(label)s.")
            % {"n": moved.position, "label": moved.label},
        )
    return redirect(reverse("projects:theme_list", args=[programme.pk]) + f"#theme-{theme.pk}")


@login_required
@require_http_methods(["GET", "POST"])
def theme_delete_view(request, programme, theme):
    programme = _themes_programme(request, programme)
    theme = _theme(programme, theme)
    refused = ""
    if request.method == "POST":
        try:
            theme_delete(actor=request.user, theme=theme)
        except ProjectsError as error:
            refused = error.message
        else:
            messages.success(
                request, _("Thématique « %(label)s » supprimée.") % {"label": theme.label}
            )
            return redirect("projects:theme_list", programme.pk)
    return render(
        request,
        "projects/theme_delete.html",
        {
            "programme": programme,
            "theme": theme,
            "uses": theme_usage(theme=theme),
            "used_by": theme_structures(theme),
            "refused": refused,
        },
    )


# --- The list of fiches ---------------------------------------------------------------------


@login_required
@require_GET
def fiche_list(request, programme):
    programme = fiche_programme(user=request.user, programme_id=programme)
    if is_structure_referent(request.user):
        # A referent has one fiche here: their own structure's.
        return redirect(
            "projects:fiche_detail",
            programme.pk,
            fiche_structure(
                user=request.user, programme=programme, structure_id=request.user.structure_id
            ).pk,
        )
    rows = fiche_rows(programme=programme, user=request.user)
    return render(
        request,
        "projects/fiche_list.html",
        {
            "programme": programme,
            "rows": rows,
            "started": sum(1 for row in rows if row.started),
            "complete": sum(1 for row in rows if row.complete),
            "limits": rows[0].limits if rows else None,
            "can_manage": can_manage(request.user),
            "panels": collect_panels(FICHE_LIST_PANELS, request, programme),
        },
    )


# --- One fiche -------------------------------------------------------------------------------


def _scope(request, programme_id, structure_id):
    programme = fiche_programme(user=request.user, programme_id=programme_id)
    structure = fiche_structure(user=request.user, programme=programme, structure_id=structure_id)
    return programme, structure


@login_required
@require_GET
def fiche_detail_view(request, programme, structure):
    programme, structure = _scope(request, programme, structure)
    detail = fiche_detail(programme=programme, structure=structure)
    can_edit = can_edit_fiche(user=request.user, programme=programme, structure=structure)
    context = FicheContext(
        programme=programme, structure=structure, fiche=detail.fiche, can_edit=can_edit
    )
    return render(
        request,
        "projects/fiche_detail.html",
        {
            "programme": programme,
            "structure": structure,
            "detail": detail,
            "fiche": detail.fiche,
            "can_edit": can_edit,
            "team_url": reverse("projects:fiche_team", args=[programme.pk, structure.pk]),
            "roadmap_url": reverse("projects:fiche_roadmap", args=[programme.pk, structure.pk]),
            "last_revision": fiche_revisions(fiche=detail.fiche).first(),
            "panels": collect_panels(FICHE_PANELS, request, context),
            # « Suivi et travaux »: the follow-up log (never a referent's) and the tasks.
            "show_follow_up": can_read_follow_up(user=request.user, programme=programme),
            "show_tasks": may_follow_structure(
                user=request.user, programme=programme, structure=structure
            ),
        },
    )


def _edit_page(
    request, programme_id, structure_id, *, form_class, title, anchor, save, **form_kwargs
):
    """GET: the form drawn from the fiche as it is; POST: the save through `save(fields,
    revision)`. A form drawn from an older state is refused with a message, the form kept
    as typed."""
    programme, structure = _scope(request, programme_id, structure_id)
    if not can_edit_fiche(user=request.user, programme=programme, structure=structure):
        raise PermissionDenied
    fiche = fiche_of(programme=programme, structure=structure)
    kwargs = {"fiche": fiche, **{k: v(programme, structure, fiche) for k, v in form_kwargs.items()}}
    form = form_class(request.POST or None, **kwargs)
    if request.method == "POST" and form.is_valid():
        try:
            save(
                actor=request.user,
                programme=programme,
                structure=structure,
                expected_revision=form.cleaned_data["revision"],
                **form.service_fields(),
            )
        except ProjectsError as error:
            if error.code == "stale":
                messages.error(request, error.message)
            else:
                show_refusal(form, error)
        else:
            messages.success(request, _("%(part)s : modifications enregistrées.") % {"part": title})
            return redirect(_detail_url(programme, structure, anchor))
    return render(
        request,
        "projects/fiche_form.html",
        {
            "programme": programme,
            "structure": structure,
            "form": form,
            "part": title,
            "cancel_url": _detail_url(programme, structure, anchor),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def fiche_edit_data(request, programme, structure):
    return _edit_page(
        request,
        programme,
        structure,
        form_class=DataSheetForm,
        title=_("Fiche de données"),
        anchor="fiche-donnees",
        save=fiche_data_sheet_save,
        structure=lambda programme, structure, fiche: structure,
    )


@login_required
@require_http_methods(["GET", "POST"])
def fiche_edit_themes(request, programme, structure):
    return _edit_page(
        request,
        programme,
        structure,
        form_class=ThemesForm,
        title=_("Thématiques"),
        anchor="fiche-thematiques",
        save=fiche_themes_save,
        programme=lambda programme, structure, fiche: programme,
    )


@login_required
@require_http_methods(["GET", "POST"])
def fiche_edit_project(request, programme, structure, kind):
    if kind not in PROJECT_SLUGS:
        raise Http404
    project_kind = PROJECT_SLUGS[kind]

    def save(**kwargs):
        return fiche_project_save(kind=project_kind, **kwargs)

    return _edit_page(
        request,
        programme,
        structure,
        form_class=ProjectForm,
        title=str(project_kind.label),
        anchor=f"projet-{kind}",
        save=save,
        project=lambda programme, structure, fiche: (
            fiche.projects.filter(kind=project_kind).first() if fiche else None
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def fiche_edit_lessons(request, programme, structure):
    return _edit_page(
        request,
        programme,
        structure,
        form_class=LessonsForm,
        title=_("Enseignements"),
        anchor="fiche-enseignements",
        save=fiche_lessons_save,
    )


# --- History ---------------------------------------------------------------------------------


@login_required
@require_GET
def fiche_history(request, programme, structure):
    programme, structure = _scope(request, programme, structure)
    fiche = fiche_of(programme=programme, structure=structure)
    page = Paginator(fiche_revisions(fiche=fiche), HISTORY_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "projects/fiche_history.html",
        {
            "programme": programme,
            "structure": structure,
            "fiche": fiche,
            "page_obj": page,
            "revisions": [_with_rows(revision) for revision in page.object_list],
            **_history_time_zone(programme),
        },
    )


def _history_time_zone(programme) -> dict:
    """History times are shown in the programme's time zone (that of most of its
    sessions), named plainly."""
    zone = programme_time_zone(programme)
    return {"time_zone": zone, "time_zone_label": time_zone_plain_label(zone)}


SHORT_TEXT = 160


def _short(text: str) -> str:
    """A long text's first words (the whole shows on demand); "" when short enough."""
    text = text or ""
    if len(text) <= SHORT_TEXT and "\n" not in text.strip():
        return ""
    return Truncator(" ".join(text.split())).chars(SHORT_TEXT)


def _with_rows(revision):
    revision.rows = [
        {
            "field": change.get("field", ""),
            "before": change.get("before", ""),
            "after": change.get("after", ""),
            "before_short": _short(change.get("before", "")),
            "after_short": _short(change.get("after", "")),
        }
        for change in revision.changes
    ]
    return revision


@login_required
@require_GET
def fiche_revision_view(request, programme, structure, number):
    programme, structure = _scope(request, programme, structure)
    fiche = fiche_of(programme=programme, structure=structure)
    revision = fiche_revision(fiche=fiche, number=number)
    return render(
        request,
        "projects/fiche_revision.html",
        {
            "programme": programme,
            "structure": structure,
            "fiche": fiche,
            "revision": revision,
            "sections": revision.snapshot.get("sections", []),
            **_history_time_zone(programme),
        },
    )
