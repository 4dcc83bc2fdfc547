"""Who can still be enrolled in a session, for the enrolment page's picker."""

from django.db.models import Exists, OuterRef, Q, QuerySet

from formations.models import Participant, Programme
from formations.selectors import participants_visible_to


def enrolment_candidates(*, session, user, query: str = "") -> QuerySet[Participant]:
    """Participants the user may see who are not enrolled yet, matching every word of
    `query` (name, e-mail or structure). People of the programme's partner structures
    come first: they are the audience the contract was written for."""
    candidates = participants_visible_to(user=user).exclude(enrolments__session=session)
    for word in query.split():
        candidates = candidates.filter(
            Q(last_name__icontains=word)
            | Q(first_name__icontains=word)
            | Q(email__icontains=word)
            | Q(structure__name__icontains=word)
        )
    partner = Programme.structures.through.objects.filter(
        programme_id=session.formation.programme_id, structure_id=OuterRef("structure_id")
    )
    return candidates.annotate(from_partner=Exists(partner)).order_by(
        "-from_partner", "structure__sort_key", "structure_id", "sort_key", "pk"
    )
