"""Participant import from a CSV or XLSX file, all or nothing.

Three steps, kept apart so each can be tested alone:

1. `read_table(file_name=, content=)` turns bytes into a `RawTable` (header + rows with the
   line numbers the user sees in a spreadsheet, header = line 1), or raises
   `ImportFileError` with a French message (unknown format, unreadable, too many rows…).
2. `validate_table(table, known=)` is pure: from the rows and a `KnownRecords` snapshot
   of the database it decides, line by line, create / existing / error, and returns an
   `ImportReport`.
3. `import_participants(*, file_name, content, actor, dry_run=False)` is the only writer
   (command and page both call it): if the report has any error it writes nothing,
   otherwise it creates the new structures and participants in one transaction and logs
   one audit entry.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import hashlib
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.urls import NoReverseMatch
from django.utils.translation import get_language, gettext_lazy, gettext_noop
from django.utils.translation import gettext as _

from formations.audit import log_action
from formations.models import Participant, Structure

DEFAULT_MAX_ROWS = 5000
ACCEPTED_EXTENSIONS = (".csv", ".txt", ".xlsx")
AUDIT_ACTION = "participants_imported"
XLSX_BROKEN = gettext_noop(
    "Le fichier XLSX est illisible ou endommagé : ouvrez-le et enregistrez-le à nouveau."
)


def max_rows() -> int:
    return int(getattr(settings, "SUIVI_IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS))


def max_upload_bytes() -> int:
    return int(settings.SUIVI_MAX_UPLOAD_BYTES)


def format_size(size: int) -> str:
    """A size in French units (Mo, Ko, octets), as shown in messages."""
    mib, kib = 1024 * 1024, 1024
    if size >= mib:
        value, unit = size / mib, "Mo"
    elif size >= kib:
        value, unit = size / kib, "Ko"
    else:
        return f"{size} octets"
    text = f"{value:.1f}".rstrip("0").rstrip(".").replace(".", ",")
    return f"{text} {unit}"


def too_large_message(size: int | None = None) -> str:
    limit = format_size(max_upload_bytes())
    if size is None:
        return _("Le fichier dépasse la taille maximale autorisée (%(limit)s).") % {"limit": limit}
    return _("Le fichier pèse %(size)s : il dépasse la taille maximale autorisée (%(limit)s).") % {
        "size": format_size(size),
        "limit": limit,
    }


# --- Columns ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    required: bool
    meaning: str
    format: str
    aliases: tuple[str, ...] = ()


COLUMNS: tuple[Column, ...] = (
    Column("nom", "nom", True, "Nom de famille", "texte, 120 caractères au plus"),
    Column("prenom", "prenom", True, "Prénom", "texte, 120 caractères au plus", ("firstname",)),
    Column(
        "email",
        "email",
        False,
        "Adresse e-mail (identifie la personne)",
        "adresse e-mail valide",
        ("e-mail", "mail", "courriel", "adresse e-mail", "adresse mail"),
    ),
    Column("telephone", "telephone", False, "Téléphone", "texte, 30 caractères au plus", ("tel",)),
    Column("fonction", "fonction", False, "Fonction occupée", "texte, 200 caractères au plus"),
    Column(
        "structure",
        "structure",
        True,
        "Nom de la structure employeuse",
        "texte ; une structure inconnue est créée si son type est donné",
        ("nom de la structure", "nom structure"),
    ),
    Column(
        "type_structure",
        "type_structure",
        False,
        "Type de la structure (sert seulement à créer une structure inconnue)",
        "code ou libellé, par ex. « ccas » ou « Centre social »",
        ("type de structure", "type"),
    ),
    Column(
        "commune",
        "commune",
        False,
        "Commune de la structure (pour une structure créée)",
        "texte, 120 caractères au plus",
        ("ville",),
    ),
    Column(
        "date_prise_de_poste",
        "date_prise_de_poste",
        False,
        "Date de prise de poste",
        "JJ/MM/AAAA ou AAAA-MM-JJ (ou une date de tableur)",
        ("date de prise de poste", "prise de poste", "date prise poste"),
    ),
)
REQUIRED_COLUMNS = tuple(c.key for c in COLUMNS if c.required)
TEMPLATE_HEADER = [c.label for c in COLUMNS]

MAX_LENGTHS = {
    "nom": 120,
    "prenom": 120,
    "telephone": 30,
    "fonction": 200,
    "structure": 200,
    "commune": 120,
    "email": 254,
}


def strip_accents(text: str) -> str:
    """'Départ anticipé' → 'Depart anticipe' (also used by the paper attendance import)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def header_key(text: str) -> str:
    """'Prénom', 'PRENOM ', 'pré-nom' and 'prenom' all give 'prenom'."""
    return re.sub(r"[^0-9a-z]", "", strip_accents(str(text)).casefold())


_HEADER_LOOKUP: dict[str, str] = {}
for _column in COLUMNS:
    for _name in (_column.key, _column.label, *_column.aliases):
        _HEADER_LOOKUP[header_key(_name)] = _column.key


def match_name(text: str) -> str:
    """Key used to compare structure names: case, accents, apostrophes and spaces ignored."""
    text = strip_accents(text).casefold().replace("’", "'").replace("`", "'")
    return " ".join(text.split())


def match_person_name(text: str) -> str:
    """Key for people's names: as `match_name`, and 'Jean-Pierre' == 'Jean Pierre'."""
    return " ".join(match_name(text).replace("-", " ").split())


@functools.lru_cache(maxsize=8)
def _kind_lookup(language: str | None) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for code, label in Structure.Kind.choices:
        label = str(label)
        names = {code, label, re.sub(r"\s*\(.*?\)\s*", " ", label)}
        names.update(re.findall(r"\((.*?)\)", label))
        names.update(part for part in label.split("/"))
        for name in names:
            key = header_key(name)
            if key:
                lookup.setdefault(key, code)
    return lookup


def accepted_kinds_text() -> str:
    return ", ".join(f"{label} ({code})" for code, label in Structure.Kind.choices)


def parse_kind(value: str) -> str | None:
    return _kind_lookup(get_language()).get(header_key(value))


# --- Reading files -----------------------------------------------------------------------


class ImportFileError(Exception):
    """The file as a whole cannot be read; the message is French and names the problem."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class RawTable:
    header: list[str]
    header_line: int
    rows: list[tuple[int, list[Any]]]  # (line number as seen by the user, cells)
    format: str  # "csv" or "xlsx"
    encoding: str = ""
    delimiter: str = ""


def _is_blank(cells: Iterable[Any]) -> bool:
    return all(cell is None or str(cell).strip() == "" for cell in cells)


def _collect(records: Iterator[tuple[int, list[Any]]], limit: int) -> tuple[list[str], int, list]:
    header: list[str] | None = None
    header_line = 0
    rows: list[tuple[int, list[Any]]] = []
    for line_number, cells in records:
        if _is_blank(cells):
            continue
        if header is None:
            header = ["" if c is None else str(c).strip() for c in cells]
            header_line = line_number
            continue
        if len(rows) >= limit:
            raise ImportFileError(
                _(
                    "Le fichier contient plus de %(max)s lignes de participant·es : "
                    "découpez-le en plusieurs fichiers."
                )
                % {"max": limit}
            )
        rows.append((line_number, cells))
    if header is None:
        raise ImportFileError(_("Le fichier est vide : il n'a pas de ligne d'en-tête."))
    return header, header_line, rows


# Bytes that are control characters in UTF-8 and Windows-1252 alike: a text file has none.
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _decode(content: bytes) -> tuple[str, str]:
    # Excel on Windows still writes "CSV (séparateur : point-virgule)" in Windows-1252;
    # LibreOffice and "CSV UTF-8" write UTF-8, often with a BOM.
    try:
        return content.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("cp1252"), "cp1252"
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            _(
                "Le fichier n'est pas un texte lisible (ni UTF-8 ni Windows-1252) : "
                "enregistrez-le au format « CSV UTF-8 » ou XLSX."
            )
        ) from exc


def detect_delimiter(text: str) -> str:
    """';' when the first non-blank line has more semicolons than commas (French Excel)."""
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    return ";" if first_line.count(";") > first_line.count(",") else ","


def read_csv(content: bytes, *, limit: int) -> RawTable:
    if _CONTROL_BYTES.search(content):
        raise ImportFileError(
            _(
                "Le fichier contient des caractères binaires : ce n'est pas un fichier CSV. "
                "Enregistrez-le au format « CSV UTF-8 » ou XLSX."
            )
        )
    text, encoding = _decode(content)
    hint = re.match(r"sep=([,;])\r?\n", text)
    if hint:
        # Excel's "sep=;" first line: it picks the delimiter and is not shown as a row.
        delimiter, text = hint.group(1), text[hint.end() :]
    else:
        delimiter = detect_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        # A record is one spreadsheet row, so its index is the line number the user sees.
        records = enumerate(reader, start=1)
        header, header_line, rows = _collect(
            ((number, list(cells)) for number, cells in records), limit
        )
    except csv.Error as exc:
        raise ImportFileError(
            _("Le fichier CSV est mal formé (ligne %(line)s) : %(error)s")
            % {"line": reader.line_num, "error": exc}
        ) from exc
    return RawTable(header, header_line, rows, "csv", encoding=encoding, delimiter=delimiter)


def read_xlsx(content: bytes, *, limit: int) -> RawTable:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds (BadZipFile, KeyError, …)
        raise ImportFileError(_(XLSX_BROKEN)) from exc
    try:
        if not workbook.worksheets:
            raise ImportFileError(_("Le classeur XLSX ne contient aucune feuille."))
        sheet = workbook.worksheets[0]
        # Some exporters write a wrong <dimension> (e.g. "A1"): read every row present.
        sheet.reset_dimensions()
        records = (
            (number, list(values))
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)
        )
        header, header_line, rows = _collect(records, limit)
    except ImportFileError:
        raise
    except Exception as exc:
        raise ImportFileError(_(XLSX_BROKEN)) from exc
    finally:
        workbook.close()
    return RawTable(header, header_line, rows, "xlsx")


def read_table(*, file_name: str, content: bytes, limit: int | None = None) -> RawTable:
    """Read a CSV or XLSX file. Raises `ImportFileError` with a French message."""
    limit = max_rows() if limit is None else limit
    lowered = (file_name or "").lower()
    extension = lowered[lowered.rfind(".") :] if "." in lowered else ""
    if extension and extension not in ACCEPTED_EXTENSIONS:
        if extension in (".xls", ".ods"):
            raise ImportFileError(
                _(
                    "Le format « %(ext)s » n'est pas pris en charge : enregistrez le fichier "
                    "au format XLSX ou CSV."
                )
                % {"ext": extension}
            )
        raise ImportFileError(
            _(
                "Format de fichier non pris en charge (« %(ext)s ») : "
                "fournissez un fichier CSV ou XLSX."
            )
            % {"ext": extension}
        )
    if not content:
        raise ImportFileError(_("Le fichier est vide."))
    if len(content) > max_upload_bytes():
        raise ImportFileError(too_large_message(len(content)))
    if content.startswith(b"PK\x03\x04"):
        if not zipfile.is_zipfile(io.BytesIO(content)):
            raise ImportFileError(_(XLSX_BROKEN))
        return read_xlsx(content, limit=limit)
    if extension == ".xlsx":
        raise ImportFileError(
            _("Le fichier porte l'extension .xlsx mais n'est pas un classeur XLSX valide.")
        )
    if content.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(
            _(
                "Ce fichier est un ancien classeur Excel (.xls), non pris en charge : "
                "enregistrez-le au format XLSX ou CSV."
            )
        )
    return read_csv(content, limit=limit)


# --- Report ------------------------------------------------------------------------------


class Outcome:
    CREATE = "create"
    EXISTING = "existing"
    ERROR = "error"

    LABELS = {
        CREATE: gettext_lazy("à créer"),
        EXISTING: gettext_lazy("déjà connu·e"),
        ERROR: gettext_lazy("erreur"),
    }


@dataclass
class NewStructure:
    name: str
    kind: str
    commune: str
    line_numbers: list[int] = field(default_factory=list)
    structure: Structure | None = None  # set once created

    @property
    def kind_label(self) -> str:
        return str(Structure.Kind(self.kind).label)

    @property
    def structure_url(self) -> str | None:
        if self.structure is None:
            return None
        try:
            return self.structure.get_absolute_url()
        except NoReverseMatch:
            return None


@dataclass
class ImportLine:
    line_number: int
    outcome: str = Outcome.CREATE
    messages: list[str] = field(default_factory=list)  # errors, or why the person is known
    warnings: list[str] = field(default_factory=list)  # not blocking
    values: dict[str, Any] = field(default_factory=dict)  # parsed, by column key
    existing: Participant | None = None
    structure: Structure | None = None  # existing structure, when found
    new_structure: NewStructure | None = None  # structure created by this import
    participant: Participant | None = None  # the record created (after applying)

    @property
    def outcome_label(self) -> str:
        if self.outcome == Outcome.CREATE and self.participant is not None:
            return _("créé·e")
        return str(Outcome.LABELS[self.outcome])

    @property
    def full_name(self) -> str:
        last, first = self.values.get("nom", ""), self.values.get("prenom", "")
        return f"{last.upper()} {first}".strip()

    @property
    def structure_name(self) -> str:
        if self.structure is not None:
            return self.structure.name
        if self.new_structure is not None:
            return self.new_structure.name
        return self.values.get("structure", "")

    @property
    def existing_url(self) -> str | None:
        return participant_url(self.existing) if self.existing is not None else None

    @property
    def participant_url(self) -> str | None:
        return participant_url(self.participant) if self.participant is not None else None


def participant_url(participant: Participant) -> str | None:
    try:
        return participant.get_absolute_url()
    except NoReverseMatch:  # pages owned by another area may not be wired yet
        return None


def describe_participant(participant: Participant) -> str:
    return _("%(name)s, %(structure)s (n° %(id)s)") % {
        "name": participant.full_name,
        "structure": participant.structure.name,
        "id": participant.pk,
    }


@dataclass
class ImportReport:
    file_name: str
    lines: list[ImportLine] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)
    file_warnings: list[str] = field(default_factory=list)
    structures_to_create: list[NewStructure] = field(default_factory=list)
    dry_run: bool = False
    applied: bool = False  # True once the participants are written

    @property
    def created_count(self) -> int:
        return sum(1 for line in self.lines if line.outcome == Outcome.CREATE)

    @property
    def existing_count(self) -> int:
        return sum(1 for line in self.lines if line.outcome == Outcome.EXISTING)

    @property
    def error_count(self) -> int:
        return sum(1 for line in self.lines if line.outcome == Outcome.ERROR)

    @property
    def has_errors(self) -> bool:
        return bool(self.file_errors) or self.error_count > 0

    def summary(self) -> str:
        if self.has_errors:
            return _(
                "Import refusé : %(errors)s ligne(s) en erreur, %(file_errors)s erreur(s) de "
                "fichier. Rien n'a été enregistré."
            ) % {"errors": self.error_count, "file_errors": len(self.file_errors)}
        verb = _("créé·es") if self.applied else _("à créer")
        text = _(
            "%(created)s participant·e(s) %(verb)s, %(existing)s déjà connu·e(s), "
            "%(structures)s structure(s) %(verb)s."
        ) % {
            "created": self.created_count,
            "existing": self.existing_count,
            "structures": len(self.structures_to_create),
            "verb": verb,
        }
        if self.dry_run:
            text += " " + _("Simulation : rien n'a été enregistré.")
        return text


# --- Validation (pure) -------------------------------------------------------------------


@dataclass
class KnownRecords:
    """What the database already holds, as far as the file needs it. Built by
    `known_records_for()`; tests may build one by hand."""

    structures: dict[str, list[Structure]] = field(default_factory=dict)  # match_name → found
    participants_by_email: dict[str, Participant] = field(default_factory=dict)  # lower e-mail
    participants_by_name: dict[tuple[str, str, int], Participant] = field(default_factory=dict)

    def find_structure(self, name: str) -> tuple[Structure | None, list[Structure]]:
        """(structure, []) when one matches, (None, candidates) when several do."""
        candidates = self.structures.get(match_name(name), [])
        if len(candidates) == 1:
            return candidates[0], []
        exact = [s for s in candidates if s.name.casefold() == name.strip().casefold()]
        if len(exact) == 1:
            return exact[0], []
        return None, candidates


@dataclass
class HeaderMap:
    columns: dict[str, int]  # column key → index in a row
    errors: list[str]
    warnings: list[str]


def map_header(header: list[str]) -> HeaderMap:
    columns: dict[str, int] = {}
    errors: list[str] = []
    warnings: list[str] = []
    for index, title in enumerate(header):
        if not title:
            continue
        key = _HEADER_LOOKUP.get(header_key(title))
        if key is None:
            warnings.append(
                _("Colonne « %(title)s » inconnue : elle est ignorée.") % {"title": title}
            )
        elif key in columns:
            errors.append(
                _("La colonne « %(column)s » apparaît deux fois dans l'en-tête.") % {"column": key}
            )
        else:
            columns[key] = index
    for key in REQUIRED_COLUMNS:
        if key not in columns:
            errors.append(
                _(
                    "Colonne obligatoire « %(column)s » absente de la ligne d'en-tête "
                    "(colonnes obligatoires : %(required)s)."
                )
                % {"column": key, "required": ", ".join(REQUIRED_COLUMNS)}
            )
    return HeaderMap(columns, errors, warnings)


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "VRAI" if value else "FAUX"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    text = unicodedata.normalize("NFC", str(value)).replace("\u00a0", " ")
    return " ".join(text.split()) if "\n" not in text else text.strip()


_DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M")


def parse_date(value: Any) -> dt.date | None:
    """A real spreadsheet date, JJ/MM/AAAA or AAAA-MM-JJ; raises ValueError otherwise."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        # A date cell saved with the "Standard" format keeps its serial number.
        from openpyxl.utils.datetime import from_excel

        if 1 <= value < 2958466:
            return from_excel(value).date()
        raise ValueError(value)
    text = str(value).strip()
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


def _text(cells: list[Any], columns: dict[str, int], key: str) -> str:
    index = columns.get(key)
    if index is None or index >= len(cells):
        return ""
    return cell_text(cells[index])


def _raw(cells: list[Any], columns: dict[str, int], key: str) -> Any:
    index = columns.get(key)
    if index is None or index >= len(cells):
        return None
    return cells[index]


_REQUIRED_LABELS = {"nom": "nom", "prenom": "prénom", "structure": "structure"}


def validate_table(table: RawTable, *, known: KnownRecords, file_name: str = "") -> ImportReport:
    """Decide each line's outcome. Pure: reads nothing but `table` and `known`."""
    report = ImportReport(file_name=file_name)
    header = map_header(table.header)
    report.file_errors.extend(header.errors)
    report.file_warnings.extend(header.warnings)
    if header.errors:
        return report
    if not table.rows:
        report.file_errors.append(
            _("Le fichier ne contient aucune ligne de participant·e sous l'en-tête.")
        )
        return report

    columns = header.columns
    new_structures: dict[str, NewStructure] = {}
    seen_emails: dict[str, int] = {}
    seen_names: dict[tuple[str, str, str], int] = {}

    for line_number, cells in table.rows:
        line = ImportLine(line_number=line_number)
        report.lines.append(line)
        values = {column.key: _text(cells, columns, column.key) for column in COLUMNS}
        line.values = values
        errors = line.messages

        for key, label in _REQUIRED_LABELS.items():
            if not values[key]:
                errors.append(_("Valeur obligatoire manquante : %(column)s.") % {"column": label})
        for key, limit in MAX_LENGTHS.items():
            if len(values[key]) > limit:
                errors.append(
                    _("« %(column)s » dépasse %(max)s caractères.") % {"column": key, "max": limit}
                )

        email = values["email"]
        if email:
            try:
                validate_email(email)
            except ValidationError:
                errors.append(_("Adresse e-mail invalide : « %(value)s ».") % {"value": email})
                email = ""

        raw_date = _raw(cells, columns, "date_prise_de_poste")
        try:
            values["date_prise_de_poste"] = parse_date(raw_date)
        except (ValueError, OverflowError):
            values["date_prise_de_poste"] = None
            errors.append(
                _(
                    "Date de prise de poste invalide : « %(value)s » "
                    "(formats acceptés : JJ/MM/AAAA ou AAAA-MM-JJ)."
                )
                % {"value": cell_text(raw_date)}
            )

        kind = None
        if values["type_structure"]:
            kind = parse_kind(values["type_structure"])
            if kind is None:
                errors.append(
                    _(
                        "Type de structure inconnu : « %(value)s ». "
                        "Valeurs acceptées : %(accepted)s."
                    )
                    % {"value": values["type_structure"], "accepted": accepted_kinds_text()}
                )

        # Structure: an existing one, or one this file creates.
        structure_name = values["structure"]
        if structure_name:
            structure, ambiguous = known.find_structure(structure_name)
            if structure is not None:
                line.structure = structure
                if kind and kind != structure.kind:
                    line.warnings.append(
                        _(
                            "La structure « %(name)s » existe déjà avec le type « %(kind)s » : "
                            "le type du fichier est ignoré."
                        )
                        % {"name": structure.name, "kind": structure.get_kind_display()}
                    )
            elif ambiguous:
                errors.append(
                    _(
                        "Plusieurs structures correspondent à « %(value)s » : %(names)s. "
                        "Écrivez le nom exact."
                    )
                    % {"value": structure_name, "names": ", ".join(s.name for s in ambiguous)}
                )
            else:
                key = match_name(structure_name)
                planned = new_structures.get(key)
                if planned is not None:
                    line.new_structure = planned
                    if kind and kind != planned.kind:
                        errors.append(
                            _(
                                "Type de structure « %(value)s » différent de celui donné ligne "
                                "%(line)s pour la nouvelle structure « %(name)s »."
                            )
                            % {
                                "value": values["type_structure"],
                                "line": planned.line_numbers[0],
                                "name": planned.name,
                            }
                        )
                    planned.line_numbers.append(line_number)
                    if not planned.commune and values["commune"]:
                        planned.commune = values["commune"]
                elif kind:
                    planned = NewStructure(
                        name=structure_name,
                        kind=kind,
                        commune=values["commune"],
                        line_numbers=[line_number],
                    )
                    new_structures[key] = planned
                    line.new_structure = planned
                elif not values["type_structure"]:
                    errors.append(
                        _(
                            "Structure « %(value)s » inconnue : indiquez son type "
                            "(colonne type_structure) pour la créer, ou corrigez son nom."
                        )
                        % {"value": structure_name}
                    )

        # Duplicates inside the file.
        if email:
            first = seen_emails.get(email.casefold())
            if first is not None:
                errors.append(
                    _("Doublon de la ligne %(line)s (même e-mail « %(email)s »).")
                    % {"line": first, "email": email}
                )
            else:
                seen_emails[email.casefold()] = line_number
        if values["nom"] and values["prenom"] and structure_name:
            name_key = (
                match_person_name(values["nom"]),
                match_person_name(values["prenom"]),
                match_name(structure_name),
            )
            first = seen_names.get(name_key)
            if first is not None:
                errors.append(
                    _("Doublon de la ligne %(line)s (même nom, prénom et structure).")
                    % {"line": first}
                )
            else:
                seen_names[name_key] = line_number

        if errors:
            line.outcome = Outcome.ERROR
            continue

        # A person already known is never duplicated.
        existing = known.participants_by_email.get(email.casefold()) if email else None
        reason = _("même e-mail")
        if existing is None and line.structure is not None:
            existing = known.participants_by_name.get(
                (
                    match_person_name(values["nom"]),
                    match_person_name(values["prenom"]),
                    line.structure.pk,
                )
            )
            reason = _("même nom, prénom et structure")
        if existing is not None:
            line.outcome = Outcome.EXISTING
            line.existing = existing
            errors.append(
                _("Déjà connu·e (%(reason)s) : %(record)s.")
                % {"reason": reason, "record": describe_participant(existing)}
            )
            if match_person_name(existing.last_name) != match_person_name(
                values["nom"]
            ) or match_person_name(existing.first_name) != match_person_name(values["prenom"]):
                line.warnings.append(
                    _("Le nom dans le fichier (%(file)s) diffère de la fiche existante.")
                    % {"file": line.full_name}
                )
            if line.structure is None or existing.structure_id != line.structure.pk:
                line.warnings.append(
                    _("La fiche existante reste rattachée à la structure « %(name)s ».")
                    % {"name": existing.structure.name}
                )
            if email and existing.email and existing.email.casefold() != email.casefold():
                line.warnings.append(
                    _("L'e-mail de la fiche existante (%(email)s) n'est pas modifié.")
                    % {"email": existing.email}
                )
        else:
            line.outcome = Outcome.CREATE

    # A new structure whose lines are all in error would not be created.
    report.structures_to_create = [
        planned
        for planned in new_structures.values()
        if any(
            line.new_structure is planned and line.outcome == Outcome.CREATE
            for line in report.lines
        )
    ]
    return report


# --- Database snapshot -------------------------------------------------------------------


def _chunks(items: list, size: int = 500) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def known_records_for(table: RawTable) -> KnownRecords:
    """Load from the database only what the file refers to: its e-mails, and the people of
    the structures it names."""
    known = KnownRecords()
    header = map_header(table.header)
    if header.errors:
        return known
    columns = header.columns

    # Structure names are compared without accents, which the database cannot do
    # portably; the list of structures stays small (hundreds), so compare in Python.
    for structure in Structure.objects.only("id", "name", "kind", "commune"):
        known.structures.setdefault(match_name(structure.name), []).append(structure)

    emails = sorted(
        {
            _text(cells, columns, "email").casefold()
            for _number, cells in table.rows
            if _text(cells, columns, "email")
        }
    )
    for chunk in _chunks(emails):
        for participant in (
            Participant.objects.select_related("structure")
            .annotate(email_lower=Lower("email"))
            .filter(email_lower__in=chunk)
        ):
            known.participants_by_email[participant.email_lower] = participant

    structure_ids: set[int] = set()
    for _number, cells in table.rows:
        name = _text(cells, columns, "structure")
        if name:
            structure, _ambiguous = known.find_structure(name)
            if structure is not None:
                structure_ids.add(structure.pk)
    for chunk in _chunks(sorted(structure_ids)):
        for participant in Participant.objects.select_related("structure").filter(
            structure_id__in=chunk
        ):
            key = (
                match_person_name(participant.last_name),
                match_person_name(participant.first_name),
                participant.structure_id,
            )
            known.participants_by_name.setdefault(key, participant)
    return known


# --- Service -----------------------------------------------------------------------------


def build_report(*, file_name: str, content: bytes) -> tuple[ImportReport, RawTable | None]:
    """Read and validate against the current database. Writes nothing."""
    try:
        table = read_table(file_name=file_name, content=content)
    except ImportFileError as exc:
        return ImportReport(file_name=file_name, file_errors=[exc.message]), None
    return validate_table(table, known=known_records_for(table), file_name=file_name), table


RACE_MESSAGE = gettext_noop(
    "Les données ont changé pendant l'import (une personne ou une structure du fichier vient "
    "d'être enregistrée par ailleurs). Rien n'a été importé : relancez l'import."
)


def import_participants(
    *, file_name: str, content: bytes, actor, dry_run: bool = False
) -> ImportReport:
    """Import participants from a CSV or XLSX file, all or nothing.

    Returns the `ImportReport`. If it holds any error (file or line), or `dry_run` is set,
    nothing is written. Otherwise, in one transaction: the structures the file names but the
    database lacks are created, then every new participant; people already known (same
    e-mail, or same name + first name + structure) are left untouched; one audit entry
    `participants_imported` is logged. Existence is checked again inside the transaction;
    if another writer wins a race anyway, the unique constraints raise and the report
    carries `RACE_MESSAGE` as a file error (nothing written).
    """
    report, table = build_report(file_name=file_name, content=content)
    report.dry_run = dry_run
    if report.has_errors or dry_run or table is None:
        return report

    try:
        with transaction.atomic():
            # Why a lock: two imports naming the same structure serialise here, so the
            # second one re-reads the people the first one created (PostgreSQL; SQLite
            # already serialises writers with BEGIN IMMEDIATE).
            structure_ids = sorted(
                {line.structure.pk for line in report.lines if line.structure is not None}
            )
            list(Structure.objects.select_for_update().filter(pk__in=structure_ids).order_by("pk"))
            report = validate_table(table, known=known_records_for(table), file_name=file_name)
            if report.has_errors:
                return report
            _write(report, actor=actor, content=content)
    except IntegrityError:
        return ImportReport(file_name=file_name, file_errors=[_(RACE_MESSAGE)])
    except ValidationError as exc:  # should not happen: validate_table checks the same rules
        return ImportReport(file_name=file_name, file_errors=[" ".join(exc.messages)])
    return report


def _write(report: ImportReport, *, actor, content: bytes) -> None:
    for planned in report.structures_to_create:
        structure = Structure(name=planned.name, kind=planned.kind, commune=planned.commune)
        # Uniqueness is left to the database constraint (see the race note above).
        structure.full_clean(validate_unique=False, validate_constraints=False)
        structure.save()
        planned.structure = structure

    to_create: list[Participant] = []
    for line in report.lines:
        if line.outcome != Outcome.CREATE:
            continue
        values = line.values
        structure = line.structure or line.new_structure.structure
        participant = Participant(
            last_name=values["nom"],
            first_name=values["prenom"],
            email=values["email"],
            phone=values["telephone"],
            job_title=values["fonction"],
            structure=structure,
            post_taken_on=values["date_prise_de_poste"],
        )
        # The structure was just loaded or created: skip the foreign key's query per row.
        participant.full_clean(
            exclude=["structure"], validate_unique=False, validate_constraints=False
        )
        line.participant = participant
        to_create.append(participant)
    Participant.objects.bulk_create(to_create, batch_size=500)
    report.applied = True

    log_action(
        actor=actor,
        action=AUDIT_ACTION,
        summary=_("Import de « %(file)s » : %(created)s créé·es, %(existing)s déjà connu·es.")
        % {
            "file": report.file_name,
            "created": report.created_count,
            "existing": report.existing_count,
        },
        data={
            "file_name": report.file_name,
            "sha256": hashlib.sha256(content).hexdigest(),
            "bytes": len(content),
            "created_participant_ids": [p.pk for p in to_create],
            "existing_participant_ids": [
                line.existing.pk for line in report.lines if line.existing is not None
            ],
            "created_structure_ids": [s.structure.pk for s in report.structures_to_create],
        },
    )
