"""One reader for the spreadsheets people send us: the participant import
(`formations.importing`), the paper attendance import (`sessions.attendance_import`) and the
enrolment list (`sessions.services.enrolment`) all read their files here.

`read_table(file_name=, content=)` turns bytes into a `Table`:

- CSV in UTF-8 (with or without BOM) or Windows-1252, comma- or semicolon-separated (Excel's
  `sep=;` first line understood), or the first sheet of an XLSX workbook;
- at most `SUIVI_MAX_UPLOAD_BYTES` bytes and `SUIVI_IMPORT_MAX_ROWS` rows under the header;
  reading stops at line `SUIVI_IMPORT_MAX_ROWS + BLANK_ROWS_MARGIN` whatever the rows hold,
  so blank rows count too (a few kilobytes of XLSX can hold millions of them);
- values in the first `MAX_COLUMNS` columns only (trailing blank cells dropped);
- XLSX through `formations.xlsx`, whose memory and time are bounded by limits checked on
  the zip's directory before anything is decompressed (see there);
- blank rows skipped; every row keeps the line number a spreadsheet shows (header = 1).

Anything unreadable raises `TableError` with a French message naming the problem.

The caller describes its columns (`Column`: key, synonyms, required or not) and maps the
header with `map_header()`: names are compared without case, accents, spaces, dashes or
punctuation (`name_key`), unknown columns are reported as warnings, missing required and
repeated columns as errors. `HeaderMap.rows(table)` then yields `Row`s whose cells are read
by column key. Apart from `read_table_cached`'s cache, the module writes nothing and runs no
query.

`read_table_cached(key=, file_name=, content=)` is `read_table` for a file that is read
twice, the preview then the confirmation of one upload: the first call keeps the outcome
(the `Table`, or the refusal's message) in Django's cache under `key`, the next ones take
it from there as long as the bytes are the same (their SHA-256 is kept beside it);
`forget_table(key)` drops it once the upload is consumed.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from formations.french import size_label
from formations.xlsx import MAX_COLUMNS, XlsxError, beyond_column_message, iter_rows

DEFAULT_MAX_ROWS = 5000
# Blank rows people leave between groups are fine, but reading stops this many lines past
# the row limit: blank rows cost time to read too.
BLANK_ROWS_MARGIN = 1000
ACCEPTED_EXTENSIONS = (".csv", ".txt", ".xlsx")
XLSX_BROKEN = gettext_noop(
    "Le fichier XLSX est illisible ou endommagé : ouvrez-le et enregistrez-le à nouveau."
)


class TableError(Exception):
    """The file as a whole cannot be read; the message is French and names the problem."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def max_rows() -> int:
    return int(getattr(settings, "SUIVI_IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS))


def max_upload_bytes() -> int:
    return int(settings.SUIVI_MAX_UPLOAD_BYTES)


def format_size(size: int) -> str:
    """A size in French units (Mo, Ko, octets), as shown in messages: the pages' wording
    (`formations.french.size_label`), with a plain space for the command line."""
    return size_label(size).replace("\u00a0", " ")


def too_large_message(size: int | None = None) -> str:
    limit = format_size(max_upload_bytes())
    if size is None:
        return _("Le fichier dépasse la taille maximale autorisée (%(limit)s).") % {"limit": limit}
    return _("Le fichier pèse %(size)s : il dépasse la taille maximale autorisée (%(limit)s).") % {
        "size": format_size(size),
        "limit": limit,
    }


# --- Text keys -------------------------------------------------------------------------------


def strip_accents(text: str) -> str:
    """'Départ anticipé' → 'Depart anticipe'."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def name_key(text: Any) -> str:
    """'Prénom', 'PRENOM ', 'pré-nom', 'C.C.A.S.' → 'prenom', …, 'ccas': case, accents, spaces,
    dashes, dots, apostrophes and every other sign ignored."""
    return re.sub(r"[^0-9a-z]", "", strip_accents(str(text)).casefold())


# --- Cells -----------------------------------------------------------------------------------


def cell_text(value: Any) -> str:
    """A cell as the text a person reads in the spreadsheet (spaces collapsed, NFC)."""
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
    if isinstance(value, dt.time):
        return value.strftime("%H:%M") if not value.second else value.strftime("%H:%M:%S")
    text = unicodedata.normalize("NFC", str(value)).replace("\u00a0", " ")
    return " ".join(text.split()) if "\n" not in text else text.strip()


_DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M")


def parse_date(value: Any) -> dt.date | None:
    """A real spreadsheet date, JJ/MM/AAAA or AAAA-MM-JJ; None when blank; raises ValueError
    (or OverflowError) otherwise."""
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


# --- Columns and header ----------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column a caller understands. `aliases` are the other names people give it
    (compared with `name_key`); `meaning` and `format` document it on pages and in help."""

    key: str
    required: bool = False
    meaning: str = ""
    format: str = ""
    aliases: tuple[str, ...] = ()


@dataclass
class Row:
    line: int  # as the spreadsheet shows it (header = 1)
    cells: list[Any]
    columns: dict[str, int]

    def raw(self, key: str) -> Any:
        index = self.columns.get(key)
        if index is None or index >= len(self.cells):
            return None
        return self.cells[index]

    def text(self, key: str) -> str:
        return cell_text(self.raw(key))

    def texts(self) -> dict[str, str]:
        return {key: self.text(key) for key in self.columns}


@dataclass
class HeaderMap:
    columns: dict[str, int]  # column key → index in a row
    unknown: list[str] = field(default_factory=list)  # titles as written
    missing: list[str] = field(default_factory=list)  # required keys absent
    repeated: list[str] = field(default_factory=list)  # keys given by two titles
    required: tuple[str, ...] = ()

    @property
    def errors(self) -> list[str]:
        messages = [
            _("La colonne « %(column)s » apparaît deux fois dans l'en-tête.") % {"column": key}
            for key in self.repeated
        ]
        messages += [
            _(
                "Colonne obligatoire « %(column)s » absente de la ligne d'en-tête "
                "(colonnes obligatoires : %(required)s)."
            )
            % {"column": key, "required": ", ".join(self.required)}
            for key in self.missing
        ]
        return messages

    @property
    def warnings(self) -> list[str]:
        return [
            _("Colonne « %(title)s » inconnue : elle est ignorée.") % {"title": title}
            for title in self.unknown
        ]

    def rows(self, table: Table) -> Iterator[Row]:
        for line, cells in table.rows:
            yield Row(line, cells, self.columns)


def map_header(header: Sequence[Any], columns: Sequence[Column]) -> HeaderMap:
    lookup: dict[str, str] = {}
    for column in columns:
        for name in (column.key, *column.aliases):
            lookup.setdefault(name_key(name), column.key)
    found: dict[str, int] = {}
    result = HeaderMap(found, required=tuple(c.key for c in columns if c.required))
    for index, title in enumerate(header):
        title = cell_text(title)
        if not title:
            continue
        key = lookup.get(name_key(title))
        if key is None:
            result.unknown.append(title)
        elif key in found:
            if key not in result.repeated:
                result.repeated.append(key)
        else:
            found[key] = index
    result.missing = [key for key in result.required if key not in found]
    return result


# --- Reading files ---------------------------------------------------------------------------


@dataclass
class Table:
    header: list[str]
    header_line: int
    rows: list[tuple[int, list[Any]]]  # (line number as seen by the user, cells)
    format: str  # "csv" or "xlsx"
    encoding: str = ""
    delimiter: str = ""

    def map(self, columns: Sequence[Column]) -> HeaderMap:
        return map_header(self.header, columns)


def _is_blank(cells: Iterable[Any]) -> bool:
    return all(_blank_cell(cell) for cell in cells)


def _blank_cell(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and cell.strip() == "")


def _trimmed(cells: list[Any]) -> list[Any]:
    """The row without its trailing blank cells (a CSV saved from a wide formatted range
    ends with separators)."""
    end = len(cells)
    while end and _blank_cell(cells[end - 1]):
        end -= 1
    return cells if end == len(cells) else cells[:end]


def too_many_lines_message(limit: int) -> str:
    return _(
        "Le fichier a plus de %(max)s lignes, lignes vides comprises : supprimez les lignes "
        "vides en fin de tableau, ou découpez-le en plusieurs fichiers."
    ) % {"max": limit + BLANK_ROWS_MARGIN}


def _collect(records: Iterator[tuple[int, list[Any]]], limit: int) -> tuple[list[str], int, list]:
    header: list[str] | None = None
    header_line = 0
    rows: list[tuple[int, list[Any]]] = []
    last_line = limit + BLANK_ROWS_MARGIN
    seen = 0
    for line_number, cells in records:
        # Counted before blank rows are skipped, by position and by number (a row number
        # repeated by a forged file cannot keep the count low).
        seen += 1
        if line_number > last_line or seen > last_line:
            raise TableError(too_many_lines_message(limit))
        cells = _trimmed(cells)
        if not cells:
            continue
        if len(cells) > MAX_COLUMNS:
            raise TableError(beyond_column_message(line_number))
        if header is None:
            header = [cell_text(c) for c in cells]
            header_line = line_number
            continue
        if len(rows) >= limit:
            raise TableError(
                _(
                    "Le fichier contient plus de %(max)s lignes sous l'en-tête : "
                    "découpez-le en plusieurs fichiers."
                )
                % {"max": limit}
            )
        rows.append((line_number, cells))
    if header is None:
        raise TableError(_("Le fichier est vide : il n'a pas de ligne d'en-tête."))
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
        raise TableError(
            _(
                "Le fichier n'est pas un texte lisible (ni UTF-8 ni Windows-1252) : "
                "enregistrez-le au format « CSV UTF-8 » ou XLSX."
            )
        ) from exc


def detect_delimiter(text: str) -> str:
    """';' when the first non-blank line has more semicolons than commas (French Excel)."""
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    return ";" if first_line.count(";") > first_line.count(",") else ","


def read_csv(content: bytes, *, limit: int) -> Table:
    if _CONTROL_BYTES.search(content):
        raise TableError(
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
        # A record is one spreadsheet row, so its index is the line number the user sees
        # (a quoted cell spanning two physical lines is still one row).
        records = enumerate(reader, start=1)
        header, header_line, rows = _collect(
            ((number, list(cells)) for number, cells in records), limit
        )
    except csv.Error as exc:
        raise TableError(
            _("Le fichier CSV est mal formé (ligne %(line)s) : %(error)s")
            % {"line": reader.line_num, "error": exc}
        ) from exc
    return Table(header, header_line, rows, "csv", encoding=encoding, delimiter=delimiter)


def read_xlsx(content: bytes, *, limit: int) -> Table:
    try:
        with closing(iter_rows(content)) as records:
            header, header_line, rows = _collect(records, limit)
    except XlsxError as exc:
        raise TableError(exc.message) from exc
    return Table(header, header_line, rows, "xlsx")


def extension_of(file_name: str) -> str:
    lowered = (file_name or "").lower()
    return lowered[lowered.rfind(".") :] if "." in lowered else ""


def read_table(*, file_name: str, content: bytes, limit: int | None = None) -> Table:
    """Read a CSV or XLSX file (the format is told by its first bytes, the name's extension
    only refuses what we cannot read). Raises `TableError` with a French message."""
    limit = max_rows() if limit is None else limit
    extension = extension_of(file_name)
    if extension and extension not in ACCEPTED_EXTENSIONS:
        if extension in (".xls", ".ods"):
            raise TableError(
                _(
                    "Le format « %(ext)s » n'est pas pris en charge : enregistrez le fichier "
                    "au format XLSX ou CSV."
                )
                % {"ext": extension}
            )
        raise TableError(
            _(
                "Format de fichier non pris en charge (« %(ext)s ») : "
                "fournissez un fichier CSV ou XLSX."
            )
            % {"ext": extension}
        )
    if not content:
        raise TableError(_("Le fichier est vide."))
    if len(content) > max_upload_bytes():
        raise TableError(too_large_message(len(content)))
    if content.startswith(b"PK\x03\x04"):
        if not zipfile.is_zipfile(io.BytesIO(content)):
            raise TableError(_(XLSX_BROKEN))
        return read_xlsx(content, limit=limit)
    if extension == ".xlsx":
        raise TableError(
            _("Le fichier porte l'extension .xlsx mais n'est pas un classeur XLSX valide.")
        )
    if content.startswith(b"\xd0\xcf\x11\xe0"):
        raise TableError(
            _(
                "Ce fichier est un ancien classeur Excel (.xls), non pris en charge : "
                "enregistrez-le au format XLSX ou CSV."
            )
        )
    return read_csv(content, limit=limit)


# --- Reading an upload once ------------------------------------------------------------------

# As long as an upload waits for its confirmation (formations.views_import).
TABLE_CACHE_SECONDS = 24 * 3600
_CACHE_PREFIX = "suivi:table:1:"


def read_table_cached(*, key: str, file_name: str, content: bytes) -> Table:
    """`read_table`, parsed once per `key` (e.g. an upload's token): the outcome, a
    `Table` or a `TableError` message, is kept in Django's cache for
    `TABLE_CACHE_SECONDS` with the SHA-256 of `content`, and served again only for the
    same bytes (different bytes under the same key are read and cached anew). Raises
    `TableError` like `read_table`."""
    digest = hashlib.sha256(content).hexdigest()
    cache_key = _CACHE_PREFIX + key
    kept = cache.get(cache_key)
    if kept is not None and kept.get("sha256") == digest and kept.get("limit") == max_rows():
        if "error" in kept:
            raise TableError(kept["error"])
        return kept["table"]
    entry: dict[str, Any] = {"sha256": digest, "limit": max_rows()}
    try:
        table = read_table(file_name=file_name, content=content)
    except TableError as exc:
        entry["error"] = exc.message
        cache.set(cache_key, entry, TABLE_CACHE_SECONDS)
        raise
    entry["table"] = table
    cache.set(cache_key, entry, TABLE_CACHE_SECONDS)
    return table


def forget_table(key: str) -> None:
    cache.delete(_CACHE_PREFIX + key)
