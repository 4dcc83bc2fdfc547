"""Reads of the fiche projet pages: the programme's list of fiches at a glance, one fiche
with all its rows, its revisions. Scoping comes from `projects.selectors`
(`fiche_programmes`, `fiche_structures`): a structure out of the user's reach is a 404.
"""

from dataclasses import dataclass, field

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.http import Http404

from formations.models import Programme, Structure
from projects.models import (
    FicheRevision,
    Project,
    ProjectFiche,
    RoadmapAction,
    RoadmapAxis,
    TeamMember,
    Theme,
)
from projects.rules import TeamLimits, team_limits, team_too_large, team_too_small
from projects.selectors import fiche_programmes, fiche_structures


def fiche_programme(*, user, programme_id: int) -> Programme:
    programme = fiche_programmes(user=user).filter(pk=programme_id).first()
    if programme is None:
        raise Http404
    return programme


def fiche_structure(*, user, programme: Programme, structure_id: int) -> Structure:
    structure = fiche_structures(programme=programme, user=user).filter(pk=structure_id).first()
    if structure is None:
        raise Http404
    return structure


@dataclass
class FicheRow:
    """One line of the programme's list of fiches."""

    structure: Structure
    fiche: ProjectFiche | None
    limits: TeamLimits
    projects: dict = field(default_factory=dict)
    agents: int = 0
    others: int = 0
    referent: str = ""
    axes: int = 0

    @property
    def started(self) -> bool:
        return self.fiche is not None and self.fiche.revision > 0

    @property
    def too_large(self) -> bool:
        return team_too_large(agents=self.agents, limits=self.limits)

    @property
    def too_small(self) -> bool:
        return team_too_small(agents=self.agents, limits=self.limits)

    @property
    def experimented(self) -> Project | None:
        return self.projects.get(Project.Kind.EXPERIMENTED)

    @property
    def proposed(self) -> Project | None:
        return self.projects.get(Project.Kind.PROPOSED)

    @property
    def complete(self) -> bool:
        """Everything the contract asks of a fiche is there: both themes, both projects
        named, a team within the limits with its referent, lessons learned and at least
        one axis of the road map."""
        fiche = self.fiche
        return bool(
            fiche is not None
            and fiche.priority_theme_id
            and fiche.secondary_theme_id
            and self.experimented is not None
            and self.experimented.title
            and self.proposed is not None
            and self.proposed.title
            and self.agents
            and not self.too_large
            and not self.too_small
            and self.referent
            and fiche.lessons_learned
            and self.axes
        )


def fiche_rows(*, programme: Programme, user) -> list[FicheRow]:
    """Every partner structure the user may see, with its fiche's state. A constant number
    of queries whatever the number of structures (the structures, the fiches with their
    themes, last revision and axes count, their projects, their teams, the team limits)."""
    structures = list(fiche_structures(programme=programme, user=user))
    limits = team_limits(programme=programme)
    if not structures:
        return []
    last_revision = FicheRevision.objects.filter(fiche=OuterRef("pk")).order_by("-number")
    fiches = (
        ProjectFiche.objects.filter(
            programme=programme, structure_id__in=[s.pk for s in structures]
        )
        .select_related("priority_theme", "secondary_theme")
        .annotate(
            axes_count=Subquery(
                RoadmapAxis.objects.filter(fiche=OuterRef("pk"))
                .values("fiche")
                .annotate(n=Count("pk"))
                .values("n")[:1]
            ),
            last_author=Subquery(last_revision.values("author_name")[:1]),
            last_at=Subquery(last_revision.values("at")[:1]),
        )
        .prefetch_related(
            "projects",
            Prefetch("team", queryset=TeamMember.objects.order_by("position", "pk")),
        )
    )
    by_structure = {fiche.structure_id: fiche for fiche in fiches}
    rows = []
    for structure in structures:
        fiche = by_structure.get(structure.pk)
        row = FicheRow(structure=structure, fiche=fiche, limits=limits)
        if fiche is not None:
            row.projects = {project.kind: project for project in fiche.projects.all()}
            team = list(fiche.team.all())
            row.agents = sum(1 for m in team if m.kind == TeamMember.Kind.AGENT)
            row.others = len(team) - row.agents
            row.referent = next((m.full_name for m in team if m.is_referent), "")
            row.axes = fiche.axes_count or 0
        rows.append(row)
    return rows


@dataclass(frozen=True)
class FicheCounts:
    structures: int
    started: int
    complete: int


def fiche_counts(*, programme: Programme, user) -> FicheCounts:
    rows = fiche_rows(programme=programme, user=user)
    return FicheCounts(
        structures=len(rows),
        started=sum(1 for row in rows if row.started),
        complete=sum(1 for row in rows if row.complete),
    )


@dataclass
class FicheDetail:
    """A fiche with all its rows, or an empty one before its first edit."""

    fiche: ProjectFiche | None
    projects: dict
    team: list
    axes: list
    limits: TeamLimits

    @property
    def agents(self) -> int:
        return sum(1 for member in self.team if member.kind == TeamMember.Kind.AGENT)

    @property
    def referent(self) -> TeamMember | None:
        return next((member for member in self.team if member.is_referent), None)

    @property
    def too_large(self) -> bool:
        return team_too_large(agents=self.agents, limits=self.limits)

    @property
    def too_small(self) -> bool:
        return team_too_small(agents=self.agents, limits=self.limits)

    @property
    def experimented(self) -> Project | None:
        return self.projects.get(Project.Kind.EXPERIMENTED)

    @property
    def proposed(self) -> Project | None:
        return self.projects.get(Project.Kind.PROPOSED)


def fiche_detail(*, programme: Programme, structure: Structure) -> FicheDetail:
    fiche = (
        ProjectFiche.objects.filter(programme=programme, structure=structure)
        .select_related("priority_theme", "secondary_theme")
        .prefetch_related(
            "projects",
            Prefetch("team", queryset=TeamMember.objects.order_by("position", "pk")),
            Prefetch(
                "axes",
                queryset=RoadmapAxis.objects.order_by("position", "pk").prefetch_related(
                    Prefetch("actions", queryset=RoadmapAction.objects.order_by("position", "pk"))
                ),
            ),
        )
        .first()
    )
    limits = team_limits(programme=programme)
    if fiche is None:
        return FicheDetail(fiche=None, projects={}, team=[], axes=[], limits=limits)
    return FicheDetail(
        fiche=fiche,
        projects={project.kind: project for project in fiche.projects.all()},
        team=list(fiche.team.all()),
        axes=list(fiche.axes.all()),
        limits=limits,
    )


def fiche_revisions(*, fiche: ProjectFiche | None) -> QuerySet[FicheRevision]:
    """Newest first; none before the first edit."""
    if fiche is None:
        return FicheRevision.objects.none()
    return FicheRevision.objects.filter(fiche=fiche).order_by("-number")


def fiche_revision(*, fiche: ProjectFiche | None, number: int) -> FicheRevision:
    revision = fiche_revisions(fiche=fiche).filter(number=number).first()
    if revision is None:
        raise Http404
    return revision


def structure_fiche_programmes(
    *, structure: Structure, user
) -> list[tuple[Programme, ProjectFiche | None]]:
    """The programmes the structure is a partner of whose fiche the user may open, with the
    fiche if started (two queries)."""
    programmes = [
        programme
        for programme in fiche_programmes(user=user)
        .filter(structures=structure)
        .order_by("-start_date", "pk")
    ]
    fiches = {
        fiche.programme_id: fiche
        for fiche in ProjectFiche.objects.filter(
            structure=structure, programme__in=[p.pk for p in programmes]
        )
    }
    return [(programme, fiches.get(programme.pk)) for programme in programmes]


def programme_theme_list(*, programme: Programme) -> list[Theme]:
    """The programme's themes in order, each with how many fiches chose it."""
    themes = list(Theme.objects.filter(programme=programme).order_by("position", "pk"))
    uses: dict[int, int] = {}
    for priority_id, secondary_id in ProjectFiche.objects.filter(programme=programme).values_list(
        "priority_theme_id", "secondary_theme_id"
    ):
        for theme_id in (priority_id, secondary_id):
            if theme_id:
                uses[theme_id] = uses.get(theme_id, 0) + 1
    for theme in themes:
        theme.uses = uses.get(theme.pk, 0)
    return themes


def theme_structures(theme: Theme) -> list[Structure]:
    """The structures whose fiche chose the theme (priority or secondary), in the order of
    the other lists: what a coordinator must see before a theme can be deleted."""
    fiches = ProjectFiche.objects.filter(Q(priority_theme=theme) | Q(secondary_theme=theme))
    return list(
        Structure.objects.filter(pk__in=fiches.values("structure")).order_by("sort_key", "pk")
    )
