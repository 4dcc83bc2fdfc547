"""Reading and checking a file of paper sheets keyed in (`import_attendance`), all or nothing.

Three steps, kept apart so each can be tested alone:

1. `read_rows(content, file_name=)` reads the file with the shared table reader
   (`formations.tabular`: CSV in UTF-8 with or without BOM or Windows-1252, comma or
   semicolon, or the first sheet of an XLSX workbook; size and row limits) and maps the
   header to `COLUMNS` (case, accents, spaces and synonyms ignored); each row is a
   {column key: text} dict with the line number a spreadsheet shows (header = 1).
2. `parse_rows(rows)` is pure: it checks dates, times, statuses and minutes.
3. `resolve_lines(lines, actor=, scan_provided=)` finds each line's enrolment and slot
   with a constant number of queries (sessions, slots, enrolments, participants,
   attendances and scans of the codes in the file are fetched once) and reports unknown
   sessions, missing half-days, unknown or unenrolled people, duplicates, sealed
   half-days and half-days without a scanned sheet.

`check_file()` runs the three; the command writes only when it returns no error, through
`sessions.services.paper.paper_sheets_import`. A new column is one more `Column` in
`COLUMNS` and its check in `parse_rows`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from django.db.models.functions import Lower, Upper
from django.utils import timezone
from django.utils.translation import gettext as _

from formations.french import time_zone_label
from formations.models import Participant
from formations.tabular import Column, TableError, read_table, strip_accents
from formations.tabular import parse_date as parse_table_date
from sessions.exceptions import AttendanceError
from sessions.models import Attendance, Enrolment, PaperSheetScan, Slot, TrainingSession
from sessions.presence import local_moment, resolve_presence
from sessions.selectors.visibility import sessions_run_by
from sessions.services.paper import PaperEntry

COLUMNS: tuple[Column, ...] = (
    Column("session", True, "Code de la session", "texte, par ex. LABO-2021-1", ("code_session",)),
    Column(
        "date",
        True,
        "Date de la demi-journée (heure locale de la session)",
        "JJ/MM/AAAA ou AAAA-MM-JJ",
    ),
    Column(
        "debut",
        True,
        "Heure de début de la demi-journée (heure locale)",
        "HH:MM",
        ("heure_debut", "heure", "debut_demi_journee"),
    ),
    Column(
        "email",
        True,
        "E-mail de la personne inscrite",
        "adresse e-mail",
        ("e_mail", "mail", "courriel", "adresse_e_mail", "adresse_mail"),
    ),
    Column(
        "statut",
        True,
        "Statut lu sur la feuille",
        "present, retard, depart_anticipe, retard_et_depart_anticipe, absent_excuse, absent",
        ("status",),
    ),
    Column(
        "arrivee",
        False,
        "Heure d'arrivée d'une personne en retard (heure locale)",
        "HH:MM, strictement dans la demi-journée",
        ("heure_arrivee", "heure_d_arrivee", "arrive_a"),
    ),
    Column(
        "depart",
        False,
        "Heure de départ d'une personne partie avant la fin (heure locale)",
        "HH:MM, strictement dans la demi-journée",
        ("heure_depart", "heure_de_depart", "parti_a"),
    ),
    Column(
        "minutes_manquees",
        False,
        "Minutes manquées (à la place d'une heure)",
        "entier",
        ("minutes_manquantes", "retard_minutes"),
    ),
    Column(
        "minutes",
        False,
        "Minutes de présence (fichiers d'avant les heures ; à la place d'une heure)",
        "entier",
        ("minutes_de_presence", "minutes_presence"),
    ),
)
REQUIRED_COLUMNS = tuple(c.key for c in COLUMNS if c.required)

STATUS_ALIASES = {
    "present": Attendance.Status.PRESENT,
    "presente": Attendance.Status.PRESENT,
    "presents": Attendance.Status.PRESENT,
    "retard": Attendance.Status.LATE,
    "en_retard": Attendance.Status.LATE,
    "depart_anticipe": Attendance.Status.LEFT_EARLY,
    "depart_anticipee": Attendance.Status.LEFT_EARLY,
    "retard_et_depart": Attendance.Status.LATE_AND_LEFT_EARLY,
    "retard_depart_anticipe": Attendance.Status.LATE_AND_LEFT_EARLY,
    "retard_et_depart_anticipee": Attendance.Status.LATE_AND_LEFT_EARLY,
    "absent_excuse": Attendance.Status.ABSENT_EXCUSED,
    "absente_excusee": Attendance.Status.ABSENT_EXCUSED,
    "absent_excusee": Attendance.Status.ABSENT_EXCUSED,
    "excuse": Attendance.Status.ABSENT_EXCUSED,
    "excusee": Attendance.Status.ABSENT_EXCUSED,
    "absent": Attendance.Status.ABSENT,
    "absente": Attendance.Status.ABSENT,
}


def normalise(text: str) -> str:
    """« Départ anticipé » → "depart_anticipe"; « Présent·e » → "presente"."""
    text = strip_accents(text.strip().lower())
    text = re.sub(r"[·.()]", "", text)
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


def status_from_text(text: str) -> str | None:
    key = normalise(text)
    for status in Attendance.Status:
        if key in (status.value, normalise(str(status.label))):
            return status.value
    return STATUS_ALIASES.get(key)


@dataclass
class LineError:
    line: int
    message: str

    def __str__(self):
        if self.line:
            return _("Ligne %(line)d : %(message)s") % {"line": self.line, "message": self.message}
        return self.message


@dataclass(frozen=True)
class ParsedLine:
    line: int
    session_code: str
    date: dt.date
    start: dt.time
    email: str
    status: str
    arrival: dt.time | None = None
    departure: dt.time | None = None
    minutes_missed: int | None = None
    minutes_attended: int | None = None


@dataclass(frozen=True)
class ResolvedLine:
    line: int
    slot: Slot
    entry: PaperEntry

    @property
    def enrolment(self) -> Enrolment:
        return self.entry.enrolment

    @property
    def status(self) -> str:
        return self.entry.status


@dataclass
class ImportCheck:
    lines: list[ResolvedLine] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def entries_by_slot(self) -> dict[Slot, list[PaperEntry]]:
        by_slot: dict[Slot, list[PaperEntry]] = {}
        for line in self.lines:
            by_slot.setdefault(line.slot, []).append(line.entry)
        return by_slot


# --- 1. Reading ------------------------------------------------------------------------


def read_rows(content: bytes, *, file_name: str = "") -> list[tuple[int, dict[str, str]]]:
    """(line number, {column key: cell text}) for each non-blank row. Raises `TableError`
    (unreadable file, missing or repeated column, no row). Other columns are ignored."""
    table = read_table(file_name=file_name, content=content)
    header = table.map(COLUMNS)
    if header.errors:
        raise TableError(" ".join(header.errors))
    rows = [(row.line, row.texts()) for row in header.rows(table)]
    if not rows:
        raise TableError(_("Le fichier ne contient aucune ligne à importer."))
    return rows


# --- 2. Parsing (pure) -----------------------------------------------------------------


def parse_date(text: str) -> dt.date | None:
    """The participant import's dates (`formations.tabular.parse_date`), None if invalid."""
    try:
        return parse_table_date(text)
    except (ValueError, OverflowError):
        return None


def parse_time(text: str) -> dt.time | None:
    text = text.strip().lower().replace("h", ":")
    if text.endswith(":"):
        text += "00"
    for fmt in ("%H:%M", "%H:%M:%S"):
        try:
            return dt.datetime.strptime(text, fmt).time()
        except ValueError:
            continue
    return None


def parse_rows(rows: list[tuple[int, dict[str, str]]]) -> tuple[list[ParsedLine], list[LineError]]:
    lines, errors = [], []
    for number, row in rows:
        problems = []
        code = row.get("session", "")
        if not code:
            problems.append(_("code de session manquant"))
        date_text = row.get("date", "")
        date = parse_date(date_text)
        if date is None:
            problems.append(
                _("date invalide « %(value)s » (attendu JJ/MM/AAAA ou AAAA-MM-JJ)")
                % {"value": date_text}
            )
        start_text = row.get("debut", "")
        start = parse_time(start_text)
        if start is None:
            problems.append(
                _("heure de début invalide « %(value)s » (attendu HH:MM)") % {"value": start_text}
            )
        email = row.get("email", "").strip()
        if not email or "@" not in email:
            problems.append(_("e-mail manquant ou invalide « %(value)s »") % {"value": email})
        status_text = row.get("statut", "")
        status = status_from_text(status_text) if status_text else None
        if status is None:
            problems.append(
                _(
                    "statut inconnu « %(value)s » (attendu : présent, retard, départ anticipé, "
                    "absent excusé, absent)"
                )
                % {"value": status_text}
            )
        times = {}
        for key, label in (("arrivee", _("d'arrivée")), ("depart", _("de départ"))):
            text = row.get(key, "").strip()
            times[key] = parse_time(text) if text else None
            if text and times[key] is None:
                problems.append(
                    _("heure %(which)s invalide « %(value)s » (attendu HH:MM)")
                    % {"which": label, "value": text}
                )
        numbers = {}
        for key, label in (
            ("minutes_manquees", _("minutes manquées")),
            ("minutes", _("minutes de présence")),
        ):
            text = row.get(key, "").strip()
            numbers[key] = None
            if not text:
                continue
            # isdigit() alone admits "²", which int() refuses.
            if not (text.isascii() and text.isdigit()) or int(text) <= 0:
                problems.append(
                    _("%(which)s invalides « %(value)s » (entier positif attendu)")
                    % {"which": label, "value": text}
                )
            else:
                numbers[key] = int(text)
        if status in Attendance.PARTIAL_STATUSES and not (
            any(times.values()) or any(value is not None for value in numbers.values())
        ):
            problems.append(
                _(
                    "pour un retard ou un départ anticipé, indiquez l'heure d'arrivée ou de "
                    "départ (colonnes arrivee, depart) ou les minutes manquées"
                )
            )
        if problems:
            errors.append(LineError(number, " ; ".join(problems) + "."))
            continue
        partial = status in Attendance.PARTIAL_STATUSES
        lines.append(
            ParsedLine(
                number,
                code,
                date,
                start,
                email,
                status,
                arrival=times["arrivee"] if partial else None,
                departure=times["depart"] if partial else None,
                minutes_missed=numbers["minutes_manquees"] if partial else None,
                minutes_attended=numbers["minutes"] if partial else None,
            )
        )
    return lines, errors


# --- 3. Resolving (constant number of queries) -----------------------------------------


def _slot_label(slot: Slot) -> str:
    return f"{slot.session.code} {slot.local_start:%d/%m/%Y %H:%M}"


def resolve_lines(
    lines: list[ParsedLine], *, actor=None, scan_provided: bool, now: dt.datetime | None = None
) -> ImportCheck:
    """Finds the enrolment and slot of each parsed line and checks what the key-in service
    would refuse, so that --dry-run says the same as the real run. Queries do not grow with
    lines."""
    now = now or timezone.now()
    check = ImportCheck()
    codes = {line.session_code.upper() for line in lines}
    sessions = {
        s.code.upper(): s
        for s in TrainingSession.objects.annotate(code_upper=Upper("code")).filter(
            code_upper__in=codes
        )
    }
    session_ids = [s.pk for s in sessions.values()]
    runnable = set()
    if actor is not None:
        runnable = set(
            sessions_run_by(user=actor).filter(pk__in=session_ids).values_list("pk", flat=True)
        )
    slots = {}
    for slot in Slot.objects.filter(session_id__in=session_ids).select_related("session", "seal"):
        local = slot.local_start
        slots[(slot.session_id, local.date(), local.time().replace(second=0, microsecond=0))] = slot
    enrolments = {
        (e.session_id, e.participant.email.lower()): e
        for e in Enrolment.objects.filter(session_id__in=session_ids).select_related("participant")
    }
    emails = {line.email.lower() for line in lines}
    known_emails = set(
        Participant.objects.annotate(email_lower=Lower("email"))
        .filter(email_lower__in=emails)
        .values_list("email_lower", flat=True)
    )
    existing = {
        (a.enrolment_id, a.slot_id): a
        for a in Attendance.objects.filter(slot_id__in=[s.pk for s in slots.values()])
    }
    slots_with_scan = set(
        PaperSheetScan.objects.filter(slot_id__in=[s.pk for s in slots.values()]).values_list(
            "slot_id", flat=True
        )
    )

    seen: dict[tuple[int, int], int] = {}
    not_runnable: dict[str, list[int]] = {}
    without_scan: dict[Slot, list[int]] = {}
    for line in lines:
        session = sessions.get(line.session_code.upper())
        if session is None:
            check.errors.append(
                LineError(
                    line.line, _("session inconnue « %(code)s ».") % {"code": line.session_code}
                )
            )
            continue
        slot = slots.get((session.pk, line.date, line.start))
        if slot is None:
            check.errors.append(
                LineError(
                    line.line,
                    _(
                        "aucune demi-journée de la session %(code)s ne commence le %(date)s "
                        "à %(start)s (%(tz)s)."
                    )
                    % {
                        "code": session.code,
                        "date": f"{line.date:%d/%m/%Y}",
                        "start": f"{line.start:%H:%M}",
                        "tz": time_zone_label(session.time_zone),
                    },
                )
            )
            continue
        enrolment = enrolments.get((session.pk, line.email.lower()))
        if enrolment is None:
            if line.email.lower() in known_emails:
                message = _("%(email)s n'est pas inscrit·e à la session %(code)s.")
            else:
                message = _("participant·e inconnu·e : aucune personne avec l'e-mail %(email)s.")
            check.errors.append(
                LineError(line.line, message % {"email": line.email, "code": session.code})
            )
            continue
        key = (enrolment.pk, slot.pk)
        if key in seen:
            check.errors.append(
                LineError(
                    line.line,
                    _("doublon de la ligne %(other)d (même personne, même demi-journée).")
                    % {"other": seen[key]},
                )
            )
            continue
        seen[key] = line.line
        if slot.starts_at > now:
            check.errors.append(
                LineError(
                    line.line,
                    _(
                        "la demi-journée %(slot)s n'a pas encore commencé : une feuille ne "
                        "peut pas avoir été signée avant."
                    )
                    % {"slot": _slot_label(slot)},
                )
            )
            continue
        if slot.is_sealed:
            check.errors.append(
                LineError(
                    line.line,
                    _("la demi-journée %(slot)s est scellée : passez par une rectification.")
                    % {"slot": _slot_label(slot)},
                )
            )
            continue
        previous = existing.get(key)
        if previous is not None and previous.signature:
            check.errors.append(
                LineError(
                    line.line,
                    _("%(name)s a déjà émargé pour la demi-journée %(slot)s (%(method)s).")
                    % {
                        "name": enrolment.participant.full_name,
                        "slot": _slot_label(slot),
                        "method": previous.get_method_display(),
                    },
                )
            )
            continue
        # The same rules as the trainer's page: times strictly inside the half-day, an
        # arrival before the departure, minutes missed within it.
        try:
            presence = resolve_presence(
                slot=slot,
                status=line.status,
                arrived_at=local_moment(slot, line.arrival) if line.arrival else None,
                left_at=local_moment(slot, line.departure) if line.departure else None,
                minutes_missed=line.minutes_missed,
                minutes_attended=line.minutes_attended,
            )
        except AttendanceError as exc:
            check.errors.append(LineError(line.line, exc.message))
            continue
        if actor is not None and session.pk not in runnable:
            not_runnable.setdefault(session.code, []).append(line.line)
            continue
        if not scan_provided and slot.pk not in slots_with_scan:
            without_scan.setdefault(slot, []).append(line.line)
            continue
        check.lines.append(
            ResolvedLine(
                line.line,
                slot,
                PaperEntry(
                    enrolment=enrolment,
                    status=presence.status,
                    arrived_at=presence.arrived_at,
                    left_at=presence.left_at,
                ),
            )
        )

    for code, numbers in not_runnable.items():
        check.errors.append(
            LineError(
                numbers[0],
                _(
                    "%(user)s n'est ni formateur·rice de la session %(code)s ni coordinateur·rice "
                    "(lignes %(lines)s)."
                )
                % {"user": actor.username, "code": code, "lines": ", ".join(map(str, numbers))},
            )
        )
    for slot, numbers in without_scan.items():
        check.errors.append(
            LineError(
                numbers[0],
                _(
                    "aucune feuille scannée pour la demi-journée %(slot)s (lignes %(lines)s) : "
                    "une saisie papier ne compte qu'avec le scan de la feuille ; joignez-le avec "
                    "--scan FICHIER ou déposez-le d'abord sur la page de la demi-journée."
                )
                % {"slot": _slot_label(slot), "lines": ", ".join(map(str, numbers))},
            )
        )
    check.errors.sort(key=lambda e: e.line)
    return check


def check_file(
    content: bytes, *, file_name: str = "", actor=None, scan_provided: bool
) -> ImportCheck:
    """Reads, parses and resolves a CSV or XLSX file; errors of every line are reported
    together."""
    try:
        rows = read_rows(content, file_name=file_name)
    except TableError as exc:
        return ImportCheck(errors=[LineError(0, exc.message)])
    parsed, errors = parse_rows(rows)
    check = (
        resolve_lines(parsed, actor=actor, scan_provided=scan_provided) if parsed else ImportCheck()
    )
    check.errors = sorted(errors + check.errors, key=lambda e: e.line)
    return check
