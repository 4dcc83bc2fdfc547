"""Reads of the enrolment page: who can still be enrolled (the picker), who is, and whom
to convoke."""

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from formations.models import Participant, Programme
from formations.selectors import participants_visible_to
from sessions.models import Enrolment
from sessions.selectors.visibility import enrolments_visible_to


def enrolment_candidates(*, session, user, query: str = "") -> QuerySet[Participant]:
    """Participants the user may see who are not enrolled yet, matching every word of
    `query` (name, e-mail or structure). People of the programme's partner structures
    come first: they are the audience the contract was written for."""
    # Professionals only: a structure's members (residents…) are followed in Alertes.
    candidates = participants_visible_to(user=user).filter(kind=Participant.Kind.PROFESSIONAL)
    candidates = candidates.exclude(enrolments__session=session)
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


def session_enrolments(*, session, user) -> QuerySet[Enrolment]:
    """The session's enrolments `user` may see, in French order, each with
    `attendance_count` (an enrolment with émargements cannot be removed)."""
    return (
        enrolments_visible_to(user=user)
        .filter(session=session)
        .annotate(attendance_count=Count("attendances"))
        .order_by("participant__sort_key", "participant_id")
    )


def convocation_enrolments(*, session, unsent_only: bool = False) -> list[Enrolment]:
    """The enrolments to convoke: all of the session's, or only those never convoked."""
    enrolments = Enrolment.objects.filter(session=session).select_related("participant__structure")
    if unsent_only:
        enrolments = enrolments.filter(convocation_sent_at__isnull=True)
    return list(enrolments)
