"""Reads of the session planning pages: the half-days as the session form shows them, and
what the session page lists (half-days with their signature counts, enrolments with their
hours). A referent's page passes `structure_id`: only their structure's people, and only
their signatures in the counts."""

from django.db.models import Count, Q, QuerySet

from sessions.models import Enrolment, Slot, TrainingSession
from sessions.selectors.hours import planned_and_realised_by_enrolment, signed_q


def session_slots(*, session: TrainingSession) -> QuerySet[Slot]:
    """The session's half-days in time order."""
    return Slot.objects.filter(session=session).order_by("starts_at")


def session_slots_with_signatures(
    *, session: TrainingSession, structure_id: int | None = None
) -> list[Slot]:
    """The session's half-days in time order, with seal and countersigner, each annotated
    with `signed_count` (participants who signed, or were keyed in from a scanned sheet).
    One query."""
    signed = signed_q("attendances__")
    if structure_id is not None:
        signed &= Q(attendances__enrolment__participant__structure_id=structure_id)
    return list(
        session_slots(session=session)
        .select_related("seal", "countersigned_by")
        .annotate(signed_count=Count("attendances", filter=signed, distinct=True))
    )


def session_enrolment_hours(
    *, session: TrainingSession, structure_id: int | None = None
) -> list[Enrolment]:
    """The session's enrolments in French order with planned and realised hours (see
    `planned_and_realised_by_enrolment`). One query."""
    enrolments = planned_and_realised_by_enrolment(session=session).order_by(
        "participant__sort_key", "participant_id"
    )
    if structure_id is not None:
        enrolments = enrolments.filter(participant__structure_id=structure_id)
    return list(enrolments)
