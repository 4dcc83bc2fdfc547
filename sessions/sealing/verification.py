"""Verifying seals: recompute every digest of a session, undo its rectifications, follow
the chain and cross-check the audit journal; name each anomaly so a person can act on it
(`verify_seals`, the auditor's control page)."""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from formations.models import AuditEntry
from sessions.models import Attendance, Rectification, Seal, TrainingSession
from sessions.sealing.digests import (
    DATETIME_FIELDS,
    RECTIFIABLE_FIELDS,
    canonical_json,
    iso_utc,
    record_digest,
    rectification_digest,
    seal_digest,
    slot_record,
)


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
