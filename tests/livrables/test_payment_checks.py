"""Payments checked against what was claimed and when (hands-on test: 99 999 € accepted
for a 42 600 € claim, a payment dated before its claim was sent, one in the future)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from formations.models import Formation
from livrables.exceptions import LivrablesError
from livrables.service_fait import claims_summary
from livrables.services_claims import payment_update, record_payment
from tests.livrables.test_corrections import D, claim
from tests.livrables.test_service_fait import build_world

DECEMBER_1 = D(2021, 12, 1)


@pytest.fixture
def world(db):
    return build_world(
        pricing_mode=Formation.PricingMode.PER_TRAINEE_HOUR,
        unit_price=Decimal("30"),
        amount=Decimal("1000"),
        vat_rate=Decimal("0"),
        start_date=D(2021, 9, 1),
        end_date=D(2022, 6, 30),
    )


def pay(world, amount, *, on=DECEMBER_1, for_claim=None):
    return record_payment(
        formation=world.formation,
        received_on=on,
        amount=Decimal(amount),
        funder=world.funder,
        claim=for_claim,
        actor=world.coordinator,
    )


def refused_code(attempt) -> tuple[str, str]:
    with pytest.raises(LivrablesError) as refused:
        attempt()
    return refused.value.code, refused.value.message


def test_payment_dated_in_the_future_refused(world):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    code, message = refused_code(lambda: pay(world, "100", on=tomorrow))
    assert code == "future_date"
    assert f"{tomorrow:%d/%m/%Y}" in message


def test_payment_before_its_claim_was_sent_refused(world):
    october = claim(world, D(2021, 10, 1), D(2021, 10, 31))  # sent 02/11/2021
    code, message = refused_code(lambda: pay(world, "100", on=D(2021, 11, 1), for_claim=october))
    assert code == "before_claim"
    assert "01/11/2021" in message and "02/11/2021" in message
    assert pay(world, "100", on=D(2021, 11, 2), for_claim=october).amount == 100


def test_payments_of_a_claim_stay_within_its_ttc_amount(world):
    october = claim(world, D(2021, 10, 1), D(2021, 10, 31), "300")
    first = pay(world, "200", for_claim=october)
    code, message = refused_code(lambda: pay(world, "100.01", for_claim=october))
    assert code == "over_claim"
    assert "300,01" in message and "300,00" in message
    pay(world, "100", for_claim=october)
    # A correction leaves its own amount out of what the claim received.
    payment_update(
        payment=first,
        received_on=D(2021, 12, 1),
        amount=Decimal("150"),
        funder=world.funder,
        claim=october,
        actor=world.coordinator,
    )
    code, _ = refused_code(
        lambda: payment_update(
            payment=first,
            received_on=D(2021, 12, 1),
            amount=Decimal("250"),
            funder=world.funder,
            claim=october,
            actor=world.coordinator,
        )
    )
    assert code == "over_claim"


def test_overpayment_shown_not_hidden_behind_a_zero_still_due(world, client):
    claim(world, D(2021, 10, 1), D(2021, 10, 31), "300")
    pay(world, "999")  # tied to no claim: not capped, but shown
    summary = claims_summary(formation=world.formation)
    assert (summary.still_due, summary.overpaid) == (0, Decimal("699.00"))
    client.force_login(world.coordinator)
    page = client.get(world.formation.get_absolute_url()).content.decode()
    assert "Trop-perçu" in page and "699,00" in page
    assert "Reste dû" not in page


def test_refused_payment_form_comes_back_open_with_values_and_errors(world, client):
    october = claim(world, D(2021, 10, 1), D(2021, 10, 31))
    client.force_login(world.coordinator)
    url = reverse("livrables:service_fait_payment", args=[world.formation.pk])
    response = client.post(url, {"received_on": "2021-12-01", "amount": "150.25", "funder": ""})
    page = response.content.decode()
    assert response.status_code == 200
    assert 'value="150.25"' in page and 'value="2021-12-01"' in page
    assert "has-error" in page and "Ce champ est obligatoire" in page
    assert "Revenir sans rien changer" in page and ">Formations</a>" in page
    # A refusal of the service lands next to its field, the values kept.
    response = client.post(
        url,
        {
            "received_on": "2021-11-01",
            "amount": "150.25",
            "funder": world.funder.pk,
            "claim": october.pk,
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "avant l&#x27;envoi de la demande" in page or "avant l'envoi de la demande" in page
    assert 'value="150.25"' in page
    assert not world.formation.payments.exists()


def test_payment_form_preselects_the_only_funder(world, client):
    client.force_login(world.coordinator)
    page = client.get(world.formation.get_absolute_url()).content.decode()
    assert f'<option value="{world.funder.pk}" selected>' in page


def test_cancel_pages_name_a_payment_example_and_a_danger_button(world, client):
    payment = pay(world, "100")
    client.force_login(world.coordinator)
    page = client.get(
        reverse("livrables:service_fait_payment_cancel", args=[world.formation.pk, payment.pk])
    ).content.decode()
    assert "virement rejeté par la banque" in page
    assert "demande retirée" not in page
    assert 'class="button danger"' in page
