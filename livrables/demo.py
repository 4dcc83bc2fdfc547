"""Demo documents: the signed sheet of every fully sealed demo session, and the two
certificates of each person enrolled in one, are issued once by the coordination account,
so that a visitor finds kept documents on the session pages, on the participants' pages
and in their own space. Idempotent: what stands is left alone."""

from formations.models import Formation, Participant
from livrables.models import IssuedDocument
from livrables.selectors import (
    CERTIFICATE_KINDS,
    current_kept_document,
    fully_sealed_session_q,
    own_certificates,
)
from livrables.services import issue_certificate, issue_sheet
from sessions.models import Enrolment, TrainingSession


def load(*, coordinator) -> int:
    """Issues the sheets and certificates not issued yet; returns how many sheets were."""
    sealed = TrainingSession.objects.filter(fully_sealed_session_q()).order_by("pk")
    issued = 0
    for session in sealed:
        if current_kept_document(kind=IssuedDocument.Kind.ATTENDANCE_SHEET, session=session):
            continue
        issue_sheet(session=session, actor=coordinator)
        issued += 1
    _issue_certificates(coordinator=coordinator)
    return issued


def _issue_certificates(*, coordinator) -> None:
    """Both certificates for each person and formation with a fully sealed session."""
    pairs = (
        Enrolment.objects.filter(
            session__in=TrainingSession.objects.filter(fully_sealed_session_q())
        )
        .values_list("participant_id", "session__formation_id")
        .distinct()
        .order_by("participant_id", "session__formation_id")
    )
    for participant_id, formation_id in pairs:
        participant = Participant.objects.get(pk=participant_id)
        standing = set(
            own_certificates(participant=participant)
            .filter(formation_id=formation_id)
            .values_list("kind", flat=True)
        )
        for kind in CERTIFICATE_KINDS:
            if kind not in standing:
                issue_certificate(
                    kind=kind,
                    participant=participant,
                    formation=Formation.objects.get(pk=formation_id),
                    actor=coordinator,
                )
