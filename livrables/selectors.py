"""Which sessions' documents a user may download, and the lookups of the public
verification page. Views start from these."""

import hashlib
from dataclasses import dataclass

from django.db.models import QuerySet

from formations.permissions import is_structure_referent
from livrables.models import IssuedDocument
from sessions.models import TrainingSession
from sessions.selectors.visibility import sessions_run_by, sessions_visible_to


def sheet_sessions_for(*, user) -> QuerySet[TrainingSession]:
    """Sessions whose signed feuille d'émargement the user may download: coordinators all,
    trainers their own, funder auditors those of their funders' programmes.

    Structure referents see a session only through their own people, and the sheet lists
    every participant of every structure (structures never see each other's people), so
    they get none.
    """
    if is_structure_referent(user):
        return TrainingSession.objects.none()
    return sessions_visible_to(user=user)


def sheet_extract_sessions_for(*, user) -> QuerySet[TrainingSession]:
    """Sessions of which a structure referent may download the extract for their own
    structure: those where their people are enrolled. Nobody else (the other roles get
    the whole sheet)."""
    if not is_structure_referent(user):
        return TrainingSession.objects.none()
    return sessions_visible_to(user=user)


def blank_sheet_sessions_for(*, user) -> QuerySet[TrainingSession]:
    """Sessions whose blank paper sheet the user may print: the ones they run."""
    return sessions_run_by(user=user)


def issued_document_by_number(*, number: str) -> IssuedDocument | None:
    """The issued document registered under exactly `number` (case-sensitive, no prefix or
    fuzzy match: the public page must not help anyone guess or list numbers)."""
    if "\x00" in number:
        # No number holds a NUL, and PostgreSQL refuses one in a query parameter.
        return None
    return IssuedDocument.objects.select_related("session").filter(number=number).first()


@dataclass(frozen=True)
class FileComparison:
    matches: bool
    sha256: str
    size: int


def compare_file(*, document: IssuedDocument, uploaded_file) -> FileComparison:
    """Whether an uploaded file is, byte for byte, the registered document: its SHA-256
    (computed chunk by chunk, whatever the file is) against the one recorded at issue."""
    digest = hashlib.sha256()
    size = 0
    for chunk in uploaded_file.chunks():
        digest.update(chunk)
        size += len(chunk)
    sha256 = digest.hexdigest()
    return FileComparison(
        matches=sha256 == document.sha256 and size == document.size, sha256=sha256, size=size
    )
