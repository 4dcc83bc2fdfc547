"""A formation with everything an audit pack holds: sealed sessions with their issued
sheets, the people's certificates and attestations, the structures' certificates, a
scanned paper sheet, an issued service-fait statement, expenses with receipts and an
acknowledged audit risk."""

import csv
import datetime as dt
import hashlib
import io
import zipfile
from dataclasses import dataclass
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from formations.models import Structure, User
from livrables.bulk import Scope, structure_subjects
from livrables.models import Expense, IssuedDocument
from livrables.services import issue_certificate, issue_sheet, issue_structure_certificate
from livrables.services_claims import issue_service_fait_statement
from livrables.services_expenses import expense_create
from sessions.models import AuditRiskAcknowledgement, PaperSheetScan
from tests.factories import UserFactory
from tests.livrables.test_bulk import make_session, make_world

NOW = dt.datetime(2021, 11, 2, 10, 0, tzinfo=dt.UTC)
RECEIPT = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
SCAN = b"%PDF-1.4 scan of the paper sheet\n%%EOF\n"


@dataclass
class PackWorld:
    formation: object
    sessions: list
    people: list
    coordinator: User
    funder: object
    sheets: list
    certificates: list
    structures: list
    statement: IssuedDocument
    expense: Expense
    scan: PaperSheetScan


def issue_everything(world, *, now=NOW):
    """Sheets, certificates and attestations, structure certificates of `world`
    (tests.livrables.test_bulk.make_world)."""
    sheets = [
        issue_sheet(session=session, actor=world.coordinator, now=now) for session in world.sealed
    ]
    certificates = [
        issue_certificate(
            kind=kind,
            participant=person,
            formation=world.formation,
            actor=world.coordinator,
            now=now,
        )
        for person in world.people
        for kind in (
            IssuedDocument.Kind.COMPLETION_CERTIFICATE,
            IssuedDocument.Kind.ATTENDANCE_ATTESTATION,
        )
    ]
    structures = [
        issue_structure_certificate(
            structure=structure, formation=world.formation, actor=world.coordinator, now=now
        )
        for structure in Structure.objects.filter(
            pk__in=structure_subjects(Scope(formation=world.formation))
        )
    ]
    return sheets, certificates, structures


def make_pack_world(count_a=3, count_b=2, extra_sessions=0) -> PackWorld:
    """`extra_sessions`: more sealed sessions (two people each) after the two of
    `make_world`."""
    world = make_world(count_a, count_b)
    from tests.factories import ParticipantFactory

    for index in range(extra_sessions):
        people = [ParticipantFactory(), ParticipantFactory()]
        world.sealed.append(
            make_session(world.formation, people, day=dt.date(2021, 10, 19 + index))
        )
        world.people.extend(people)
    sheets, certificates, structures = issue_everything(world)
    statement = issue_service_fait_statement(
        formation=world.formation,
        period_start=dt.date(2021, 10, 1),
        period_end=dt.date(2021, 10, 31),
        actor=world.coordinator,
        now=NOW,
    )
    expense = expense_create(
        actor=world.coordinator,
        formation=world.formation,
        receipt=SimpleUploadedFile("billet.pdf", RECEIPT, content_type="application/pdf"),
        date=dt.date(2021, 10, 4),
        category=Expense.Category.TRAVEL,
        description="Train Lille – Arras",
        amount_ht=Decimal("40.00"),
        vat=Decimal("8.00"),
        amount_ttc=Decimal("48.00"),
        paid_by="Organisme",
    )
    slot = world.sealed[0].slots.order_by("starts_at").first()
    scan = PaperSheetScan.objects.create(
        slot=slot,
        file=SimpleUploadedFile("feuille papier.pdf", SCAN),
        original_name="feuille papier.pdf",
        sha256=hashlib.sha256(SCAN).hexdigest(),
        size=len(SCAN),
        uploaded_by=UserFactory(role=User.Role.TRAINER),
    )
    from sessions.selectors.audit_risks import audit_risks

    risks = audit_risks(formation=world.formation)
    if risks:
        AuditRiskAcknowledgement.objects.create(
            formation=world.formation,
            risk_key=risks[0].key,
            explanation="Signature recueillie par le formateur, voir le scan.",
            acknowledged_by=world.coordinator,
            acknowledged_at=NOW,
        )
    return PackWorld(
        formation=world.formation,
        sessions=world.sealed,
        people=world.people,
        coordinator=world.coordinator,
        funder=world.funder,
        sheets=sheets,
        certificates=certificates,
        structures=structures,
        statement=statement,
        expense=expense,
        scan=scan,
    )


def read_zip(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert archive.testzip() is None
        return {name: archive.read(name) for name in archive.namelist()}


def manifest_rows(files: dict[str, bytes]) -> list[list[str]]:
    raw = files["manifest.csv"]
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    assert "\r\n" in text
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
