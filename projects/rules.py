"""The contract's rule on a project team (seed 003: « au moins une personne par CCAS avec un
maximum de trois personnes par CCAS », « au moins un agent du CCAS qui sera référent du
projet »).

The numbers are the formations' « participant·es par structure et par session » of the
programme: where several formations state one, the strictest holds (the highest minimum,
the lowest maximum). Only the structure's agents count; elected members and partners who
join the team do not.
"""

from dataclasses import dataclass

from django.db.models import Max, Min
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from formations.models import Formation, Programme


@dataclass(frozen=True)
class TeamLimits:
    minimum: int | None
    maximum: int | None

    @property
    def text(self) -> str:
        """« 1 à 3 agents », « au plus 3 agents »… or "" when the contract says nothing."""
        low, high = self.minimum, self.maximum
        if low and high:
            return _("%(low)s à %(high)s agents de la structure") % {"low": low, "high": high}
        if high:
            return ngettext(
                "au plus %(n)s agent de la structure",
                "au plus %(n)s agents de la structure",
                high,
            ) % {"n": high}
        if low:
            return ngettext(
                "au moins %(n)s agent de la structure",
                "au moins %(n)s agents de la structure",
                low,
            ) % {"n": low}
        return ""


def team_limits(*, programme: Programme | int) -> TeamLimits:
    """One query."""
    programme_id = getattr(programme, "pk", programme)
    bounds = Formation.objects.filter(programme_id=programme_id).aggregate(
        minimum=Max("attendees_per_structure_min"), maximum=Min("attendees_per_structure_max")
    )
    return TeamLimits(minimum=bounds["minimum"], maximum=bounds["maximum"])


def team_too_large(*, agents: int, limits: TeamLimits) -> bool:
    return limits.maximum is not None and agents > limits.maximum


def team_too_small(*, agents: int, limits: TeamLimits) -> bool:
    """A team short of the minimum is shown, not refused: it is built over time."""
    return limits.minimum is not None and agents < limits.minimum
