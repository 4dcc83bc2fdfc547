"""The audit risk only livrables can see: a presence rectified after the person's
certificate (certificat de réalisation or attestation d'assiduité) was issued, so the
certificate in the funder's hands no longer says what the sheet says. Registered into
`sessions.selectors.audit_risks.EXTRA_DETECTORS` by `LivrablesConfig.ready()`."""

from collections import defaultdict

from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext as _

from livrables.models import IssuedDocument
from sessions.models import Rectification
from sessions.selectors.audit_risks import AuditRisk, slot_url

CERTIFICATE_KINDS = (
    IssuedDocument.Kind.COMPLETION_CERTIFICATE,
    IssuedDocument.Kind.ATTENDANCE_ATTESTATION,
)


def rectified_after_certificate(formations) -> dict[int, list[AuditRisk]]:
    """One query for every formation given: by formation, each rectification made after a
    certificate of the same participant and formation had been issued (the first such
    certificate named)."""
    if not formations:
        return {}
    earlier = IssuedDocument.objects.filter(
        kind__in=CERTIFICATE_KINDS,
        formation_id=OuterRef("attendance__slot__session__formation_id"),
        participant_id=OuterRef("attendance__enrolment__participant_id"),
        issued_at__lt=OuterRef("created_at"),
    ).order_by("issued_at", "pk")
    rows = (
        Rectification.objects.filter(
            attendance__slot__session__formation__in=[f.pk for f in formations]
        )
        .annotate(certificate_number=Subquery(earlier.values("number")[:1]))
        .filter(certificate_number__isnull=False)
        .select_related("attendance__slot__session", "attendance__enrolment__participant")
        .order_by("created_at", "pk")
    )
    risks = defaultdict(list)
    for rectification in rows:
        attendance = rectification.attendance
        slot = attendance.slot
        risks[slot.session.formation_id].append(
            AuditRisk(
                key=f"rectified_after_certificate:rectification:{rectification.pk}",
                kind="rectified_after_certificate",
                sentence=_(
                    "La présence de %(name)s le %(day)s (session %(code)s) a été rectifiée "
                    "le %(when)s, après l'émission du certificat %(number)s."
                )
                % {
                    "name": attendance.signer_name or attendance.enrolment.participant.full_name,
                    "day": f"{slot.local_start:%d/%m/%Y}",
                    "code": slot.session.code,
                    "when": f"{rectification.created_at:%d/%m/%Y}",
                    "number": rectification.certificate_number,
                },
                url=slot_url(slot.pk),
                record=rectification,
                session_code=slot.session.code,
                at=rectification.created_at,
            )
        )
    return risks
