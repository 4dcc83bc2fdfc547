"""Building a formation's audit pack and registering it as an issued document.

`build_audit_pack` writes the pack (`builder.stream_pack`) into a file the caller gives
(the command's temporary file beside its destination, the job's temporary file), hashing
it on the way, then copies that file into the private documents storage chunk by chunk
(never as one bytes object) and registers it: `IssuedDocument` of kind `audit_pack`,
subject the formation, the period in `covers_from` / `covers_to` (empty bounds for the
whole formation), its SHA-256 and size, content type `application/zip`. The standing pack
of the same formation and period is superseded (the register keeps it).

Building a pack is a read of what is already issued and sealed: the formation's auditors
may build one as coordinators do. The register's `issued_by` and the journal's actor then
name the auditor; a pack built by the command has neither (« produit par une commande »)."""

import dataclasses
import datetime as dt
import hashlib
import logging
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from formations.french import user_name
from livrables import files
from livrables.data import alternative_number, verification_url
from livrables.exceptions import LivrablesError
from livrables.models import IssuedDocument
from livrables.pack.builder import PackContext, PackOutcome, stream_pack
from livrables.pack.registry import PackScope
from livrables.pack.sections import scope_slots
from livrables.services import Subject, _register, retention_until
from livrables.zips import may_download_zip
from sessions.models import Seal

logger = logging.getLogger(__name__)

KIND = IssuedDocument.Kind.AUDIT_PACK
ZIP = "application/zip"
NUMBER_PREFIX = "DOS"
NUMBER_ATTEMPTS = 5


def may_build_pack(*, user, formation) -> bool:
    """Coordinators, and auditors of the formation's programme's funders (the same people
    who download the certificates' ZIP); nobody else."""
    return may_download_zip(user=user, formation=formation)


@dataclasses.dataclass(frozen=True)
class KeptPack:
    """What the register needs of the pack (the interface of `files.DocumentFile`
    without its bytes)."""

    filename: str
    content_type: str
    number: str
    sha256: str
    size: int


@dataclasses.dataclass(frozen=True)
class BuiltPack:
    document: IssuedDocument
    outcome: PackOutcome


def check_period(date_from: dt.date | None, date_to: dt.date | None) -> None:
    if date_from is not None and date_to is not None and date_from > date_to:
        raise LivrablesError(
            _("La période est inversée : la date de début doit précéder la date de fin."),
            code="period_reversed",
        )


def check_scope(scope: PackScope) -> None:
    """The period is in order and, when there is one, holds at least one sealed half-day
    (local date of its start within the bounds): a pack of a period with nothing sealed
    would prove nothing and only clutter the register.

    Raises LivrablesError `period_reversed`, `nothing_sealed`."""
    check_period(scope.date_from, scope.date_to)
    if scope.date_from is None and scope.date_to is None:
        return
    slots = [slot for slot, _session in scope_slots(scope)]
    if not Seal.objects.filter(slot_id__in=slots).exists():
        raise LivrablesError(
            _("Aucune demi-journée scellée dans la période %(period)s.")
            % {"period": period_label(scope.date_from, scope.date_to)},
            code="nothing_sealed",
        )


def pack_filename(scope: PackScope) -> str:
    reference = slugify(scope.formation.contract_reference) or f"formation-{scope.formation.pk}"
    period = ""
    if scope.date_from is not None or scope.date_to is not None:
        start = f"{scope.date_from:%Y%m%d}" if scope.date_from else "debut"
        end = f"{scope.date_to:%Y%m%d}" if scope.date_to else "fin"
        period = f"-{start}-{end}"
    return f"dossier-justificatifs-{reference}{period}.zip"


def _number(formation, now: dt.datetime) -> str:
    """`DOS-F<formation>-<yyyymmddHHMMSS UTC>-<4 hex>`, not yet registered."""
    stamp = now.astimezone(dt.UTC).strftime("%Y%m%d%H%M%S")
    suffix = hashlib.sha256(f"pack|{formation.pk}|{stamp}".encode()).hexdigest()[:4].upper()
    number = f"{NUMBER_PREFIX}-F{formation.pk}-{stamp}-{suffix}"
    attempt = 0
    base = number
    while IssuedDocument.objects.filter(number=number).exists():
        attempt += 1
        if attempt > NUMBER_ATTEMPTS:
            raise LivrablesError(
                _("Un autre dossier vient d'être constitué : réessayez dans un instant."),
                code="number_taken",
            )
        number = alternative_number(base, attempt)
    return number


def build_audit_pack(
    *,
    scope: PackScope,
    actor,
    output,
    now: dt.datetime | None = None,
    on_file: Callable[[str, bool], None] | None = None,
) -> BuiltPack:
    """Writes the pack of `scope` into `output` (a binary file open for writing and
    reading, left at its end), keeps a copy in the documents storage and registers it.
    `actor`: the user building it (None: the command). `on_file(path, included)`: called
    after each section file.

    Raises LivrablesError `not_allowed` (neither a coordinator nor an auditor of the
    formation's funders), `period_reversed`, `nothing_sealed` (`check_scope`),
    `number_taken`. Audit action
    `livrables.audit_pack_built`, on the formation (data: number, sha256, bytes, period,
    left_out, supersedes)."""
    formation = scope.formation
    if actor is not None and not may_build_pack(user=actor, formation=formation):
        raise LivrablesError(
            _(
                "Seules la coordination et les auditeur·rices des financeurs de la formation "
                "constituent son dossier de justificatifs."
            ),
            code="not_allowed",
        )
    check_scope(scope)
    now = now or timezone.now()
    number = _number(formation, now)
    context = PackContext(
        number=number,
        verification_url=verification_url(number),
        built_at=now,
        built_by=user_name(actor) if getattr(actor, "is_authenticated", False) else "",
    )
    outcome = PackOutcome()
    digest = hashlib.sha256()
    size = 0
    for chunk in stream_pack(scope, context=context, outcome=outcome, on_file=on_file):
        if chunk:
            output.write(chunk)
            digest.update(chunk)
            size += len(chunk)
    output.flush()
    output.seek(0)
    stored = files.keep_file(
        kind=KIND, issued_at=now, number=number, handle=output, extension="zip"
    )
    output.seek(0, 2)
    pack = KeptPack(
        filename=pack_filename(scope),
        content_type=ZIP,
        number=number,
        sha256=digest.hexdigest(),
        size=size,
    )
    subject = Subject(formation=formation, period=(scope.date_from, scope.date_to))
    title = _("%(kind)s — %(contract)s — %(period)s") % {
        "kind": KIND.label,
        "contract": formation.contract_reference,
        "period": period_label(scope.date_from, scope.date_to),
    }
    try:
        with transaction.atomic():
            record = _register(
                document=pack,
                stored=stored,
                kind=KIND,
                title=title,
                subject=subject,
                issued_by=actor if getattr(actor, "is_authenticated", False) else None,
                now=now,
                retention=retention_until(programme_end=subject.programme_end()),
                actor=actor,
                action="livrables.audit_pack_built",
                label=str(KIND.label),
                log_data={
                    "period": [
                        scope.date_from.isoformat() if scope.date_from else None,
                        scope.date_to.isoformat() if scope.date_to else None,
                    ],
                    "left_out": [path for path, _section, _reason in outcome.left_out],
                },
                public={"covers_from": scope.date_from, "covers_to": scope.date_to},
            )
    except IntegrityError as error:
        files.discard(stored)
        raise LivrablesError(
            _("Un autre dossier vient d'être constitué : réessayez dans un instant."),
            code="number_taken",
        ) from error
    except BaseException:
        files.discard(stored)
        raise
    return BuiltPack(document=record, outcome=outcome)


def period_label(date_from: dt.date | None, date_to: dt.date | None) -> str:
    if date_from is None and date_to is None:
        return _("toute la formation")
    if date_to is None:
        return _("à partir du %(start)s") % {"start": f"{date_from:%d/%m/%Y}"}
    if date_from is None:
        return _("jusqu'au %(end)s") % {"end": f"{date_to:%d/%m/%Y}"}
    return _("du %(start)s au %(end)s") % {
        "start": f"{date_from:%d/%m/%Y}",
        "end": f"{date_to:%d/%m/%Y}",
    }
