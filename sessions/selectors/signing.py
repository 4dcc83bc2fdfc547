"""Reads of the signing pages: the trainer's half-day page, the tablet, the QR code and
remote-link pages, the paper sheet page. Scoping (who may open the half-day) comes first,
from `sessions.selectors.visibility`; these read what one half-day holds."""

from django.db.models import QuerySet

from formations.permissions import is_funder_auditor
from sessions.models import Attendance, Enrolment, PaperSheetScan, Rectification, Slot
from sessions.selectors.visibility import slots_run_by, slots_visible_to


def slot_enrolments(*, slot: Slot) -> QuerySet[Enrolment]:
    """The people enrolled in the half-day's session, with participant and structure, in
    the enrolments' French order."""
    return Enrolment.objects.filter(session_id=slot.session_id).select_related(
        "participant__structure"
    )


def slot_enrolment(*, slot: Slot, pk) -> Enrolment | None:
    """One person enrolled in the half-day's session, or None (another session's
    enrolment, a forged id)."""
    if pk is None:
        return None
    return slot_enrolments(slot=slot).filter(pk=pk).first()


def slot_attendances(*, slot: Slot) -> dict[int, Attendance]:
    """The half-day's émargements by enrolment id (one query), with the paper scan and
    whoever recorded them."""
    return {
        a.enrolment_id: a
        for a in Attendance.objects.filter(slot=slot).select_related("paper_scan", "recorded_by")
    }


def slot_attendance(*, slot: Slot, pk) -> Attendance | None:
    """One émargement of the half-day with its participant, or None (another half-day's
    row, a forged id)."""
    if pk is None:
        return None
    return (
        Attendance.objects.filter(slot=slot, pk=pk).select_related("enrolment__participant").first()
    )


def attendance_of(*, enrolment: Enrolment, slot: Slot) -> Attendance | None:
    """The person's émargement for the half-day, if any."""
    return Attendance.objects.filter(enrolment=enrolment, slot=slot).first()


def slot_rectifications(*, slot: Slot) -> QuerySet[Rectification]:
    """The half-day's rectifications in the order they were made, with author and
    participant."""
    return (
        Rectification.objects.filter(attendance__slot=slot)
        .select_related("author", "attendance__enrolment__participant")
        .order_by("created_at", "pk")
    )


def slot_scans(*, slot: Slot) -> QuerySet[PaperSheetScan]:
    """The paper sheets scanned for the half-day, with who uploaded them."""
    return PaperSheetScan.objects.filter(slot=slot).select_related("uploaded_by")


def slots_with_scans_for(*, user) -> QuerySet[Slot]:
    """The half-days whose scanned paper sheets `user` may open: funder auditors look at
    the proof of what they may see; trainers and coordinators, of what they run."""
    if is_funder_auditor(user):
        return slots_visible_to(user=user)
    return slots_run_by(user=user)


def slot_for_qr_code(*, pk) -> Slot | None:
    """The half-day a QR code names, for the public signing page: no user scope, the
    signed token proves the visitor was in the room (`sessions.tokens.check_qr_token`)."""
    return Slot.objects.select_related("session__formation").filter(pk=pk).first()
