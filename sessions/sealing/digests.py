"""The canonical forms that seals and rectifications hash, in each seal format, and their
SHA-256 digests. Pure functions over model instances: no query (callers load what they
name), so sealing and verification compute exactly the same bytes."""

import datetime as dt
import hashlib
import json
from decimal import Decimal

from sessions.models import Attendance, Rectification, Seal, Slot

# Fields a rectification may change; verification refuses any other key.
RECTIFIABLE_FIELDS = ("status", "minutes_attended", "arrived_at", "left_at")
# Of those, the ones stored as datetimes (ISO 8601 UTC strings in the rectification).
DATETIME_FIELDS = frozenset({"arrived_at", "left_at"})


def _normalise(value):
    if isinstance(value, dict):
        return {str(key): _normalise(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_normalise(item) for item in value]
    if isinstance(value, bool) or value is None or isinstance(value, str | int):
        return value
    if isinstance(value, float | Decimal):
        # JSON columns may hand 12.0 back as 12 (or the reverse): hash the number, not
        # its spelling.
        number = float(value)
        return int(number) if number.is_integer() else number
    if isinstance(value, dt.datetime):
        return iso_utc(value)
    raise TypeError(f"Cannot canonicalise {type(value).__name__}")


def canonical_json(value) -> str:
    """The one serialisation every digest is computed over."""
    return json.dumps(_normalise(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def iso_utc(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def attendance_record(attendance: Attendance, version: int = Seal.CURRENT_VERSION) -> dict:
    """The sealed content of one émargement, in the canonical form of seal `version`.
    Expects `enrolment` and `paper_scan` loaded (select_related) to avoid one query per row.

    Version 2 adds the arrival and departure times, the signer's name and structure at
    signing (what the sheet prints beside the signature) and, for a QR code signature, the
    scan ticket and phone it came from."""
    record = {
        "attendance": attendance.pk,
        "enrolment": attendance.enrolment_id,
        "participant": attendance.enrolment.participant_id,
        "slot": attendance.slot_id,
        "status": attendance.status,
        "minutes_attended": attendance.minutes_attended,
        "method": attendance.method,
        "signature": attendance.signature,
        "signed_at": iso_utc(attendance.signed_at),
        "device_signed_at": iso_utc(attendance.device_signed_at),
        "ip_address": attendance.ip_address,
        "user_agent": attendance.user_agent,
        "paper_scan_sha256": attendance.paper_scan.sha256 if attendance.paper_scan_id else None,
        "recorded_by": attendance.recorded_by_id,
    }
    if version >= 2:
        record.update(
            {
                "arrived_at": iso_utc(attendance.arrived_at),
                "left_at": iso_utc(attendance.left_at),
                "signer_name": attendance.signer_name,
                "signer_structure": attendance.signer_structure,
                # Which scan ticket and phone a QR signature came from: the "same phone"
                # flag an auditor sees is derived from them.
                "device_ticket": attendance.device_ticket,
                "device_id": attendance.device_id,
            }
        )
    return record


def record_digest(attendance: Attendance, version: int = Seal.CURRENT_VERSION) -> str:
    return sha256_hex(canonical_json(attendance_record(attendance, version)))


def slot_record(slot: Slot, seal: Seal) -> dict:
    """The sealed content of the half-day itself in the canonical form of `seal.version`:
    times, countersignature, seal metadata; version 2 adds what the sheet's header shows
    and the app locks once anyone signed (the formation, its programme, contract
    reference and title, the session's time zone). Expects `slot.session.formation`
    loaded for version 2."""
    record = {
        "slot": slot.pk,
        "session": slot.session_id,
        "starts_at": iso_utc(slot.starts_at),
        "ends_at": iso_utc(slot.ends_at),
        "countersignature": slot.countersignature,
        "countersigned_by": slot.countersigned_by_id,
        "countersigned_at": iso_utc(slot.countersigned_at),
        "sequence": seal.sequence,
        "sealed_at": iso_utc(seal.sealed_at),
        "sealed_by": seal.sealed_by_id,
    }
    if seal.version >= 2:
        session = slot.session
        record.update(
            {
                "version": seal.version,
                "time_zone": session.time_zone,
                "formation": session.formation_id,
                "programme": session.formation.programme_id,
                "contract_reference": session.formation.contract_reference,
                "formation_title": session.formation.title,
            }
        )
    return record


def seal_digest(*, previous_digest: str, slot_part: dict, record_digests: dict) -> str:
    """SHA-256(previous seal digest + canonical slot part + record digests sorted by key)."""
    return sha256_hex(previous_digest + canonical_json(slot_part) + canonical_json(record_digests))


def rectification_record(rectification: Rectification) -> dict:
    return {
        "attendance": rectification.attendance_id,
        "slot": rectification.attendance.slot_id,
        "old_values": rectification.old_values,
        "new_values": rectification.new_values,
        "reason": rectification.reason,
        "author": rectification.author_id,
        "created_at": iso_utc(rectification.created_at),
    }


def rectification_digest(rectification: Rectification) -> str:
    """SHA-256(head of the slot's chain before it + canonical rectification)."""
    return sha256_hex(
        rectification.previous_digest + canonical_json(rectification_record(rectification))
    )
