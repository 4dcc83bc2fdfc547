"""`scellements.json`: the sealed records of the pack's half-days, exactly as hashed, so
the pack's `verifier.py` recomputes every digest and chain link without the application.

Format (`FORMAT` / `FORMAT_VERSION`; UTF-8, no BOM, one half-day per line):

    {"format": "suivi-formations/scellements", "format_version": 1,
     "formation": {"id", "contract_reference", "title", "programme", "label"},
     "period": {"from": "AAAA-MM-JJ" | null, "to": … | null},
     "canonical_json": "…", "chain": "…", "rectifications": "…",   (the rules, in French)
     "sessions": [
       {"session": {"id", "code", "time_zone"}, "seal_count": N,
        "half_days": [
          {"in_scope": true | false,
           "local": {"date", "start", "end", "starts_at", "ends_at"},   (not hashed)
           "seal": {"id", "version", "sequence", "previous_digest", "digest"},
           "slot_record": {…},          the half-day's canonical form, as hashed
           "record_digests": {"<attendance id>": "<sha256>", …},
           "records": [{…}, …],         in scope only: each émargement row as sealed
           "rectifications": [          in scope only, in chain order
             {"id", "record": {…}, "previous_digest", "digest"}, …]}, …]}, …]}

The digests (`sessions.sealing.digests`): a record digest is SHA-256 of the record's
canonical JSON (sorted keys, separators « , » and « : », UTF-8 unescaped, integral
numbers written as integers); a seal digest is SHA-256 of previous_digest + canonical
slot_record + canonical record_digests; a rectification digest is SHA-256 of its
previous_digest (the seal's digest, then the previous rectification's of the same
half-day) + its canonical record. `records` and `slot_record` are written in that
canonical form, byte for byte what was hashed.

Records are given **as sealed**: a rectification changes the émargement row itself, so
the rows are read as they are now and their rectifications undone, newest first, the way
`sessions.sealing.verification` does. The verifier applies them again (oldest first) to
get the values that count, which `recapitulatif.csv` shows. Every row of the half-day is
given, so a row added after the seal, or changed behind the application's back, shows
in the pack as it shows to `verify_seals`. `local` gives the half-day's date and times
where it took place (in the zone sealed with it), which the verifier checks against the
sealed UTC times.

Seal chains are per session, and a period may cut a session. Choice made here: for every
session with at least one sealed half-day in the scope, **every seal of the session** is
listed in chain order (1, 2, 3…: the order the half-days were closed, which is not always
the calendar's). Half-days outside the period appear as links only (`"in_scope": false`:
seal, slot record and record digests, enough to recompute the seal digest and the chain,
but no émargement and no rectification). So the chain is checked from its start (`""`)
to the session's newest seal, and a seal removed from the middle shows whatever the
period. Cancelled sessions are left out, as the service-fait statement leaves them out.

Queries: one for the sessions, one stream of the émargements (read session by session:
signature traces weigh tens of kilobytes once decoded), then two per batch of
`SESSIONS_PER_BATCH` sessions (seals with their half-day, rectifications), whatever the
number of rows; the file is written session by session.
"""

import datetime as dt
import json
import zoneinfo
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db.models import Exists, F, OuterRef, Q

from livrables.pack.registry import PackFile, PackScope, PackSection, register_section
from sessions.models import Attendance, Rectification, Seal, TrainingSession
from sessions.sealing import (
    DATETIME_FIELDS,
    RECTIFIABLE_FIELDS,
    attendance_record,
    canonical_json,
    rectification_record,
    slot_record,
)

SEALED_FILE = "scellements.json"
FORMAT = "suivi-formations/scellements"
FORMAT_VERSION = 1
SESSIONS_PER_BATCH = 10
# Émargements fetched per database round trip of the stream.
ROWS_PER_CHUNK = 500

# The rules, in the file itself, for an auditor who opens it.
CANONICAL_RULE = (
    "JSON canonique : json.dumps(valeur, sort_keys=True, separators=(',', ':'), "
    "ensure_ascii=False), les nombres entiers écrits sans décimale, encodé en UTF-8. "
    "Empreinte d'un émargement = SHA-256(JSON canonique de l'émargement). Empreinte d'un "
    "scellement = SHA-256(previous_digest + JSON canonique de slot_record + JSON canonique "
    "de record_digests)."
)
CHAIN_RULE = (
    "Les scellements d'une session forment une chaîne : le n°1 suit « », chacun suit "
    "l'empreinte du précédent. Pour chaque session ayant au moins une demi-journée scellée "
    "dans la période, tous ses scellements figurent ici ; ceux des demi-journées hors "
    "période (in_scope = false) ne donnent que de quoi recalculer la chaîne (ni émargement "
    "ni rectification)."
)
RECTIFICATION_RULE = (
    "Les émargements sont donnés tels que scellés. Les rectifications d'une demi-journée "
    "forment leur propre chaîne accrochée au scellement : empreinte = SHA-256"
    "(previous_digest + JSON canonique de record) ; appliquées dans l'ordre (new_values), "
    "elles donnent les valeurs qui comptent, celles de recapitulatif.csv."
)


@dataclass
class SessionSeals:
    """One session of the scope with its whole seal chain (seals in sequence order, each
    with its slot) and which of those half-days fall in the scope."""

    session: TrainingSession
    seals: list[Seal]
    in_scope: set[int] = field(default_factory=set)  # slot ids


def local_day(instant: dt.datetime, session: TrainingSession) -> dt.date:
    """The calendar date of an instant where the session takes place (a half-day never
    straddles midnight: its start's date is its day)."""
    return instant.astimezone(session.tzinfo).date()


def period_window(scope: PackScope, field: str) -> Q:
    """Half-days starting (`field`, a datetime) within a day of the scope's period, in
    UTC: a cheap first cut, before each half-day's local date is checked in its session's
    own zone (no zone is more than 14 hours from UTC)."""
    window = Q()
    if scope.date_from is not None:
        start = dt.datetime.combine(scope.date_from - dt.timedelta(days=1), dt.time(), dt.UTC)
        window &= Q(**{f"{field}__gte": start})
    if scope.date_to is not None:
        end = dt.datetime.combine(scope.date_to + dt.timedelta(days=2), dt.time(), dt.UTC)
        window &= Q(**{f"{field}__lt": end})
    return window


def scope_sessions(scope: PackScope):
    """The scope's sessions with at least one seal (not cancelled), by code. With a period,
    only those with a sealed half-day starting within a day of it (`period_window`)."""
    seals = Seal.objects.filter(period_window(scope, "slot__starts_at"), session_id=OuterRef("pk"))
    return (
        TrainingSession.objects.filter(formation_id=scope.formation.pk)
        .exclude(status=TrainingSession.Status.CANCELLED)
        .filter(Exists(seals))
        .order_by("code", "pk")
    )


def session_seal_batches(
    scope: PackScope, session_ids: list[int], *, batch_size: int = SESSIONS_PER_BATCH
) -> Iterator[list[SessionSeals]]:
    """The sessions `session_ids` (from `scope_sessions`, in its order) with their seal
    chains, `batch_size` sessions at a time: one query per batch. Sessions whose sealed
    half-days all fall outside the period (in their own time zone) are left out."""
    for index in range(0, len(session_ids), batch_size):
        ids = session_ids[index : index + batch_size]
        by_session: dict[int, SessionSeals] = {}
        for seal in (
            Seal.objects.filter(session_id__in=ids)
            .select_related("slot__session__formation")
            .order_by("sequence", "pk")
        ):
            session = seal.slot.session
            entry = by_session.get(seal.session_id)
            if entry is None:
                entry = by_session[seal.session_id] = SessionSeals(session=session, seals=[])
            entry.seals.append(seal)
            if scope.covers(local_day(seal.slot.starts_at, session)):
                entry.in_scope.add(seal.slot_id)
        yield [by_session[pk] for pk in ids if pk in by_session and by_session[pk].in_scope]


def _as_sealed(row: Attendance, rectifications: list[Rectification]) -> None:
    """Puts back on `row` (in memory) the values it was sealed with: each rectification's
    old values, newest first, as `sessions.sealing.verification` undoes them."""
    for rect in reversed(rectifications):
        if not isinstance(rect.old_values, dict):
            continue
        for name, value in rect.old_values.items():
            if name not in RECTIFIABLE_FIELDS:
                continue
            if name in DATETIME_FIELDS and isinstance(value, str):
                try:
                    value = dt.datetime.fromisoformat(value)
                except ValueError:
                    pass  # kept as found: the record digest then tells it apart
            setattr(row, name, value)


def sealed_slot_record(seal: Seal) -> dict:
    """The half-day's canonical form as hashed: kept by the seal since format 2, computed
    from the half-day for older seals (as verification does)."""
    if isinstance(seal.sealed_slot, dict):
        return seal.sealed_slot
    return slot_record(seal.slot, seal)


def _local_times(record: dict, session: TrainingSession) -> dict:
    """Where and when the half-day took place, in the session's zone: what the sheet and
    `recapitulatif.csv` show, in the zone sealed with it (format 2) or the session's. Not
    hashed: the verifier checks it against the UTC times of `slot_record`."""
    try:
        zone = zoneinfo.ZoneInfo(record.get("time_zone") or session.time_zone)
        start = dt.datetime.fromisoformat(record["starts_at"]).astimezone(zone)
        end = dt.datetime.fromisoformat(record["ends_at"]).astimezone(zone)
    except (KeyError, TypeError, ValueError, zoneinfo.ZoneInfoNotFoundError):
        return {}
    return {
        "date": start.date().isoformat(),
        "start": f"{start:%H:%M}",
        "end": f"{end:%H:%M}",
        "starts_at": start.isoformat(),
        "ends_at": end.isoformat(),
    }


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def _half_day_json(
    seal: Seal,
    session: TrainingSession,
    *,
    in_scope: bool,
    rows: list[Attendance],
    rectifications: list[Rectification],
) -> str:
    """One half-day as a line of JSON; its canonical parts written as hashed."""
    record = sealed_slot_record(seal)
    parts = [
        f'"in_scope":{_dumps(in_scope)}',
        f'"local":{_dumps(_local_times(record, session))}',
        '"seal":'
        + _dumps(
            {
                "id": seal.pk,
                "version": seal.version,
                "sequence": seal.sequence,
                "previous_digest": seal.previous_digest,
                "digest": seal.digest,
            }
        ),
        f'"slot_record":{canonical_json(record)}',
        f'"record_digests":{canonical_json(seal.record_digests)}',
    ]
    if in_scope:
        by_row: dict[int, list[Rectification]] = defaultdict(list)
        for rect in rectifications:
            by_row[rect.attendance_id].append(rect)
        records = []
        for row in rows:
            _as_sealed(row, by_row.get(row.pk, []))
            records.append(canonical_json(attendance_record(row, seal.version)))
        parts.append('"records":[' + ",".join(records) + "]")
        parts.append(
            '"rectifications":['
            + ",".join(
                f'{{"id":{rect.pk},"record":{canonical_json(rectification_record(rect))},'
                f'"previous_digest":{_dumps(rect.previous_digest)},'
                f'"digest":{_dumps(rect.digest)}}}'
                for rect in rectifications
            )
            + "]"
        )
    return "{" + ",".join(parts) + "}"


def _session_json(
    entry: SessionSeals,
    rows_by_slot: dict[int, list[Attendance]],
    rects_by_slot: dict[int, list[Rectification]],
) -> str:
    session = entry.session
    header = _dumps({"id": session.pk, "code": session.code, "time_zone": session.time_zone})
    half_days = ",\n".join(
        _half_day_json(
            seal,
            session,
            in_scope=seal.slot_id in entry.in_scope,
            rows=rows_by_slot.get(seal.slot_id, []),
            rectifications=rects_by_slot.get(seal.slot_id, []),
        )
        for seal in entry.seals
    )
    return f'{{"session":{header},"seal_count":{len(entry.seals)},"half_days":[\n{half_days}\n]}}'


def formation_label(formation) -> str:
    """How the pack names the formation in `recapitulatif.csv` and `scellements.json`:
    its contract reference, else its title."""
    return formation.contract_reference or formation.title


def _header(scope: PackScope) -> str:
    formation = scope.formation
    head = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "formation": {
            "id": formation.pk,
            "contract_reference": formation.contract_reference,
            "title": formation.title,
            "programme": formation.programme_id,
            "label": formation_label(formation),
        },
        "period": {
            "from": scope.date_from.isoformat() if scope.date_from else None,
            "to": scope.date_to.isoformat() if scope.date_to else None,
        },
        "canonical_json": CANONICAL_RULE,
        "chain": CHAIN_RULE,
        "rectifications": RECTIFICATION_RULE,
    }
    # The header without its closing brace: the sessions follow.
    return json.dumps(head, ensure_ascii=False, indent=1)[:-2] + ',\n "sessions": [\n'


def scope_rows(scope: PackScope) -> Iterator[Attendance]:
    """Every émargement of the scope's sealed half-days (and a few around the period, see
    `period_window`), in the order of `scope_sessions` then of the chain, read as a
    stream: one query, one session's rows in memory at a time (signature traces weigh
    tens of kilobytes once decoded)."""
    return (
        Attendance.objects.filter(
            period_window(scope, "slot__starts_at"),
            slot__session__in=scope_sessions(scope).order_by().values("pk"),
            slot__seal__isnull=False,
        )
        .annotate(pack_session_id=F("slot__session_id"))
        .select_related("enrolment", "paper_scan")
        .order_by("slot__session__code", "slot__session_id", "slot__seal__sequence", "pk")
        .iterator(chunk_size=ROWS_PER_CHUNK)
    )


class _Rows:
    """The stream of `scope_rows`, taken session by session in the order of the sessions
    (the same order, given by the database both times)."""

    def __init__(self, rows: Iterator[Attendance], position: dict[int, int]):
        self.rows = rows
        self.position = position
        self.pending: Attendance | None = None

    def _peek(self) -> Attendance | None:
        if self.pending is None:
            self.pending = next(self.rows, None)
        return self.pending

    def of_session(self, entry: SessionSeals) -> dict[int, list[Attendance]]:
        """The rows of `entry`'s half-days in the scope, by slot; rows of sessions left
        out before it (no half-day in the period) are skipped."""
        here = self.position[entry.session.pk]
        by_slot: dict[int, list[Attendance]] = defaultdict(list)
        while (row := self._peek()) is not None:
            where = self.position.get(row.pack_session_id, -1)
            if where > here:
                break
            self.pending = None
            if where == here and row.slot_id in entry.in_scope:
                by_slot[row.slot_id].append(row)
        return by_slot


def sealed_chunks(scope: PackScope) -> Iterator[bytes]:
    """`scellements.json`, session by session (see the module docstring)."""
    yield _header(scope).encode()
    session_ids = list(scope_sessions(scope).values_list("pk", flat=True))
    rows = _Rows(scope_rows(scope), {pk: index for index, pk in enumerate(session_ids)})
    first = True
    for batch in session_seal_batches(scope, session_ids):
        slot_ids = [slot_id for entry in batch for slot_id in entry.in_scope]
        rects_by_slot: dict[int, list[Rectification]] = defaultdict(list)
        for rect in (
            Rectification.objects.filter(attendance__slot_id__in=slot_ids)
            .select_related("attendance")
            .order_by("pk")
        ):
            rects_by_slot[rect.attendance.slot_id].append(rect)
        for entry in batch:
            text = _session_json(entry, rows.of_session(entry), rects_by_slot)
            yield (("" if first else ",\n") + text).encode()
            first = False
        # Let this batch go before the next one is read (seals keep the trainer's
        # countersignature trace twice: in the half-day and in its sealed form).
        del batch, entry, rects_by_slot
    yield b"\n]}\n"


def sealed_files(scope: PackScope) -> Iterator[PackFile]:
    yield PackFile(path=SEALED_FILE, chunks=lambda: sealed_chunks(scope))


SEALED_SECTION = register_section(
    PackSection(
        key="scellements",
        label="Scellements des demi-journées (scellements.json), tels que calculés",
        order=12,
        files=sealed_files,
    )
)

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "SEALED_FILE",
    "SEALED_SECTION",
    "SessionSeals",
    "formation_label",
    "local_day",
    "period_window",
    "scope_rows",
    "scope_sessions",
    "sealed_chunks",
    "sealed_slot_record",
    "session_seal_batches",
]
