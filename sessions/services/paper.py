"""Paper fallback: storing the scan of a paper sheet signed in the room, and keying in
the statuses read from it.

Why the scan matters: keyed-in attendance counts for the funder only with the scanned
sheet attached (`Attendance.is_signed`), so every keyed-in row points to a stored scan
whose SHA-256 is kept, and the scan can never be replaced in place.
"""

import datetime as dt
import hashlib
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from formations.audit import log_action
from formations.french import size_label
from sessions.exceptions import AttendanceError, SessionsError
from sessions.models import Attendance, Enrolment, PaperSheetScan, Slot
from sessions.permissions import ensure_runs_session
from sessions.selectors.locks import slot_is_sealed
from sessions.services.attendance import attendance_key_in

# Real content is recognised by its first bytes; the extension alone proves nothing.
SCAN_TYPES = {
    "application/pdf": (b"%PDF-", ".pdf", ("pdf",)),
    "image/jpeg": (b"\xff\xd8\xff", ".jpg", ("jpg", "jpeg")),
    "image/png": (b"\x89PNG\r\n\x1a\n", ".png", ("png",)),
}
ALLOWED_EXTENSIONS = frozenset(ext for _m, _s, exts in SCAN_TYPES.values() for ext in exts)
SCAN_ACCEPT = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"


def sniff_scan_type(head: bytes) -> str | None:
    """The content type of a scan from its first bytes, or None when not PDF/JPEG/PNG."""
    for content_type, (magic, _ext, _exts) in SCAN_TYPES.items():
        if head.startswith(magic):
            return content_type
    return None


def scan_content_type(name: str) -> str:
    """Content type of a stored scan, from the extension we gave it after sniffing."""
    ext = os.path.splitext(name)[1].lower().lstrip(".")
    for content_type, (_magic, _ext, exts) in SCAN_TYPES.items():
        if ext in exts:
            return content_type
    return "application/octet-stream"


def check_scan_file(uploaded_file) -> tuple[str, str, int]:
    """Checks an uploaded scan without storing it; returns (content type, SHA-256, size).

    Raises SessionsError: `empty_file`, `file_too_large`, `bad_file_type`.
    """
    max_bytes = settings.SUIVI_MAX_UPLOAD_BYTES
    too_large = SessionsError(
        _("Le fichier dépasse la taille maximale autorisée (%(max)s).")
        % {"max": size_label(max_bytes)},
        code="file_too_large",
    )
    declared = getattr(uploaded_file, "size", None)
    if declared is not None and declared > max_bytes:
        raise too_large
    digest = hashlib.sha256()
    size = 0
    head = b""
    for chunk in uploaded_file.chunks():
        if len(head) < 16:
            head += chunk[: 16 - len(head)]
        size += len(chunk)
        if size > max_bytes:
            raise too_large
        digest.update(chunk)
    if size == 0:
        raise SessionsError(_("Le fichier est vide."), code="empty_file")
    content_type = sniff_scan_type(head)
    name = os.path.basename(getattr(uploaded_file, "name", "") or "")
    ext = os.path.splitext(name)[1].lower().lstrip(".")
    bad_type = SessionsError(
        _(
            "« %(name)s » n'est pas un PDF, un JPEG ou un PNG : seuls ces formats sont "
            "acceptés pour le scan d'une feuille."
        )
        % {"name": name or _("fichier")},
        code="bad_file_type",
    )
    if content_type is None or (ext and ext not in ALLOWED_EXTENSIONS):
        raise bad_type
    if ext and ext not in SCAN_TYPES[content_type][2]:
        # A PNG named .pdf is refused too: what the name says must be what the file is.
        raise bad_type
    return content_type, digest.hexdigest(), size


def _ensure_not_sealed(slot: Slot) -> None:
    if slot_is_sealed(slot=slot):
        raise SessionsError(
            _(
                "Cette demi-journée est scellée : elle ne peut plus être modifiée. "
                "Passez par une rectification."
            ),
            code="slot_sealed",
        )


@transaction.atomic
def paper_scan_store(*, slot: Slot, uploaded_file, actor) -> PaperSheetScan:
    """Stores the scan of a paper sheet for one half-day, under a random name in
    `paper_sheets/`, with its SHA-256 and size; writes an audit entry.

    Raises SessionsError: `not_trainer`, `slot_sealed`, `empty_file`, `file_too_large`,
    `bad_file_type`.
    """
    # Lock the slot so it cannot be sealed while the scan is being attached.
    # of=("self",): the slot row only, so the session → slot lock order of slot_close holds.
    slot = Slot.objects.select_for_update(of=("self",)).select_related("session").get(pk=slot.pk)
    ensure_runs_session(actor, slot.session)
    _ensure_not_sealed(slot)
    content_type, sha256, size = check_scan_file(uploaded_file)
    original_name = os.path.basename(getattr(uploaded_file, "name", "") or "")[:255]
    scan = PaperSheetScan(
        slot=slot,
        original_name=original_name or f"scan{SCAN_TYPES[content_type][1]}",
        sha256=sha256,
        size=size,
        uploaded_by=actor,
    )
    stored_name = secrets.token_hex(16) + SCAN_TYPES[content_type][1]
    scan.file.save(stored_name, uploaded_file, save=False)
    try:
        scan.full_clean()
        scan.save()
        log_action(
            actor=actor,
            action="paper_scan.upload",
            obj=scan,
            summary=_("Scan de feuille papier déposé pour %(slot)s") % {"slot": slot},
            data={
                "slot": slot.pk,
                "original_name": scan.original_name,
                "file": scan.file.name,
                "sha256": sha256,
                "size": size,
                "content_type": content_type,
            },
        )
    except Exception:
        scan.file.storage.delete(scan.file.name)
        raise
    return scan


@dataclass(frozen=True)
class PaperEntry:
    """One line read from a paper sheet: the status, and for a partial presence the
    arrival / departure written on it (aware datetimes), or the minutes missed, or — as
    files written before times existed say — the minutes attended."""

    enrolment: Enrolment
    status: str
    arrived_at: dt.datetime | None = None
    left_at: dt.datetime | None = None
    minutes_missed: int | None = None
    minutes_attended: int | None = None

    @classmethod
    def coerce(cls, value) -> "PaperEntry":
        if isinstance(value, PaperEntry):
            return value
        enrolment, status, minutes_attended = value
        return cls(enrolment=enrolment, status=status, minutes_attended=minutes_attended)


@transaction.atomic
def paper_sheet_key_in(
    *,
    slot: Slot,
    scan: PaperSheetScan,
    entries: Iterable[PaperEntry],
    actor,
) -> list[Attendance]:
    """Keys in the statuses read from one scanned paper sheet, all or nothing.

    Each entry goes through `attendance_key_in`; the first AttendanceError rolls every
    row back and is re-raised with the participant's name in its message (its `enrolment`
    and `slot` attributes name the row). Codes: those of `attendance_key_in`
    (not_trainer, slot_sealed, scan_missing, wrong_session, invalid_time,
    invalid_minutes, time_required, already_signed).
    """
    attendances = []
    for entry in map(PaperEntry.coerce, entries):
        enrolment = entry.enrolment
        try:
            attendances.append(
                attendance_key_in(
                    enrolment=enrolment,
                    slot=slot,
                    status=entry.status,
                    arrived_at=entry.arrived_at,
                    left_at=entry.left_at,
                    minutes_missed=entry.minutes_missed,
                    minutes_attended=entry.minutes_attended,
                    scan=scan,
                    actor=actor,
                )
            )
        except AttendanceError as exc:
            error = AttendanceError(
                f"{enrolment.participant.full_name} : {exc.message}", code=exc.code
            )
            error.enrolment = enrolment
            error.slot = slot
            raise error from exc
    if attendances:
        log_action(
            actor=actor,
            action="paper_sheet.key_in",
            obj=scan,
            summary=ngettext(
                "%(count)d émargement saisi depuis la feuille papier de %(slot)s",
                "%(count)d émargements saisis depuis la feuille papier de %(slot)s",
                len(attendances),
            )
            % {"count": len(attendances), "slot": slot},
            data={"slot": slot.pk, "scan": scan.pk, "attendances": [a.pk for a in attendances]},
        )
    return attendances


def paper_sheets_import(
    *,
    entries_by_slot: dict[Slot, list[PaperEntry]],
    actor,
    scan_file=None,
) -> list[Attendance]:
    """Keys in several half-days at once (the `import_attendance` command), all or nothing.

    With `scan_file`, that file is stored as the proof of every half-day concerned (one
    PaperSheetScan per half-day); without it each half-day uses its latest scan and is
    refused (`scan_missing`) when it has none. Files stored before a failure are removed.
    """
    stored: list[PaperSheetScan] = []
    try:
        with transaction.atomic():
            attendances = []
            for slot, entries in entries_by_slot.items():
                if scan_file is not None:
                    scan = paper_scan_store(slot=slot, uploaded_file=scan_file, actor=actor)
                    stored.append(scan)
                else:
                    scan = (
                        PaperSheetScan.objects.filter(slot=slot)
                        .order_by("-uploaded_at", "-pk")
                        .first()
                    )
                    if scan is None:
                        raise AttendanceError(
                            _(
                                "Aucune feuille scannée pour %(slot)s : la saisie papier ne compte "
                                "qu'avec le scan de la feuille."
                            )
                            % {"slot": slot},
                            code="scan_missing",
                        )
                attendances += paper_sheet_key_in(
                    slot=slot, scan=scan, entries=entries, actor=actor
                )
            return attendances
    except Exception:
        for scan in stored:
            scan.file.storage.delete(scan.file.name)
        raise
