"""The XLSX reader: the values openpyxl would give, and hostile workbooks refused quickly
with a clear message and flat memory."""

import datetime as dt
import io
import struct
import tracemalloc
import zipfile

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from formations.tabular import TableError, read_table
from formations.xlsx import MAX_CELL_CHARS, MAX_COLUMNS, iter_rows
from tests.factories.xlsx_parts import (
    MAIN,
    XML,
    blank_rows,
    build,
    one_huge_shared_string,
    sheet_xml,
    strings_xml,
    workbook_xml,
)

# --- The values a spreadsheet holds ------------------------------------------------------------


def _trim(values):
    values = list(values)
    while values and values[-1] is None:
        values.pop()
    return values


def _openpyxl_rows(content):
    workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    try:
        rows = [_trim(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
    finally:
        workbook.close()
    return [row for row in rows if row]


def _our_rows(content):
    return [values for _line, values in iter_rows(content) if values]


def _saved(workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_values_are_those_openpyxl_gives():
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["nom", "prénom", "naissance", "arrivée", "heures", "actif", "taux", "note"])
    sheet.append(["NGUYỄN", "Thị", dt.date(1990, 5, 17), dt.time(9, 20), 3.5, True, 0.25, None])
    sheet.append(["Lefèvre", "Zoé", dt.datetime(2024, 1, 2, 13, 30), dt.time(13, 45), 7, False])
    sheet.append([None, None, None, None, None, None, None, "seule à droite"])
    sheet["H5"] = "=1+1"  # no cached value in a file openpyxl wrote: None, as openpyxl says
    sheet["C3"].number_format = "dd/mm/yyyy hh:mm"
    sheet["G2"].number_format = "0%"
    workbook.create_sheet("Autre").append(["ignorée"])

    content = _saved(workbook)

    assert _our_rows(content) == _openpyxl_rows(content)
    assert _our_rows(content)[1][2:4] == [dt.datetime(1990, 5, 17), dt.time(9, 20)]


def test_dates_of_a_1904_workbook():
    workbook = Workbook()
    workbook.epoch = CALENDAR_MAC_1904
    workbook.active.append(["date", dt.date(2021, 10, 4)])
    content = _saved(workbook)

    assert _our_rows(content) == _openpyxl_rows(content) == [["date", dt.datetime(2021, 10, 4)]]


@pytest.mark.filterwarnings("ignore:Workbook contains no default style")
def test_what_other_writers_put_in_cells():
    """Inline and rich text, phonetic runs skipped, escaped characters, cached results of
    formulas, booleans, errors, dates by style, prefixed element names, implicit columns."""
    strings = strings_xml(
        [
            "<si><t>Saint-Denis</t></si>",
            '<si><r><rPr><b/></rPr><t xml:space="preserve">La </t></r><r><t>Réunion</t></r>'
            "<rPh><t>ルビ</t></rPh></si>",
            "<si><t>ligne_x000D_ à la ligne, _x005F_x000D_ gardé</t></si>",
        ]
    )
    rows = (
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c>'
        '<c r="C1" t="s"><v>2</v></c></row>'
        '<row r="2"><c r="A2" t="inlineStr"><is><t>en ligne</t></is></c>'
        '<c r="B2" t="str"><f>A2&amp;"!"</f><v>en ligne!</v></c>'
        '<c r="C2" t="b"><v>1</v></c><c r="D2" t="e"><v>#N/A</v></c>'
        '<c r="E2" s="1"><v>44473</v></c><c r="F2" s="2"><v>0.375</v></c>'
        '<c r="G2"><v>12</v></c><c r="H2"><v>1.5E1</v></c></row>'
        '<row r="4"><c><v>1</v></c><c><v>2</v></c><c r="E4"><v>5</v></c></row>'
    )
    prefixed = (
        XML + f'<x:worksheet xmlns:x="{MAIN}"><x:sheetData><x:row r="1">'
        '<x:c r="B1" t="inlineStr"><x:is><x:t>préfixé</x:t></x:is></x:c>'
        "</x:row></x:sheetData></x:worksheet>"
    )

    assert list(iter_rows(build(sheet_xml(rows), strings=strings))) == [
        (1, ["Saint-Denis", "La Réunion", "ligne\r à la ligne, _x000D_ gardé"]),
        (
            2,
            [
                "en ligne",
                "en ligne!",
                True,
                "#N/A",
                dt.datetime(2021, 10, 4),
                dt.time(9, 0),
                12,
                15.0,
            ],
        ),
        (4, [1, 2, None, None, 5]),
    ]
    assert list(iter_rows(build(prefixed))) == [(1, [None, "préfixé"])]


def test_a_workbook_without_sheet_says_so():
    content = build(
        sheet_xml(""),
        workbook=XML + f'<workbook xmlns="{MAIN}"><sheets/></workbook>',
    )
    with pytest.raises(TableError) as error:
        read_table(file_name="vide.xlsx", content=content)
    assert error.value.message == "Le classeur XLSX ne contient aucune feuille."


def test_empty_styled_cells_far_right_are_ignored():
    rows = '<row r="1"><c r="A1" t="inlineStr"><is><t>nom</t></is></c><c r="XFD1" s="1"/></row>'
    table = read_table(file_name="a.xlsx", content=build(sheet_xml(rows)))
    assert table.header == ["nom"]


# --- Hostile workbooks ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def huge_string_file():
    """The field trial's file: 310 KB of XLSX holding one shared string of 300 MiB."""
    return one_huge_shared_string(300)


@pytest.fixture(scope="module")
def five_million_blank_rows():
    return blank_rows(5_000_000)


@pytest.fixture
def decompressed(monkeypatch):
    """Counts the bytes decompressed from the zip's parts while a test reads a file."""
    counted = {"bytes": 0}
    read = zipfile.ZipExtFile.read

    def counting_read(self, n=-1):
        data = read(self, n)
        counted["bytes"] += len(data)
        return data

    monkeypatch.setattr(zipfile.ZipExtFile, "read", counting_read)
    return counted


def _refusal(content):
    """Reads `content` and returns (message, peak bytes allocated meanwhile). Times are
    measured by `bench/imports.py`, not asserted here."""
    tracemalloc.start()
    try:
        with pytest.raises(TableError) as error:
            read_table(file_name="liste.xlsx", content=content)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return error.value.message, peak


def test_one_huge_shared_string_is_refused_before_it_is_decompressed(
    huge_string_file, decompressed
):
    assert len(huge_string_file) < 400_000

    message, peak = _refusal(huge_string_file)

    assert message == (
        "Le fichier XLSX est anormal : une fois décompressée, sa partie "
        "« xl/sharedStrings.xml » pèserait 300 Mo (10 Mo au plus). Enregistrez le tableau "
        "à nouveau depuis votre tableur, ou envoyez-le au format CSV."
    )
    assert decompressed["bytes"] == 0
    assert peak < 2 * 1024 * 1024


def test_five_million_blank_rows_are_refused_before_they_are_decompressed(
    five_million_blank_rows, decompressed
):
    assert len(five_million_blank_rows) < 800_000

    message, peak = _refusal(five_million_blank_rows)

    assert message == (
        "Le fichier XLSX est anormal : une fois décompressée, sa partie "
        "« xl/worksheets/sheet1.xml » pèserait 28,6 Mo (20 Mo au plus). Enregistrez le "
        "tableau à nouveau depuis votre tableur, ou envoyez-le au format CSV."
    )
    assert decompressed["bytes"] == 0
    assert peak < 2 * 1024 * 1024


def test_blank_rows_count_towards_the_row_limit(decompressed):
    """Under the size limit, three million blank rows (17 Mo of XML) still stop the reading
    at line 5,000 + 1,000: blank rows count, and the rest of the sheet is never
    decompressed."""
    content = blank_rows(3_000_000)

    message, peak = _refusal(content)

    assert message == (
        "Le fichier a plus de 6000 lignes, lignes vides comprises : supprimez les lignes "
        "vides en fin de tableau, ou découpez-le en plusieurs fichiers."
    )
    assert decompressed["bytes"] < 200_000
    assert peak < 4 * 1024 * 1024


@pytest.mark.parametrize(
    "rows",
    [
        # A row far down: the rows between are blank rows too.
        '<row r="1"><c r="A1" t="inlineStr"><is><t>nom</t></is></c></row>'
        '<row r="1048576"><c r="A1048576"><v>1</v></c></row>',
        # The same row number over and over cannot keep the count low.
        '<row r="1"><c r="A1" t="inlineStr"><is><t>nom</t></is></c></row>' + '<row r="2"/>' * 7000,
    ],
    ids=["far-row", "repeated-number"],
)
def test_rows_past_the_limit_are_refused_however_numbered(rows):
    message, _peak = _refusal(build(sheet_xml(rows)))
    assert "plus de 6000 lignes, lignes vides comprises" in message


def test_a_value_beyond_the_last_column_read_is_refused():
    rows = f'<row r="3"><c r="A3"><v>1</v></c><c r="{"GS"}3"><v>2</v></c></row>'  # GS = 201
    with pytest.raises(TableError) as error:
        read_table(file_name="a.xlsx", content=build(sheet_xml(rows)))
    assert error.value.message == (
        f"Ligne 3 : une valeur se trouve au-delà de la colonne {MAX_COLUMNS}. "
        "Supprimez les colonnes inutilisées à droite du tableau."
    )


@pytest.mark.parametrize("where", ["inline", "shared"])
def test_a_cell_longer_than_excel_allows_is_refused(where):
    text = "A" * (MAX_CELL_CHARS + 1)
    if where == "inline":
        content = build(
            sheet_xml(f'<row r="2"><c r="A2" t="inlineStr"><is><t>{text}</t></is></c></row>')
        )
        expected = "ligne 2, une cellule dépasse 32\u202f767 caractères"
    else:
        content = build(
            sheet_xml('<row r="1"><c r="A1" t="s"><v>0</v></c></row>'),
            strings=strings_xml([f"<si><t>{text}</t></si>"]),
        )
        expected = "dans les textes partagés, une cellule dépasse 32\u202f767 caractères"
    with pytest.raises(TableError) as error:
        read_table(file_name="a.xlsx", content=content)
    assert expected in error.value.message


def test_a_row_of_endless_empty_cells_is_refused():
    rows = '<row r="1">' + '<c r="A1"/>' * 25_000 + "</row>"
    with pytest.raises(TableError) as error:
        read_table(file_name="a.xlsx", content=build(sheet_xml(rows)))
    assert "la ligne 1 est anormalement longue" in error.value.message


def test_entities_are_refused():
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY a "AAAAAAAAAA">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        f'<sst xmlns="{MAIN}"><si><t>&b;</t></si></sst>'
    )
    content = build(sheet_xml('<row r="1"><c r="A1" t="s"><v>0</v></c></row>'), strings=bomb)
    with pytest.raises(TableError) as error:
        read_table(file_name="a.xlsx", content=content)
    assert "XLSX est illisible" in error.value.message


def test_a_part_larger_than_its_directory_says_is_refused():
    rows = '<row r="1"><c r="A1" t="inlineStr"><is><t>nom</t></is></c></row>' * 50
    content = bytearray(build(sheet_xml(rows)))
    name = b"xl/worksheets/sheet1.xml"
    # The uncompressed size, in the part's local header (offset 22) and its central
    # directory entry (offset 24), now says 50 bytes.
    for signature, size_at, name_at in ((b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)):
        start = content.find(signature)
        while content[start + name_at : start + name_at + len(name)] != name:
            start = content.find(signature, start + 4)
        struct.pack_into("<I", content, start + size_at, 50)
    assert zipfile.ZipFile(io.BytesIO(bytes(content))).getinfo(name.decode()).file_size == 50

    with pytest.raises(TableError) as error:
        read_table(file_name="a.xlsx", content=bytes(content))

    assert "XLSX est illisible" in error.value.message


def test_too_many_parts_and_passwords_are_refused():
    many = build(sheet_xml(""), extra={f"xl/media/image{i}.png": b"" for i in range(5001)})
    with pytest.raises(TableError) as error:
        read_table(file_name="a.xlsx", content=many)
    assert "il contient plus de 5000 parties" in error.value.message

    content = bytearray(build(sheet_xml("")))
    start = content.find(b"PK\x01\x02")
    struct.pack_into("<H", content, start + 8, 0x1)  # the "encrypted" flag
    with pytest.raises(TableError) as error:
        read_table(file_name="a.xlsx", content=bytes(content))
    assert error.value.message.startswith("Le classeur est protégé par un mot de passe")


# --- The same limits for CSV ---------------------------------------------------------------------


def test_csv_blank_lines_count_towards_the_row_limit(settings):
    settings.SUIVI_IMPORT_MAX_ROWS = 10
    content = b"nom;prenom\r\n" + b";\r\n" * 1010 + b"Martin;Zo\xc3\xa9\r\n"
    with pytest.raises(TableError) as error:
        read_table(file_name="a.csv", content=content)
    assert "plus de 1010 lignes, lignes vides comprises" in error.value.message


def test_csv_trailing_separators_are_dropped_and_wide_rows_refused():
    table = read_table(file_name="a.csv", content=b"nom;prenom" + b";" * 500 + b"\r\nMartin;Zo\r\n")
    assert table.header == ["nom", "prenom"]
    assert table.rows == [(2, ["Martin", "Zo"])]

    wide = b"nom;prenom\r\n" + b"x;" * MAX_COLUMNS + b"y\r\n"
    with pytest.raises(TableError) as error:
        read_table(file_name="a.csv", content=wide)
    assert error.value.message.startswith("Ligne 2 : une valeur se trouve au-delà de la colonne")


@pytest.mark.filterwarnings("ignore:Workbook contains no default style")
def test_a_sheet_written_by_the_workbook_helper_is_read():
    """The 1904 helper of the factory and the part builder agree with openpyxl."""
    content = build(
        sheet_xml('<row r="1"><c r="A1" s="1"><v>43011</v></c></row>'),
        workbook=workbook_xml(date1904=True),
    )
    assert _our_rows(content) == _openpyxl_rows(content) == [[dt.datetime(2021, 10, 4)]]


# --- Damaged or hostile cells ------------------------------------------------------------------


def test_a_style_that_is_not_a_number_is_a_damaged_file_not_a_server_error():
    content = build(sheet_xml('<row r="1"><c r="A1" s="x"><v>1</v></c></row>'))

    with pytest.raises(TableError, match="illisible ou endommagé"):
        read_table(file_name="a.xlsx", content=content)


@pytest.mark.parametrize(
    "escaped", ["Mar_x0000_tin", "Mar_xD800_tin", "Mar_x0001_tin", "Mar_xDFFF_tin"]
)
def test_escapes_of_characters_no_page_or_database_can_hold_are_dropped(escaped):
    content = build(
        sheet_xml(
            '<row r="1"><c r="A1" t="inlineStr"><is><t>nom</t></is></c></row>'
            f'<row r="2"><c r="A2" t="inlineStr"><is><t>{escaped}</t></is></c></row>'
        )
    )

    table = read_table(file_name="a.xlsx", content=content)

    assert [cells for _line, cells in table.rows] == [["Martin"]]


def test_escaped_tab_and_line_break_are_kept():
    content = build(
        sheet_xml(
            '<row r="1"><c r="A1" t="inlineStr"><is><t>nom</t></is></c></row>'
            '<row r="2"><c r="A2" t="inlineStr"><is><t>A_x0009_B_x000A_C</t></is></c></row>'
        )
    )

    [(_line, cells)] = read_table(file_name="a.xlsx", content=content).rows
    assert cells == ["A\tB\nC"]
