"""What an auditor would question on a sheet (« risques d'audit »). For now: signatures
of one half-day made from the same phone for different people."""

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Exists, OuterRef

from sessions.models import Attendance, Slot, TrainingSession


@dataclass(frozen=True)
class SharedDeviceSignature:
    """A QR code signature made from the same scan ticket or phone as other people's
    signatures of the same half-day. `same_ticket`: at least one of them came from the
    very same visit of the QR page (not only the same phone)."""

    attendance: Attendance
    shared_with: tuple[Attendance, ...]
    same_ticket: bool

    @property
    def shared_with_names(self) -> list[str]:
        return [a.enrolment.participant.full_name for a in self.shared_with]


def shared_device_signatures(
    *, session: TrainingSession, slot: Slot | None = None
) -> list[SharedDeviceSignature]:
    """Every QR code signature of the session (or of one half-day) that shares a scan
    ticket or a phone with another person's signature of the same half-day, in the order
    of half-days then signing time. Each row of a group is listed, naming the others.

    Such rows exist only where the session allows shared phones (otherwise
    `attendance_sign` refuses them), or where the setting was allowed then withdrawn.
    One query whatever the number of rows.
    """
    qr = Attendance.objects.filter(method=Attendance.Method.QR_CODE)
    others = qr.filter(slot=OuterRef("slot")).exclude(pk=OuterRef("pk"))
    rows = qr.filter(
        Exists(others.filter(device_ticket=OuterRef("device_ticket")))
        | Exists(others.filter(device_id=OuterRef("device_id"))),
        slot__session=session,
    )
    if slot is not None:
        rows = rows.filter(slot=slot)
    rows = list(
        rows.select_related("enrolment__participant", "slot").order_by(
            "slot__starts_at", "signed_at", "pk"
        )
    )
    by_slot: dict[int, list[Attendance]] = defaultdict(list)
    for row in rows:
        by_slot[row.slot_id].append(row)

    result = []
    for row in rows:
        same_ticket = False
        shared = []
        for other in by_slot[row.slot_id]:
            if other.pk == row.pk:
                continue
            ticket = bool(row.device_ticket) and other.device_ticket == row.device_ticket
            device = bool(row.device_id) and other.device_id == row.device_id
            if ticket or device:
                shared.append(other)
                same_ticket = same_ticket or ticket
        result.append(
            SharedDeviceSignature(
                attendance=row, shared_with=tuple(shared), same_ticket=same_ticket
            )
        )
    return result


def device_signed_in_slot(*, slot: Slot, device_id: str | None) -> bool:
    """Whether this phone (its cookie id) already signed a QR code signature for this
    half-day (the QR page warns before anyone draws a signature for nothing)."""
    if not device_id:
        return False
    return Attendance.objects.filter(
        slot=slot, method=Attendance.Method.QR_CODE, device_id=device_id
    ).exists()
