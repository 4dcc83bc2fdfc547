"""A person's presence at one half-day as the trainer sees it, and the words every page and
document uses for it.

The trainer records what happened in the room: an arrival time for someone who came late,
a departure time for someone who left early (both for someone who did both), or the
minutes missed. The row keeps the times and the minutes attended derived from them
(planned − missed), so that hours stay a SQL sum; the screen, the flash message, the sheet
PDF, the rectification annex and the exports all say the minutes *missed*, in the same
words: « Retard : arrivée 09:20, 20 min manquées ».

Pure functions: no query. Times are whole minutes in the session's time zone.
"""

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from formations.french import time_zone_label
from sessions.exceptions import AttendanceError
from sessions.models import Attendance, Slot

Status = Attendance.Status


@dataclass(frozen=True)
class Presence:
    """What the row stores for a status: times only for partial presence, and the minutes
    attended derived from them (None when the status says it all)."""

    status: str
    arrived_at: dt.datetime | None = None
    left_at: dt.datetime | None = None
    minutes_attended: int | None = None


def _whole_minute(moment: dt.datetime) -> dt.datetime:
    return moment.replace(second=0, microsecond=0)


def local_moment(slot: Slot, value: dt.time) -> dt.datetime:
    """`value` on the wall clock of the session, on the half-day's local date — or on the
    next day for a half-day that runs past midnight, when that puts it inside."""
    tz = slot.session.tzinfo
    start = timezone.localtime(slot.starts_at, tz)
    moment = timezone.make_aware(dt.datetime.combine(start.date(), value), tz)
    if moment < slot.starts_at and timezone.localtime(slot.ends_at, tz).date() > start.date():
        moment = timezone.make_aware(
            dt.datetime.combine(start.date() + dt.timedelta(days=1), value), tz
        )
    return moment


def minutes_between(start: dt.datetime, end: dt.datetime) -> int:
    return int((end - start).total_seconds() // 60)


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _local(slot: Slot, moment: dt.datetime) -> str:
    return timezone.localtime(moment, slot.session.tzinfo).strftime("%H:%M")


def _bounds_error(slot: Slot, what: str) -> AttendanceError:
    return AttendanceError(
        _(
            "L'heure %(what)s doit être comprise strictement entre le début et la fin de la "
            "demi-journée (entre %(start)s et %(end)s, %(tz)s)."
        )
        % {
            "tz": time_zone_label(slot.session.time_zone),
            "what": what,
            "start": _local(slot, slot.starts_at + dt.timedelta(minutes=1)),
            "end": _local(slot, slot.ends_at - dt.timedelta(minutes=1)),
        },
        code="invalid_time",
    )


def _minutes_error(slot: Slot) -> AttendanceError:
    return AttendanceError(
        _(
            "Les minutes manquées doivent être un nombre entier entre 1 et %(max)s "
            "(la demi-journée dure %(planned)s minutes)."
        )
        % {"max": slot.planned_minutes - 1, "planned": slot.planned_minutes},
        code="invalid_minutes",
    )


def resolve_presence(
    *,
    slot: Slot,
    status: str,
    arrived_at: dt.datetime | None = None,
    left_at: dt.datetime | None = None,
    minutes_missed: int | None = None,
    minutes_attended: int | None = None,
) -> Presence:
    """Checks what the trainer entered and returns what the row stores.

    Late → an arrival time; left early → a departure time; late and left early → both
    times. Instead of a time, the minutes missed may be given (late: arrival = start +
    missed; left early: departure = end − missed), or, for files and scripts written
    before times existed, the minutes attended (missed = planned − attended). Every time
    lies strictly inside the half-day and the arrival precedes the departure, so minutes
    attended are 1 to planned − 1. Present and absent carry no time nor minutes (a
    present row given the full planned minutes is accepted).

    Codes: invalid_status, invalid_time, invalid_minutes, time_required.
    """
    if status not in Status.values:
        raise AttendanceError(
            _("Statut d'émargement inconnu : %(status)s.") % {"status": status},
            code="invalid_status",
        )
    planned = slot.planned_minutes
    for value in (minutes_missed, minutes_attended):
        if value is not None and not _is_int(value):
            raise AttendanceError(
                _("Le nombre de minutes doit être un entier."), code="invalid_minutes"
            )
    if status not in Attendance.PARTIAL_STATUSES:
        if arrived_at is not None or left_at is not None:
            raise AttendanceError(
                _(
                    "Une heure d'arrivée ou de départ ne se note qu'avec « Retard » ou "
                    "« Départ anticipé »."
                ),
                code="invalid_time",
            )
        if status == Status.PRESENT:
            if minutes_missed not in (None, 0) or minutes_attended not in (None, planned):
                raise AttendanceError(
                    _(
                        "Une présence complète compte les %(planned)s minutes de la "
                        "demi-journée ; pour une présence partielle, choisissez « Retard » ou "
                        "« Départ anticipé »."
                    )
                    % {"planned": planned},
                    code="invalid_minutes",
                )
        elif minutes_attended not in (None, 0) or minutes_missed not in (None, planned):
            raise AttendanceError(
                _("Une absence ne compte aucune minute de présence."), code="invalid_minutes"
            )
        return Presence(status=status)

    late = status in Attendance.ARRIVAL_STATUSES
    early = status in Attendance.DEPARTURE_STATUSES
    if minutes_attended is not None:
        if not 1 <= minutes_attended <= planned - 1:
            raise AttendanceError(
                _(
                    "Les minutes de présence doivent être comprises entre 1 et %(max)s "
                    "(la demi-journée dure %(planned)s minutes)."
                )
                % {"max": planned - 1, "planned": planned},
                code="invalid_minutes",
            )
        implied = planned - minutes_attended
        if minutes_missed is not None and minutes_missed != implied:
            raise _mismatch_error(minutes_missed, implied)
        minutes_missed = implied
    if minutes_missed is not None and not 1 <= minutes_missed <= planned - 1:
        raise _minutes_error(slot)
    if late and not early and left_at is not None:
        raise AttendanceError(
            _("Une heure de départ avec un retard : choisissez « Retard et départ anticipé »."),
            code="invalid_time",
        )
    if early and not late and arrived_at is not None:
        raise AttendanceError(
            _(
                "Une heure d'arrivée avec un départ anticipé : choisissez « Retard et départ "
                "anticipé »."
            ),
            code="invalid_time",
        )
    arrived_at = _whole_minute(arrived_at) if arrived_at is not None else None
    left_at = _whole_minute(left_at) if left_at is not None else None
    if minutes_missed is not None:
        # Minutes missed stand for the time not noted: from the start for a late
        # arrival, before the end for an early departure; with both, for the one missing.
        missed = dt.timedelta(minutes=minutes_missed)
        if late and early:
            if arrived_at is None and left_at is None:
                raise AttendanceError(
                    _(
                        "Pour un retard suivi d'un départ anticipé, indiquez au moins l'heure "
                        "d'arrivée ou l'heure de départ (les minutes manquées donnent l'autre)."
                    ),
                    code="time_required",
                )
            if arrived_at is None:
                arrived_at = slot.starts_at + missed - (slot.ends_at - left_at)
            elif left_at is None:
                left_at = slot.ends_at - missed + (arrived_at - slot.starts_at)
        elif late and arrived_at is None:
            arrived_at = slot.starts_at + missed
        elif early and left_at is None:
            left_at = slot.ends_at - missed
    if late and arrived_at is None:
        raise AttendanceError(
            _("Indiquez l'heure d'arrivée (ou les minutes manquées) pour un retard."),
            code="time_required",
        )
    if early and left_at is None:
        raise AttendanceError(
            _("Indiquez l'heure de départ (ou les minutes manquées) pour un départ anticipé."),
            code="time_required",
        )
    if arrived_at is not None and not slot.starts_at < arrived_at < slot.ends_at:
        raise _bounds_error(slot, _("d'arrivée"))
    if left_at is not None and not slot.starts_at < left_at < slot.ends_at:
        raise _bounds_error(slot, _("de départ"))
    if arrived_at is not None and left_at is not None and not arrived_at < left_at:
        raise AttendanceError(
            _("L'heure de départ doit suivre l'heure d'arrivée."), code="invalid_time"
        )
    attended = minutes_between(arrived_at or slot.starts_at, left_at or slot.ends_at)
    if minutes_missed is not None and planned - attended != minutes_missed:
        # A time and minutes that disagree: which one the trainer meant is not ours to
        # guess.
        raise _mismatch_error(minutes_missed, planned - attended)
    return Presence(
        status=status, arrived_at=arrived_at, left_at=left_at, minutes_attended=attended
    )


def _mismatch_error(given: int, from_times: int) -> AttendanceError:
    return AttendanceError(
        _(
            "Les minutes manquées indiquées (%(given)s) ne correspondent pas aux heures "
            "notées (%(from_times)s min manquées) : corrigez l'une ou l'autre, ou laissez "
            "les minutes vides."
        )
        % {"given": given, "from_times": from_times},
        code="invalid_minutes",
    )


# --- Words ------------------------------------------------------------------------------


def missed_text(minutes: int) -> str:
    return ngettext("%(n)s min manquée", "%(n)s min manquées", minutes) % {"n": minutes}


def presence_text(
    *,
    status: str | None,
    planned_minutes: int,
    minutes_attended: int | None = None,
    arrival: str | None = None,
    departure: str | None = None,
    method: str = "",
) -> str:
    """The one sentence for a status: « Présent·e », « Absent », « Retard : arrivée 09:20,
    20 min manquées », « Départ anticipé : départ 16:10, 50 min manquées », « Retard et
    départ anticipé : arrivée 09:20, départ 16:10, 70 min manquées ». `arrival` and
    `departure` are local « HH:MM » (absent for rows recorded before times existed)."""
    if status is None:
        return ""
    if status not in Status.values:
        return str(status)
    label = str(Status(status).label)
    if method == Attendance.Method.CLOSING and status == Status.ABSENT:
        # Nobody recorded the person: the close did, and the sheet says so.
        return _("%(status)s — constaté à la clôture") % {"status": label}
    if status not in Attendance.PARTIAL_STATUSES:
        return label
    parts = []
    if arrival:
        parts.append(_("arrivée %(time)s") % {"time": arrival})
    if departure:
        parts.append(_("départ %(time)s") % {"time": departure})
    if minutes_attended is not None:
        parts.append(missed_text(max(0, planned_minutes - minutes_attended)))
    if not parts:
        return label
    return _("%(status)s : %(details)s") % {"status": label, "details": ", ".join(parts)}


def attendance_text(attendance: Attendance, slot: Slot) -> str:
    """`presence_text` of a stored row, times in the session's zone."""
    tz = slot.session.tzinfo
    return presence_text(
        status=attendance.status,
        planned_minutes=slot.planned_minutes,
        minutes_attended=attendance.minutes_attended,
        arrival=(
            timezone.localtime(attendance.arrived_at, tz).strftime("%H:%M")
            if attendance.arrived_at
            else None
        ),
        departure=(
            timezone.localtime(attendance.left_at, tz).strftime("%H:%M")
            if attendance.left_at
            else None
        ),
        method=attendance.method,
    )


def values_text(values: dict, slot: Slot) -> str:
    """A rectification's old or new values in the same words. Rectifications made before
    times existed carry only the status and the minutes attended."""
    if not isinstance(values, dict):
        return str(values or "")
    tz = slot.session.tzinfo

    def local(key):
        raw = values.get(key)
        if not raw:
            return None
        try:
            moment = raw if isinstance(raw, dt.datetime) else dt.datetime.fromisoformat(str(raw))
            return timezone.localtime(moment, tz).strftime("%H:%M")
        except (TypeError, ValueError, OverflowError):
            # A value no service wrote (edited behind the app's back): shown as found;
            # verify_seals names the anomaly.
            return str(raw)

    minutes = values.get("minutes_attended")
    if minutes is not None and not _is_int(minutes):
        return ", ".join(f"{key} : {value}" for key, value in values.items())
    status = values.get("status")
    if status is None:
        # Only minutes or times changed: say what they are now.
        parts = []
        if values.get("arrived_at"):
            parts.append(_("arrivée %(time)s") % {"time": local("arrived_at")})
        if values.get("left_at"):
            parts.append(_("départ %(time)s") % {"time": local("left_at")})
        if minutes is not None:
            parts.append(missed_text(max(0, slot.planned_minutes - minutes)))
        return ", ".join(parts)
    return presence_text(
        status=status,
        planned_minutes=slot.planned_minutes,
        minutes_attended=minutes,
        arrival=local("arrived_at"),
        departure=local("left_at"),
    )


def signed_as_text(attendance: Attendance, participant) -> str:
    """« nom à la signature : ABDOU Alice » when the person signed under another name (or
    structure) than today's, else "": a rename never silently replaces the name beside a
    signature. Rows written before names were kept at signing carry none."""
    current = (participant.full_name, participant.structure.name)
    name = attendance.signer_name or current[0]
    structure = attendance.signer_structure or current[1]
    if (name, structure) == current:
        return ""
    if name != current[0] and structure != current[1]:
        return _("nom à la signature : %(name)s (%(structure)s)") % {
            "name": name,
            "structure": structure,
        }
    if name != current[0]:
        return _("nom à la signature : %(name)s") % {"name": name}
    return _("structure à la signature : %(structure)s") % {"structure": structure}
