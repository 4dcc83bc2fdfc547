"""The documents livrables puts in a formation's audit pack, registered as sections
(`registry.register_section`, at import: `livrables.pack` imports this module).

The scope's half-days are those of the formation's sessions (not cancelled) whose local
date (in the session's time zone) falls within the period; its sessions are those with
at least one such half-day. Per section, the files are read by one query (or one per
chunk of `CHUNK` rows), never one per row; each file's bytes are read only when the
builder reaches it.

Folders an auditor can read: `emargement/` (the issued sheets), `certificats/<person>/`
(certificat de réalisation, attestation d'assiduité), `structures/<structure>/`
(certificats d'assiduité), `scans/<session>/` (scans of paper sheets),
`service-fait/` (the issued statements), `suivi-des-depenses.xlsx` at the root (its links
point to the receipts under `frais/`, relative to it), and `risques_audit.csv`."""

import datetime as dt
import hashlib
import re
import tempfile
import zoneinfo
from collections.abc import Iterator
from functools import partial

from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from formations.exporting import csv_cell, write_xlsx
from formations.french import user_name
from formations.storage import documents_storage
from livrables.exceptions import LivrablesError
from livrables.exports_expenses import ExpenseExporter
from livrables.models import IssuedDocument
from livrables.models_expenses import Expense
from livrables.pack.builder import csv_bytes
from livrables.pack.registry import PackFile, PackScope, PackSection, register_section
from livrables.selectors import issued_file, standing
from livrables.selectors_deliverables import validated_versions
from sessions.models import Enrolment, PaperSheetScan, Slot, TrainingSession
from sessions.selectors.audit_risks import audit_risks

# Rows read per database round trip.
CHUNK = 200
# Bytes of a stored file read at a time (receipts, scans, the expense file).
READ_CHUNK = 64 * 1024
CERTIFICATE_KINDS = (
    IssuedDocument.Kind.COMPLETION_CERTIFICATE,
    IssuedDocument.Kind.ATTENDANCE_ATTESTATION,
)
EXPENSES_FILE = "suivi-des-depenses.xlsx"
RISKS_FILE = "risques_audit.csv"


# ---------------------------------------------------------------------------- scope


def scope_slots(scope: PackScope) -> list[tuple[int, int]]:
    """(slot, session) of the scope's half-days: one query. The period is in local dates,
    which SQL cannot compute for every time zone at once: the query takes a day more on
    each side (no zone is more than 14 hours away from UTC) and each start is then read in
    its session's zone."""
    slots = Slot.objects.filter(session__formation_id=scope.formation.pk).exclude(
        session__status=TrainingSession.Status.CANCELLED
    )
    if scope.date_from is not None:
        slots = slots.filter(starts_at__date__gte=scope.date_from - dt.timedelta(days=1))
    if scope.date_to is not None:
        slots = slots.filter(starts_at__date__lte=scope.date_to + dt.timedelta(days=1))
    found = []
    for pk, session_id, starts_at, zone in slots.values_list(
        "pk", "session_id", "starts_at", "session__time_zone"
    ).order_by("starts_at", "pk"):
        if scope.date_from is None and scope.date_to is None:
            found.append((pk, session_id))
            continue
        local = timezone.localtime(starts_at, _zone(zone)).date()
        if scope.covers(local):
            found.append((pk, session_id))
    return found


def _zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


def scope_session_ids(scope: PackScope) -> list[int]:
    return list(dict.fromkeys(session for _slot, session in scope_slots(scope)))


def _whole(scope: PackScope) -> bool:
    return scope.date_from is None and scope.date_to is None


# ---------------------------------------------------------------------------- helpers


def ascii_name(name: str, fallback: str = "fichier") -> str:
    """A file name of the pack: ASCII letters, digits, « . », « - », « _ » only (a path
    the verifier, every unzip tool and every file system read the same way)."""
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", slugify(stem) if not stem.isascii() else stem)
    stem = stem.strip("-.") or fallback
    extension = re.sub(r"[^A-Za-z0-9]+", "", extension).lower()
    return f"{stem}.{extension}" if extension else stem


def issued_chunks(document: IssuedDocument) -> Iterator[bytes]:
    """The kept bytes of an issued document, checked against the register; raises
    `LivrablesError` (missing, altered) before yielding anything."""
    yield issued_file(document=document).content


def checked_chunks(*, name: str, sha256: str, size: int | None, label: str) -> Iterator[bytes]:
    """A file of the documents storage (a receipt, a scan), read twice chunk by chunk:
    first to check its SHA-256 (and size, when recorded) against upload's (raises
    `LivrablesError` before yielding anything when it is gone or altered), then to yield
    it. Memory: one chunk."""
    storage = documents_storage()
    digest = hashlib.sha256()
    total = 0
    try:
        with storage.open(name, "rb") as handle:
            while chunk := handle.read(READ_CHUNK):
                digest.update(chunk)
                total += len(chunk)
    except FileNotFoundError:
        raise LivrablesError(
            _("Le fichier de %(label)s est introuvable.") % {"label": label}, code="file_missing"
        ) from None
    if (size is not None and total != size) or digest.hexdigest() != sha256:
        raise LivrablesError(
            _("Le fichier de %(label)s ne correspond plus à l'empreinte enregistrée.")
            % {"label": label},
            code="file_altered",
        )
    with storage.open(name, "rb") as handle:
        while chunk := handle.read(READ_CHUNK):
            yield chunk


def _documents(queryset) -> Iterator[IssuedDocument]:
    return queryset.exclude(storage_name="").iterator(chunk_size=CHUNK)


def _issued_file(folder: str, document: IssuedDocument) -> PackFile:
    name = ascii_name(document.filename or f"{document.number}.pdf", document.number)
    return PackFile(
        path=f"{folder}/{name}",
        chunks=partial(issued_chunks, document),
        modified=document.issued_at,
    )


# ---------------------------------------------------------------------------- sections


def sheet_files(scope: PackScope) -> Iterator[PackFile]:
    """The standing issued feuille d'émargement of each session of the scope, by session
    code."""
    sessions = scope_session_ids(scope)
    documents = standing(
        IssuedDocument.objects.filter(
            kind=IssuedDocument.Kind.ATTENDANCE_SHEET,
            session__formation_id=scope.formation.pk,
            session_id__in=sessions,
        )
    ).order_by("session__code", "-issued_at", "-pk")
    for document in _documents(documents):
        yield _issued_file("emargement", document)


def _scope_people(scope: PackScope):
    """The people of the scope's sessions (all of the formation's without a period)."""
    enrolments = Enrolment.objects.filter(session__formation_id=scope.formation.pk)
    if not _whole(scope):
        enrolments = enrolments.filter(session_id__in=scope_session_ids(scope))
    return enrolments.values("participant_id")


def certificate_files(scope: PackScope) -> Iterator[PackFile]:
    """The standing certificat de réalisation and attestation d'assiduité of each person
    of the scope, in one folder per person (by name)."""
    documents = (
        standing(
            IssuedDocument.objects.filter(
                kind__in=CERTIFICATE_KINDS,
                formation_id=scope.formation.pk,
                participant_id__in=_scope_people(scope),
            )
        )
        .select_related("participant")
        .order_by("participant__sort_key", "participant_id", "kind", "-issued_at", "-pk")
    )
    for document in _documents(documents):
        person = document.participant
        folder = slugify(f"{person.last_name} {person.first_name}") or "participant"
        yield _issued_file(f"certificats/{folder}-{person.pk}", document)


def structure_files(scope: PackScope) -> Iterator[PackFile]:
    """The standing certificat d'assiduité of each structure whose people are in the
    scope, one folder per structure (by name)."""
    structures = (
        Enrolment.objects.filter(participant_id__in=_scope_people(scope))
        .exclude(participant__structure_id=None)
        .values("participant__structure_id")
    )
    documents = (
        standing(
            IssuedDocument.objects.filter(
                kind=IssuedDocument.Kind.STRUCTURE_ATTENDANCE_CERTIFICATE,
                formation_id=scope.formation.pk,
                structure_id__in=structures,
            )
        )
        .select_related("structure")
        .order_by("structure__name", "structure_id", "-issued_at", "-pk")
    )
    for document in _documents(documents):
        structure = document.structure
        folder = slugify(structure.name) or "structure"
        yield _issued_file(f"structures/{folder}-{structure.pk}", document)


def scan_files(scope: PackScope) -> Iterator[PackFile]:
    """The scans of the paper sheets of the scope's half-days (the proof of attendance
    keyed in from paper), one folder per session, checked against their recorded
    digest."""
    slots = [slot for slot, _session in scope_slots(scope)]
    scans = (
        PaperSheetScan.objects.filter(slot_id__in=slots)
        .select_related("slot__session")
        .order_by("slot__session__code", "slot__starts_at", "pk")
    )
    for scan in scans.iterator(chunk_size=CHUNK):
        slot = scan.slot
        start = slot.local_start
        name = ascii_name(scan.original_name, "scan")
        extension = name.rpartition(".")[2] if "." in name else "bin"
        session = ascii_name(slot.session.code, "session")
        yield PackFile(
            path=f"scans/{session}/{start:%Y-%m-%d-%H%M}-scan-{scan.pk}.{extension}",
            chunks=partial(
                checked_chunks,
                name=scan.file.name,
                sha256=scan.sha256,
                size=scan.size,
                label=_("scan n° %(pk)s (session %(code)s)")
                % {"pk": scan.pk, "code": slot.session.code},
            ),
            modified=scan.uploaded_at,
        )


def statement_files(scope: PackScope) -> Iterator[PackFile]:
    """The standing états de service fait of the formation: every one without a period;
    with one, those whose period meets it (none when none does: a statement of another
    period would justify nothing of this one)."""
    documents = standing(
        IssuedDocument.objects.filter(
            kind=IssuedDocument.Kind.SERVICE_FAIT_STATEMENT, formation_id=scope.formation.pk
        )
    ).exclude(storage_name="")
    if scope.date_from is not None:
        documents = documents.filter(Q(covers_to__isnull=True) | Q(covers_to__gte=scope.date_from))
    if scope.date_to is not None:
        documents = documents.filter(
            Q(covers_from__isnull=True) | Q(covers_from__lte=scope.date_to)
        )
    for document in documents.order_by("covers_from", "issued_at", "pk").iterator(chunk_size=CHUNK):
        yield _issued_file("service-fait", document)


def _in_period(expenses, date_from, date_to):
    if date_from is not None:
        expenses = expenses.filter(date__gte=date_from)
    if date_to is not None:
        expenses = expenses.filter(date__lte=date_to)
    return expenses


def expense_workbook_chunks(scope: PackScope) -> Iterator[bytes]:
    """The expense follow-up file (XLSX, write-only openpyxl into a spooled temporary
    file), then read back chunk by chunk."""
    exporter = ExpenseExporter(
        formation=scope.formation, date_from=scope.date_from, date_to=scope.date_to
    )
    with tempfile.SpooledTemporaryFile(max_size=1024 * 1024) as output:
        write_xlsx(exporter, output)
        output.seek(0)
        while chunk := output.read(READ_CHUNK):
            yield chunk


def expense_files(scope: PackScope) -> Iterator[PackFile]:
    """The expense follow-up file at the pack's root (its links are relative to it), then
    each expense's receipt at `Expense.pack_name` (`frais/…`), checked against the digest
    recorded at upload. Nothing when the formation has no expense (in the period)."""
    expenses = _in_period(
        Expense.objects.filter(formation_id=scope.formation.pk), scope.date_from, scope.date_to
    ).order_by("date", "number")
    if not expenses.exists():
        return
    yield PackFile(path=EXPENSES_FILE, chunks=partial(expense_workbook_chunks, scope))
    for expense in expenses.iterator(chunk_size=CHUNK):
        yield PackFile(
            path=expense.pack_name,
            chunks=partial(
                checked_chunks,
                name=expense.receipt.name,
                sha256=expense.receipt_sha256,
                size=None,
                label=_("justificatif de la dépense n° %(number)s") % {"number": expense.number},
            ),
            modified=expense.created_at,
        )


def deliverable_files(scope: PackScope) -> Iterator[PackFile]:
    """The expected deliverables the funder validated (or that were since diffused), due
    within the period, each checked against the digest recorded at upload, and beside it
    the funder's message the coordination attached as the proof of the validation."""
    for version in validated_versions(
        formation=scope.formation, date_from=scope.date_from, date_to=scope.date_to
    ):
        label = _("la version %(number)s de « %(title)s » (échéance du %(date)s)") % {
            "number": version.number,
            "title": version.deliverable_title,
            "date": f"{version.due_date:%d/%m/%Y}",
        }
        yield PackFile(
            path=version.pack_name,
            chunks=partial(
                checked_chunks,
                name=version.storage_name,
                sha256=version.sha256,
                size=version.size,
                label=label,
            ),
            modified=version.decided_at,
        )
        if version.message_storage_name and version.message_pack_name:
            yield PackFile(
                path=version.message_pack_name,
                chunks=partial(
                    checked_chunks,
                    name=version.message_storage_name,
                    sha256=version.message_sha256,
                    size=None,
                    label=_("message du financeur sur %(label)s") % {"label": label},
                ),
                modified=version.decided_at,
            )


def risk_rows(scope: PackScope) -> list[list[str]]:
    """One row per audit risk of the formation (within the period when the risk is
    dated), with the coordinator's explanation, who gave it and when."""
    rows = []
    # A dated risk falls in the period by its session's local date, as the half-days do.
    zones = dict(
        TrainingSession.objects.filter(formation_id=scope.formation.pk).values_list(
            "code", "time_zone"
        )
    )
    for risk in audit_risks(formation=scope.formation):
        if risk.at is not None and not _whole(scope):
            zone = zones.get(risk.session_code)
            local = risk.at.astimezone(_zone(zone)) if zone else timezone.localtime(risk.at)
            if not scope.covers(local.date()):
                continue
        ack = risk.acknowledgement
        rows.append(
            [
                csv_cell(value)
                for value in (
                    risk.kind_label,
                    risk.session_code,
                    risk.sentence,
                    ack.explanation if ack else "",
                    user_name(ack.acknowledged_by) if ack else "",
                    timezone.localtime(ack.acknowledged_at) if ack else None,
                )
            ]
        )
    return rows


RISK_HEADER = ("risque", "session", "enregistrement", "explication", "par", "le")


def risk_files(scope: PackScope) -> Iterator[PackFile]:
    """`risques_audit.csv`: what a controller would question, with the explanations."""
    yield PackFile(
        path=RISKS_FILE, chunks=lambda: (csv_bytes(risk_rows(scope), header=RISK_HEADER),)
    )


SECTIONS = tuple(
    register_section(section)
    for section in (
        PackSection(
            key="emargement",
            label=gettext_lazy("Feuilles d'émargement émises (emargement/)"),
            order=20,
            files=sheet_files,
        ),
        PackSection(
            key="certificats",
            label=gettext_lazy(
                "Certificats de réalisation et attestations d'assiduité, un dossier par "
                "personne (certificats/)"
            ),
            order=30,
            files=certificate_files,
        ),
        PackSection(
            key="structures",
            label=gettext_lazy("Certificats d'assiduité des structures (structures/)"),
            order=40,
            files=structure_files,
        ),
        PackSection(
            key="scans",
            label=gettext_lazy("Scans des feuilles papier signées en salle (scans/)"),
            order=50,
            files=scan_files,
        ),
        PackSection(
            key="service_fait",
            label=gettext_lazy("États de service fait émis (service-fait/)"),
            order=60,
            files=statement_files,
        ),
        PackSection(
            key="frais",
            label=gettext_lazy(
                "Fichier de suivi des dépenses (suivi-des-depenses.xlsx) et justificatifs "
                "des frais engagés (frais/)"
            ),
            order=70,
            files=expense_files,
        ),
        PackSection(
            key="livrables_attendus",
            label=gettext_lazy(
                "Livrables attendus validés par le financeur, avec son message quand la "
                "coordination l'a joint (livrables-attendus/)"
            ),
            order=80,
            files=deliverable_files,
        ),
        PackSection(
            key="risques_audit",
            label=gettext_lazy(
                "Risques d'audit et explications de la coordination (risques_audit.csv)"
            ),
            order=90,
            files=risk_files,
        ),
    )
)
