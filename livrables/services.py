"""Issuing documents. Issuing is an explicit act (a POST, by someone allowed to): build the
data, render once, keep the bytes in the private documents storage, then register the issue
— an `IssuedDocument` row (number, subject, SHA-256 and size of the exact bytes, who, when,
retention date), the `superseded` entries of the documents it replaces, and an audit-journal
entry, in one transaction. Later downloads serve the kept bytes (`selectors.issued_file`),
never a new rendering. A revocation is another append-only entry.

Unsealed material is only ever a provisional preview, rendered on request and journaled,
never kept nor registered; the blank paper sheet (a form to fill in, not evidence) likewise."""

import dataclasses
import datetime as dt
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from formations.audit import log_action
from formations.models import Formation, Participant, Programme, Structure
from livrables import files
from livrables.data import SheetData, alternative_number, build_sheet_data, verification_url
from livrables.data_certificates import build_certificate_data
from livrables.data_structure_certificate import build_structure_certificate_data
from livrables.exceptions import LivrablesError
from livrables.files import PDF, DocumentFile
from livrables.models import DocumentEntry, IssuedDocument
from livrables.pdf.blank_sheet import render_blank_sheet
from livrables.pdf.certificates import RENDERERS as CERTIFICATE_RENDERERS
from livrables.pdf.sheet import render_sheet
from livrables.pdf.structure_certificate import render_structure_certificate
from livrables.permissions import (
    may_issue_certificate,
    may_issue_extract,
    may_issue_sheet,
    may_revoke,
)
from livrables.selectors import document_state, unreplaced_documents
from sessions.models import TrainingSession

__all__ = [
    "DocumentFile",
    "PDF",
    "blank_sheet",
    "issue_certificate",
    "issue_sheet",
    "issue_sheet_extract",
    "issue_structure_certificate",
    "preview_sheet",
    "revoke_document",
]

# How many other numbers to try when the computed one is already registered.
NUMBER_ATTEMPTS = 5


def retention_until(*, programme_end: dt.date | None) -> dt.date | None:
    """Date before which an issued justificatif must not be destroyed: 31 December of the
    programme's end year + 10 years; None when there is no programme end.

    Why: justificatifs of EU-funded operations are kept 5 years from 31 December of the year
    of the last EU payment to the beneficiary (Regulation (EU) 2021/1060, art. 82), and French
    practice (and the Ministry's certificate wording) extends this to 10 years for co-financed
    actions. The last payment date is unknown when the document is issued; the programme's
    end is the latest date known then, and 10 years from it still cover a last payment made
    up to 5 years after the end. It is a "not before" date, never an automatic deletion.
    """
    if programme_end is None:
        return None
    return dt.date(programme_end.year + 10, 12, 31)


def issue_sheet(*, session, actor, now=None) -> IssuedDocument:
    """Issues the signed feuille d'émargement of `session` as it stands now: rendered once,
    kept, registered (`IssuedDocument` of kind `attendance_sheet`). If a sheet of the
    session already stands, this is a reissue: the new one supersedes it (a `superseded`
    entry on the old one, pointing to the new one).

    Raises LivrablesError `not_allowed` (only a coordinator or one of the session's
    trainers issues it), `not_sealed` (some half-day is not sealed: only a provisional
    preview exists, `preview_sheet`). Audit action `livrables.sheet_issued` (data: number,
    sha256, bytes, supersedes)."""
    if not may_issue_sheet(actor, session):
        raise LivrablesError(
            _(
                "Seul·e un·e coordinateur·rice ou un·e formateur·rice de la session peut "
                "émettre sa feuille d'émargement."
            ),
            code="not_allowed",
        )
    now = now or timezone.now()
    data = build_sheet_data(session=session, now=now)
    _ensure_sealed(data)
    return _issue(
        data=data,
        render=render_sheet,
        filename_prefix="feuille-emargement",
        kind=IssuedDocument.Kind.ATTENDANCE_SHEET,
        action="livrables.sheet_issued",
        label="Feuille d'émargement",
        subject=_session_subject(session),
        title=_sheet_title(IssuedDocument.Kind.ATTENDANCE_SHEET, data),
        actor=actor,
        now=now,
    )


def issue_sheet_extract(*, session, structure, actor, now=None) -> IssuedDocument:
    """Issues the extract of the signed sheet of `session` for `structure`: the same sheet
    with only that structure's people, marked as an extract on every page, numbered
    `EXT-…`, kept and registered (`IssuedDocument` of kind `attendance_sheet_extract`,
    subject the session and the structure). A standing extract of the same session and
    structure is superseded.

    Raises LivrablesError `not_allowed` (only the structure's referent, for a session where
    their people are enrolled), `not_sealed`. Audit action `livrables.sheet_extract_issued`
    (data: number, sha256, bytes, structure, supersedes)."""
    if not may_issue_extract(actor, session, structure):
        raise LivrablesError(
            _("Seul·e le ou la référent·e de la structure peut émettre son extrait."),
            code="not_allowed",
        )
    now = now or timezone.now()
    data = build_sheet_data(session=session, now=now, structure=structure)
    _ensure_sealed(data)
    return _issue(
        data=data,
        render=render_sheet,
        filename_prefix="extrait-emargement",
        kind=IssuedDocument.Kind.ATTENDANCE_SHEET_EXTRACT,
        action="livrables.sheet_extract_issued",
        label="Extrait de feuille d'émargement",
        subject=_session_subject(session, structure=structure),
        title=_sheet_title(IssuedDocument.Kind.ATTENDANCE_SHEET_EXTRACT, data),
        actor=actor,
        now=now,
        log_data={"structure": structure.pk},
    )


def preview_sheet(*, session, actor, structure=None, now=None) -> DocumentFile:
    """The provisional sheet (or, with `structure`, extract) of a session not fully sealed:
    marked « document provisoire » on every page, numbered `PROV-…`, journaled
    (`livrables.sheet_previewed`, `livrables.sheet_extract_previewed`), never kept nor
    registered: nothing unsealed may pass for a justificatif. Who may see it is the
    caller's to check (the same people who may download the sheet or the extract).

    Raises LivrablesError `sealed` when every half-day is sealed: that sheet is issued
    (`issue_sheet`), not previewed."""
    now = now or timezone.now()
    data = build_sheet_data(session=session, now=now, structure=structure)
    if not data.provisional:
        raise LivrablesError(
            _("Toutes les demi-journées sont scellées : la feuille doit être émise."),
            code="sealed",
        )
    if structure is None:
        prefix, action = "feuille-emargement-provisoire", "livrables.sheet_previewed"
        label, extra = _("Feuille d'émargement provisoire"), None
    else:
        prefix, action = "extrait-emargement-provisoire", "livrables.sheet_extract_previewed"
        label = _("Extrait provisoire de feuille d'émargement")
        extra = {"structure": structure.pk}
    document = DocumentFile(
        filename=f"{prefix}-{data.number}.pdf",
        content_type=PDF,
        content=render_sheet(data),
        number=data.number,
    )
    _log(actor=actor, action=action, session=session, document=document, label=label, extra=extra)
    return document


def blank_sheet(*, session, actor, now=None) -> DocumentFile:
    """The blank paper sheet of `session` (names pre-filled, one QR code per half-day), to
    print. Not kept nor registered: it is a form to fill in, not evidence (the evidence is
    its scan, kept with its SHA-256 once signed). Journaled (`livrables.blank_sheet_printed`).

    Raises LivrablesError `not_allowed`: only those who run the session print it."""
    if not may_issue_sheet(actor, session):
        raise LivrablesError(
            _(
                "Seul·e un·e coordinateur·rice ou un·e formateur·rice de la session peut "
                "imprimer sa feuille vierge."
            ),
            code="not_allowed",
        )
    now = now or timezone.now()
    data = build_sheet_data(session=session, blank=True, now=now)
    document = DocumentFile(
        filename=f"feuille-vierge-{data.number}.pdf",
        content_type=PDF,
        content=render_blank_sheet(data),
        number=data.number,
    )
    _log(
        actor=actor,
        action="livrables.blank_sheet_printed",
        session=session,
        document=document,
        label=_("Feuille vierge"),
    )
    return document


CERTIFICATE_FILES = {
    IssuedDocument.Kind.COMPLETION_CERTIFICATE: ("certificat-realisation", "certificate_issued"),
    IssuedDocument.Kind.ATTENDANCE_ATTESTATION: ("attestation-assiduite", "attestation_issued"),
}


def issue_certificate(*, kind: str, participant, formation, actor, now=None) -> IssuedDocument:
    """Issues the certificat de réalisation (`kind` `completion_certificate`) or the
    attestation d'assiduité (`attendance_attestation`) of `participant` in `formation`,
    over the formation's fully sealed sessions where the person is enrolled: rendered once,
    kept, registered (subject: participant and formation; the initials, period, hours and
    « final » or not on the public page). A standing document of the same kind and subject
    is superseded.

    Raises LivrablesError `not_allowed` (coordinators only), `provider_missing` (the
    training organisation's identity is not set), `nothing_sealed` (no fully sealed session
    of the person in the formation). Audit action `livrables.certificate_issued` or
    `livrables.attestation_issued`, on the participant (data: number, sha256, bytes,
    formation, final, supersedes)."""
    kind = IssuedDocument.Kind(kind)
    if kind not in CERTIFICATE_FILES:
        raise ValueError(f"Not a certificate kind: {kind}")
    if not may_issue_certificate(actor):
        raise LivrablesError(
            _("Seule la coordination émet les certificats et attestations."),
            code="not_allowed",
        )
    now = now or timezone.now()
    data = build_certificate_data(kind=kind, participant=participant, formation=formation, now=now)
    return issue_certificate_data(
        data=data, participant=participant, formation=formation, actor=actor, now=now
    )


def issue_certificate_data(
    *, data, participant, formation, actor, now, retention=None
) -> IssuedDocument:
    """Issues a certificate from its built data (`data_certificates.build_certificates_data`):
    the one path of `issue_certificate` and of the bulk issue (`livrables.bulk`).
    Raises LivrablesError `not_allowed` (coordinators only), `nothing_realised` (a
    certificat de réalisation without any hour realised). `retention`: the date computed
    once for the formation by a bulk issue (None: read here)."""
    if not may_issue_certificate(actor):
        raise LivrablesError(
            _("Seule la coordination émet les certificats et attestations."),
            code="not_allowed",
        )
    kind = IssuedDocument.Kind(data.kind)
    if kind == IssuedDocument.Kind.COMPLETION_CERTIFICATE and not data.realised_minutes:
        # The certificate attests that the action was followed « pour une durée de … »:
        # with no counted minute there is nothing to attest. The attestation d'assiduité,
        # which lists the absences, may still be issued.
        raise LivrablesError(
            _(
                "%(name)s n'a aucune heure réalisée (émargée et contresignée) dans les "
                "sessions scellées de la formation : pas de certificat de réalisation. "
                "L'attestation d'assiduité, qui relève les absences, peut être émise."
            )
            % {"name": data.participant_name},
            code="nothing_realised",
        )
    prefix, action = CERTIFICATE_FILES[kind]
    title = _("%(kind)s — %(contract)s — %(formation)s") % {
        "kind": kind.label,
        "contract": data.contract_reference,
        "formation": data.formation_title,
    }
    return _issue(
        data=data,
        render=CERTIFICATE_RENDERERS[kind],
        filename_prefix=prefix,
        kind=kind,
        action=f"livrables.{action}",
        label=str(kind.label),
        subject=Subject(participant=participant, formation=formation),
        title=title,
        actor=actor,
        now=now,
        log_data={"formation": formation.pk, "final": data.final},
        public={
            "holder_initials": data.participant_initials,
            "covers_from": data.first_date,
            "covers_to": data.last_date,
            "planned_minutes": data.planned_minutes,
            "realised_minutes": data.realised_minutes,
            "final": data.final,
        },
        retention=retention,
    )


def issue_structure_certificate(
    *, structure, formation, actor, now=None, retention=None
) -> IssuedDocument:
    """Issues the certificat d'assiduité of `structure` in `formation` (kind
    `structure_attendance_certificate`, one per CCAS): the formation's fully sealed
    sessions, the structure's people at each, every half-day's status, hours per person
    and in total, the attendance rate and the attendees-per-structure rule per session.
    Rendered once, kept, registered (subject: structure and formation; period, hours and
    « final » or not on the public page, which may name the structure — an organisation —
    but no person). A standing certificate of the same structure and formation is
    superseded.

    The data come from `build_structure_certificate_data(structure=…, formation=…)`: one
    call per (structure, formation); the bulk issue (`livrables.bulk`) calls this in a
    loop, with `retention` computed once for the formation (None: read here).

    Raises LivrablesError `not_allowed` (coordinators only), `provider_missing`,
    `no_enrolment` (nobody of the structure in the formation), `nothing_sealed`. Audit
    action `livrables.structure_certificate_issued`, on the structure (data: number,
    sha256, bytes, formation, final, supersedes)."""
    if not may_issue_certificate(actor):
        raise LivrablesError(
            _("Seule la coordination émet les certificats d'assiduité des structures."),
            code="not_allowed",
        )
    now = now or timezone.now()
    data = build_structure_certificate_data(structure=structure, formation=formation, now=now)
    kind = IssuedDocument.Kind.STRUCTURE_ATTENDANCE_CERTIFICATE
    title = _("%(kind)s — %(structure)s — %(contract)s — %(formation)s") % {
        "kind": kind.label,
        "structure": data.structure_name,
        "contract": data.contract_reference,
        "formation": data.formation_title,
    }
    return _issue(
        data=data,
        render=render_structure_certificate,
        filename_prefix="certificat-assiduite-structure",
        kind=kind,
        action="livrables.structure_certificate_issued",
        label=str(kind.label),
        subject=Subject(structure=structure, formation=formation),
        title=title,
        actor=actor,
        now=now,
        log_data={"formation": formation.pk, "final": data.final},
        public={
            "covers_from": data.first_date,
            "covers_to": data.last_date,
            "planned_minutes": data.planned_minutes,
            "realised_minutes": data.realised_minutes,
            "final": data.final,
        },
        retention=retention,
    )


@transaction.atomic
def revoke_document(*, document: IssuedDocument, actor, reason: str, now=None) -> DocumentEntry:
    """Withdraws an issued document: a `revoked` entry (who, when, why). The document, its
    kept file and its page on the public verification site remain; that page then says
    « révoqué le … » (without the reason, which may name a person). A superseded document
    may still be revoked.

    Raises LivrablesError `not_allowed` (coordinators only), `reason_required`,
    `already_revoked`. Audit action `livrables.document_revoked` (data: number, reason)."""
    if not may_revoke(actor):
        raise LivrablesError(
            _("Seule la coordination peut révoquer un document émis."), code="not_allowed"
        )
    reason = (reason or "").strip()
    if not reason:
        raise LivrablesError(_("Indiquez le motif de la révocation."), code="reason_required")
    # The document row is never updated; locking it serialises two revocations.
    document = IssuedDocument.objects.select_for_update().get(pk=document.pk)
    if document_state(document=document).revoked_at is not None:
        raise LivrablesError(
            _("Le document n° %(number)s est déjà révoqué.") % {"number": document.number},
            code="already_revoked",
        )
    entry = DocumentEntry(
        document=document,
        kind=DocumentEntry.Kind.REVOKED,
        at=now or timezone.now(),
        by=actor if getattr(actor, "is_authenticated", False) else None,
        reason=reason[:2000],
    )
    entry.full_clean(exclude=["document", "by", "replaced_by"], validate_constraints=False)
    entry.save()
    log_action(
        actor=actor,
        action="livrables.document_revoked",
        obj=document.session or document,
        summary=_("Document n° %(number)s révoqué") % {"number": document.number},
        data={"number": document.number, "reason": entry.reason},
    )
    return entry


def _ensure_sealed(data: SheetData) -> None:
    if data.provisional:
        raise LivrablesError(
            _(
                "Certaines demi-journées de la session ne sont pas encore closes et scellées : "
                "la feuille ne peut pas encore être émise (seul un aperçu provisoire "
                "existe)."
            ),
            code="not_sealed",
        )


@dataclasses.dataclass(frozen=True)
class Subject:
    """What an issued document is about: its foreign keys in the register (a session, and a
    structure for an extract; a participant and a formation for a certificate; a structure
    and a formation for a structure's certificat d'assiduité), the row locked while it is
    registered (two issues of one subject then supersede one after the other: the session,
    the participant or the structure), the object its journal entry is written on (the
    same), and the programme whose end sets the retention date."""

    session: TrainingSession | None = None
    structure: object = None
    participant: object = None
    formation: object = None
    # An evaluation synthesis: the questionnaire whose results it gives.
    questionnaire: object = None
    # A fiche projet, a fiche individuelle (with a structure) or the livret (alone).
    programme: object = None
    # A formation's statement covers one period: it replaces only the statement of the
    # same period (covers_from, covers_to), never another period's.
    period: tuple[dt.date, dt.date] | None = None

    @property
    def fields(self) -> dict:
        return {
            "session": self.session,
            "structure": self.structure,
            "participant": self.participant,
            "formation": self.formation,
            "questionnaire": self.questionnaire,
            "programme": self.programme,
        }

    @property
    def journal_object(self):
        if self.session is not None:
            return self.session
        if self.participant is not None:
            return self.participant
        if self.structure is not None:
            return self.structure
        return self.formation if self.formation is not None else self.programme

    def lock(self) -> None:
        if self.session is not None:
            rows = TrainingSession.objects.filter(pk=self.session.pk)
        elif self.participant is not None:
            rows = Participant.objects.filter(pk=self.participant.pk)
        elif self.structure is not None:
            rows = Structure.objects.filter(pk=self.structure.pk)
        elif self.formation is None:
            # A programme's own document (the livret of its projects).
            rows = Programme.objects.filter(pk=self.programme.pk)
        else:
            # A formation's own document (the service-fait statement).
            rows = Formation.objects.filter(pk=self.formation.pk)
        list(rows.select_for_update().values_list("pk"))

    def programme_end(self) -> dt.date | None:
        if self.session is not None:
            rows = TrainingSession.objects.filter(pk=self.session.pk)
            lookup = "formation__programme__end_date"
        elif self.formation is None and self.programme is not None:
            rows = Programme.objects.filter(pk=self.programme.pk)
            lookup = "end_date"
        else:
            rows = Formation.objects.filter(pk=self.formation.pk)
            lookup = "programme__end_date"
        return rows.values_list(lookup, flat=True).first()


def _session_subject(session, structure=None) -> Subject:
    return Subject(session=session, structure=structure)


def _sheet_title(kind, data: SheetData) -> str:
    return _("%(kind)s — session %(session)s — %(contract)s") % {
        "kind": kind.label,
        "session": data.session_code,
        "contract": data.contract_reference,
    }


def _issue(
    *,
    data,
    render: Callable[[object], bytes],
    filename_prefix: str,
    kind: IssuedDocument.Kind,
    action: str,
    label: str,
    subject: Subject,
    title: str,
    actor,
    now: dt.datetime,
    log_data: dict | None = None,
    public: dict | None = None,
    retention: dt.date | None = None,
) -> IssuedDocument:
    """Renders `data` (frozen data with `number` and `verification_url`), keeps the bytes
    and registers them under the printed number, superseding the standing documents of the
    same kind and subject. `public`: the register's certificate columns (initials, period,
    hours, final) shown on the verification page.

    The number is printed in the PDF, so it must be free before rendering: the same
    document issued twice in one second gets the same computed number (and different
    bytes, as the PDF carries its own creation time), so a taken number is replaced by
    another suffix. A concurrent issue may still take it between the check and the
    insert: the unique constraint refuses the second row and the document is rendered
    again under another number. Rendering and writing the file stay outside the
    transaction, so no write lock is held meanwhile; a file whose registration fails is
    removed (it was never issued). Inside, the subject's row is locked (`Subject.lock`).
    `retention`: already computed by the caller (a bulk issue, once for all), else read."""
    if retention is None:
        retention = retention_until(programme_end=subject.programme_end())
    issued_by = actor if getattr(actor, "is_authenticated", False) else None
    attempt = 0
    while True:
        attempt += 1
        data = _free_number(data)
        document = DocumentFile(
            filename=f"{filename_prefix}-{data.number}.pdf",
            content_type=PDF,
            content=render(data),
            number=data.number,
        )
        stored = files.keep(
            kind=kind, issued_at=now, number=document.number, content=document.content
        )
        try:
            with transaction.atomic():
                record = _register(
                    document=document,
                    stored=stored,
                    kind=kind,
                    title=title,
                    subject=subject,
                    issued_by=issued_by,
                    now=now,
                    retention=retention,
                    actor=actor,
                    action=action,
                    label=label,
                    log_data=log_data,
                    public=public,
                )
        except IntegrityError as error:
            files.discard(stored)
            if not _is_taken(document.number):
                raise
            if attempt >= NUMBER_ATTEMPTS:
                raise LivrablesError(
                    _(
                        "Un autre document vient d'être émis sous le même numéro : "
                        "réessayez dans un instant."
                    ),
                    code="number_taken",
                ) from error
            continue
        except BaseException:
            files.discard(stored)
            raise
        return record


def _register(
    *,
    document: DocumentFile,
    stored: str,
    kind,
    title: str,
    subject: Subject,
    issued_by,
    now,
    retention,
    actor,
    action: str,
    label: str,
    log_data: dict | None,
    public: dict | None,
) -> IssuedDocument:
    subject.lock()
    replaced = unreplaced_documents(kind=kind, **subject.fields)
    if subject.period is not None:
        replaced = replaced.filter(covers_from=subject.period[0], covers_to=subject.period[1])
    replaced = list(replaced)
    record = IssuedDocument(
        number=document.number,
        kind=kind,
        title=title[:255],
        sha256=document.sha256,
        size=document.size,
        issued_at=now,
        issued_by=issued_by,
        storage_name=stored,
        filename=document.filename,
        content_type=document.content_type,
        retention_until=retention,
        **subject.fields,
        **(public or {}),
    )
    # The unique number is the database's to enforce (see `_issue`); the foreign keys
    # come straight from loaded objects.
    record.full_clean(
        exclude=["issued_by", *subject.fields],
        validate_unique=False,
        validate_constraints=False,
    )
    record.save()
    for old in replaced:
        DocumentEntry.objects.create(
            document=old,
            kind=DocumentEntry.Kind.SUPERSEDED,
            at=now,
            by=issued_by,
            replaced_by=record,
        )
    _log(
        actor=actor,
        action=action,
        session=subject.journal_object,
        document=document,
        label=label,
        extra={**(log_data or {}), "supersedes": [old.number for old in replaced]},
    )
    return record


def _is_taken(number: str) -> bool:
    return IssuedDocument.objects.filter(number=number).exists()


def _free_number(data):
    number, attempt = data.number, 0
    while _is_taken(number):
        attempt += 1
        number = alternative_number(data.number, attempt)
    if number == data.number:
        return data
    return dataclasses.replace(data, number=number, verification_url=verification_url(number))


def _log(
    *, actor, action, session, document: DocumentFile, label: str, extra: dict | None = None
) -> None:
    log_action(
        actor=actor,
        action=action,
        obj=session,
        summary=f"{label} {document.number}",
        data={
            "number": document.number,
            "sha256": document.sha256,
            "bytes": document.size,
            **(extra or {}),
        },
    )
