"""Helpers for the attendance core tests (signing, sealing, tokens): a valid vector
signature, paper scans, a half-day run through the real services up to its seal."""

import copy
import datetime as dt
import hashlib

import factory
from django.utils import timezone

from sessions.models import PaperSheetScan, Seal, Slot
from sessions.services.attendance import attendance_sign, slot_close, slot_countersign
from tests.factories import SlotFactory, UserFactory

SIGNATURE = {
    "width": 320,
    "height": 120,
    "strokes": [
        [[20, 60, 0], [40, 40, 16], [70, 80, 32], [100, 50, 48]],
        [[120, 60, 300], [160, 62, 320]],
    ],
}
SCAN_BYTES = b"%PDF-1.4 feuille d'emargement"


def signature() -> dict:
    """A fresh copy of a valid signature (tests may mutate it)."""
    return copy.deepcopy(SIGNATURE)


def at_local(slot: Slot, hour: int, minute: int = 0, *, days: int = 0) -> dt.datetime:
    """An aware datetime at hour:minute, local time of the slot's session, on the slot's day."""
    day = slot.local_start.date() + dt.timedelta(days=days)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)), slot.session.tzinfo)


def during(slot: Slot) -> dt.datetime:
    return slot.starts_at + dt.timedelta(minutes=10)


class PaperSheetScanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PaperSheetScan

    slot = factory.SubFactory(SlotFactory)
    file = factory.django.FileField(filename="feuille.pdf", data=SCAN_BYTES)
    original_name = "feuille.pdf"
    sha256 = hashlib.sha256(SCAN_BYTES).hexdigest()
    size = len(SCAN_BYTES)
    uploaded_by = factory.SubFactory(UserFactory)


def sign(enrolment, slot, *, nonce=None, method="tablet", now=None):
    return attendance_sign(
        enrolment=enrolment,
        slot=slot,
        signature=signature(),
        method=method,
        ip="192.0.2.7",
        user_agent="Mozilla/5.0 (tablette de test)",
        nonce=nonce,
        now=now or during(slot),
    )


def close(slot: Slot, trainer) -> Seal:
    """Countersigns and seals a slot through the services, at its end."""
    slot_countersign(slot=slot, trainer=trainer, signature=signature(), now=slot.ends_at)
    return slot_close(slot=slot, actor=trainer, now=slot.ends_at + dt.timedelta(minutes=5))
