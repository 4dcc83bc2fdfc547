"""Which sessions' documents a user may download or issue, which issued documents they
may see, the state of each document (derived from its append-only entries), the kept
bytes, and the lookups of the public verification page. Views start from these."""

import datetime as dt
import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext as _

from formations.permissions import can_manage, is_structure_referent
from livrables import files
from livrables.exceptions import LivrablesError
from livrables.files import DocumentFile
from livrables.models import DocumentEntry, IssuedDocument
from sessions.models import Slot, TrainingSession
from sessions.selectors.visibility import sessions_run_by, sessions_visible_to

logger = logging.getLogger(__name__)

# Entries after which a document no longer stands.
ENDING_KINDS = (DocumentEntry.Kind.SUPERSEDED, DocumentEntry.Kind.REVOKED)
# Kinds of issued documents about a session, as a whole or for one structure.
SESSION_KINDS = (
    IssuedDocument.Kind.ATTENDANCE_SHEET,
    IssuedDocument.Kind.ATTENDANCE_SHEET_EXTRACT,
)


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


def sheet_issue_sessions_for(*, user) -> QuerySet[TrainingSession]:
    """Sessions whose signed sheet the user may issue or reissue: the ones they run
    (coordinators all, trainers their own). `livrables.permissions.may_issue_sheet` says
    the same for one session."""
    return sessions_run_by(user=user)


def session_fully_sealed(*, session) -> bool:
    """Whether every half-day of the session is sealed (and there is at least one): only
    then is its sheet a document that can be issued; before, a provisional preview."""
    slots = Slot.objects.filter(session_id=session.pk)
    return slots.exists() and not slots.filter(seal__isnull=True).exists()


# ---------------------------------------------------------------------------- register


def documents_visible_to(*, user) -> QuerySet[IssuedDocument]:
    """Issued documents the user may see and download: coordinators all; a structure
    referent their own structure's extracts, of sessions where their people are enrolled;
    trainers and funder auditors the sheets and extracts of the sessions whose sheet they
    may download (`sheet_sessions_for`). Later subjects (certificates, fiches, statements)
    add their own clause here."""
    qs = IssuedDocument.objects.all()
    if can_manage(user):
        return qs
    if is_structure_referent(user):
        return qs.filter(
            kind=IssuedDocument.Kind.ATTENDANCE_SHEET_EXTRACT,
            structure_id=user.structure_id,
            session__in=sheet_extract_sessions_for(user=user).values("pk"),
        )
    return qs.filter(kind__in=SESSION_KINDS, session__in=sheet_sessions_for(user=user).values("pk"))


def standing(qs: QuerySet[IssuedDocument]) -> QuerySet[IssuedDocument]:
    """`qs` without the documents that were superseded or revoked."""
    ended = DocumentEntry.objects.filter(document_id=OuterRef("pk"), kind__in=ENDING_KINDS)
    return qs.filter(~Exists(ended))


def current_documents(*, kind: str, session, structure=None) -> QuerySet[IssuedDocument]:
    """The documents of `kind` about `session` (and `structure`, for an extract) that still
    stand, newest first. Issuing supersedes them all, so there is at most one once a
    document is issued with its file kept (registrations made before files were kept may
    leave several)."""
    return standing(
        IssuedDocument.objects.filter(
            kind=kind,
            session_id=session.pk,
            structure_id=structure.pk if structure is not None else None,
        )
    ).order_by("-issued_at", "-pk")


def unreplaced_documents(*, kind: str, session, structure=None) -> QuerySet[IssuedDocument]:
    """What a new issue of `kind` about `session` replaces: the standing documents, and the
    revoked ones nothing has replaced yet, so that the public page of an older document
    leads, through « remplacé par », to the one that stands (not to a dead end)."""
    superseded = DocumentEntry.objects.filter(
        document_id=OuterRef("pk"), kind=DocumentEntry.Kind.SUPERSEDED
    )
    return (
        IssuedDocument.objects.filter(
            kind=kind,
            session_id=session.pk,
            structure_id=structure.pk if structure is not None else None,
        )
        .filter(~Exists(superseded))
        .order_by("-issued_at", "-pk")
    )


def last_revoked_document(*, kind: str, session, structure=None) -> IssuedDocument | None:
    """The newest document of `kind` about `session` when it was revoked and nothing
    replaced it: the session panel then says so instead of « pas encore émise »."""
    latest = unreplaced_documents(kind=kind, session=session, structure=structure).first()
    if latest is None:
        return None
    latest.state = document_state(document=latest)
    return latest if latest.state.revoked_at is not None else None


def current_kept_document(*, kind: str, session, structure=None) -> IssuedDocument | None:
    """The document a download serves: the newest standing one whose file is kept."""
    return (
        current_documents(kind=kind, session=session, structure=structure)
        .exclude(storage_name="")
        .select_related("issued_by")
        .first()
    )


def session_documents(*, user, session) -> list[IssuedDocument]:
    """The sheets and extracts of `session` the user may see, newest first, each with its
    `state` (one query for the documents, one for their entries)."""
    documents = list(
        documents_visible_to(user=user)
        .filter(session_id=session.pk, kind__in=SESSION_KINDS)
        .select_related("issued_by")
        .order_by("-issued_at", "-pk")
    )
    states = document_states(documents)
    for document in documents:
        document.state = states[document.pk]
    return documents


# ---------------------------------------------------------------------------- state


@dataclass(frozen=True)
class DocumentState:
    """What the register's entries say of one document. `revocation_reason` is for the
    register and its readers inside the application, never for the public page (it may
    name a person)."""

    superseded_at: dt.datetime | None = None
    superseded_by: str = ""  # the number of the document that replaced it
    revoked_at: dt.datetime | None = None
    revocation_reason: str = ""

    @property
    def is_current(self) -> bool:
        return self.superseded_at is None and self.revoked_at is None

    @property
    def status(self) -> str:
        if self.revoked_at is not None:
            return DocumentEntry.Kind.REVOKED
        if self.superseded_at is not None:
            return DocumentEntry.Kind.SUPERSEDED
        return "current"


def document_states(documents: Iterable[IssuedDocument]) -> dict[int, DocumentState]:
    """The state of each document, derived from its entries in one query."""
    documents = list(documents)
    found: dict[int, dict] = {d.pk: {} for d in documents}
    entries = (
        DocumentEntry.objects.filter(document_id__in=found)
        .select_related("replaced_by")
        .only("document_id", "kind", "at", "reason", "replaced_by__number")
        .order_by("at", "pk")
    )
    for entry in entries:
        values = found[entry.document_id]
        if entry.kind == DocumentEntry.Kind.SUPERSEDED:
            values.update(superseded_at=entry.at, superseded_by=entry.replaced_by.number)
        elif entry.kind == DocumentEntry.Kind.REVOKED:
            values.update(revoked_at=entry.at, revocation_reason=entry.reason)
    return {pk: DocumentState(**values) for pk, values in found.items()}


def document_state(*, document: IssuedDocument) -> DocumentState:
    return document_states([document])[document.pk]


# ---------------------------------------------------------------------------- kept bytes


def issued_file(*, document: IssuedDocument) -> DocumentFile:
    """The kept bytes of an issued document, exactly as handed out at its issue, read
    through the storage API and checked against the register: a file that is gone
    (`file_missing`) or whose size or SHA-256 differs (`file_altered`) is refused, never
    served as if it were the registered document."""
    if not document.storage_name:
        raise LivrablesError(
            _(
                "Le document n° %(number)s a été enregistré avant que les documents émis "
                "soient conservés : seule son empreinte est gardée."
            )
            % {"number": document.number},
            code="file_missing",
        )
    try:
        content = files.read(document.storage_name, limit=document.size)
    except FileNotFoundError:
        logger.error(
            "Issued document %s: kept file %s is missing", document.number, document.storage_name
        )
        raise LivrablesError(
            _("Le fichier conservé du document n° %(number)s est introuvable.")
            % {"number": document.number},
            code="file_missing",
        ) from None
    if len(content) != document.size or hashlib.sha256(content).hexdigest() != document.sha256:
        logger.error(
            "Issued document %s: kept file %s no longer matches its digest",
            document.number,
            document.storage_name,
        )
        raise LivrablesError(
            _(
                "Le fichier conservé du document n° %(number)s ne correspond plus à "
                "l'empreinte enregistrée : il n'est pas servi."
            )
            % {"number": document.number},
            code="file_altered",
        )
    return DocumentFile(
        filename=document.filename or f"{document.number}.pdf",
        content_type=document.content_type,
        content=content,
        number=document.number,
    )


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
