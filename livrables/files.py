"""Issued files as bytes: the rendered document handed to a user, and where its kept copy
lives in the private documents storage (`formations.storage.documents_storage`).

Only the storage API is used (`save()`, `open()`, `delete()` of a copy that could not be
registered), never a filesystem path: the storage may be an S3-compatible object store."""

import hashlib
from dataclasses import dataclass

from django.core.files.base import ContentFile, File

from formations.storage import documents_storage

PDF = "application/pdf"
# Where issued documents are kept inside the documents storage.
ISSUED_FOLDER = "issued"


@dataclass(frozen=True)
class DocumentFile:
    """A rendered document as handed to the user: what the view serves."""

    filename: str
    content_type: str
    content: bytes
    number: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    @property
    def size(self) -> int:
        return len(self.content)


def keep(*, kind: str, issued_at, number: str, content: bytes) -> str:
    """Writes `content` to the documents storage under
    `issued/<kind>/<year>/<number>.pdf` and returns the name the storage chose (another
    one if that name were somehow taken: a kept file is never overwritten)."""
    name = f"{ISSUED_FOLDER}/{kind}/{issued_at:%Y}/{number}.pdf"
    return documents_storage().save(name, ContentFile(content))


def keep_file(*, kind: str, issued_at, number: str, handle, extension: str) -> str:
    """Like `keep`, for a document too large to hold as bytes (the audit pack's ZIP):
    `handle` is a binary file open for reading, copied into the storage chunk by chunk
    under `issued/<kind>/<year>/<number>.<extension>`."""
    name = f"{ISSUED_FOLDER}/{kind}/{issued_at:%Y}/{number}.{extension}"
    return documents_storage().save(name, File(handle, name=name))


def discard(name: str) -> None:
    """Removes a copy written for a registration that failed (its row does not exist):
    the only file the application ever deletes from the documents storage."""
    documents_storage().delete(name)


def read(name: str, *, limit: int) -> bytes:
    """The kept bytes (at most `limit` + 1 of them, so that a file grown behind the
    application's back is noticed without being read whole). FileNotFoundError if gone."""
    with documents_storage().open(name, "rb") as handle:
        return handle.read(limit + 1)
