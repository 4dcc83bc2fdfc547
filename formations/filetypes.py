"""Uploaded files checked by their content, shared by the expenses' receipts, the
expected deliverables' versions and funders' messages (livrables) and the documents of
intersession tasks (projects): how much is read, and what a file
is from its bytes (never from its name or the browser's content type: an HTML page
renamed `.pdf` is not a PDF). Pure functions, no ORM."""

import email.parser
import io
import zipfile

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
ODT = "application/vnd.oasis.opendocument.text"
ODP = "application/vnd.oasis.opendocument.presentation"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
EML = "message/rfc822"
MSG = "application/vnd.ms-outlook"

# The first bytes of the formats recognised by their signature alone.
SIGNATURES = {
    b"%PDF-": PDF,
    b"\xff\xd8\xff": JPEG,
    b"\x89PNG\r\n\x1a\n": PNG,
}
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# An Outlook message is an OLE compound file whose streams are named `__substg1.0_…`
# (UTF-16 in the directory): a Word .doc or an Excel .xls is OLE too, and is not one.
OUTLOOK_STREAM = "__substg1.0_".encode("utf-16-le")
# An OpenDocument's `mimetype` entry is one short line: a bigger one is not read (a ZIP
# bomb would inflate it).
MAX_MIMETYPE_BYTES = 100


class UploadTooLarge(Exception):
    pass


def upload_bytes(upload, *, limit: int) -> bytes:
    """The bytes of `upload` (b"" for an empty file). UploadTooLarge above `limit` bytes:
    its declared size is checked first, then at most `limit` + 1 bytes are read, so that a
    big file is never read whole."""
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise UploadTooLarge
    upload.seek(0)
    content = upload.read(limit + 1)
    if len(content) > limit:
        raise UploadTooLarge
    return content or b""


def signature_type(content: bytes, allowed=(PDF, JPEG, PNG)) -> str | None:
    """PDF, JPEG or PNG (among `allowed`) by the file's first bytes; None otherwise."""
    for magic, content_type in SIGNATURES.items():
        if content_type in allowed and content.startswith(magic):
            return content_type
    return None


# What a deliverable may be (`document_content_type`'s default).
DOCUMENT_TYPES = (PDF, DOCX, ODT, PPTX, ODP)
# What an intersession task's document may be: documents, spreadsheets and images.
OFFICE_AND_IMAGE_TYPES = (PDF, JPEG, PNG, DOCX, ODT, XLSX, ODS, PPTX, ODP)
# The extension a stored file gets, from its content type.
EXTENSIONS = {
    PDF: "pdf",
    JPEG: "jpg",
    PNG: "png",
    DOCX: "docx",
    PPTX: "pptx",
    XLSX: "xlsx",
    ODT: "odt",
    ODP: "odp",
    ODS: "ods",
}


def _zip_kind(content: bytes) -> str | None:
    """DOCX, PPTX, XLSX (Office Open XML) or ODT, ODP, ODS (OpenDocument), from the
    archive's inside: a ZIP is not a document by its first bytes alone."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                if archive.getinfo("mimetype").file_size >= MAX_MIMETYPE_BYTES:
                    return None
                mimetype = archive.read("mimetype").decode("ascii", "replace").strip()
                return mimetype if mimetype in (ODT, ODP, ODS) else None
            if "[Content_Types].xml" in names:
                if "word/document.xml" in names:
                    return DOCX
                if "ppt/presentation.xml" in names:
                    return PPTX
                if "xl/workbook.xml" in names:
                    return XLSX
    except (zipfile.BadZipFile, OSError, ValueError, KeyError, NotImplementedError):
        return None
    return None


def document_content_type(content: bytes, allowed=DOCUMENT_TYPES) -> str | None:
    """By content, one of `allowed` (by default PDF, DOCX, ODT, PPTX or ODP); None for
    anything else (an HTML page or a text file named .pdf)."""
    known = signature_type(content, allowed=allowed)
    if known:
        return known
    if content.startswith(b"PK\x03\x04"):
        kind = _zip_kind(content)
        return kind if kind in allowed else None
    return None


def _looks_like_email(content: bytes) -> bool:
    """An .eml: a block of RFC 5322 headers with at least From and one of Date / Subject,
    before anything else (an HTML page or a text file is not a message)."""
    head = content[: 64 * 1024]
    first_line = head.split(b"\n", 1)[0]
    if b":" not in first_line or first_line[:1] in (b"<", b" ", b"\t"):
        return False
    name = first_line.split(b":", 1)[0]
    if not name or not all(33 <= byte <= 126 for byte in name):
        return False
    headers = email.parser.BytesHeaderParser().parsebytes(head)
    return bool(headers.get("From")) and bool(headers.get("Date") or headers.get("Subject"))


def message_content_type(content: bytes) -> str | None:
    """A funder's message: PDF, JPEG, PNG, an e-mail saved as .eml or as Outlook .msg (an
    OLE file holding Outlook's streams; a Word .doc is not one)."""
    known = signature_type(content)
    if known:
        return known
    if content.startswith(OLE_MAGIC):
        return MSG if OUTLOOK_STREAM in content else None
    if _looks_like_email(content):
        return EML
    return None
