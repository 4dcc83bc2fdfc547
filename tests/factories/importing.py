"""Build participant files (CSV in any encoding / delimiter, XLSX) in memory for import tests."""

import csv
import io

HEADER = [
    "nom",
    "prenom",
    "email",
    "telephone",
    "fonction",
    "structure",
    "type_structure",
    "commune",
    "date_prise_de_poste",
]


def csv_bytes(rows, *, header=HEADER, delimiter=",", encoding="utf-8", bom=False) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    if header is not None:
        writer.writerow(header)
    writer.writerows(rows)
    data = buffer.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def xlsx_bytes(rows, *, header=HEADER) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Participants"
    if header is not None:
        sheet.append(header)
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def person(
    nom="Martin",
    prenom="Hélène",
    email="",
    telephone="",
    fonction="",
    structure="Société Saint-Vincent",
    type_structure="association",
    commune="Lille",
    date="",
):
    return [nom, prenom, email, telephone, fonction, structure, type_structure, commune, date]
