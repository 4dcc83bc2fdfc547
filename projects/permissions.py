"""The checks the projects pages and services share, written once.

* `is_partner(programme, structure)`: the structure is one of the programme's partner
  structures (`Programme.structures`): fiches, follow-up and intersession work exist only
  for those.
* `is_programme_trainer(user, programme)`: the user trains one of its sessions.
* `may_follow(user, programme)`: coordinators and the programme's trainers, who follow
  the structures between the labos (write the follow-up log, set intersession work).

The programme's partner structures as a queryset: `selectors.partner_structures`.
"""

from formations.models import Programme, Structure
from formations.permissions import can_manage, is_trainer

ProgrammeStructure = Programme.structures.through


def is_partner(*, programme: Programme | int, structure: Structure | int) -> bool:
    return ProgrammeStructure.objects.filter(
        programme_id=getattr(programme, "pk", programme),
        structure_id=getattr(structure, "pk", structure),
    ).exists()


def is_programme_trainer(*, user, programme: Programme | int) -> bool:
    programme_id = getattr(programme, "pk", programme)
    return (
        is_trainer(user)
        and user.trained_sessions.filter(formation__programme_id=programme_id).exists()
    )


def may_follow(*, user, programme: Programme | int) -> bool:
    """Coordinators and the programme's trainers."""
    if not getattr(user, "is_authenticated", False):
        return False
    return can_manage(user) or is_programme_trainer(user=user, programme=programme)
