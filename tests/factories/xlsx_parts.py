"""XLSX workbooks written part by part, for the reader's tests: what a spreadsheet writes,
and what a hostile file holds (parts streamed into the zip, so that a 300 MiB part costs
no memory to build)."""

import io
import zipfile
from collections.abc import Iterable

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

CONTENT_TYPES = (
    XML + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    '<Override PartName="/xl/styles.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>'
)
ROOT_RELS = (
    XML + f'<Relationships xmlns="{RELS}"><Relationship Id="rId1" '
    f'Type="{DOC_RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK_RELS = (
    XML + f'<Relationships xmlns="{RELS}">'
    f'<Relationship Id="rId1" Type="{DOC_RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{DOC_RELS}/sharedStrings" Target="sharedStrings.xml"/>'
    f'<Relationship Id="rId3" Type="{DOC_RELS}/styles" Target="styles.xml"/>'
    "</Relationships>"
)
# Cell format 1 shows a date (built-in format 14), 2 a time (built-in 20).
STYLES = (
    XML + f'<styleSheet xmlns="{MAIN}"><cellXfs count="3"><xf numFmtId="0"/>'
    '<xf numFmtId="14" applyNumberFormat="1"/><xf numFmtId="20" applyNumberFormat="1"/>'
    "</cellXfs></styleSheet>"
)


def workbook_xml(*, date1904=False) -> str:
    pr = '<workbookPr date1904="1"/>' if date1904 else ""
    return (
        XML + f'<workbook xmlns="{MAIN}" xmlns:r="{DOC_RELS}">{pr}'
        '<sheets><sheet name="Feuil1" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )


def sheet_xml(rows: str) -> str:
    return XML + f'<worksheet xmlns="{MAIN}"><sheetData>{rows}</sheetData></worksheet>'


def strings_xml(items: Iterable[str]) -> str:
    items = list(items)
    return (
        XML
        + f'<sst xmlns="{MAIN}" count="{len(items)}" uniqueCount="{len(items)}">'
        + "".join(items)
        + "</sst>"
    )


def _chunks(value) -> Iterable[bytes]:
    if isinstance(value, str):
        yield value.encode()
    elif isinstance(value, bytes):
        yield value
    else:
        for chunk in value:
            yield chunk.encode() if isinstance(chunk, str) else chunk


def build(
    sheet,
    *,
    strings=None,
    styles=STYLES,
    workbook=None,
    extra: dict | None = None,
) -> bytes:
    """An XLSX whose parts are given as text, bytes or iterables of chunks."""
    parts = {
        "[Content_Types].xml": CONTENT_TYPES,
        "_rels/.rels": ROOT_RELS,
        "xl/workbook.xml": workbook or workbook_xml(),
        "xl/_rels/workbook.xml.rels": WORKBOOK_RELS,
        "xl/styles.xml": styles,
        "xl/sharedStrings.xml": strings if strings is not None else strings_xml([]),
        "xl/worksheets/sheet1.xml": sheet,
        **(extra or {}),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, value in parts.items():
            if isinstance(value, str | bytes):
                archive.writestr(name, value)
                continue
            # Streamed: the size is known only at the end, hence zip64 headers.
            with archive.open(name, "w", force_zip64=True) as part:
                for chunk in _chunks(value):
                    part.write(chunk)
    return buffer.getvalue()


def one_huge_shared_string(mib: int) -> bytes:
    """A small sheet whose only cell refers to a shared string of `mib` MiB of « A »."""

    def strings():
        yield XML + f'<sst xmlns="{MAIN}" count="1" uniqueCount="1"><si><t>'
        block = b"A" * (1024 * 1024)
        for _ in range(mib):
            yield block
        yield "</t></si></sst>"

    return build(sheet_xml('<row r="1"><c r="A1" t="s"><v>0</v></c></row>'), strings=strings())


def blank_rows(count: int, *, header: bool = True) -> bytes:
    """A header row then `count` blank rows (`<row/>`, no cell)."""

    def sheet():
        yield XML + f'<worksheet xmlns="{MAIN}"><sheetData>'
        if header:
            yield '<row r="1"><c r="A1" t="inlineStr"><is><t>nom</t></is></c></row>'
        chunk = "<row/>" * 10000
        for _ in range(count // 10000):
            yield chunk
        yield "<row/>" * (count % 10000)
        yield "</sheetData></worksheet>"

    return build(sheet())
