"""Writes of the fiche projet pages: the programme's list of themes (coordinators) and the
parts of a fiche edited from its page (data sheet, themes, the two projects, lessons
learned). Every fiche edit goes through `services.fiche_edit` (permission, lock, stale
form refused, one `FicheRevision`, audit entry); the team and the road map have their own
pages and services.

Codes of `ProjectsError`: `theme_exists`, `theme_empty`, `theme_in_use` (themes);
`theme_not_in_programme`, `same_theme` (themes of a fiche); `stale`, `not_partner` (from
`fiche_edit`). An actor who may not write gets `PermissionDenied`.
"""

from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from formations.audit import log_action
from formations.models import Programme, Structure
from formations.permissions import ensure_manager
from projects.exceptions import ProjectsError
from projects.models import Project, ProjectFiche, ProjectStage, Theme
from projects.services import ensure_can_edit, fiche_edit
from projects.services_ordering import move_in
from projects.validation import checked_save

# --- The programme's themes -------------------------------------------------------------------


def _clean_label(label: str) -> str:
    label = " ".join((label or "").split())
    if not label:
        raise ProjectsError(
            _("Donnez un intitulé à la thématique."), code="theme_empty", field="label"
        )
    return label


def _ensure_label_free(*, programme: Programme, label: str, exclude_pk: int | None = None) -> None:
    others = Theme.objects.filter(programme=programme, label__iexact=label)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    if others.exists():
        raise ProjectsError(
            _("La thématique « %(label)s » existe déjà dans ce programme.") % {"label": label},
            code="theme_exists",
            field="label",
        )


def _save_theme(theme: Theme, *, update_fields=None) -> None:
    """Saves a checked theme. The unique label is checked before, under the programme's
    lock (`_ensure_label_free`); should the database still find a duplicate, it is refused
    with the same message (hence no `validate_constraints` here, whose wording is Django's)."""
    try:
        with transaction.atomic():
            checked_save(theme, update_fields=update_fields, validate_constraints=False)
    except IntegrityError:
        raise ProjectsError(
            _("La thématique « %(label)s » existe déjà dans ce programme.")
            % {"label": theme.label},
            code="theme_exists",
            field="label",
        ) from None


@transaction.atomic
def theme_add(*, actor, programme: Programme, label: str) -> Theme:
    """Adds a theme at the end of the programme's list (coordinators)."""
    ensure_manager(actor)
    Programme.objects.select_for_update().get(pk=programme.pk)
    label = _clean_label(label)
    _ensure_label_free(programme=programme, label=label)
    last = Theme.objects.filter(programme=programme).aggregate(last=Max("position"))["last"]
    theme = Theme(programme=programme, label=label, position=(last or 0) + 1)
    _save_theme(theme)
    log_action(
        actor=actor,
        action="projects.theme_add",
        obj=programme,
        summary=_("Thématique « %(label)s » ajoutée") % {"label": label},
    )
    return theme


@transaction.atomic
def theme_rename(*, actor, theme: Theme, label: str) -> Theme:
    """Renames a theme; the fiches that chose it show the new name (their history keeps
    the name they were written with)."""
    ensure_manager(actor)
    # The programme's lock, as in `theme_add`: two renames at once are serialised, the
    # second one sees the first one's label.
    Programme.objects.select_for_update().get(pk=theme.programme_id)
    theme = Theme.objects.select_for_update().get(pk=theme.pk)
    label = _clean_label(label)
    _ensure_label_free(programme=theme.programme, label=label, exclude_pk=theme.pk)
    old = theme.label
    if old == label:
        return theme
    theme.label = label
    _save_theme(theme, update_fields=["label"])
    log_action(
        actor=actor,
        action="projects.theme_rename",
        obj=theme.programme,
        summary=_("Thématique « %(old)s » renommée « %(new)s »") % {"old": old, "new": label},
    )
    return theme


@transaction.atomic
def theme_move(*, actor, theme: Theme, direction: str) -> Theme:
    """Moves a theme one place up or down the list (nothing at either end); positions are
    renumbered 1…n on the way (`services_ordering`, under the programme's lock)."""
    ensure_manager(actor)
    Programme.objects.select_for_update().get(pk=theme.programme_id)
    moved = move_in(Theme.objects.filter(programme_id=theme.programme_id), theme.pk, direction)
    theme = Theme.objects.get(pk=theme.pk)
    if moved:
        log_action(
            actor=actor,
            action="projects.theme_move",
            obj=theme.programme,
            summary=_("Thématique « %(label)s » placée en position %(n)s")
            % {"label": theme.label, "n": theme.position},
        )
    return theme


def theme_usage(*, theme: Theme) -> int:
    """How many fiches chose the theme (as priority or secondary)."""
    return ProjectFiche.objects.filter(Q(priority_theme=theme) | Q(secondary_theme=theme)).count()


@transaction.atomic
def theme_delete(*, actor, theme: Theme) -> None:
    """Deletes a theme no fiche has chosen; refused (`theme_in_use`) otherwise."""
    ensure_manager(actor)
    theme = Theme.objects.select_for_update().get(pk=theme.pk)
    used = theme_usage(theme=theme)
    if used:
        raise ProjectsError(
            ngettext(
                "La thématique « %(label)s » est choisie dans %(n)s fiche projet : elle ne "
                "peut pas être supprimée. Faites d'abord changer la thématique de cette "
                "fiche, ou renommez la thématique.",
                "La thématique « %(label)s » est choisie dans %(n)s fiches projet : elle ne "
                "peut pas être supprimée. Faites d'abord changer la thématique de ces "
                "fiches, ou renommez la thématique.",
                used,
            )
            % {"label": theme.label, "n": used},
            code="theme_in_use",
        )
    programme, label = theme.programme, theme.label
    theme.delete()
    log_action(
        actor=actor,
        action="projects.theme_delete",
        obj=programme,
        summary=_("Thématique « %(label)s » supprimée") % {"label": label},
    )


# --- The parts of a fiche -----------------------------------------------------------------------


def _save_fiche(fiche: ProjectFiche) -> None:
    checked_save(fiche, exclude=["programme", "structure"], validate_unique=False)


def fiche_data_sheet_save(
    *,
    actor,
    programme: Programme,
    structure: Structure,
    expected_revision: int | None,
    territory: str,
    staff_size: int | None,
    public_served: str,
    partners: str,
) -> ProjectFiche:
    """The « fiche de données »: territory, staff size, public served, partners."""
    with fiche_edit(
        actor=actor,
        programme=programme,
        structure=structure,
        part=_("Fiche de données"),
        expected_revision=expected_revision,
    ) as fiche:
        fiche.territory = territory.strip()
        fiche.staff_size = staff_size
        fiche.public_served = public_served.strip()
        fiche.partners = partners.strip()
        _save_fiche(fiche)
    return fiche


def fiche_themes_save(
    *,
    actor,
    programme: Programme,
    structure: Structure,
    expected_revision: int | None,
    priority_theme: Theme | None,
    secondary_theme: Theme | None,
) -> ProjectFiche:
    """The priority and the secondary theme, from the programme's list, two different
    ones (either may stay empty while the team chooses)."""
    with fiche_edit(
        actor=actor,
        programme=programme,
        structure=structure,
        part=_("Thématiques"),
        expected_revision=expected_revision,
    ) as fiche:
        for field, theme in (
            ("priority_theme", priority_theme),
            ("secondary_theme", secondary_theme),
        ):
            if theme is not None and theme.programme_id != programme.pk:
                raise ProjectsError(
                    _("Choisissez une thématique de la liste du programme."),
                    code="theme_not_in_programme",
                    field=field,
                )
        if priority_theme is not None and priority_theme == secondary_theme:
            raise ProjectsError(
                _("La thématique secondaire doit différer de la thématique prioritaire."),
                code="same_theme",
                field="secondary_theme",
            )
        fiche.priority_theme = priority_theme
        fiche.secondary_theme = secondary_theme
        _save_fiche(fiche)
    return fiche


PROJECT_FIELDS = ("title", "problem", "public", "partners", "means", "stage")


def fiche_project_save(
    *,
    actor,
    programme: Programme,
    structure: Structure,
    expected_revision: int | None,
    kind: str,
    title: str,
    problem: str,
    public: str,
    partners: str,
    means: str,
    stage: str,
) -> Project:
    """The experimented or the proposed project (`kind`), created on its first save that
    says something: the untouched form of a project not yet written (every text empty, the
    first stage) creates neither the project nor a version, and returns it unsaved."""
    kind = Project.Kind(kind)
    texts = (title, problem, public, partners, means)
    if not any(text.strip() for text in texts) and stage == ProjectStage.IDEA:
        ensure_can_edit(actor=actor, programme=programme, structure=structure)
        existing = Project.objects.filter(
            fiche__programme=programme, fiche__structure=structure, kind=kind
        ).first()
        if existing is None:
            return Project(kind=kind, stage=ProjectStage.IDEA)
    with fiche_edit(
        actor=actor,
        programme=programme,
        structure=structure,
        part=str(kind.label),
        expected_revision=expected_revision,
    ) as fiche:
        project = fiche.projects.filter(kind=kind).first() or Project(fiche=fiche, kind=kind)
        project.title = title.strip()
        project.problem = problem.strip()
        project.public = public.strip()
        project.partners = partners.strip()
        project.means = means.strip()
        project.stage = ProjectStage(stage)
        checked_save(project, validate_unique=False)
    return project


def fiche_lessons_save(
    *,
    actor,
    programme: Programme,
    structure: Structure,
    expected_revision: int | None,
    lessons_learned: str,
) -> ProjectFiche:
    """The lessons learned (« enseignements »)."""
    with fiche_edit(
        actor=actor,
        programme=programme,
        structure=structure,
        part=_("Enseignements"),
        expected_revision=expected_revision,
    ) as fiche:
        fiche.lessons_learned = lessons_learned.strip()
        _save_fiche(fiche)
    return fiche
