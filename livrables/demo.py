"""Demo documents: the signed sheet of every fully sealed demo session, the two
certificates of each person enrolled in one (no certificat de réalisation for someone
absent throughout), and the certificat d'assiduité of each
structure with people in one (per formation), are issued once by the coordination account,
so that a visitor finds kept documents on the session pages, on the participants' and
structures' pages and in the participants' own space; and the FSE formation's expenses,
claims and payment (`livrables.demo_money`). Idempotent: what stands is left alone."""

from dataclasses import dataclass

from formations.models import Formation, Participant, Structure
from livrables import demo_money
from livrables.exceptions import LivrablesError
from livrables.models import IssuedDocument
from livrables.selectors import (
    CERTIFICATE_KINDS,
    STRUCTURE_CERTIFICATE,
    current_kept_document,
    fully_sealed_session_q,
    own_certificates,
    standing,
)
from livrables.services import issue_certificate, issue_sheet, issue_structure_certificate
from sessions.models import Enrolment, TrainingSession


@dataclass(frozen=True)
class Issued:
    """What one load issued (nothing on a second run)."""

    sheets: int
    structure_certificates: int


def load(*, coordinator) -> Issued:
    """Issues the sheets and certificates not issued yet; says how many sheets and
    structure certificates were."""
    sealed = TrainingSession.objects.filter(fully_sealed_session_q()).order_by("pk")
    issued = 0
    for session in sealed:
        if current_kept_document(kind=IssuedDocument.Kind.ATTENDANCE_SHEET, session=session):
            continue
        issue_sheet(session=session, actor=coordinator)
        issued += 1
    _issue_certificates(coordinator=coordinator)
    demo_money.load(coordinator=coordinator)
    return Issued(
        sheets=issued, structure_certificates=_issue_structure_certificates(coordinator=coordinator)
    )


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
        kinds_standing = set(
            own_certificates(participant=participant)
            .filter(formation_id=formation_id)
            .values_list("kind", flat=True)
        )
        for kind in CERTIFICATE_KINDS:
            if kind in kinds_standing:
                continue
            try:
                issue_certificate(
                    kind=kind,
                    participant=participant,
                    formation=Formation.objects.get(pk=formation_id),
                    actor=coordinator,
                )
            except LivrablesError as error:
                # Someone absent from every half-day has no certificat de réalisation.
                if error.code != "nothing_realised":
                    raise


def _issue_structure_certificates(*, coordinator) -> int:
    """The certificat d'assiduité of each structure in each formation where its people are
    enrolled in a fully sealed (not cancelled) session, unless one stands; returns how many
    were issued."""
    sealed = TrainingSession.objects.filter(fully_sealed_session_q()).exclude(
        status=TrainingSession.Status.CANCELLED
    )
    pairs = (
        Enrolment.objects.filter(session__in=sealed.values("pk"))
        .values_list("participant__structure_id", "session__formation_id")
        .distinct()
        .order_by("participant__structure_id", "session__formation_id")
    )
    issued_already = set(
        standing(IssuedDocument.objects.filter(kind=STRUCTURE_CERTIFICATE))
        .exclude(storage_name="")
        .values_list("structure_id", "formation_id")
    )
    issued = 0
    for structure_id, formation_id in pairs:
        if (structure_id, formation_id) in issued_already:
            continue
        issue_structure_certificate(
            structure=Structure.objects.get(pk=structure_id),
            formation=Formation.objects.get(pk=formation_id),
            actor=coordinator,
        )
        issued += 1
    return issued
