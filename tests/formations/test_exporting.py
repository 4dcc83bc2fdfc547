import csv
import datetime as dt
import io
import zoneinfo
from decimal import Decimal

import openpyxl
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.models import Prefetch
from django.test.utils import CaptureQueriesContext

from formations import exporting
from formations.exporting import (
    EXPORTERS,
    Column,
    ListExporter,
    csv_cell,
    neutralise,
    register,
    sheet_title,
    write_csv,
    write_xlsx,
)
from formations.exports import ParticipantExporter
from formations.models import Funder, Participant, Programme
from sessions.exports import SessionExporter
from tests.factories import FunderFactory, ParticipantFactory, ProgrammeFactory


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1+1", "'+1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("-cmd|' /C calc'!A0", "'-cmd|' /C calc'!A0"),
        ("-2", "-2"),
        ("-3.5", "-3.5"),
        ("+262639123456", "+262639123456"),
        ("+262 639 12 34 56", "+262 639 12 34 56"),
        ("+33 (0)6 12 34 56 78", "+33 (0)6 12 34 56 78"),
        ("Awa", "Awa"),
        ("Le 1+1", "Le 1+1"),
        (None, None),
        (3, 3),
    ],
)
def test_neutralise(value, expected):
    assert neutralise(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        (True, "oui"),
        (False, "non"),
        (Decimal("3.50"), "3,50"),
        (Decimal("-3.50"), "-3,50"),
        (2.5, "2,5"),
        (-2, "-2"),
        (dt.date(2020, 9, 1), "2020-09-01"),
        ("=1+1", "'=1+1"),
    ],
)
def test_csv_cell(value, expected):
    assert csv_cell(value) == expected


@pytest.mark.django_db
def test_csv_cell_writes_aware_datetimes_in_the_server_zone(settings):
    settings.TIME_ZONE = "Europe/Paris"
    value = dt.datetime(2021, 10, 4, 7, 30, tzinfo=dt.UTC)
    assert csv_cell(value) == "2021-10-04 09:30:00"


class Rows(ListExporter):
    identifier = "essai"
    verbose_name = "Essai : lignes [1/2]"
    columns = (
        Column("Nom", lambda row: row[0]),
        Column("Montant", lambda row: row[1]),
        Column("Date", lambda row: row[2]),
    )


def _read_csv(data: bytes) -> list[list[str]]:
    text = data.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def test_write_csv_has_bom_semicolons_and_decimal_commas():
    exporter = Rows(queryset=[("Madi; Zaïnaba", Decimal("25000.50"), dt.date(2020, 9, 1))])
    data = b"".join(write_csv(exporter))
    assert data.startswith(b"\xef\xbb\xbfNom;Montant;Date\r\n")
    assert _read_csv(data) == [
        ["Nom", "Montant", "Date"],
        ["Madi; Zaïnaba", "25000,50", "2020-09-01"],
    ]


def test_write_csv_sends_rows_as_they_are_read():
    read = []

    def rows():
        for index in range(1200):
            read.append(index)
            yield (f"P{index}", index, None)

    chunks = write_csv(Rows(queryset=rows()))
    header = next(chunks)
    assert header.startswith("\ufeffNom".encode())
    assert read == []
    first = next(chunks)
    assert len(read) == exporting.CSV_LINES_PER_CHUNK
    assert first.count(b"\r\n") == exporting.CSV_LINES_PER_CHUNK
    assert len(list(chunks)) == 2  # 500 + 200 more
    assert len(read) == 1200


def _read_xlsx(exporter):
    output = io.BytesIO()
    write_xlsx(exporter, output)
    output.seek(0)
    return openpyxl.load_workbook(output).active


def test_write_xlsx_types_cells_and_keeps_formulas_as_text():
    exporter = Rows(
        queryset=[
            ('=HYPERLINK("http://evil")', Decimal("25000.50"), dt.date(2020, 9, 1)),
            ("+262639123456", -2, None),
            ("Awa\x00\x07 Madi", 1, dt.datetime(2021, 10, 4, 9, 30)),
        ]
    )
    sheet = _read_xlsx(exporter)
    assert sheet.title == "Essai   lignes  1 2"
    assert sheet.freeze_panes == "A2"
    header = sheet[1]
    assert [cell.value for cell in header] == ["Nom", "Montant", "Date"]
    assert all(cell.font.b for cell in header)
    formula, amount, day = sheet[2]
    assert (formula.value, formula.data_type, formula.quotePrefix) == (
        '=HYPERLINK("http://evil")',
        "s",
        True,
    )
    assert (amount.value, amount.data_type) == (pytest.approx(25000.5), "n")
    assert day.value == dt.datetime(2020, 9, 1) and day.is_date
    phone, negative, empty = sheet[3]
    assert (phone.value, phone.data_type) == ("+262639123456", "s")
    assert negative.value == -2 and empty.value is None
    # Control characters XML forbids are dropped rather than failing the whole file.
    assert sheet.cell(row=4, column=1).value == "Awa Madi"
    assert sheet.cell(row=4, column=3).value == dt.datetime(2021, 10, 4, 9, 30)
    # Read the French way in a spreadsheet: « 01/09/2020 », « 25 000,50 »; not 2020-09-01
    # and 25000.5.
    assert day.number_format == "DD/MM/YYYY"
    assert sheet.cell(row=4, column=3).number_format == "DD/MM/YYYY HH:MM"
    assert amount.number_format == "#,##0.00"
    assert negative.number_format == "General"  # a count is no amount


def test_write_xlsx_columns_are_wide_enough_for_their_header():
    output = io.BytesIO()
    write_xlsx(Rows(queryset=[("Madi", 1, None)]), output)
    output.seek(0)
    sheet = openpyxl.load_workbook(output).active
    assert sheet.column_dimensions["A"].width >= 12
    assert sheet.column_dimensions["B"].width >= len("Montant")


@pytest.mark.django_db
def test_write_xlsx_writes_aware_datetimes_in_the_server_zone(settings):
    settings.TIME_ZONE = "Indian/Mayotte"
    moment = dt.datetime(2021, 10, 4, 6, 0, tzinfo=zoneinfo.ZoneInfo("UTC"))
    sheet = _read_xlsx(Rows(queryset=[("Madi", 1, moment)]))
    assert sheet.cell(row=2, column=3).value == dt.datetime(2021, 10, 4, 9, 0)


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Participant·es", "Participant·es"),
        ("a/b\\c?d*e[f]g:h", "a b c d e f g h"),
        ("x" * 40, "x" * 31),
        ("[]", "Export"),
    ],
)
def test_sheet_title(title, expected):
    assert sheet_title(title) == expected


@pytest.mark.django_db
def test_list_exporter_reads_in_chunks_with_their_prefetches():
    feder = FunderFactory()
    for _ in range(25):
        ProgrammeFactory().funders.add(feder)

    class ProgrammeRows(ListExporter):
        identifier = "essai-programmes"
        chunk_size = 10
        columns = (
            Column("Référence", lambda p: p.reference),
            Column("Financeurs", lambda p: ", ".join(f.name for f in p.funders.all())),
        )

    queryset = Programme.objects.order_by("pk").prefetch_related(
        Prefetch("funders", queryset=Funder.objects.order_by("name"))
    )
    with CaptureQueriesContext(connection) as queries:
        rows = list(ProgrammeRows(queryset=queryset).iterate_rows())
    assert len(rows) == 25
    assert rows[0][1] == "FEDER"
    # One query for the rows, one prefetch per chunk of 10: 25 rows are 3 chunks.
    assert len(queries) == 1 + 3


@pytest.mark.django_db
def test_table_exporter_leaves_out_action_and_excluded_columns():
    ParticipantFactory(last_name="Madi", email="madi@example.org")
    exporter = ParticipantExporter.for_queryset(
        Participant.objects.order_by("sort_key"), exclude=("email", "phone")
    )
    assert exporter.headers() == [
        "Nom",
        "Prénom",
        "Fonction",
        "Structure",
        "Type de structure",
        "Commune",
        "Date de prise de poste",
        "Accord e-mail",
        "Accord SMS",
    ]
    (row,) = exporter.iterate_rows()
    assert row[0] == "Madi"
    assert "madi@example.org" not in row
    assert [column.header for column in exporter.get_columns()] == exporter.headers()


def test_registry_holds_every_list_export():
    assert {
        "programmes",
        "formations",
        "structures",
        "participants",
        "financeurs",
        "comptes",
        "sessions",
    } <= set(EXPORTERS)
    assert EXPORTERS["participants"] is ParticipantExporter
    assert EXPORTERS["sessions"] is SessionExporter


def test_register_refuses_a_second_exporter_with_the_same_identifier():
    class Other(ListExporter):
        identifier = "participants"

    with pytest.raises(ImproperlyConfigured):
        register(Other)
    assert EXPORTERS["participants"] is ParticipantExporter


def test_register_refuses_an_exporter_without_identifier():
    class Nameless(ListExporter):
        pass

    with pytest.raises(ImproperlyConfigured):
        register(Nameless)
