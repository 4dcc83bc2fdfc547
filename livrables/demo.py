"""Demo documents: the signed sheet of every fully sealed demo session is issued once by
the coordination account, so that a visitor finds issued, kept sheets (and the register
on each session page) next to the sessions still running. Idempotent: a session whose
sheet stands is left alone."""

from django.db.models import Count, F, Q

from livrables.models import IssuedDocument
from livrables.selectors import current_kept_document
from livrables.services import issue_sheet
from sessions.models import TrainingSession


def load(*, coordinator) -> int:
    """Issues the sheets not issued yet; returns how many were issued."""
    sealed = (
        TrainingSession.objects.annotate(
            slot_count=Count("slots"),
            sealed_count=Count("slots", filter=Q(slots__seal__isnull=False)),
        )
        .filter(slot_count__gt=0, slot_count=F("sealed_count"))
        .order_by("pk")
    )
    issued = 0
    for session in sealed:
        if current_kept_document(kind=IssuedDocument.Kind.ATTENDANCE_SHEET, session=session):
            continue
        issue_sheet(session=session, actor=coordinator)
        issued += 1
    return issued
