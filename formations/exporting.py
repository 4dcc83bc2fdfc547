"""The export layer: every CSV and XLSX file the application writes goes through it.

Modelled on pretix's exporters (`BaseExporter`, `ListExporter.iterate_list`): an exporter
says which columns it has (header and value function) and yields its rows; writers turn
those rows into a file.

- **Streams.** `ListExporter` reads its queryset with `.iterator(chunk_size=CHUNK_SIZE)`: a
  constant number of queries per chunk (prefetches included) and no row kept once written.
  CSV goes out through a `StreamingHttpResponse` as rows are read; XLSX is written by
  openpyxl's write-only mode (rows go to a temporary file as they come) into a spooled
  temporary file served by a `FileResponse`. Memory does not grow with rows
  (`bench/exports.py` measures it).
- **French spreadsheets.** CSV: UTF-8 with a byte-order mark, `;` between cells and decimal
  commas (« 3,50 »), what a French Excel expects from a double click. XLSX: numbers, dates
  and booleans are real cells; an aware datetime is written in the server's time zone
  (Excel has none), so an exporter gives local dates where the place matters.
- **No formula ever runs** (CSV injection): names, places and job titles come from imported
  files. A text starting with `=`, `+`, `-`, `@`, a tab or a carriage return is written in
  XLSX as a text cell (with Excel's « quote prefix », so editing it keeps it text) and in
  CSV behind an apostrophe — except numbers and phone numbers (`HARMLESS`), which cannot
  call anything and are kept as typed.

Exporters are registered by identifier (`EXPORTERS`, filled by `@register` in each app's
`exports` module, imported when the apps are ready). List pages use `ExportMixin`, which
builds a `TableExporter` from the page's own table: same selector, filters, sort and
visible columns as the page, so a file never holds a row or a column the page would not
show.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import Any, ClassVar

from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django_tables2.rows import BoundRow
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

CSV = "csv"
XLSX = "xlsx"
FORMATS = (CSV, XLSX)
CONTENT_TYPES = {
    CSV: "text/csv; charset=utf-8",
    XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# Rows fetched per database round trip (and per prefetch query).
CHUNK_SIZE = 2000
# CSV lines sent to the client per chunk of the response.
CSV_LINES_PER_CHUNK = 500
# An XLSX stays in memory up to this size, then rolls over to a file on disk.
XLSX_SPOOL_BYTES = 1024 * 1024

# A cell starting with one of these is read as a formula by Excel / LibreOffice.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# A sign followed only by digits, spaces, parentheses and dots: negative numbers and phone
# numbers, E.164 (+262639012345) or as typed (+262 639 01 23 45). No letter, no operator
# after the sign: such a text cannot call a function or reach a cell, so it is kept as is.
HARMLESS = re.compile(r"^[+-][\d\s().]*$")
# Characters Excel refuses in a sheet's title.
_SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def looks_like_formula(text: str) -> bool:
    """Whether a spreadsheet could run this text as a formula."""
    return text.startswith(FORMULA_PREFIXES) and not HARMLESS.match(text)


def neutralise(value):
    """The CSV form of a cell a spreadsheet could run: behind an apostrophe, which Excel and
    LibreOffice read as « this is text ». Other values are returned unchanged."""
    if isinstance(value, str) and looks_like_formula(value):
        return "'" + value
    return value


def french_number(value) -> str:
    """A number written the French way in CSV (« 55,50 »), which a French Excel reads as a
    number."""
    return str(value).replace(".", ",")


# --- Exporters -------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of an export: its header, how to read its value from a record, and a
    name to find it by (a table column's name).

    The value's Python type is its cell type: `int`, `Decimal` and `float` are numbers,
    `date` and `datetime` dates, `bool` a yes / no, anything else text.
    """

    header: str
    value: Callable[[Any], Any]
    name: str = ""


@dataclass(frozen=True)
class FileLink:
    """A cell naming a file that travels with the export (a receipt of the audit pack), by
    its path relative to the exported file: in XLSX a link that opens it once the pack is
    unzipped, in CSV the path as text. The path is ours (never typed by a user)."""

    path: str

    def __str__(self):
        return self.path


class BaseExporter:
    """A file of rows. Subclasses set `identifier` (also the file name, without extension),
    `verbose_name` (the XLSX sheet's title) and implement `get_columns()` and
    `iterate_rows()`."""

    identifier: ClassVar[str] = ""
    verbose_name: ClassVar[str] = ""

    def get_filename(self) -> str:
        return self.identifier

    def get_sheet_title(self) -> str:
        return str(self.verbose_name or self.identifier)

    def get_columns(self) -> Sequence[Column]:
        raise NotImplementedError

    def headers(self) -> list[str]:
        return [force_str(column.header) for column in self.get_columns()]

    def iterate_rows(self) -> Iterator[Sequence[Any]]:
        """Yields one list of values per row, in the order of `get_columns()`."""
        raise NotImplementedError


class ListExporter(BaseExporter):
    """Rows of a queryset, one per record, read in chunks (`.iterator(chunk_size=…)`):
    memory stays flat and each chunk costs the same queries (its prefetches)."""

    columns: ClassVar[Sequence[Column]] = ()
    chunk_size: ClassVar[int] = CHUNK_SIZE

    def __init__(self, *, queryset: QuerySet | Iterable):
        self.queryset = queryset

    def get_columns(self) -> Sequence[Column]:
        return self.columns

    def iterate_records(self) -> Iterator[Any]:
        if isinstance(self.queryset, QuerySet):
            return self.queryset.iterator(chunk_size=self.chunk_size)
        return iter(self.queryset)

    def iterate_rows(self) -> Iterator[list[Any]]:
        columns = self.get_columns()
        for record in self.iterate_records():
            yield [column.value(record) for column in columns]


class TableExporter(ListExporter):
    """Exports a django-tables2 table as its page lists it: the table's queryset (already
    filtered and sorted), its columns in the page's order except `exclude_from_export`
    ones and those the table excludes (an auditor's table has no contact columns), with
    the page's headers.

    Values: `get_values()` gives a plain function per column name, which reads the record
    directly or calls the table's own `value_<column>` method. django-tables2 finds each
    cell's function by introspection, about 0.4 ms a row, which would make 100,000 rows
    take most of a minute; a column left out of `get_values()` is still exported through
    the table, only slower. A test checks that every list's functions give the table's
    values.
    """

    table_class: ClassVar[type | None] = None

    def __init__(self, *, table):
        self.table = table
        super().__init__(queryset=table.data.data)

    @classmethod
    def for_queryset(cls, queryset, **table_kwargs) -> TableExporter:
        """The exporter of `table_class` over a queryset (scripts, bench, audit pack)."""
        return cls(table=cls.table_class(queryset, **table_kwargs))

    def get_values(self) -> dict[str, Callable[[Any], Any]]:
        return {}

    def table_value(self, record, name: str):
        """A cell's export value as django-tables2 computes it (`Table.as_values()`)."""
        return force_str(BoundRow(record, self.table).get_cell_value(name), strings_only=True)

    def get_columns(self) -> Sequence[Column]:
        values = self.get_values()
        return [
            Column(
                header=force_str(bound.header),
                value=values.get(bound.name, partial(self.table_value, name=bound.name)),
                name=bound.name,
            )
            for bound in self.table.columns.iterall()
            if not bound.column.exclude_from_export
        ]


def choice_labels(choices) -> Callable[[Any], Any]:
    """`get_<field>_display()` for a whole export: the labels translated once, an unknown
    value returned as is."""
    labels = {value: str(label) for value, label in choices}
    return lambda value: labels.get(value, value)


EXPORTERS: dict[str, type[BaseExporter]] = {}


def register(exporter_class: type[BaseExporter]) -> type[BaseExporter]:
    """Class decorator: makes an exporter findable by its identifier in `EXPORTERS`."""
    identifier = exporter_class.identifier
    if not identifier:
        raise ImproperlyConfigured(f"{exporter_class.__name__} has no identifier.")
    known = EXPORTERS.get(identifier)

    def name(cls):
        return f"{cls.__module__}.{cls.__qualname__}"

    # The same class imported again (a reloaded module) replaces itself; another is a clash.
    if known is not None and name(known) != name(exporter_class):
        raise ImproperlyConfigured(f"Two exporters are called {identifier!r}.")
    EXPORTERS[identifier] = exporter_class
    return exporter_class


# --- Writers ---------------------------------------------------------------------------


def _local_naive(value: dt.datetime) -> dt.datetime:
    if timezone.is_aware(value):
        return timezone.make_naive(value)
    return value


def csv_cell(value) -> str:
    """One CSV cell: numbers with a decimal comma, dates in ISO order, yes / no in French,
    formula-looking text neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("oui") if value else _("non")
    if isinstance(value, int | Decimal | float):
        return french_number(value)
    if isinstance(value, dt.datetime):
        return _local_naive(value).isoformat(sep=" ", timespec="seconds")
    return neutralise(force_str(value))


class _Echo:
    """A file whose `write` returns what it is given: `csv.writer` then formats one line."""

    def write(self, line: str) -> str:
        return line


def write_csv(exporter: BaseExporter) -> Iterator[bytes]:
    """The exporter's CSV, a few hundred lines at a time: a BOM, the headers, the rows."""
    writer = csv.writer(_Echo(), delimiter=";")
    yield ("\ufeff" + writer.writerow([csv_cell(h) for h in exporter.headers()])).encode()
    lines = []
    for row in exporter.iterate_rows():
        lines.append(writer.writerow([csv_cell(value) for value in row]))
        if len(lines) >= CSV_LINES_PER_CHUNK:
            yield "".join(lines).encode()
            lines = []
    if lines:
        yield "".join(lines).encode()


def sheet_title(title: str) -> str:
    """A title Excel accepts for a sheet: no `[]:*?/\\`, at most 31 characters."""
    return _SHEET_TITLE_FORBIDDEN.sub(" ", str(title)).strip()[:31] or "Export"


def _text_cell(sheet, text: str, *, bold: bool = False):
    # XML 1.0 forbids control characters other than tab, newline and carriage return:
    # openpyxl refuses them, so they are dropped.
    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    if not (bold or text.startswith(FORMULA_PREFIXES)):
        return text
    cell = WriteOnlyCell(sheet, value=text)
    if text.startswith(FORMULA_PREFIXES):
        # openpyxl makes « =… » a formula: a text cell shows it, and Excel's quote prefix
        # keeps it text when someone edits the cell.
        cell.data_type = "s"
        cell.quotePrefix = True
    if bold:
        cell.font = Font(bold=True)
    return cell


# How typed cells read in a French spreadsheet (the separators follow the reader's locale:
# « 1 250,50 », « 06/10/2021 »); without a format a date reads 2021-10-06 and an amount 62.5.
DATE_FORMAT = "DD/MM/YYYY"
DATETIME_FORMAT = "DD/MM/YYYY HH:MM"
CENTS_FORMAT = "#,##0.00"
# Columns at least this wide (characters), or as wide as their header.
MIN_COLUMN_WIDTH = 12
MAX_COLUMN_WIDTH = 50


def _formatted(sheet, value, number_format: str):
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = number_format
    return cell


def xlsx_cell(sheet, value):
    """One XLSX cell: numbers, dates and booleans typed (dates shown the French way, amounts
    in cents with two decimals), a `FileLink` a link; everything else a text cell."""
    if isinstance(value, FileLink):
        cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value.path))
        cell.data_type = "s"
        cell.hyperlink = value.path
        cell.style = "Hyperlink"
        return cell
    if isinstance(value, dt.datetime):
        return _formatted(sheet, _local_naive(value), DATETIME_FORMAT)
    if isinstance(value, dt.date):
        return _formatted(sheet, value, DATE_FORMAT)
    if isinstance(value, Decimal) and value.as_tuple().exponent == -2:
        return _formatted(sheet, value, CENTS_FORMAT)
    if value is None or isinstance(value, bool | int | Decimal | float | dt.time):
        return value
    return _text_cell(sheet, force_str(value))


def set_column_widths(sheet, headers: Sequence[str]) -> None:
    """Columns wide enough for their header (write-only sheets: before the first row)."""
    for index, header in enumerate(headers, start=1):
        width = min(max(MIN_COLUMN_WIDTH, len(str(header)) + 2), MAX_COLUMN_WIDTH)
        sheet.column_dimensions[get_column_letter(index)].width = width


def write_xlsx(exporter: BaseExporter, output) -> None:
    """Writes the exporter's workbook (one sheet, bold frozen header row) to `output`, a
    binary file open for writing. openpyxl's write-only mode keeps no row in memory."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title(exporter.get_sheet_title()))
    sheet.freeze_panes = "A2"
    headers = exporter.headers()
    set_column_widths(sheet, headers)
    sheet.append([_text_cell(sheet, header, bold=True) for header in headers])
    for row in exporter.iterate_rows():
        sheet.append([xlsx_cell(sheet, value) for value in row])
    workbook.save(output)


# --- Responses -------------------------------------------------------------------------


def csv_response(exporter: BaseExporter) -> StreamingHttpResponse:
    response = StreamingHttpResponse(write_csv(exporter), content_type=CONTENT_TYPES[CSV])
    response["Content-Disposition"] = content_disposition_header(
        True, f"{exporter.get_filename()}.{CSV}"
    )
    return response


def xlsx_response(exporter: BaseExporter) -> FileResponse:
    output = tempfile.SpooledTemporaryFile(max_size=XLSX_SPOOL_BYTES)
    try:
        write_xlsx(exporter, output)
    except BaseException:
        output.close()
        raise
    output.seek(0)
    # FileResponse closes the file once sent.
    return FileResponse(
        output,
        as_attachment=True,
        filename=f"{exporter.get_filename()}.{XLSX}",
        content_type=CONTENT_TYPES[XLSX],
    )


def export_response(exporter: BaseExporter, export_format: str):
    if export_format == CSV:
        return csv_response(exporter)
    if export_format == XLSX:
        return xlsx_response(exporter)
    raise ValueError(f"Unknown export format {export_format!r}.")


class ExportMixin:
    """CSV / XLSX export of a django-tables2 list view: `?_export=csv` or `?_export=xlsx`
    answers with the file of the page's table (its filters, sort and columns, every page)
    written by `exporter_class`; any other value shows the page."""

    exporter_class: type[TableExporter]
    export_trigger_param = "_export"
    export_formats = FORMATS

    def get_export_format(self) -> str | None:
        export_format = self.request.GET.get(self.export_trigger_param)
        return export_format if export_format in self.export_formats else None

    def is_export(self) -> bool:
        return self.get_export_format() is not None

    def get_table_pagination(self, table):
        if self.is_export():
            return False
        return super().get_table_pagination(table)

    def get_exporter(self) -> TableExporter:
        return self.exporter_class(table=self.get_table(**self.get_table_kwargs()))

    def render_to_response(self, context, **kwargs):
        export_format = self.get_export_format()
        if export_format is None:
            return super().render_to_response(context, **kwargs)
        return export_response(self.get_exporter(), export_format)
