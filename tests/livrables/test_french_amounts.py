"""Amounts shown as text read the French way (« 1 250,00 € »): the history's summaries of
claims, payments and expenses, and the text cells of the spreadsheets. Money cells of the
spreadsheets stay numbers."""

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from formations.models import AuditEntry, Formation
from livrables.services_claims import record_claim, record_payment
from livrables.services_expenses import expense_create
from tests.livrables.test_expenses import fields, upload
from tests.livrables.test_service_fait import build_world

DECIMAL_POINT = re.compile(r"\d\.\d")


@pytest.fixture
def world(db):
    return build_world(
        pricing_mode=Formation.PricingMode.PER_DAY,
        unit_price=Decimal("1250.5"),
        vat_rate=Decimal("5.5"),
        amount_includes_vat=True,
    )


def _summaries(formation):
    return list(
        AuditEntry.objects.filter(object_id=str(formation.pk)).values_list("summary", flat=True)
    )


def test_history_summaries_write_amounts_with_a_decimal_comma(world, documents_dir):
    record_claim(
        formation=world.formation,
        period_start=dt.date(2021, 10, 1),
        period_end=dt.date(2021, 10, 31),
        amount=Decimal("1250.50"),
        sent_on=dt.date(2021, 11, 2),
        actor=world.coordinator,
    )
    record_payment(
        formation=world.formation,
        received_on=dt.date(2021, 12, 1),
        amount=Decimal("1000.25"),
        funder=world.funder,
        actor=world.coordinator,
    )
    expense_create(actor=world.coordinator, formation=world.formation, receipt=upload(), **fields())
    summaries = _summaries(world.formation)
    assert any("1\u202f250,50 € TTC" in s for s in summaries), summaries
    assert any("1\u202f000,25 €" in s for s in summaries), summaries
    assert any("48,00 € TTC" in s for s in summaries), summaries
    assert not [s for s in summaries if DECIMAL_POINT.search(s)]


def _rows(response):
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_spreadsheets_text_cells_have_no_decimal_point_and_money_stays_numeric(
    client, world, documents_dir
):
    expense_create(actor=world.coordinator, formation=world.formation, receipt=upload(), **fields())
    client.force_login(world.coordinator)
    statement = _rows(
        client.get(
            reverse("livrables:service_fait_xlsx", args=[world.formation.pk]),
            {"du": "2021-10-01", "au": "2021-10-31"},
        )
    )
    expenses = _rows(client.get(reverse("livrables:expense_export", args=[world.formation.pk])))
    texts = [c for row in statement + expenses for c in row if isinstance(c, str)]
    assert not [t for t in texts if DECIMAL_POINT.search(t)], texts
    assert any("TVA 5,5 %" in t for t in texts)
    claimable = next(r for r in statement if r[0] == "Montant à demander")
    assert claimable[7] == 1250.5  # a number a spreadsheet adds up, not « 1 250,50 »
    line = next(r for r in expenses if r[0] == 1)
    assert line[7] == 48
