"""The ZIP of a scope's standing certificates (a formation's, or one session's people's):
the kept bytes of each, byte for byte (read and checked through `selectors.issued_file`),
one folder per person, and a `manifest.csv` (file, number, kind, SHA-256, bytes).

Streamed: `zipfile` writes into a pipe that the response empties after each document, so
memory holds one document at a time whatever the number of people (PDFs are stored as
they are, already compressed; the ZIP uses data descriptors, no seeking back)."""

import csv
import io
import zipfile
from collections.abc import Iterator

from django.utils.text import slugify

from formations.permissions import can_manage, is_funder_auditor
from formations.selectors import formations_visible_to
from livrables.bulk import BULK_KINDS, Scope
from livrables.exceptions import LivrablesError
from livrables.models import IssuedDocument
from livrables.selectors import issued_file, standing


def may_download_zip(*, user, formation) -> bool:
    """Coordinators, and auditors of the formation's programme's funders; nobody else (a
    referent downloads their own people's certificates one by one; a trainer none)."""
    if can_manage(user):
        return True
    return (
        is_funder_auditor(user)
        and formations_visible_to(user=user).filter(pk=formation.pk).exists()
    )


def scope_documents(*, scope: Scope):
    """The standing documents of the registry's kinds about the scope's subjects, by
    person then kind."""
    clauses, subjects_of = None, {}
    for entry in BULK_KINDS.values():
        if entry.subjects not in subjects_of:
            subjects_of[entry.subjects] = entry.subjects(scope)
        ids = subjects_of[entry.subjects]
        clause = IssuedDocument.objects.filter(
            kind=entry.kind, formation_id=scope.formation.pk, **{f"{entry.subject_field}__in": ids}
        )
        clauses = clause if clauses is None else clauses | clause
    return (
        standing(clauses)
        .exclude(storage_name="")
        .select_related("participant")
        .order_by("participant__sort_key", "participant_id", "kind", "-issued_at", "-pk")
    )


class _Pipe(io.RawIOBase):
    """Where `zipfile` writes: not seekable, emptied by the generator after each file."""

    def __init__(self):
        self._chunks: list[bytes] = []

    def writable(self):
        return True

    def write(self, data):
        self._chunks.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        out = b"".join(self._chunks)
        self._chunks.clear()
        return out


def _folder(document: IssuedDocument) -> str:
    person = document.participant
    if person is None:
        return f"document-{document.pk}"
    name = slugify(f"{person.last_name} {person.first_name}") or "participant"
    return f"{name}-{person.pk}"


def stream_zip(*, scope: Scope) -> Iterator[bytes]:
    """The ZIP's bytes, chunk by chunk. A document whose kept file is gone or altered is
    not put in (never served as genuine): the manifest says so on its line."""
    pipe = _Pipe()
    manifest = io.StringIO()
    rows = csv.writer(manifest, lineterminator="\r\n")
    rows.writerow(["fichier", "numero", "type", "sha256", "octets", "etat"])
    with zipfile.ZipFile(pipe, mode="w", compression=zipfile.ZIP_STORED) as archive:
        for document in scope_documents(scope=scope).iterator(chunk_size=200):
            name = f"{_folder(document)}/{document.filename or document.number + '.pdf'}"
            try:
                kept = issued_file(document=document)
            except LivrablesError as error:
                rows.writerow(
                    [
                        name,
                        document.number,
                        document.kind,
                        document.sha256,
                        document.size,
                        f"non inclus : {error.message}",
                    ]
                )
                continue
            archive.writestr(name, kept.content)
            rows.writerow(
                [name, document.number, document.kind, document.sha256, document.size, "inclus"]
            )
            yield pipe.take()
        archive.writestr(
            "manifest.csv", manifest.getvalue().encode("utf-8-sig"), zipfile.ZIP_DEFLATED
        )
    yield pipe.take()


def zip_filename(scope: Scope) -> str:
    if scope.session is not None:
        return f"certificats-session-{slugify(scope.session.code)}.zip"
    return f"certificats-{slugify(scope.formation.contract_reference)}.zip"
