"""Payments checked against what was claimed and when (hands-on test: 99 999 € accepted
for a 42 600 € claim, a payment dated before its claim was sent, one in the future)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from livrables.exceptions import LivrablesError
from livrables.service_fait import claims_summary
from livrables.services_claims import payment_update, record_payment
from tests.livrables.test_corrections import D, claim, world  # noqa: F401


def pay(world, amount, *, on=D(2021, 12, 1), for_claim=None):
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
