"""Issuing documents: build the data, render, then register the issue — an `IssuedDocument`
row (number, SHA-256 of the exact bytes handed out, size) and an audit-journal entry, in one
transaction — so that anyone can later check a copy on the public verification page."""

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from formations.audit import log_action
from livrables.data import SheetData, alternative_number, build_sheet_data, verification_url
from livrables.models import IssuedDocument
from livrables.pdf.blank_sheet import render_blank_sheet
from livrables.pdf.sheet import render_sheet
from sessions.models import TrainingSession

PDF = "application/pdf"

# How many other numbers to try when the computed one is already registered.
NUMBER_ATTEMPTS = 5


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


def issue_sheet(*, session, actor, now=None) -> DocumentFile:
    """Renders the signed feuille d'émargement of `session` as it stands now and registers
    it (`IssuedDocument` of kind `attendance_sheet`). While some half-day is not sealed the
    sheet is only a preview: marked « document provisoire » on every page, numbered
    `PROV-…`, never registered (nothing unsealed may pass for a justificatif).

    Audit action `livrables.sheet_issued` (data: number, sha256, bytes), or
    `livrables.sheet_previewed` for a provisional sheet."""
    now = now or timezone.now()
    data = build_sheet_data(session=session, now=now)
    if data.provisional:
        return _preview(
            data=data,
            filename_prefix="feuille-emargement-provisoire",
            action="livrables.sheet_previewed",
            label=_("Feuille d'émargement provisoire"),
            session=session,
            actor=actor,
        )
    return _issue(
        data=data,
        render=render_sheet,
        filename_prefix="feuille-emargement",
        kind=IssuedDocument.Kind.ATTENDANCE_SHEET,
        action="livrables.sheet_issued",
        label="Feuille d'émargement",
        session=session,
        actor=actor,
        now=now,
    )


def issue_sheet_extract(*, session, structure, actor, now=None) -> DocumentFile:
    """Renders the extract of the signed sheet of `session` for `structure`: the same sheet
    with only that structure's people, marked as an extract on every page, numbered
    `EXT-…`, and registers it (`IssuedDocument` of kind `attendance_sheet_extract`).

    While some half-day is not sealed the extract, like the sheet, is only a preview
    (« document provisoire », `PROV-…`, not registered).

    Audit action `livrables.sheet_extract_issued` (data: number, sha256, bytes, structure),
    or `livrables.sheet_extract_previewed` for a provisional extract. Who may ask for which
    structure is the caller's to check (`sheet_extract_sessions_for`): a referent, for their
    own structure only."""
    now = now or timezone.now()
    data = build_sheet_data(session=session, now=now, structure=structure)
    if data.provisional:
        return _preview(
            data=data,
            filename_prefix="extrait-emargement-provisoire",
            action="livrables.sheet_extract_previewed",
            label=_("Extrait provisoire de feuille d'émargement"),
            session=session,
            actor=actor,
            log_data={"structure": structure.pk},
        )
    return _issue(
        data=data,
        render=render_sheet,
        filename_prefix="extrait-emargement",
        kind=IssuedDocument.Kind.ATTENDANCE_SHEET_EXTRACT,
        action="livrables.sheet_extract_issued",
        label="Extrait de feuille d'émargement",
        session=session,
        actor=actor,
        now=now,
        log_data={"structure": structure.pk},
    )


def issue_blank_sheet(*, session, actor, now=None) -> DocumentFile:
    """Renders the blank paper sheet of `session` (names pre-filled, one QR code per
    half-day) and registers it (`IssuedDocument` of kind `blank_sheet`).

    Audit action `livrables.blank_sheet_issued`."""
    now = now or timezone.now()
    data = build_sheet_data(session=session, blank=True, now=now)
    return _issue(
        data=data,
        render=render_blank_sheet,
        filename_prefix="feuille-vierge",
        kind=IssuedDocument.Kind.BLANK_SHEET,
        action="livrables.blank_sheet_issued",
        label="Feuille vierge",
        session=session,
        actor=actor,
        now=now,
    )


def _preview(
    *,
    data: SheetData,
    filename_prefix: str,
    action: str,
    label: str,
    session,
    actor,
    log_data: dict | None = None,
) -> DocumentFile:
    """A sheet not fully sealed: rendered (marked « document provisoire ») and journaled,
    never registered."""
    document = DocumentFile(
        filename=f"{filename_prefix}-{data.number}.pdf",
        content_type=PDF,
        content=render_sheet(data),
        number=data.number,
    )
    _log(
        actor=actor,
        action=action,
        session=session,
        document=document,
        label=label,
        extra=log_data,
    )
    return document


def _issue(
    *,
    data: SheetData,
    render: Callable[[SheetData], bytes],
    filename_prefix: str,
    kind: IssuedDocument.Kind,
    action: str,
    label: str,
    session,
    actor,
    now: dt.datetime,
    log_data: dict | None = None,
) -> DocumentFile:
    """Renders `data` and registers the exact bytes under the printed number.

    The number is printed in the PDF, so it must be free before rendering: the same sheet
    issued twice in one second gets the same computed number (and different bytes, as the
    PDF carries its own creation time), so a taken number is replaced by another suffix. A
    concurrent issue may still take it between the check and the insert: the unique
    constraint refuses the second row and the document is rendered again under another
    number. Rendering stays outside the transaction, so no write lock is held meanwhile."""
    title = _("%(kind)s — session %(session)s — %(contract)s") % {
        "kind": kind.label,
        "session": data.session_code,
        "contract": data.contract_reference,
    }
    retention = retention_until(
        programme_end=TrainingSession.objects.filter(pk=session.pk)
        .values_list("formation__programme__end_date", flat=True)
        .first()
    )
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
        try:
            with transaction.atomic():
                record = IssuedDocument(
                    number=document.number,
                    kind=kind,
                    title=title[:255],
                    sha256=document.sha256,
                    size=len(document.content),
                    issued_at=now,
                    issued_by=issued_by,
                    session=session,
                    retention_until=retention,
                )
                # The unique number is the database's to enforce (see above); the foreign
                # keys come straight from loaded objects.
                record.full_clean(
                    exclude=["issued_by", "session"],
                    validate_unique=False,
                    validate_constraints=False,
                )
                record.save()
                _log(
                    actor=actor,
                    action=action,
                    session=session,
                    document=document,
                    label=label,
                    extra=log_data,
                )
        except IntegrityError:
            if attempt >= NUMBER_ATTEMPTS or not _is_taken(document.number):
                raise
            continue
        return document


def _is_taken(number: str) -> bool:
    return IssuedDocument.objects.filter(number=number).exists()


def _free_number(data: SheetData) -> SheetData:
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
            "bytes": len(document.content),
            **(extra or {}),
        },
    )
