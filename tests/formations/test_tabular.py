import datetime as dt
import io
import os
import zipfile

import pytest

from formations.tabular import (
    Column,
    TableError,
    cell_text,
    map_header,
    name_key,
    parse_date,
    read_table,
)
from tests.factories.importing import csv_bytes, person, xlsx_bytes

HEADER = ["Nom", "Prénom", "E-mail", "Structure", "Date"]
ROWS = [
    ["Lefèvre", "Hélène", "helene@example.org", "Société Saint-Vincent", "15/03/2019"],
    ["Nguyễn", "Thị Ánh", "anh@example.org", "Centre social Œuvre", "2020-01-06"],
]
COLUMNS = (
    Column("nom", required=True),
    Column("prenom", required=True, aliases=("first name",)),
    Column("email", aliases=("courriel", "adresse e-mail")),
    Column("structure", required=True),
    Column("date"),
)


def texts(table):
    header = table.map(COLUMNS)
    return [(row.line, row.texts()) for row in header.rows(table)]


# --- One reader for every encoding and format ------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "encoding", "delimiter"),
    [
        ("liste.csv", csv_bytes(ROWS, header=HEADER), "utf-8", ","),
        ("liste.csv", csv_bytes(ROWS[:1], header=HEADER, bom=True), "utf-8", ","),
        (
            "liste.csv",
            csv_bytes(ROWS[:1], header=HEADER, delimiter=";", encoding="cp1252"),
            "cp1252",
            ";",
        ),
        ("liste.txt", csv_bytes(ROWS, header=HEADER, delimiter=";", bom=True), "utf-8", ";"),
    ],
)
def test_read_table_csv_variants_read_the_same(name, content, encoding, delimiter):
    table = read_table(file_name=name, content=content)

    assert (table.format, table.encoding, table.delimiter) == ("csv", encoding, delimiter)
    assert table.header == HEADER
    expected = [
        (number, dict(zip(["nom", "prenom", "email", "structure", "date"], row, strict=True)))
        for number, row in enumerate(ROWS, start=2)
    ]
    assert texts(table) == expected[: len(table.rows)]


def test_read_table_xlsx_first_sheet_reads_like_the_csv():
    from openpyxl import Workbook

    workbook = Workbook()
    first = workbook.active
    first.append(HEADER)
    first.append([*ROWS[0][:4], dt.datetime(2019, 3, 15)])
    first.append([])
    first.append([*ROWS[1][:4], "2020-01-06"])
    workbook.create_sheet("Autre").append(["ignorée"])
    buffer = io.BytesIO()
    workbook.save(buffer)

    table = read_table(file_name="Liste.XLSX", content=buffer.getvalue())
    from_csv = read_table(file_name="liste.csv", content=csv_bytes(ROWS, header=HEADER))

    assert table.format == "xlsx"
    assert [line for line, _values in texts(table)] == [2, 4]  # the blank row still counts
    assert [values for _line, values in texts(table)] == [
        {**values, "date": "2019-03-15" if line == 2 else "2020-01-06"}
        for line, values in texts(from_csv)
    ]
    assert parse_date(table.rows[0][1][4]) == dt.date(2019, 3, 15)


def test_read_table_excel_sep_hint_line():
    content = b"sep=;\r\nnom;prenom;structure\r\nA,1;B;S\r\n"

    table = read_table(file_name="a.csv", content=content)

    assert table.delimiter == ";"
    assert table.header == ["nom", "prenom", "structure"]
    assert table.rows == [(2, ["A,1", "B", "S"])]


def test_read_table_line_numbers_are_spreadsheet_rows():
    # A quoted cell over two physical lines is still one spreadsheet row.
    content = b'nom,prenom,structure\r\nA,B,S\r\n\r\n"C\r\nsuite",D,S\r\nE,F,S\r\n'

    table = read_table(file_name="a.csv", content=content)

    assert [number for number, _cells in table.rows] == [2, 4, 5]


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("liste.pdf", b"%PDF-1.4 ...", "Format de fichier non pris en charge"),
        ("liste.xls", b"\xd0\xcf\x11\xe0" + b"\x00" * 100, "« .xls »"),
        ("liste", b"\xd0\xcf\x11\xe0" + b"\x00" * 100, "ancien classeur Excel"),
        ("liste.csv", os.urandom(64) + b"\x00\x01\x02", "binaires"),
        ("liste.csv", b"nom,prenom,structure\r\n\x81\x8d,x,y\r\n", "pas un texte lisible"),
        ("liste.xlsx", b"PK\x03\x04" + b"garbage" * 50, "XLSX est illisible"),
        ("liste.xlsx", b"nom,prenom\r\n", "pas un classeur XLSX valide"),
        ("liste.csv", b"", "vide"),
        ("liste.csv", b"\r\n\r\n", "vide"),
        ("liste.csv", b"nom,prenom\r\n" + b"x" * 200_000 + b",y\r\n", "mal formé (ligne 2)"),
    ],
)
def test_read_table_rejects_bad_files_with_french_message(name, content, fragment):
    with pytest.raises(TableError) as error:
        read_table(file_name=name, content=content)

    assert fragment in error.value.message


def test_read_table_zip_that_is_not_a_workbook_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")

    with pytest.raises(TableError) as error:
        read_table(file_name="liste.xlsx", content=buffer.getvalue())

    assert "XLSX est illisible" in error.value.message


@pytest.mark.parametrize("maker", [csv_bytes, xlsx_bytes])
def test_read_table_row_limit_names_the_limit(settings, maker):
    settings.SUIVI_IMPORT_MAX_ROWS = 3
    content = maker([person(nom=f"Nom{i}") for i in range(4)])

    with pytest.raises(TableError) as error:
        read_table(file_name="a", content=content)

    assert "plus de 3 lignes" in error.value.message
    assert len(read_table(file_name="a", content=content, limit=4).rows) == 4


def test_read_table_size_limit_names_the_limit(settings):
    settings.SUIVI_MAX_UPLOAD_BYTES = 1024
    content = csv_bytes([person(nom=f"Nom{i}", fonction="x" * 100) for i in range(20)])

    with pytest.raises(TableError) as error:
        read_table(file_name="a.csv", content=content)

    assert "taille maximale autorisée (1 Ko)" in error.value.message


# --- Header ------------------------------------------------------------------------------


def test_map_header_ignores_case_accents_spaces_dashes_and_knows_synonyms():
    header = map_header(
        [" PRÉ-NOM ", "nom", "Adresse E-mail", "", "Commentaire", "structure"], COLUMNS
    )

    assert header.columns == {"prenom": 0, "nom": 1, "email": 2, "structure": 5}
    assert header.errors == []
    assert header.warnings == ["Colonne « Commentaire » inconnue : elle est ignorée."]


def test_map_header_reports_missing_and_repeated_columns():
    header = map_header(["Nom", "nom", "Courriel"], COLUMNS)

    assert header.missing == ["prenom", "structure"]
    assert header.repeated == ["nom"]
    assert header.errors == [
        "La colonne « nom » apparaît deux fois dans l'en-tête.",
        "Colonne obligatoire « prenom » absente de la ligne d'en-tête "
        "(colonnes obligatoires : nom, prenom, structure).",
        "Colonne obligatoire « structure » absente de la ligne d'en-tête "
        "(colonnes obligatoires : nom, prenom, structure).",
    ]


def test_rows_read_cells_by_key_and_tolerate_short_rows():
    table = read_table(file_name="a.csv", content=b"structure,nom,prenom\r\nS,A\r\n")

    row = next(table.map(COLUMNS).rows(table))

    assert (row.line, row.text("nom"), row.text("prenom"), row.raw("email")) == (2, "A", "", None)


# --- Cells -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (612345678.0, "612345678"),
        (dt.datetime(2021, 10, 4), "2021-10-04"),
        (dt.time(9, 0), "09:00"),
        ("  Saint\u00a0 Vincent ", "Saint Vincent"),
        ("e\u0301", "é"),
    ],
)
def test_cell_text(value, text):
    assert cell_text(value) == text


def test_name_key_folds_what_people_type_differently():
    assert name_key("C.C.A.S.") == name_key("ccas") == "ccas"
    assert name_key("Pôle-Emploi") == name_key("pole emploi")
    assert name_key("Maison de l’emploi") == name_key("maison de l'emploi")


# --- Read once per upload -------------------------------------------------------------------


@pytest.fixture
def csv_parses(monkeypatch):
    from formations import tabular

    calls = []
    original = tabular.read_csv

    def spy(content, *, limit):
        calls.append(content)
        return original(content, limit=limit)

    monkeypatch.setattr(tabular, "read_csv", spy)
    return calls


@pytest.mark.django_db  # the cache is the database's
def test_read_table_cached_parses_once_per_key_and_bytes(csv_parses):
    from formations.tabular import forget_table, read_table_cached

    content = csv_bytes(ROWS)
    other = csv_bytes(ROWS[:1])

    first = read_table_cached(key="cle-1", file_name="a.csv", content=content)
    again = read_table_cached(key="cle-1", file_name="a.csv", content=content)
    changed = read_table_cached(key="cle-1", file_name="a.csv", content=other)
    forget_table("cle-1")
    forgotten = read_table_cached(key="cle-1", file_name="a.csv", content=other)

    assert csv_parses == [content, other, other]
    assert first.rows == again.rows and len(again.rows) == 2
    assert len(changed.rows) == len(forgotten.rows) == 1
    forget_table("cle-1")


@pytest.mark.django_db  # the cache is the database's
def test_read_table_cached_keeps_a_refusal(csv_parses):
    from formations.tabular import forget_table, read_table_cached

    for _attempt in range(2):
        with pytest.raises(TableError) as error:
            read_table_cached(key="cle-2", file_name="a.csv", content=b"nom\r\n\x00")
        assert "caractères binaires" in error.value.message
    assert len(csv_parses) == 1
    forget_table("cle-2")
