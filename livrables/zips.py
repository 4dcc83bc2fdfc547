"""The ZIP of a scope's standing certificates (a formation's, or one session's people's and
their structures'): the kept bytes of each, byte for byte (read and checked through
`selectors.issued_file`), one folder per person, one per structure under `structures/`,
and a `manifest.csv` (file, number, kind, SHA-256, bytes).

Streamed: `zipfile` writes into a pipe that the response empties after each document, so
memory holds one document at a time whatever the number of people (PDFs are stored as
they are, already compressed; the ZIP uses data descriptors, no seeking back)."""

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator

from django.db.models import Q, QuerySet
from django.utils import timezone
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


# Per column of the register naming a subject: how its documents are ordered in the ZIP.
SUBJECT_ORDER = {
    "participant_id": ("participant__sort_key", "participant_id"),
    "structure_id": ("structure__name", "structure_id"),
}


def scope_documents(*, scope: Scope) -> list[QuerySet[IssuedDocument]]:
    """The standing documents (with their kept file) of the registry's kinds about the
    scope's subjects: one query per kind of subject, the people's (by person then kind)
    before the structures' (by name)."""
    subjects_of: dict = {}
    clauses: dict[str, Q] = {}
    for entry in BULK_KINDS.values():
        if entry.subjects not in subjects_of:
            subjects_of[entry.subjects] = entry.subjects(scope)
        clause = Q(kind=entry.kind, **{f"{entry.subject_field}__in": subjects_of[entry.subjects]})
        field = entry.subject_field
        clauses[field] = clauses[field] | clause if field in clauses else clause
    return [
        standing(IssuedDocument.objects.filter(clause, formation_id=scope.formation.pk))
        .exclude(storage_name="")
        .select_related(field.removesuffix("_id"))
        .order_by(*SUBJECT_ORDER[field], "kind", "-issued_at", "-pk")
        for field, clause in clauses.items()
    ]


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
    if document.participant_id is not None:
        person = document.participant
        name = slugify(f"{person.last_name} {person.first_name}") or "participant"
        return f"{name}-{person.pk}"
    if document.structure_id is not None:
        structure = document.structure
        return f"structures/{slugify(structure.name) or 'structure'}-{structure.pk}"
    return f"document-{document.pk}"


def stream_zip(*, scope: Scope) -> Iterator[bytes]:
    """The ZIP's bytes, chunk by chunk. A document whose kept file is gone or altered is
    not put in (never served as genuine): the manifest says so on its line."""
    documents = (
        document
        for queryset in scope_documents(scope=scope)
        for document in queryset.iterator(chunk_size=200)
    )
    yield from stream_documents(documents, folder=_folder)


def stream_documents(documents: Iterable[IssuedDocument], *, folder) -> Iterator[bytes]:
    """Kept documents in a ZIP, each under `folder(document)`, with the manifest: the one
    way the certificates' ZIP and the fiches' ZIP (`livrables.views_fiches`) are written."""
    pipe = _Pipe()
    manifest = io.StringIO()
    # « ; » as the application's other CSV files: French spreadsheets read it as columns.
    rows = csv.writer(manifest, delimiter=";", lineterminator="\r\n")
    rows.writerow(["fichier", "numero", "type", "sha256", "octets", "etat"])
    with zipfile.ZipFile(pipe, mode="w", compression=zipfile.ZIP_STORED) as archive:
        for document in documents:
            name = f"{folder(document)}/{document.filename or document.number + '.pdf'}"
            try:
                kept = issued_file(document=document)
            except LivrablesError as error:
                rows.writerow(
                    [
                        name,
                        document.number,
                        document.get_kind_display(),
                        document.sha256,
                        document.size,
                        f"non inclus : {error.message}",
                    ]
                )
                continue
            # Dated as issued, not as downloaded.
            issued = timezone.localtime(document.issued_at).timetuple()[:6]
            archive.writestr(zipfile.ZipInfo(name, date_time=issued), kept.content)
            rows.writerow(
                [
                    name,
                    document.number,
                    document.get_kind_display(),
                    document.sha256,
                    document.size,
                    "inclus",
                ]
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
