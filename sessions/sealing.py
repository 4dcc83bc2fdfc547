"""Sealing half-days and verifying the seals.

How the chain works (what an auditor needs to know):

* When a trainer closes a half-day, every émargement row of that slot is written out in
  a canonical form (`attendance_record`: an explicit list of fields, JSON with sorted
  keys and no whitespace) and hashed with SHA-256: these are the *record digests*,
  kept in `Seal.record_digests` as `{attendance id: digest}`.
* The seal's own digest is SHA-256 over the previous seal's digest of the same session,
  the canonical form of the slot (times, trainer's countersignature, sequence, who sealed
  and when) and the record digests. Seals of a session are numbered 1, 2, 3… in the order
  the half-days were closed; the first one chains to "". Changing any sealed row, any
  seal, or removing a seal from the middle of the chain breaks a digest or a link.
* Seals carry a format `version`. Version 1 covered the records and the half-day's times;
  version 2 also covers what the sheet's header shows and the app locks once anyone signed
  (the formation, its programme, contract reference and title, the session's time zone),
  the arrival and departure times, each signer's name and structure as they were at
  signing, and the scan ticket and phone a QR code signature came from. A
  version 2 seal also keeps the half-day's sealed form, so verification can name what
  changed (« fuseau horaire de la session : Europe/Paris → Indian/Mayotte »). Seals made
  before version 2 are verified in their own format.
* A sealed row never changes in place except through a rectification. Each
  rectification stores the changed fields' old and new values and its own digest,
  SHA-256 over the head of the slot's chain (the seal digest, then the previous
  rectification's digest) and its canonical form. Verification undoes the
  rectifications, newest first, to get back to the values that were sealed, so a
  legitimate correction verifies and a silent one does not.

Nothing secret is involved: anyone holding the database can recompute every digest.
What the chain proves is that the rows are those that were sealed, or that someone
changed them behind the application's back.
"""

import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from formations.models import AuditEntry
from sessions.models import Attendance, Rectification, Seal, Slot, TrainingSession

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


# --- Verification -------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One anomaly found by verification, named so a person can act on it."""

    code: str
    message: str
    session_code: str
    slot_id: int | None = None
    attendance_id: int | None = None
    participant: str = ""

    def __str__(self):
        return f"[{self.session_code}] {self.message}"


@dataclass
class VerificationReport:
    sessions: int = 0
    slots: int = 0
    records: int = 0
    rectifications: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _row_label(attendance: Attendance) -> str:
    return _("émargement n°%(id)s de %(name)s") % {
        "id": attendance.pk,
        "name": attendance.enrolment.participant.full_name,
    }


def closes_by_session(*, session_ids: Iterable[int] | None = None) -> dict[int, list[dict]]:
    """What the audit journal recorded at each close (`slot.close`: session, slot, digest),
    by session id. The journal is the anchor of the chain's last link: deleting the
    newest seal, or rewriting it consistently, leaves the chain itself looking whole."""
    entries = AuditEntry.objects.filter(action="slot.close", object_type=Seal._meta.label_lower)
    if session_ids is not None:
        entries = entries.filter(data__session__in=list(session_ids))
    result: dict[int, list[dict]] = defaultdict(list)
    for data in entries.values_list("data", flat=True):
        if isinstance(data, dict) and isinstance(data.get("session"), int):
            result[data["session"]].append(data)
    return result


# How verification names a part of the half-day that changed after sealing.
SLOT_FIELD_LABELS = {
    "starts_at": gettext_lazy("début"),
    "ends_at": gettext_lazy("fin"),
    "time_zone": gettext_lazy("fuseau horaire de la session"),
    "formation": gettext_lazy("formation de la session"),
    "contract_reference": gettext_lazy("référence du marché"),
    "programme": gettext_lazy("programme de la formation"),
    "formation_title": gettext_lazy("intitulé de la formation"),
    "countersignature": gettext_lazy("contre-signature"),
    "countersigned_by": gettext_lazy("auteur de la contre-signature"),
    "countersigned_at": gettext_lazy("date de la contre-signature"),
}


def _slot_changes(seal: Seal, current: dict) -> list[str]:
    """What differs between the half-day as sealed and as it is now, named, when the seal
    kept its sealed form (version 2) and that form still matches the digest; [] otherwise
    (the seal itself was tampered with, or an old seal that kept no form)."""
    sealed = seal.sealed_slot
    if not isinstance(sealed, dict) or not isinstance(seal.record_digests, dict):
        return []
    if (
        seal_digest(
            previous_digest=seal.previous_digest,
            slot_part=sealed,
            record_digests=seal.record_digests,
        )
        != seal.digest
    ):
        return []
    changes = []
    for key in sorted(set(sealed) | set(current)):
        before, after = sealed.get(key), current.get(key)
        if canonical_json(before) == canonical_json(after):
            continue
        label = SLOT_FIELD_LABELS.get(key, key)
        if key == "countersignature":
            changes.append(_("%(field)s modifiée") % {"field": label})
        else:
            changes.append(
                _("%(field)s : %(before)s → %(after)s")
                % {"field": label, "before": _shown(before), "after": _shown(after)}
            )
    return changes


def _shown(value) -> str:
    return "—" if value is None or value == "" else str(value)


def _field_value(row: Attendance, name: str):
    """A rectifiable field of the row as a rectification stores it (JSON)."""
    value = getattr(row, name)
    return iso_utc(value) if name in DATETIME_FIELDS else value


def _set_field(row: Attendance, name: str, value) -> None:
    if name in DATETIME_FIELDS and isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            pass  # kept as found: the record digest then tells the row apart
    setattr(row, name, value)


def _verify_one_session(
    session: TrainingSession, report: VerificationReport, closes: list[dict]
) -> None:
    """Three queries per session whatever its size: seals, rows, rectifications.
    `closes`: this session's `slot.close` journal entries (see `closes_by_session`)."""
    seals = list(
        Seal.objects.filter(session=session).select_related("slot").order_by("sequence", "pk")
    )
    sealed_slot_ids = {seal.slot_id for seal in seals}
    rows_by_slot: dict[int, dict[int, Attendance]] = defaultdict(dict)
    for attendance in Attendance.objects.filter(slot_id__in=sealed_slot_ids).select_related(
        "enrolment__participant", "paper_scan"
    ):
        rows_by_slot[attendance.slot_id][attendance.pk] = attendance
    rects_by_slot: dict[int, list[Rectification]] = defaultdict(list)
    for rect in (
        Rectification.objects.filter(attendance__slot__session=session)
        .select_related("attendance__enrolment__participant", "attendance__slot")
        .order_by("pk")
    ):
        rects_by_slot[rect.attendance.slot_id].append(rect)

    report.sessions += 1
    problems = report.problems

    def problem(code, message, *, slot=None, attendance=None):
        problems.append(
            Problem(
                code=code,
                message=message,
                session_code=session.code,
                slot_id=slot.pk if slot else None,
                attendance_id=attendance.pk if attendance else None,
                participant=attendance.enrolment.participant.full_name if attendance else "",
            )
        )

    for slot_id, rects in rects_by_slot.items():
        if slot_id not in sealed_slot_ids:
            slot = rects[0].attendance.slot
            slot.session = session
            for rect in rects:
                problem(
                    "rectification_without_seal",
                    _(
                        "Rectification n°%(rect)s de l'%(row)s (%(slot)s) "
                        "sur une demi-journée non scellée."
                    )
                    % {"rect": rect.pk, "row": _row_label(rect.attendance), "slot": slot},
                    slot=slot,
                    attendance=rect.attendance,
                )

    altered_seals: set[int] = set()
    expected_previous = ""
    for position, seal in enumerate(seals, start=1):
        slot = seal.slot
        slot.session = session
        report.slots += 1
        if slot.session_id != session.pk:
            problem(
                "seal_wrong_session",
                _(
                    "Le scellement n°%(seq)s désigne une demi-journée d'une autre session "
                    "(%(slot)s)."
                )
                % {"seq": seal.sequence, "slot": slot},
                slot=slot,
            )
        if seal.sequence != position:
            problem(
                "chain_gap",
                _(
                    "Chaîne de scellements interrompue : rang %(seq)s trouvé à la place "
                    "du rang %(pos)s (%(slot)s) ; un scellement a été supprimé ou renuméroté."
                )
                % {"seq": seal.sequence, "pos": position, "slot": slot},
                slot=slot,
            )
        if seal.previous_digest != expected_previous:
            problem(
                "chain_broken",
                _(
                    "Le scellement de %(slot)s ne suit plus le scellement précédent de la session "
                    "(empreinte précédente différente)."
                )
                % {"slot": slot},
                slot=slot,
            )
        expected_previous = seal.digest
        if not isinstance(seal.record_digests, dict):
            altered_seals.add(slot.pk)
            problem(
                "seal_altered",
                _("Le scellement de %(slot)s est illisible.") % {"slot": slot},
                slot=slot,
            )
            continue
        current_part = slot_record(slot, seal)
        if (
            seal_digest(
                previous_digest=seal.previous_digest,
                slot_part=current_part,
                record_digests=seal.record_digests,
            )
            != seal.digest
        ):
            altered_seals.add(slot.pk)
            changes = _slot_changes(seal, current_part)
            if changes:
                problem(
                    "slot_changed",
                    _(
                        "%(slot)s a changé depuis son scellement (la feuille ne montre plus ce "
                        "qui a été scellé) : %(changes)s."
                    )
                    % {"slot": slot, "changes": "; ".join(changes)},
                    slot=slot,
                )
            else:
                problem(
                    "seal_altered",
                    _(
                        "Le scellement de %(slot)s a été modifié (empreinte recalculée "
                        "différente) : demi-journée, contre-signature ou empreintes des "
                        "émargements."
                    )
                    % {"slot": slot},
                    slot=slot,
                )

        rows = rows_by_slot.get(slot.pk, {})
        report.records += len(rows)
        flagged: set[int] = set()

        # The rectifications of this slot form their own chain, hanging off the seal.
        head = seal.digest
        rects = rects_by_slot.get(slot.pk, [])
        report.rectifications += len(rects)
        for rect in rects:
            if rect.previous_digest != head or rectification_digest(rect) != rect.digest:
                problem(
                    "rectification_altered",
                    _(
                        "La rectification n°%(rect)s de l'%(row)s (%(slot)s) a été modifiée, "
                        "insérée ou supprimée hors de l'application."
                    )
                    % {"rect": rect.pk, "row": _row_label(rect.attendance), "slot": slot},
                    slot=slot,
                    attendance=rect.attendance,
                )
            head = rect.digest

        # Undo rectifications newest first to get back to the sealed values. Each one's
        # new values must be the row's current values, or the row changed after it.
        for rect in reversed(rects):
            row = rows.get(rect.attendance_id)
            if row is None:
                continue
            new, old = rect.new_values, rect.old_values
            if (
                not isinstance(new, dict)
                or not isinstance(old, dict)
                or not set(new) <= set(RECTIFIABLE_FIELDS)
                or set(old) != set(new)
            ):
                problem(
                    "rectification_altered",
                    _("La rectification n°%(rect)s de l'%(row)s (%(slot)s) est illisible.")
                    % {"rect": rect.pk, "row": _row_label(row), "slot": slot},
                    slot=slot,
                    attendance=row,
                )
                flagged.add(row.pk)
                continue
            current = {name: _field_value(row, name) for name in new}
            if current != new and row.pk not in flagged:
                problem(
                    "record_altered",
                    _(
                        "L'%(row)s (%(slot)s) a été modifié hors de l'application après la "
                        "rectification n°%(rect)s : %(fields)s."
                    )
                    % {
                        "row": _row_label(row),
                        "slot": slot,
                        "rect": rect.pk,
                        "fields": ", ".join(
                            f"{name} = {current[name]!r} au lieu de {new[name]!r}"
                            for name in new
                            if current[name] != new[name]
                        ),
                    },
                    slot=slot,
                    attendance=row,
                )
                flagged.add(row.pk)
            for name, value in old.items():
                _set_field(row, name, value)

        sealed = seal.record_digests
        for pk, row in rows.items():
            key = str(pk)
            if key not in sealed:
                problem(
                    "record_added",
                    _("L'%(row)s (%(slot)s) a été ajouté après le scellement de la demi-journée.")
                    % {"row": _row_label(row), "slot": slot},
                    slot=slot,
                    attendance=row,
                )
            elif record_digest(row, seal.version) != sealed[key] and pk not in flagged:
                problem(
                    "record_altered",
                    _(
                        "L'%(row)s (%(slot)s) a été modifié hors de l'application depuis le "
                        "scellement (statut, minutes, signature, horodatage ou mode de recueil)."
                    )
                    % {"row": _row_label(row), "slot": slot},
                    slot=slot,
                    attendance=row,
                )
        for key in sealed:
            if not key.isdigit() or int(key) not in rows:
                problem(
                    "record_removed",
                    _("L'émargement n°%(id)s de %(slot)s a été supprimé après le scellement.")
                    % {"id": key, "slot": slot},
                    slot=slot,
                )

    # The journal remembers every close: a seal that vanished, or that was rewritten
    # consistently (all digests recomputed), no longer matches what was noted then.
    seals_by_slot = {seal.slot_id: seal for seal in seals}
    for data in closes:
        slot_id, digest = data.get("slot"), data.get("digest")
        seal = seals_by_slot.get(slot_id)
        label = data.get("slot_label") or _("demi-journée n°%(id)s") % {"id": slot_id}
        if seal is None:
            problem(
                "seal_missing",
                _(
                    "%(slot)s a été close et scellée (journal d'audit, empreinte %(digest)s…) "
                    "mais son scellement a disparu."
                )
                % {"slot": label, "digest": str(digest)[:12]},
            )
        elif seal.digest != digest and slot_id not in altered_seals:
            seal.slot.session = session
            problem(
                "seal_altered",
                _(
                    "Le scellement de %(slot)s ne correspond plus à l'empreinte notée au "
                    "journal d'audit lors de la clôture."
                )
                % {"slot": seal.slot},
                slot=seal.slot,
            )


def verify_sessions(
    sessions: Iterable[TrainingSession], *, closes: dict[int, list[dict]] | None = None
) -> VerificationReport:
    """Verifies the given sessions, as stored now (read again with their formation: an
    instance in memory may predate the change verification is looking for). `closes`
    (from `closes_by_session`) is read for those sessions when not given."""
    ids = [session.pk for session in sessions]
    sessions = list(
        TrainingSession.objects.filter(pk__in=ids).select_related("formation").order_by("code")
    )
    if closes is None:
        closes = closes_by_session(session_ids=[session.pk for session in sessions])
    report = VerificationReport()
    for session in sessions:
        _verify_one_session(session, report, closes.get(session.pk, []))
    return report


def sessions_to_verify(*, closes: dict[int, list[dict]] | None = None):
    """Sessions with at least one seal, one rectification or one close in the journal."""
    closed_ids = list((closes if closes is not None else closes_by_session()).keys())
    return TrainingSession.objects.filter(
        Q(Exists(Seal.objects.filter(session=OuterRef("pk"))))
        | Q(Exists(Rectification.objects.filter(attendance__slot__session=OuterRef("pk"))))
        | Q(pk__in=closed_ids)
    ).order_by("code")


def verify_everything() -> VerificationReport:
    """Every session that was ever sealed; the journal is read once for all."""
    closes = closes_by_session()
    return verify_sessions(sessions_to_verify(closes=closes), closes=closes)


def verify_session(session: TrainingSession) -> list[Problem]:
    """Recomputes every seal, rectification and sealed record of one session."""
    return verify_sessions([session]).problems


def verify_all() -> list[Problem]:
    """Recomputes every seal of every session."""
    return verify_everything().problems
