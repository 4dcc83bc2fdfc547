"""Helpers for the session planning tests: countersigned slots, paper scans, attendance rows
written directly (the attendance services are tested on their own)."""

import datetime as dt

from django.core.files.base import ContentFile
from django.utils import timezone

from sessions.models import Attendance, PaperSheetScan, Slot
from tests.factories import SlotFactory, UserFactory, partial_times


def make_slot(session, day: dt.date, start: dt.time, end: dt.time, *, countersigned=True) -> Slot:
    """A slot of `session` from `start` to `end` local time on `day`."""
    tz = session.tzinfo
    slot = SlotFactory(
        session=session,
        starts_at=timezone.make_aware(dt.datetime.combine(day, start), tz),
        ends_at=timezone.make_aware(dt.datetime.combine(day, end), tz),
    )
    if countersigned:
        countersign(slot)
    return slot


def countersign(slot: Slot, trainer=None) -> Slot:
    slot.countersigned_by = trainer or UserFactory(role="trainer")
    slot.countersigned_at = slot.ends_at
    slot.countersignature = {"width": 300, "height": 150, "strokes": [[[1, 1, 0], [9, 9, 10]]]}
    slot.save()
    return slot


def paper_scan(slot: Slot, user=None) -> PaperSheetScan:
    scan = PaperSheetScan(
        slot=slot,
        original_name="feuille.pdf",
        sha256="0" * 64,
        size=4,
        uploaded_by=user or UserFactory(),
    )
    scan.file.save("feuille.pdf", ContentFile(b"%PDF"), save=False)
    scan.save()
    return scan


SIGNATURE = {"width": 300, "height": 150, "strokes": [[[10, 10, 0], [50, 40, 16]]]}


def attend(
    enrolment, slot, status="present", *, minutes=None, method="tablet", signed=True, scan=None
) -> Attendance:
    """An attendance row written directly (no service)."""
    return Attendance.objects.create(
        enrolment=enrolment,
        slot=slot,
        status=status,
        minutes_attended=minutes,
        **partial_times(slot, status, {"minutes_attended": minutes}),
        method=method,
        signature=SIGNATURE if signed and method != "paper" else None,
        signed_at=timezone.now(),
        paper_scan=scan,
    )
