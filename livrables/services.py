"""Issuing documents: build the data, render, and log the issue (number and SHA-256) in the
audit journal so an issued document can later be checked against what was issued."""

import hashlib
from dataclasses import dataclass

from django.utils import timezone

from formations.audit import log_action
from livrables.data import build_sheet_data
from livrables.pdf.blank_sheet import render_blank_sheet
from livrables.pdf.sheet import render_sheet

PDF = "application/pdf"


@dataclass(frozen=True)
class IssuedDocument:
    filename: str
    content_type: str
    content: bytes
    number: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def issue_sheet(*, session, actor, now=None) -> IssuedDocument:
    """Renders the signed feuille d'émargement of `session` as it stands now.

    Audit action `livrables.sheet_issued` (data: number, sha256, bytes)."""
    now = now or timezone.now()
    data = build_sheet_data(session=session, now=now)
    document = IssuedDocument(
        filename=f"feuille-emargement-{data.number}.pdf",
        content_type=PDF,
        content=render_sheet(data),
        number=data.number,
    )
    _log(
        actor=actor,
        action="livrables.sheet_issued",
        session=session,
        document=document,
        label="Feuille d'émargement",
    )
    return document


def issue_blank_sheet(*, session, actor, now=None) -> IssuedDocument:
    """Renders the blank paper sheet of `session` (names pre-filled, one QR code per
    half-day). Audit action `livrables.blank_sheet_issued`."""
    now = now or timezone.now()
    data = build_sheet_data(session=session, blank=True, now=now)
    document = IssuedDocument(
        filename=f"feuille-vierge-{data.number}.pdf",
        content_type=PDF,
        content=render_blank_sheet(data),
        number=data.number,
    )
    _log(
        actor=actor,
        action="livrables.blank_sheet_issued",
        session=session,
        document=document,
        label="Feuille vierge",
    )
    return document


def _log(*, actor, action, session, document: IssuedDocument, label: str) -> None:
    log_action(
        actor=actor,
        action=action,
        obj=session,
        summary=f"{label} {document.number}",
        data={"number": document.number, "sha256": document.sha256, "bytes": len(document.content)},
    )
