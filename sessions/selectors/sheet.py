"""The records of one session as the feuille d'émargement shows them. livrables turns them
into plain data for its renderers; every query of the sheet is here, in constant number."""

from dataclasses import dataclass

from formations.models import Funder, User
from sessions.models import Attendance, Enrolment, Rectification, Slot, TrainingSession


@dataclass(frozen=True)
class SessionRecords:
    session: TrainingSession
    funders: list[Funder]
    trainers: list[User]
    slots: list[Slot]
    enrolments: list[Enrolment]
    # (enrolment id, slot id) → the émargement; empty when attendance is not asked for.
    attendances: dict[tuple[int, int], Attendance]
    rectifications: list[Rectification]


def session_records(
    *, session: TrainingSession, with_attendance: bool = True, structure=None
) -> SessionRecords:
    """Session with formation and programme, funders, trainers, slots with seal and
    countersigner, enrolments with participants and structures, and (unless
    `with_attendance` is false, as for the blank paper sheet) attendances and
    rectifications with their authors, in chronological order.

    `structure` (a `Structure` or its pk) keeps only that structure's people: their
    enrolments, attendances and rectifications (a referent's extract). Slots, seals and
    countersignatures stay whole: they belong to the half-day, not to anyone."""
    session = TrainingSession.objects.select_related("formation__programme").get(pk=session.pk)
    funders = list(session.formation.programme.funders.order_by("name"))
    trainers = list(session.trainers.order_by("last_name", "first_name", "username"))
    slots = list(
        Slot.objects.filter(session=session)
        .select_related("seal__sealed_by", "countersigned_by")
        .order_by("starts_at")
    )
    for slot in slots:
        slot.session = session  # local times everywhere without a query per slot
    enrolments = session.enrolments.select_related("participant__structure")
    attendances_qs = Attendance.objects.filter(slot__session=session)
    rectifications_qs = Rectification.objects.filter(attendance__slot__session=session)
    if structure is not None:
        enrolments = enrolments.filter(participant__structure=structure)
        attendances_qs = attendances_qs.filter(enrolment__participant__structure=structure)
        rectifications_qs = rectifications_qs.filter(
            attendance__enrolment__participant__structure=structure
        )
    enrolments = list(enrolments.order_by("participant__sort_key", "participant_id"))
    attendances, rectifications = {}, []
    if with_attendance:
        attendances = {(att.enrolment_id, att.slot_id): att for att in attendances_qs}
        rectifications = list(
            rectifications_qs.select_related("author", "attendance").order_by("created_at", "pk")
        )
    return SessionRecords(
        session=session,
        funders=funders,
        trainers=trainers,
        slots=slots,
        enrolments=enrolments,
        attendances=attendances,
        rectifications=rectifications,
    )
