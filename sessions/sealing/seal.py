"""Writing a seal: the half-day's records hashed and chained to the session's previous
seal (called by `sessions.services.attendance.slot_close`, which holds the locks)."""

import datetime as dt

from sessions.models import Attendance, Rectification, Seal, Slot
from sessions.sealing.digests import record_digest, seal_digest, slot_record


def slot_chain_head(*, slot: Slot) -> str:
    """The digest a new rectification of this sealed slot chains to: the latest
    rectification's, or the seal's when there is none."""
    last = (
        Rectification.objects.filter(attendance__slot_id=slot.pk)
        .order_by("-pk")
        .values_list("digest", flat=True)
    ).first()
    if last is not None:
        return last
    return Seal.objects.values_list("digest", flat=True).get(slot_id=slot.pk)


def seal_slot(*, slot: Slot, actor, now: dt.datetime) -> Seal:
    """Writes the seal of one half-day, chained to the session's previous seal.

    The caller (`slot_close`) holds the session row lock (so two closes of the same
    session cannot both take the same `sequence` / previous digest) and the slot lock
    (so no signature lands between hashing and sealing), inside one transaction.
    `slot` must be freshly read from the database: the digest covers what is stored.
    """
    previous = Seal.objects.filter(session_id=slot.session_id).order_by("-sequence").first()
    attendances = Attendance.objects.filter(slot_id=slot.pk).select_related(
        "enrolment", "paper_scan"
    )
    version = Seal.CURRENT_VERSION
    seal = Seal(
        slot=slot,
        session_id=slot.session_id,
        version=version,
        sequence=(previous.sequence + 1) if previous else 1,
        previous_digest=previous.digest if previous else "",
        record_digests={str(a.pk): record_digest(a, version) for a in attendances},
        sealed_at=now,
        sealed_by=actor,
    )
    seal.sealed_slot = slot_record(slot, seal)
    seal.digest = seal_digest(
        previous_digest=seal.previous_digest,
        slot_part=seal.sealed_slot,
        record_digests=seal.record_digests,
    )
    # record_digests may be {} (a half-day of a session nobody is enrolled in).
    seal.full_clean(exclude=["record_digests"])
    seal.save()
    return seal
