"""Dates of claims and mission expenses checked (hands-on test: a claim « sent » on
01/06/2021 for a period from September 2021; an expense of the mission « Repérage »
(20–22/09/2021) dated 01/12/2021)."""

import datetime as dt
from decimal import Decimal

import pytest

from formations.models import Formation
from livrables.exceptions import LivrablesError
from livrables.services_claims import claim_update, record_claim
from livrables.services_expenses import (
    MISSION_BOOKED_BEFORE,
    MISSION_SETTLED_AFTER,
    expense_update,
    mission_create,
    mission_update,
)
from tests.livrables.test_expenses import add
from tests.livrables.test_service_fait import build_world

D = dt.date


@pytest.fixture
def world(db, documents_dir):
    return build_world(
        pricing_mode=Formation.PricingMode.PER_TRAINEE_HOUR,
        unit_price=Decimal("30"),
        amount=Decimal("1000"),
        vat_rate=Decimal("0"),
        start_date=D(2021, 8, 1),
        end_date=D(2022, 6, 30),
    )


def _claim(world, sent_on):
    return record_claim(
        formation=world.formation,
        period_start=D(2021, 10, 1),
        period_end=D(2021, 10, 31),
        amount=Decimal("300"),
        sent_on=sent_on,
        actor=world.coordinator,
    )


def test_claim_sent_before_its_period_began_refused(world):
    with pytest.raises(LivrablesError) as refused:
        _claim(world, D(2021, 9, 30))
    assert refused.value.code == "sent_before_period"
    assert "30/09/2021" in refused.value.message and "01/10/2021" in refused.value.message
    # A claim of a period still running (an interim claim) is allowed.
    claim = _claim(world, D(2021, 10, 15))
    with pytest.raises(LivrablesError) as refused:
        claim_update(
            claim=claim,
            period_start=D(2021, 10, 1),
            period_end=D(2021, 10, 31),
            amount=Decimal("300"),
            sent_on=D(2021, 6, 1),
            actor=world.coordinator,
        )
    assert refused.value.code == "sent_before_period"


@pytest.fixture
def reperage(world):
    return mission_create(
        actor=world.coordinator,
        formation=world.formation,
        name="Repérage",
        start_date=D(2021, 9, 20),
        end_date=D(2021, 9, 22),
    )


def test_expense_dated_far_from_its_mission_refused(world, reperage):
    with pytest.raises(LivrablesError) as refused:
        add(world.formation, world.coordinator, mission=reperage, date=D(2021, 12, 1))
    assert refused.value.code == "outside_mission"
    assert "01/12/2021" in refused.value.message and "Repérage" in refused.value.message
    # A ticket booked ahead, a bill settled on return: within the margins.
    early = D(2021, 9, 20) - MISSION_BOOKED_BEFORE
    late = D(2021, 9, 22) + MISSION_SETTLED_AFTER
    expense = add(world.formation, world.coordinator, mission=reperage, date=early)
    add(world.formation, world.coordinator, mission=reperage, date=late)
    with pytest.raises(LivrablesError) as refused:
        expense_update(actor=world.coordinator, expense=expense, date=late + dt.timedelta(days=1))
    assert refused.value.code == "outside_mission"


def test_mission_shortened_away_from_its_expenses_refused_naming_them(world, reperage):
    add(world.formation, world.coordinator, mission=reperage, date=D(2021, 9, 21))
    with pytest.raises(LivrablesError) as refused:
        mission_update(
            actor=world.coordinator,
            mission=reperage,
            name="Repérage",
            start_date=D(2022, 3, 1),
            end_date=D(2022, 3, 2),
        )
    assert refused.value.code == "mission_expenses_outside"
    assert "n° 1 du 21/09/2021" in refused.value.message
    reperage.refresh_from_db()
    assert reperage.start_date == D(2021, 9, 20)
    # Dates that keep the expense near: accepted.
    mission_update(
        actor=world.coordinator,
        mission=reperage,
        name="Repérage",
        start_date=D(2021, 9, 21),
        end_date=D(2021, 9, 21),
    )


def test_expense_form_shows_the_mission_refusal_next_to_the_date(world, reperage, client):
    from django.urls import reverse

    from tests.livrables.test_expenses import upload

    client.force_login(world.coordinator)
    response = client.post(
        reverse("livrables:expense_add", args=[world.formation.pk]),
        {
            "date": "2021-12-01",
            "category": "travel",
            "description": "Vol",
            "attached_to": f"m{reperage.pk}",
            "paid_by": "Organisme",
            "amount_ht": "10",
            "vat": "0",
            "amount_ttc": "10",
            "receipt": upload(),
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "loin de la mission" in page


def test_expense_list_links_the_receipt_once_by_its_readable_name(world, client):
    from django.urls import reverse

    expense = add(world.formation, world.coordinator, date=D(2021, 10, 6))
    client.force_login(world.coordinator)
    page = client.get(reverse("livrables:expense_list", args=[world.formation.pk])).content
    page = page.decode()
    receipt_url = reverse("livrables:expense_receipt", args=[world.formation.pk, 1])
    assert page.count(f'href="{receipt_url}"') == 1
    assert f">{expense.receipt_original_name}<" in page
    assert expense.pack_name not in page
    # « TVA 0,00 » never splits over two lines.
    assert "TVA\u00a0" in page and "HT\u00a0" in page


def test_flat_rate_units_read_without_nested_brackets(db):
    from livrables.service_fait import _mode_units

    formation = Formation(pricing_mode=Formation.PricingMode.GLOBAL)
    assert "(" not in _mode_units(formation)
