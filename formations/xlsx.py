"""A small XLSX reader whose cost is bounded by limits, not by what a file claims.

An XLSX workbook is a zip of XML parts, and a few hundred kilobytes of zip can hold
gigabytes of XML: one 300 MiB shared string compresses to 300 KB, five million blank rows
to 50 KB. openpyxl, even in read-only mode, loads the shared strings and the styles whole
and pads every row to its last column, so such files took the server to 1.1 GB or kept it
busy for minutes. This reader is used by `formations.tabular` instead:

- **Before anything is decompressed**, the zip's directory is checked (`check_parts`): at
  most `MAX_PARTS` parts; each part's uncompressed size at most `SUIVI_MAX_UPLOAD_BYTES`
  (10 Mo by default), a worksheet at most twice that, all parts together at most ten times
  that; no encrypted part. A part is then read as a stream and never beyond the size its
  directory entry declares.
- The shared strings, the styles (only which cell formats are dates) and the first
  worksheet are parsed with expat as streams; no DTD or entity is accepted; a cell holds at
  most `MAX_CELL_CHARS` characters (Excel's own limit) and a row at most `MAX_COLUMNS`
  columns with a value and `MAX_ROW_ELEMENTS` XML elements.
- Rows come out one at a time, blank ones included, with the line number the spreadsheet
  shows, so that the caller stops at its row limit however many blank rows follow
  (`formations.tabular` counts them). Parsing stops at the end of the sheet's data.

Values are those openpyxl gives with ``data_only=True``: numbers as int or float, dates
and times (by the cell's number format) as datetime / time / timedelta, booleans, the
cached result of a formula, text (rich text flattened). Any problem raises
`XlsxError` with a French message.
"""

from __future__ import annotations

import functools
import io
import posixpath
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from xml.parsers import expat

from django.conf import settings
from django.utils.translation import gettext as _

MAX_PARTS = 5000
# Excel refuses more than 32,767 characters in a cell; a file holding more was not written
# by a spreadsheet.
MAX_CELL_CHARS = 32767
MAX_COLUMNS = 200
MAX_ROW_ELEMENTS = 20000
# Elements of a worksheet before its data (columns, views…): a few hundred in real files.
MAX_HEADER_ELEMENTS = 50000
READ_CHUNK = 64 * 1024

# Uncompressed size limits, as multiples of SUIVI_MAX_UPLOAD_BYTES.
PART_FACTOR = 1
SHEET_FACTOR = 2
TOTAL_FACTOR = 10

WORKSHEET_PREFIX = "xl/worksheets/"
REL_OFFICE_DOCUMENT = "/officeDocument"
REL_SHARED_STRINGS = "/sharedStrings"
REL_STYLES = "/styles"
REL_WORKSHEET = "/worksheet"
_CELL_REF = re.compile(r"([A-Za-z]{1,3})(\d*)$")
_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def beyond_column_message(line: int) -> str:
    return _(
        "Ligne %(line)s : une valeur se trouve au-delà de la colonne %(max)s. "
        "Supprimez les colonnes inutilisées à droite du tableau."
    ) % {"line": line, "max": MAX_COLUMNS}


class XlsxError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def broken() -> XlsxError:
    return XlsxError(
        _("Le fichier XLSX est illisible ou endommagé : ouvrez-le et enregistrez-le à nouveau.")
    )


def _size_text(size: int) -> str:
    from formations.tabular import format_size

    return format_size(size)


def _abnormal(detail: str) -> XlsxError:
    return XlsxError(
        _(
            "Le fichier XLSX est anormal : %(detail)s. Enregistrez le tableau à nouveau "
            "depuis votre tableur, ou envoyez-le au format CSV."
        )
        % {"detail": detail}
    )


@dataclass(frozen=True)
class Limits:
    part: int
    sheet: int
    total: int

    @classmethod
    def from_settings(cls) -> Limits:
        upload = int(settings.SUIVI_MAX_UPLOAD_BYTES)
        return cls(upload * PART_FACTOR, upload * SHEET_FACTOR, upload * TOTAL_FACTOR)


def check_parts(content: bytes, limits: Limits | None = None) -> zipfile.ZipFile:
    """Opens the zip and checks its directory against the limits, before any part is
    decompressed. Returns the open `ZipFile`; raises `XlsxError`."""
    limits = limits or Limits.from_settings()
    # Every part has a central directory entry starting with this signature: counting
    # them bounds the number of parts before zipfile builds an object for each.
    if content.count(b"PK\x01\x02") > MAX_PARTS:
        raise _abnormal(_("il contient plus de %(max)s parties") % {"max": MAX_PARTS})
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))  # shares the bytes, no copy
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError):
        raise broken() from None
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise XlsxError(
                _(
                    "Le classeur est protégé par un mot de passe : enregistrez-le sans mot "
                    "de passe, ou envoyez-le au format CSV."
                )
            )
        limit = limits.sheet if info.filename.startswith(WORKSHEET_PREFIX) else limits.part
        if info.file_size > limit:
            raise _abnormal(
                _(
                    "une fois décompressée, sa partie « %(part)s » pèserait %(size)s "
                    "(%(limit)s au plus)"
                )
                % {
                    "part": info.filename[:80],
                    "size": _size_text(info.file_size),
                    "limit": _size_text(limit),
                }
            )
        total += info.file_size
    if total > limits.total:
        raise _abnormal(
            _("une fois décompressé, il pèserait %(size)s (%(limit)s au plus)")
            % {"size": _size_text(total), "limit": _size_text(limits.total)}
        )
    return archive


# --- Streaming XML --------------------------------------------------------------------------


class _Stop(Exception):
    """Raised by a handler once it has what it needs."""


@functools.lru_cache(maxsize=512)
def _local(name: str) -> str:
    # expat with namespace_separator=" " names elements "namespace-uri local-name".
    return name.rpartition(" ")[2]


def _parser() -> expat.XMLParserType:
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True  # one call per text node rather than per line

    def refuse(*args):
        # No XLSX part has a DTD: refusing them rules out entity expansion bombs.
        raise broken()

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    return parser


def _feed(archive: zipfile.ZipFile, name: str, parser, rows: list | None = None):
    """Feeds the part to `parser` chunk by chunk, never more than its declared size, until
    a handler raises `_Stop` or the part ends; after each chunk yields what the handlers
    appended to `rows`."""
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise broken() from None
    left = info.file_size
    stopped = False
    try:
        with archive.open(info) as stream:
            while not stopped:
                chunk = stream.read(min(READ_CHUNK, left + 1))
                if not chunk:
                    break
                left -= len(chunk)
                if left < 0:  # more than the directory declared (zipfile refuses it too)
                    raise broken()
                try:
                    parser.Parse(chunk, False)
                except _Stop:
                    stopped = True
                if rows:
                    yield from rows
                    rows.clear()
        if not stopped:
            try:
                parser.Parse(b"", True)
            except _Stop:
                pass
    except XlsxError:
        raise
    except (
        expat.ExpatError,
        zipfile.BadZipFile,
        EOFError,
        OSError,
        NotImplementedError,
        # A handler meeting an attribute it cannot read (a style that is not a number…):
        # the file is damaged, never a server error.
        ValueError,
        TypeError,
        KeyError,
        IndexError,
        RecursionError,
    ):
        raise broken() from None
    if rows:
        yield from rows
        rows.clear()


def _consume(archive, name, parser) -> None:
    for _row in _feed(archive, name, parser):
        pass


def _unescaped(match) -> str:
    code = int(match.group(1), 16)
    # What XML itself cannot hold stays out of a cell too: control characters other than
    # tab and line breaks (NUL, which PostgreSQL refuses) and lone surrogates (which no
    # page can encode).
    if (code < 0x20 and code not in (0x09, 0x0A, 0x0D)) or 0xD800 <= code <= 0xDFFF:
        return ""
    return chr(code)


def _unescape(text: str) -> str:
    """Excel writes characters XML cannot hold as `_xHHHH_` (and a literal `_x` as
    `_x005F_x`)."""
    if "_x" not in text:
        return text
    return _ESCAPE.sub(_unescaped, text)


class _TextCollector:
    """Collects the text of `<t>` elements under the current string item (shared string or
    inline string), skipping phonetic runs (`<rPh>`), with the length capped."""

    def __init__(self):
        self.parts: list[str] = []
        self.length = 0
        self.in_t = False
        self.in_phonetic = 0

    def start(self, local: str) -> None:
        if local == "rPh":
            self.in_phonetic += 1
        elif local == "t" and not self.in_phonetic:
            self.in_t = True

    def end(self, local: str) -> None:
        if local == "rPh":
            self.in_phonetic -= 1
        elif local == "t":
            self.in_t = False

    def text(self, data: str, where: str) -> None:
        if self.in_t:
            self.length += len(data)
            if self.length > MAX_CELL_CHARS:
                raise _long_cell(where)
            self.parts.append(data)

    def value(self) -> str:
        value = _unescape("".join(self.parts))
        self.parts, self.length = [], 0
        return value


def _long_cell(where: str) -> XlsxError:
    return _abnormal(
        _("%(where)s, une cellule dépasse %(max)s caractères, la limite d'Excel")
        % {"where": where, "max": f"{MAX_CELL_CHARS:,}".replace(",", "\u202f")}
    )


# --- Package structure ----------------------------------------------------------------------


def _relationships(archive, name: str) -> dict[str, tuple[str, str]]:
    """`{id: (type, target)}` of a `.rels` part (empty when absent)."""
    try:
        archive.getinfo(name)
    except KeyError:
        return {}
    found: dict[str, tuple[str, str]] = {}
    parser = _parser()

    def start(tag, attrs):
        if _local(tag) == "Relationship":
            found[attrs.get("Id", "")] = (attrs.get("Type", ""), attrs.get("Target", ""))
            if len(found) > MAX_PARTS:
                raise broken()

    parser.StartElementHandler = start
    _consume(archive, name, parser)
    return found


def _resolve(base_part: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(base_part), target))


def _rels_name(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", f"{name}.rels")


def _target(rels: dict, suffix: str, base: str) -> str | None:
    for rel_type, target in rels.values():
        if rel_type.endswith(suffix):
            return _resolve(base, target)
    return None


@dataclass
class _Workbook:
    first_sheet: str
    shared_strings: str | None
    styles: str | None
    date1904: bool


def _workbook(archive) -> _Workbook:
    workbook = _target(_relationships(archive, "_rels/.rels"), REL_OFFICE_DOCUMENT, "")
    workbook = workbook or "xl/workbook.xml"
    rels = _relationships(archive, _rels_name(workbook))
    first_id: list[str] = []
    date1904 = [False]
    parser = _parser()
    rel_id = "http://schemas.openxmlformats.org/officeDocument/2006/relationships id"
    strict_id = "http://purl.oclc.org/ooxml/officeDocument/relationships id"

    def start(tag, attrs):
        local = _local(tag)
        if local == "workbookPr":
            date1904[0] = attrs.get("date1904", "").lower() in ("1", "true")
        elif local == "sheet":
            first_id.append(attrs.get(rel_id) or attrs.get(strict_id) or "")
            raise _Stop

    parser.StartElementHandler = start
    _consume(archive, workbook, parser)
    if not first_id:
        raise XlsxError(_("Le classeur XLSX ne contient aucune feuille."))
    rel = rels.get(first_id[0])
    if rel is None or not rel[0].endswith(REL_WORKSHEET):
        raise broken()
    return _Workbook(
        first_sheet=_resolve(workbook, rel[1]),
        shared_strings=_target(rels, REL_SHARED_STRINGS, workbook),
        styles=_target(rels, REL_STYLES, workbook),
        date1904=date1904[0],
    )


def _shared_strings(archive, name: str | None) -> list[str]:
    if name is None:
        return []
    try:
        archive.getinfo(name)
    except KeyError:
        return []
    strings: list[str] = []
    collector = _TextCollector()
    parser = _parser()

    def start(tag, attrs):
        local = _local(tag)
        if local == "si":
            collector.parts, collector.length = [], 0
        else:
            collector.start(local)

    def end(tag):
        local = _local(tag)
        if local == "si":
            strings.append(collector.value())
        else:
            collector.end(local)

    def text(data):
        collector.text(data, _("dans les textes partagés"))

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    _consume(archive, name, parser)
    return strings


def _date_styles(archive, name: str | None) -> tuple[set[int], set[int]]:
    """Indexes of the cell formats (`cellXfs`) that show a date or time, and of those
    that show a duration, as openpyxl decides them."""
    if name is None:
        return set(), set()
    try:
        archive.getinfo(name)
    except KeyError:
        return set(), set()
    from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format

    custom: dict[int, str] = {}
    xf_formats: list[int] = []
    depth = {"cellXfs": 0}
    parser = _parser()

    def start(tag, attrs):
        local = _local(tag)
        if local == "numFmt":
            try:
                custom[int(attrs.get("numFmtId", ""))] = attrs.get("formatCode", "")
            except ValueError:
                pass
        elif local == "cellXfs":
            depth["cellXfs"] += 1
        elif local == "xf" and depth["cellXfs"]:
            try:
                xf_formats.append(int(attrs.get("numFmtId", "0")))
            except ValueError:
                xf_formats.append(0)

    def end(tag):
        if _local(tag) == "cellXfs":
            raise _Stop  # nothing after the cell formats matters here

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    _consume(archive, name, parser)
    dates, durations = set(), set()
    for index, fmt_id in enumerate(xf_formats):
        fmt = custom.get(fmt_id) or BUILTIN_FORMATS.get(fmt_id) or ""
        if is_date_format(fmt):
            dates.add(index)
        if is_timedelta_format(fmt):
            durations.add(index)
    return dates, durations


# --- Rows -----------------------------------------------------------------------------------


def column_index(letters: str) -> int:
    index = 0
    for char in letters.upper():
        index = index * 26 + ord(char) - 64
    return index


def _number(text: str) -> int | float:
    if "." in text or "E" in text or "e" in text:
        return float(text)
    return int(text)


class _SheetReader:
    def __init__(self, strings, dates, durations, epoch):
        self.strings = strings
        self.dates = dates
        self.durations = durations
        self.epoch = epoch
        self.rows: list[tuple[int, list[Any]]] = []
        self.in_data = False
        self.header_elements = 0
        self.line = 0
        self.row_elements = 0
        self.cells: dict[int, Any] = {}
        self.column = 0
        self.cell = None  # (column, type, style) of the open <c>
        self.value_parts: list[str] | None = None
        self.value_length = 0
        self.inline = _TextCollector()
        self.in_inline = False
        self.in_formula = False

    def where(self) -> str:
        return _("ligne %(line)s") % {"line": self.line}

    def start(self, tag, attrs):
        local = _local(tag)
        if not self.in_data:
            if local == "sheetData":
                self.in_data = True
                return
            self.header_elements += 1
            if self.header_elements > MAX_HEADER_ELEMENTS:
                raise _abnormal(_("sa feuille a trop d'éléments avant ses données"))
            return
        if local == "row":
            self.line = self._row_number(attrs.get("r"))
            self.row_elements, self.cells, self.column = 0, {}, 0
            return
        self.row_elements += 1
        if self.row_elements > MAX_ROW_ELEMENTS:
            raise _abnormal(_("la %(where)s est anormalement longue") % {"where": self.where()})
        if local == "c":
            self.column = self._column(attrs.get("r"))
            style = attrs.get("s") or "0"
            if not style.isascii() or not style.isdigit():
                raise broken()
            self.cell = (self.column, attrs.get("t", "n"), int(style))
        elif self.cell is None:
            return
        elif local == "v" and not self.in_inline:
            self.value_parts, self.value_length = [], 0
        elif local == "is":
            self.in_inline = True
            self.inline.parts, self.inline.length = [], 0
        elif local == "f":
            self.in_formula = True
        elif self.in_inline:
            self.inline.start(local)

    def end(self, tag):
        local = _local(tag)
        if not self.in_data:
            return
        if local == "sheetData":
            raise _Stop  # merged cells, validations… after the data are not needed
        if local == "row":
            self.rows.append((self.line, self._row_values()))
        elif local == "c":
            self.cell = None
        elif local == "v" and self.value_parts is not None:
            self._store(self._convert("".join(self.value_parts)))
            self.value_parts = None
        elif local == "is" and self.in_inline:
            self.in_inline = False
            if self.cell is not None and self.cell[1] == "inlineStr":
                self._store(self.inline.value())
        elif local == "f":
            self.in_formula = False
        elif self.in_inline:
            self.inline.end(local)

    def text(self, data):
        if self.value_parts is not None and not self.in_formula:
            self.value_length += len(data)
            if self.value_length > MAX_CELL_CHARS:
                raise _long_cell(self.where())
            self.value_parts.append(data)
        elif self.in_inline:
            self.inline.text(data, self.where())

    def _row_number(self, value) -> int:
        if value is None:
            return self.line + 1
        try:
            number = int(value)
        except ValueError:
            raise broken() from None
        if number < 1:
            raise broken()
        return number

    def _column(self, ref) -> int:
        if not ref:
            return self.column + 1
        match = _CELL_REF.match(ref)
        if match is None:
            raise broken()
        return column_index(match.group(1))

    def _store(self, value) -> None:
        if value is None or value == "":
            return
        column = self.cell[0]
        if column > MAX_COLUMNS:
            raise XlsxError(beyond_column_message(self.line))
        self.cells[column] = value

    def _convert(self, text: str):
        if text == "":
            return None
        _column, kind, style = self.cell
        try:
            if kind == "s":
                return self.strings[int(text)]
            if kind == "b":
                return bool(int(text))
            if kind in ("str", "e"):
                return _unescape(text)
            if kind == "d":
                from openpyxl.utils.datetime import from_ISO8601

                return from_ISO8601(text)
            if kind == "inlineStr":
                return None
            value = _number(text)
        except (ValueError, IndexError, TypeError):
            raise broken() from None
        if style in self.dates:
            from openpyxl.utils.datetime import from_excel

            try:
                return from_excel(value, self.epoch, timedelta=style in self.durations)
            except (OverflowError, ValueError):
                return "#VALUE!"
        return value

    def _row_values(self) -> list[Any]:
        if not self.cells:
            return []
        values: list[Any] = [None] * max(self.cells)
        for column, value in self.cells.items():
            values[column - 1] = value
        return values


def iter_rows(content: bytes, limits: Limits | None = None) -> Iterator[tuple[int, list[Any]]]:
    """`(line number, values)` for every row of the workbook's first sheet, blank rows
    included, in file order. Raises `XlsxError`."""
    from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900

    archive = check_parts(content, limits)
    with archive:
        book = _workbook(archive)
        strings = _shared_strings(archive, book.shared_strings)
        dates, durations = _date_styles(archive, book.styles)
        epoch = CALENDAR_MAC_1904 if book.date1904 else CALENDAR_WINDOWS_1900
        reader = _SheetReader(strings, dates, durations, epoch)
        parser = _parser()
        parser.StartElementHandler = reader.start
        parser.EndElementHandler = reader.end
        parser.CharacterDataHandler = reader.text
        yield from _feed(archive, book.first_sheet, parser, reader.rows)
