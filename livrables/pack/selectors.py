"""Reads of registered audit packs: the one standing for a formation and period, and its
kept bytes, checked against the register chunk by chunk before they are served (a pack
is too large to hold in memory as `selectors.issued_file` holds a PDF)."""

import datetime as dt
import hashlib
import logging
from collections.abc import Iterator

from django.utils.translation import gettext as _

from formations.storage import documents_storage
from livrables.exceptions import LivrablesError
from livrables.models import IssuedDocument
from livrables.selectors import standing

READ_CHUNK = 64 * 1024

logger = logging.getLogger(__name__)


def standing_packs(*, formation):
    """The formation's standing packs (one per period), newest first, with their file."""
    return (
        standing(
            IssuedDocument.objects.filter(kind=IssuedDocument.Kind.AUDIT_PACK, formation=formation)
        )
        .exclude(storage_name="")
        .select_related("issued_by")
        .order_by("-issued_at", "-pk")
    )


def built_pack(*, formation, number: str) -> IssuedDocument | None:
    """The pack registered under `number` for `formation` (standing or superseded): what a
    finished build job links to."""
    return IssuedDocument.objects.filter(
        kind=IssuedDocument.Kind.AUDIT_PACK, formation=formation, number=number
    ).first()


def standing_pack(
    *, formation, date_from: dt.date | None, date_to: dt.date | None
) -> IssuedDocument | None:
    """The standing pack of the formation for exactly this period (None bounds: open)."""
    return (
        standing_packs(formation=formation).filter(covers_from=date_from, covers_to=date_to).first()
    )


def check_kept_pack(*, document: IssuedDocument) -> None:
    """Reads the kept ZIP once, chunk by chunk, and compares its size and SHA-256 with
    the register's: raises LivrablesError `file_missing` or `file_altered` (never served
    as genuine)."""
    digest = hashlib.sha256()
    size = 0
    try:
        with documents_storage().open(document.storage_name, "rb") as handle:
            while chunk := handle.read(READ_CHUNK):
                digest.update(chunk)
                size += len(chunk)
                if size > document.size:
                    break
    except FileNotFoundError:
        raise LivrablesError(
            _("Le fichier conservé du document n° %(number)s est introuvable.")
            % {"number": document.number},
            code="file_missing",
        ) from None
    if size != document.size or digest.hexdigest() != document.sha256:
        raise LivrablesError(
            _(
                "Le fichier conservé du document n° %(number)s ne correspond plus à "
                "l'empreinte enregistrée : il n'est pas servi."
            )
            % {"number": document.number},
            code="file_altered",
        )


def kept_pack_chunks(*, document: IssuedDocument) -> Iterator[bytes]:
    """The kept ZIP's bytes, checked first (`check_kept_pack`, which raises before any
    byte is yielded), then read chunk by chunk and hashed again on the way: the last chunk
    is held back until the digest is known, so a file replaced between the check and the
    serving ends in a broken download (and a logged error), never in a complete ZIP that
    is not the registered one."""
    check_kept_pack(document=document)

    def chunks():
        digest = hashlib.sha256()
        with documents_storage().open(document.storage_name, "rb") as handle:
            held = handle.read(READ_CHUNK)
            while held:
                digest.update(held)
                following = handle.read(READ_CHUNK)
                if not following and digest.hexdigest() != document.sha256:
                    logger.error(
                        "Kept pack %s changed while it was served: download cut.",
                        document.number,
                    )
                    raise LivrablesError(
                        _("Le fichier conservé du document n° %(number)s a changé.")
                        % {"number": document.number},
                        code="file_altered",
                    )
                yield held
                held = following

    return chunks()
