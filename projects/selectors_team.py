"""Reading the project team and the road map of a fiche for their pages: a constant
number of queries, whatever the number of members, axes and actions."""

from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet

from formations.models import Participant, Programme, Structure
from projects.models import ProjectFiche, RoadmapAction, RoadmapAxis, TeamMember
from projects.rules import TeamLimits, team_limits, team_too_large, team_too_small


@dataclass(frozen=True)
class TeamState:
    members: list[TeamMember]
    limits: TeamLimits
    agents: int
    referent: TeamMember | None

    @property
    def too_small(self) -> bool:
        return team_too_small(agents=self.agents, limits=self.limits)

    @property
    def too_large(self) -> bool:
        """Only when the contract changed after the team was formed: adding is refused."""
        return team_too_large(agents=self.agents, limits=self.limits)

    @property
    def full(self) -> bool:
        return self.limits.maximum is not None and self.agents >= self.limits.maximum


def team_state(*, programme: Programme, fiche: ProjectFiche | None) -> TeamState:
    """Two queries (the members, the contract's limits)."""
    members = (
        list(fiche.team.select_related("participant").order_by("position", "pk")) if fiche else []
    )
    return TeamState(
        members=members,
        limits=team_limits(programme=programme),
        agents=sum(1 for member in members if member.kind == TeamMember.Kind.AGENT),
        referent=next((member for member in members if member.is_referent), None),
    )


def structure_agents(*, structure: Structure) -> QuerySet[Participant]:
    """The people an agent of the team is chosen among: the structure's participants."""
    return Participant.objects.filter(structure=structure).order_by("sort_key", "pk")


def roadmap_axes(*, fiche: ProjectFiche | None) -> list[RoadmapAxis]:
    """The axes in priority order, each with `action_list` in order (two queries)."""
    if fiche is None:
        return []
    return list(
        RoadmapAxis.objects.filter(fiche=fiche)
        .order_by("position", "pk")
        .prefetch_related(
            Prefetch(
                "actions",
                queryset=RoadmapAction.objects.order_by("position", "pk"),
                to_attr="action_list",
            )
        )
    )
