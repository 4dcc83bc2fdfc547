"""Creating and editing sessions and their half-days (demi-journées).

Slots are entered in the session's own time zone (a Mayotte labo is typed in Mayotte
time) and stored as aware datetimes; the database keeps UTC.

Why DST is not a worry for half-days, and what is still checked: ``make_aware`` with the
session's ``ZoneInfo`` gives each date its own offset, so 09:00 in Paris is 07:00 UTC in
summer and 08:00 UTC in winter, and a week that crosses the change keeps 09:00 local every
day. The local times that do not exist (spring, 02:00–03:00) or exist twice (autumn,
02:00–03:00) are at night; a slot typed there is refused (``slot_nonexistent_time``) or,
for the repeated hour, read as its first occurrence.
"""

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from formations.audit import log_action
from formations.french import time_zone_label
from formations.models import User
from sessions.exceptions import SessionsError
from sessions.models import Slot, TrainingSession
from sessions.permissions import ensure_manager
from sessions.selectors.locks import (
    SLOT_COUNTERSIGNED,
    SLOT_HAS_ATTENDANCE,
    SLOT_SEALED,
    slot_locks,
)

SESSION_FIELDS = (
    "formation",
    "code",
    "place",
    "address",
    "postal_code",
    "holiday_subdivision",
    "room_capacity",
    "time_zone",
    "modality",
    "remote_url",
    "status",
    "notes",
)

# What a session's calendar events show: a change to any of them, or to its half-days,
# raises `calendar_sequence` (the events' SEQUENCE), so agendas take the new version.
CALENDAR_FIELDS = {
    "formation",
    "code",
    "place",
    "address",
    "time_zone",
    "modality",
    "remote_url",
    "status",
}

MORNING = (dt.time(9, 0), dt.time(12, 30))
AFTERNOON = (dt.time(13, 30), dt.time(17, 0))


@dataclass(frozen=True)
class SlotSpec:
    """One half-day as typed: a date and local start / end times. ``slot_id`` names the
    existing slot it edits (None: a new one)."""

    day: dt.date
    start: dt.time
    end: dt.time
    slot_id: int | None = None

    @classmethod
    def coerce(cls, value) -> "SlotSpec":
        if isinstance(value, SlotSpec):
            return value
        return cls(*value)


def generate_slots(
    *,
    first_day: dt.date,
    days: int,
    morning: tuple[dt.time, dt.time] | None = MORNING,
    afternoon: tuple[dt.time, dt.time] | None = AFTERNOON,
    skip_weekends: bool = False,
) -> list[SlotSpec]:
    """The « day template »: ``days`` consecutive days from ``first_day`` (weekends
    skipped if asked), each with a morning and/or an afternoon half-day. Pure: nothing is
    saved; the coordinator reviews the rows before saving."""
    specs: list[SlotSpec] = []
    halves = [half for half in (morning, afternoon) if half is not None]
    if not halves:
        return specs
    day, produced = first_day, 0
    while produced < days:
        if not (skip_weekends and day.weekday() >= 5):
            specs.extend(SlotSpec(day, start, end) for start, end in halves)
            produced += 1
        day += dt.timedelta(days=1)
    return specs


def local_to_aware(day: dt.date, time: dt.time, tz) -> dt.datetime:
    """``day`` at ``time`` on the wall clock of ``tz``; raises ``slot_nonexistent_time``
    for a time skipped by a DST change."""
    naive = dt.datetime.combine(day, time)
    aware = timezone.make_aware(naive, tz)
    # astimezone() to the same tzinfo is a no-op: go through UTC to see the wall clock.
    if aware.astimezone(dt.UTC).astimezone(tz).replace(tzinfo=None) != naive:
        raise SessionsError(
            _("L'heure %(time)s n'existe pas le %(day)s en %(tz)s (changement d'heure).")
            % {
                "time": time.strftime("%H:%M"),
                "day": day.strftime("%d/%m/%Y"),
                "tz": time_zone_label(str(tz)),
            },
            code="slot_nonexistent_time",
        )
    return aware


def _slot_label(slot: Slot) -> str:
    return f"{slot.local_start:%d/%m/%Y %H:%M}–{slot.local_end:%H:%M}"


def _check_slot_editable(slot: Slot, locks: dict[int, str]) -> None:
    """A slot with a seal, attendance, a paper scan or a countersignature is evidence: it
    may be neither moved nor removed (a rectification is the only way to change a sealed
    record). ``locks`` comes from `sessions.selectors.locks.slot_locks`."""
    code = locks.get(slot.pk)
    if code == SLOT_SEALED:
        raise SessionsError(
            _("La demi-journée du %(slot)s est scellée : elle ne peut plus être modifiée.")
            % {"slot": _slot_label(slot)},
            code=code,
        )
    if code == SLOT_HAS_ATTENDANCE:
        raise SessionsError(
            _(
                "La demi-journée du %(slot)s a déjà des émargements : elle ne peut plus être "
                "modifiée ni supprimée."
            )
            % {"slot": _slot_label(slot)},
            code=code,
        )
    if code == SLOT_COUNTERSIGNED:
        raise SessionsError(
            _("La demi-journée du %(slot)s est contresignée : elle ne peut plus être modifiée.")
            % {"slot": _slot_label(slot)},
            code=code,
        )


def _validate_specs(specs: list[SlotSpec], tz) -> list[tuple[SlotSpec, dt.datetime, dt.datetime]]:
    """Aware bounds for each spec; checks end after start, no duplicate start, no overlap."""
    bounds = []
    for spec in specs:
        if spec.end <= spec.start:
            raise SessionsError(
                _("Le %(day)s : la fin (%(end)s) doit suivre le début (%(start)s).")
                % {
                    "day": spec.day.strftime("%d/%m/%Y"),
                    "start": spec.start.strftime("%H:%M"),
                    "end": spec.end.strftime("%H:%M"),
                },
                code="slot_end_before_start",
            )
        bounds.append(
            (spec, local_to_aware(spec.day, spec.start, tz), local_to_aware(spec.day, spec.end, tz))
        )
    bounds.sort(key=lambda b: b[1])
    for (prev, prev_start, prev_end), (spec, start, _end) in zip(bounds, bounds[1:], strict=False):
        params = {
            "day": spec.day.strftime("%d/%m/%Y"),
            "start": spec.start.strftime("%H:%M"),
            "prev": f"{prev.start:%H:%M}–{prev.end:%H:%M}",
        }
        if start == prev_start:
            raise SessionsError(
                _("Le %(day)s : deux demi-journées commencent à %(start)s.") % params,
                code="slot_duplicate_start",
            )
        if start < prev_end:
            raise SessionsError(
                _("Le %(day)s : la demi-journée de %(start)s chevauche celle de %(prev)s.")
                % params,
                code="slot_overlap",
            )
    return bounds


@transaction.atomic
def session_save(
    *,
    actor,
    data: dict,
    slots: list,
    trainers=None,
    session: TrainingSession | None = None,
) -> TrainingSession:
    """Creates (``session=None``) or updates a session and replaces its half-days.

    ``data`` holds the session fields (``SESSION_FIELDS``: formation, code, place, address,
    time_zone, modality, remote_url, status, notes); missing keys keep their current value.
    ``slots`` is the full list of half-days wanted, as ``SlotSpec`` or tuples ``(date,
    start, end[, slot_id])`` in the session's local time. A spec with the ``slot_id`` of an
    existing slot updates it in place (its pk, used in QR codes and links, is kept); an
    existing slot absent from the list is deleted; new specs create slots. ``trainers``
    (users with the trainer role) replaces the trainers when given.

    Raises ``SessionsError`` with codes: ``no_slots``, ``slot_end_before_start``,
    ``slot_duplicate_start``, ``slot_overlap``, ``slot_nonexistent_time``,
    ``slot_unknown`` (a slot_id of another session), ``slot_sealed``,
    ``slot_has_attendance`` (attendance or a paper scan on a slot moved or removed),
    ``slot_countersigned``, ``formation_locked`` / ``time_zone_locked`` (changing the
    formation or the time zone of a session with a locked half-day, see
    `sessions.selectors.locks`), ``not_trainer`` (a trainer given is not one),
    ``not_coordinator`` (the actor does not coordinate: only coordinators plan sessions;
    ``actor=None`` is a management command); ``ValidationError`` from ``full_clean()``.
    Nothing is written when anything fails. Audit-logged as ``session.create`` /
    ``session.update`` with the slots added, moved and removed. An update that changes
    what the calendar shows (half-days, ``CALENDAR_FIELDS``) raises
    ``calendar_sequence``.

    Contract rules are not checked here: they warn, never block
    (``sessions.selectors.contract.session_contract_warnings``).
    """
    ensure_manager(actor)
    creating = session is None
    if creating:
        session = TrainingSession()
    else:
        session = TrainingSession.objects.select_for_update().get(pk=session.pk)
    before = {
        name: str(getattr(session, f"{name}_id" if name == "formation" else name))
        for name in SESSION_FIELDS
    }

    for name in SESSION_FIELDS:
        if name in data:
            setattr(session, name, data[name])
    session.full_clean()
    # The zone may just have changed: drop the cached ZoneInfo.
    session.__dict__.pop("tzinfo", None)

    specs = [SlotSpec.coerce(s) for s in slots]
    if not specs:
        raise SessionsError(_("Ajoutez au moins une demi-journée."), code="no_slots")
    bounds = _validate_specs(specs, session.tzinfo)

    trainer_list = None
    if trainers is not None:
        trainer_list = list(trainers)
        wrong = [u for u in trainer_list if u.role != User.Role.TRAINER]
        if wrong:
            raise SessionsError(
                _("%(name)s n'a pas le rôle formateur·rice.")
                % {"name": wrong[0].get_full_name() or wrong[0]},
                code="not_trainer",
            )

    session.save()
    if trainer_list is not None:
        session.trainers.set(trainer_list)

    existing = (
        {s.pk: s for s in Slot.objects.select_for_update().filter(session=session)}
        if not creating
        else {}
    )
    # After the slot rows are locked: a signature cannot slip in between.
    locks = slot_locks(session=session)
    # Both are printed on the signed sheet: once a half-day is locked (signed, scanned,
    # countersigned or sealed) the session keeps them. Re-typing the same local times in
    # another zone would move every signed half-day; keeping the instants would change
    # the local times the sheet shows: either way the evidence would be recast.
    if locks and session.formation_id != int(before["formation"]):
        raise SessionsError(
            _(
                "Cette session a déjà des émargements ou des demi-journées contresignées : "
                "elle ne peut plus changer de formation."
            ),
            code="formation_locked",
        )
    if locks and session.time_zone != before["time_zone"]:
        raise SessionsError(
            _(
                "Cette session a déjà des émargements ou des demi-journées contresignées : "
                "son fuseau horaire ne peut plus changer."
            ),
            code="time_zone_locked",
        )
    kept_ids = {spec.slot_id for spec, _s, _e in bounds if spec.slot_id is not None}
    unknown = kept_ids - set(existing)
    if unknown:
        raise SessionsError(_("Demi-journée inconnue pour cette session."), code="slot_unknown")

    removed, moved, added = [], [], []
    # Removals first, so a new slot may take the start of a deleted one (unique constraint).
    for pk, slot in existing.items():
        if pk not in kept_ids:
            _check_slot_editable(slot, locks)
            removed.append(_slot_label(slot))
            slot.delete()
    to_update = []
    for spec, start, end in bounds:
        if spec.slot_id is None:
            continue
        slot = existing[spec.slot_id]
        if (slot.starts_at, slot.ends_at) != (start, end):
            _check_slot_editable(slot, locks)
            old = _slot_label(slot)
            slot.starts_at, slot.ends_at = start, end
            moved.append(f"{old} → {_slot_label(slot)}")
            to_update.append(slot)
    # Two moved slots may swap starts: park them on a far date first so that the unique
    # (session, starts_at) constraint never sees a transient duplicate.
    if to_update:
        far = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
        for i, slot in enumerate(to_update):
            Slot.objects.filter(pk=slot.pk).update(
                starts_at=far + dt.timedelta(minutes=i),
                ends_at=far + dt.timedelta(minutes=i, seconds=30),
            )
        for slot in to_update:
            slot.full_clean(exclude=["session"], validate_unique=False)
            slot.save(update_fields=["starts_at", "ends_at"])
    for spec, start, end in bounds:
        if spec.slot_id is None:
            slot = Slot(session=session, starts_at=start, ends_at=end)
            slot.full_clean(exclude=["session"], validate_unique=False)
            slot.save()
            added.append(_slot_label(slot))

    after = {
        name: str(getattr(session, f"{name}_id" if name == "formation" else name))
        for name in SESSION_FIELDS
    }
    changed = (
        {k: [before[k], after[k]] for k in SESSION_FIELDS if before[k] != after[k]}
        if not creating
        else {}
    )
    if not creating and (added or moved or removed or set(changed) & CALENDAR_FIELDS):
        # The row is locked (select_for_update above): a plain increment is safe.
        session.calendar_sequence += 1
        session.save(update_fields=["calendar_sequence"])
    log_action(
        actor=actor,
        action="session.create" if creating else "session.update",
        obj=session,
        summary=(_("Session %(code)s créée") if creating else _("Session %(code)s modifiée"))
        % {"code": session.code},
        data={
            "fields": changed if not creating else after,
            "trainers": [u.pk for u in trainer_list] if trainer_list is not None else None,
            "slots_added": added,
            "slots_moved": moved,
            "slots_removed": removed,
            "time_zone": session.time_zone,
            "calendar_sequence": session.calendar_sequence,
        },
    )
    return session
