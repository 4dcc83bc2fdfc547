"""What a funder's auditor checks on one half-day: every émargement with how, when and from
where it was captured, the trainer's countersignature, the rectifications, the paper scans,
and whether the seal still verifies. Read-only; a constant number of queries."""

from dataclasses import dataclass

from django.db.models import Case, IntegerField, Value, When
from django.utils.translation import gettext as _

from sessions.models import Attendance, Enrolment, PaperSheetScan, Rectification, Seal, Slot
from sessions.sealing import Problem, closes_by_session, verify_sessions
from sessions.selectors.hours import COUNTED, realised_expression
from sessions.selectors.risks import shared_device_signatures


@dataclass(frozen=True)
class AuditRow:
    """One enrolled person on the half-day. ``attendance`` is None when nothing was
    recorded; ``counted_minutes`` are the minutes that count toward realised hours (signed
    and countersigned), computed by the same SQL as every hours figure."""

    enrolment: Enrolment
    attendance: Attendance | None
    counted_minutes: int
    rectifications: tuple[Rectification, ...] = ()
    # Names of the other people who signed this half-day from the same phone (QR code).
    same_phone_as: tuple[str, ...] = ()


@dataclass(frozen=True)
class SlotAudit:
    slot: Slot
    seal: Seal | None
    rows: tuple[AuditRow, ...]
    scans: tuple[PaperSheetScan, ...]
    # Anomalies `verify_seals` finds on this half-day (none: the seal holds).
    problems: tuple[Problem, ...]
    # Anomalies elsewhere in the session's chain (other half-days).
    other_problems: int

    @property
    def sealed(self) -> bool:
        return self.seal is not None

    @property
    def verified(self) -> bool:
        """Sealed, and recomputing its digests finds nothing wrong."""
        return self.sealed and not self.problems


def slot_audit_records(*, slot: Slot) -> SlotAudit:
    """Everything the auditor's page shows about ``slot`` (fetched through
    ``slots_visible_to``, with its seal and countersigner selected along).

    Queries, whatever the number of people: enrolments, attendances (with their scan and
    recorder), rectifications (with their authors), paper scans, signatures made from one
    phone for several people (``sessions.selectors.risks``), then the verification of
    the session's chain (journal, seals, rows, rectifications: see
    ``sessions.sealing.verify_sessions``). The whole session is verified because a seal
    chains to the previous one; only this half-day's anomalies are listed, the others are
    counted.
    """
    session = slot.session
    enrolments = list(
        Enrolment.objects.filter(session_id=slot.session_id)
        .select_related("participant__structure")
        .order_by("participant__sort_key", "participant_id")
    )
    attendances = {
        a.enrolment_id: a
        for a in Attendance.objects.filter(slot_id=slot.pk)
        .select_related("paper_scan", "recorded_by")
        .annotate(
            counted_minutes=Case(
                When(COUNTED, then=realised_expression()),
                default=Value(0),
                output_field=IntegerField(),
            )
        )
    }
    rectifications: dict[int, list[Rectification]] = {}
    for rect in (
        Rectification.objects.filter(attendance__slot_id=slot.pk)
        .select_related("author")
        .order_by("created_at", "pk")
    ):
        rectifications.setdefault(rect.attendance_id, []).append(rect)
    scans = tuple(
        PaperSheetScan.objects.filter(slot_id=slot.pk)
        .select_related("uploaded_by")
        .order_by("uploaded_at", "pk")
    )
    same_phone = {
        shared.attendance.pk: tuple(shared.shared_with_names)
        for shared in shared_device_signatures(session=session, slot=slot)
    }
    rows = []
    for enrolment in enrolments:
        attendance = attendances.get(enrolment.pk)
        if attendance is None:
            rows.append(AuditRow(enrolment=enrolment, attendance=None, counted_minutes=0))
            continue
        rows.append(
            AuditRow(
                enrolment=enrolment,
                attendance=attendance,
                counted_minutes=attendance.counted_minutes,
                rectifications=tuple(rectifications.get(attendance.pk, ())),
                same_phone_as=same_phone.get(attendance.pk, ()),
            )
        )

    closes = closes_by_session(session_ids=[session.pk])
    report = verify_sessions([session], closes=closes)
    problems = [p for p in report.problems if p.slot_id == slot.pk]
    seal = getattr(slot, "seal", None) if slot.is_sealed else None
    closed_here = [c for c in closes.get(session.pk, []) if c.get("slot") == slot.pk]
    if seal is None and closed_here:
        # verify_seals reports it for the session without naming the half-day's id.
        problems.append(
            Problem(
                code="seal_missing",
                message=_(
                    "Cette demi-journée a été close et scellée (journal d'audit, empreinte "
                    "%(digest)s…) mais son scellement a disparu."
                )
                % {"digest": str(closed_here[0].get("digest"))[:12]},
                session_code=session.code,
                slot_id=slot.pk,
            )
        )
    other = sum(1 for p in report.problems if p.slot_id != slot.pk)
    if seal is None:
        # One "seal_missing" (without slot id) per close of this half-day: counted above.
        other -= len(closed_here)
    return SlotAudit(
        slot=slot,
        seal=seal,
        rows=tuple(rows),
        scans=scans,
        problems=tuple(problems),
        other_problems=max(other, 0),
    )
