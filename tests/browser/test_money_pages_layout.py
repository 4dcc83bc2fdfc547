"""The pages around claims, payments and missions on a portrait tablet (820 px) and a
phone (390 px): a refused payment comes back open with its values and the error beside
the field, the correction and cancellation pages carry their breadcrumbs and a way back
that says it changes nothing, the destructive button looks dangerous, nothing scrolls
sideways."""

import datetime as dt
import os
from decimal import Decimal

import pytest
from django.urls import reverse

from formations.models import Formation
from livrables.services_claims import record_claim, record_payment
from livrables.services_expenses import mission_create
from tests.livrables.test_service_fait import build_world

pytestmark = pytest.mark.browser

SIZES = [{"width": 820, "height": 1180}, {"width": 390, "height": 844}]
IDS = ["tablet-820", "phone-390"]


def _fits(page, name, size):
    if os.environ.get("SUIVI_SCREENSHOTS"):
        page.screenshot(
            path=f"{os.environ['SUIVI_SCREENSHOTS']}/{name}-{size['width']}.png", full_page=True
        )
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.evaluate("window.innerWidth"), f"{name} {size['width']} px: {width}"


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_money_pages_fit_and_keep_what_was_typed(page, live_server, login_as, db, size):
    world = build_world(
        pricing_mode=Formation.PricingMode.PER_DAY,
        unit_price=Decimal("1250"),
        amount_includes_vat=True,
        start_date=dt.date(2021, 9, 1),
        end_date=dt.date(2022, 6, 30),
    )
    claim = record_claim(
        formation=world.formation,
        period_start=dt.date(2021, 9, 1),
        period_end=dt.date(2021, 9, 30),
        amount=Decimal("2500"),
        sent_on=dt.date(2021, 10, 2),
        actor=world.coordinator,
    )
    payment = record_payment(
        formation=world.formation,
        received_on=dt.date(2021, 11, 20),
        amount=Decimal("2500"),
        funder=world.funder,
        claim=claim,
        actor=world.coordinator,
    )
    mission = mission_create(
        actor=world.coordinator,
        formation=world.formation,
        name="Repérage",
        start_date=dt.date(2021, 9, 20),
        end_date=dt.date(2021, 9, 22),
    )
    login_as(world.coordinator)
    page.set_viewport_size(size)
    formation_url = reverse("formations:formation_detail", args=[world.formation.pk])
    page.goto(live_server.url + formation_url)

    # A payment beyond its claim: refused, the form open with the amount kept.
    page.locator("summary", has_text="Enregistrer un paiement reçu").click()
    page.get_by_label("Reçu le").fill("2021-12-01")
    page.get_by_label("Montant reçu (€)").fill("99999")
    page.get_by_label("Demande réglée").select_option(str(claim.pk))
    page.get_by_role("button", name="Enregistrer le paiement").click()
    page.wait_for_load_state()
    assert page.get_by_label("Montant reçu (€)").input_value() == "99999"
    assert page.get_by_label("Financeur").input_value() == str(world.funder.pk)
    field = page.locator(".field.has-error")
    assert "plus que son montant" in field.inner_text()
    assert page.locator(".breadcrumbs").inner_text().startswith("Formations ›")
    assert page.get_by_role("link", name="Revenir sans rien changer").is_visible()
    _fits(page, "payment-refused", size)

    pages = {
        "claim-edit": reverse(
            "livrables:service_fait_claim_edit", args=[world.formation.pk, claim.pk]
        ),
        "payment-edit": reverse(
            "livrables:service_fait_payment_edit", args=[world.formation.pk, payment.pk]
        ),
        "payment-cancel": reverse(
            "livrables:service_fait_payment_cancel", args=[world.formation.pk, payment.pk]
        ),
        "mission-edit": reverse("livrables:mission_edit", args=[world.formation.pk, mission.pk]),
    }
    for name, url in pages.items():
        page.goto(live_server.url + url)
        crumbs = page.locator(".breadcrumbs").inner_text()
        assert crumbs.startswith(f"Formations › {world.formation.contract_reference} ›"), name
        assert page.get_by_role("link", name="Revenir sans rien changer").is_visible(), name
        assert not page.get_by_role("link", name="Annuler", exact=True).count(), name
        _fits(page, name, size)
    page.goto(live_server.url + pages["payment-cancel"])
    assert page.get_by_role("button", name="Annuler le paiement").get_attribute("class") == (
        "button danger"
    )
