"""Demo money: the FSE formation (DESIGN PALAS, « FAIS LABO ») gets a mission, expenses
with their receipts, two claims of service fait and one payment, so that a visitor finds
the expenses' list, totals and follow-up file, and on the formation page claimed / paid /
still due. Receipts are made here (a one-page PDF, a small PNG): no binary file is kept in
the repository. Idempotent: a formation that has expenses, or claims, is left alone."""

import datetime as dt
import struct
import zlib
from decimal import Decimal
from io import BytesIO

from django.core.files.base import ContentFile
from reportlab.lib.pagesizes import A5
from reportlab.pdfgen import canvas

from formations.models import Formation
from livrables.models import Expense, ServiceFaitClaim
from livrables.service_fait import service_fait_statement
from livrables.services_claims import record_claim, record_payment
from livrables.services_expenses import expense_create, mission_create
from sessions.models import TrainingSession

FORMATION = "FSE-DESIGN-PALAS-FAIS-LABO"
D = dt.date


def receipt_pdf(title: str, lines: list[str]) -> bytes:
    """A one-page PDF « receipt » for the demo (reportlab, Latin-1 text)."""
    buffer = BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A5, invariant=True)
    pdf.setTitle(title)
    pdf.setFont("Helvetica-Bold", 14)
    pdf.drawString(40, 540, title)
    pdf.setFont("Helvetica", 10)
    for index, line in enumerate([*lines, "", "Justificatif de démonstration (Suivi Formations)."]):
        pdf.drawString(40, 510 - 16 * index, line)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def receipt_png(width: int = 120, height: int = 80, rgb=(0, 51, 153)) -> bytes:
    """A small valid PNG (a band of colour on white), written with zlib alone."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    white, band = b"\xff\xff\xff", bytes(rgb)
    rows = b"".join(
        b"\x00" + (band if height // 3 <= y < 2 * height // 3 else white) * width
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )


def load(*, coordinator) -> None:
    formation = Formation.objects.filter(contract_reference=FORMATION).first()
    if formation is None:
        return
    if not Expense.objects.filter(formation=formation).exists():
        _expenses(formation, coordinator)
    if not ServiceFaitClaim.objects.filter(formation=formation).exists():
        _claims(formation, coordinator)


def _expenses(formation, coordinator) -> None:
    mission = mission_create(
        actor=coordinator,
        formation=formation,
        name="Repérage des lieux des labos",
        start_date=D(2021, 9, 20),
        end_date=D(2021, 9, 22),
        place="Chirongui et Mamoudzou (Mayotte)",
    )
    sessions = {s.code: s for s in TrainingSession.objects.filter(formation=formation)}
    items = [
        (
            D(2021, 9, 20),
            Expense.Category.TRAVEL,
            "Vol Paris – Dzaoudzi, repérage",
            {"mission": mission},
            ("850.00", "0.00", "850.00"),
            "pdf",
        ),
        (
            D(2021, 9, 21),
            Expense.Category.LODGING,
            "Hôtel à Mamoudzou, 2 nuits",
            {"mission": mission},
            ("180.00", "18.00", "198.00"),
            "png",
        ),
        (
            D(2021, 10, 4),
            Expense.Category.ROOM,
            "Location de salle, labo 1",
            {"session": sessions.get("LABO-2021-1")},
            ("300.00", "60.00", "360.00"),
            "pdf",
        ),
        (
            D(2021, 12, 7),
            Expense.Category.MEALS,
            "Repas des participant·es, labo 2",
            {"session": sessions.get("LABO-2021-2")},
            ("240.00", "24.00", "264.00"),
            "png",
        ),
        (
            D(2021, 11, 15),
            Expense.Category.EQUIPMENT,
            "Post-it, marqueurs et paperboards",
            {},
            ("62.50", "12.50", "75.00"),
            "pdf",
        ),
    ]
    for date, category, description, attached, (ht, vat, ttc), kind in items:
        if kind == "pdf":
            receipt = ContentFile(
                receipt_pdf(
                    "Facture",
                    [description, f"Date : {date:%d/%m/%Y}", f"Total TTC : {ttc} EUR"],
                ),
                name="facture.pdf",
            )
        else:
            receipt = ContentFile(receipt_png(), name="ticket.png")
        expense_create(
            actor=coordinator,
            formation=formation,
            receipt=receipt,
            date=date,
            category=category,
            description=description,
            session=attached.get("session"),
            mission=attached.get("mission"),
            amount_ht=Decimal(ht),
            vat=Decimal(vat),
            amount_ttc=Decimal(ttc),
            paid_by="Organisme (carte de l'association)",
        )


def _claims(formation, coordinator) -> None:
    """Two claims, each of the amount the statement gives for its period; the first one
    paid by the FSE, the second still due."""
    funder = formation.programme.funders.order_by("pk").first()
    periods = [
        (D(2021, 5, 1), D(2021, 10, 31), D(2021, 11, 15)),
        (D(2021, 11, 1), D(2021, 12, 31), D(2022, 1, 10)),
    ]
    claims = []
    for start, end, sent_on in periods:
        statement = service_fait_statement(formation=formation, period_start=start, period_end=end)
        if statement.claimable is None or not statement.claimable.ht:
            continue
        amount = (
            statement.claimable.ttc if formation.amount_includes_vat else statement.claimable.ht
        )
        claims.append(
            record_claim(
                formation=formation,
                period_start=start,
                period_end=end,
                amount=amount,
                sent_on=sent_on,
                note="Demande de démonstration.",
                actor=coordinator,
            )
        )
    if claims and funder is not None:
        record_payment(
            formation=formation,
            received_on=D(2022, 2, 14),
            amount=claims[0].amount_ttc,
            funder=funder,
            claim=claims[0],
            actor=coordinator,
        )
