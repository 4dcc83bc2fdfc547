"""The « Service fait » panel of a formation on a portrait tablet (820 px) and a phone
(390 px): nothing scrolls sideways, not even inside the claims and payments tables (one
card per row on a phone), the claim form opens and its fields are labelled, and the page
that asks before cancelling a claim fits too."""

import os

import pytest
from django.urls import reverse

from formations.models import Formation
from livrables.services_claims import record_claim, record_payment
from tests.livrables.test_service_fait import build_world

pytestmark = pytest.mark.browser

SIZES = [{"width": 820, "height": 1180}, {"width": 390, "height": 844}]
IDS = ["tablet-820", "phone-390"]


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_service_fait_panel_fits(page, live_server, login_as, db, size):
    import datetime as dt
    from decimal import Decimal

    world = build_world(
        pricing_mode=Formation.PricingMode.PER_DAY,
        unit_price=Decimal("1250"),
        amount_includes_vat=True,
    )
    record_claim(
        formation=world.formation,
        period_start=dt.date(2021, 9, 1),
        period_end=dt.date(2021, 9, 30),
        amount=Decimal("2500"),
        sent_on=dt.date(2021, 10, 2),
        actor=world.coordinator,
    )
    record_payment(
        formation=world.formation,
        received_on=dt.date(2021, 11, 20),
        amount=Decimal("2500"),
        funder=world.funder,
        actor=world.coordinator,
    )
    login_as(world.coordinator)
    page.set_viewport_size(size)
    url = reverse("formations:formation_detail", args=[world.formation.pk])
    page.goto(f"{live_server.url}{url}?sf_du=2021-10-01&sf_au=2021-10-31")
    panel = page.locator("section.service-fait")
    panel.get_by_text("Enregistrer une demande de paiement").click()
    assert panel.get_by_label("Montant demandé (€ TTC)").is_visible()
    if os.environ.get("SUIVI_SCREENSHOTS"):
        panel.screenshot(path=f"{os.environ['SUIVI_SCREENSHOTS']}/service-fait-{size['width']}.png")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.evaluate("window.innerWidth"), f"{size['width']} px: {width}"
    # The tables fit the panel: nothing to scroll inside them either.
    for table in panel.locator("table.stack-table").all():
        assert table.evaluate("t => t.scrollWidth <= t.clientWidth + 1"), size
        box, panel_box = table.bounding_box(), panel.bounding_box()
        assert box["x"] + box["width"] <= panel_box["x"] + panel_box["width"] + 1, size
    claims = panel.locator("table.stack-table").first
    if size["width"] < 700:  # a card per claim: each value says what it is
        cell = claims.locator("tbody tr").first.locator("td").first
        label = cell.evaluate("td => getComputedStyle(td, '::before').content")
        assert label == '"Envoyée le"', label
    claims.get_by_role("link", name="Annuler la demande du 01/09/2021 au 30/09/2021").click()
    page.wait_for_url("**/annuler/")
    assert page.get_by_label("Motif de l'annulation").is_visible()
    if os.environ.get("SUIVI_SCREENSHOTS"):
        page.screenshot(
            path=f"{os.environ['SUIVI_SCREENSHOTS']}/claim-cancel-{size['width']}.png",
            full_page=True,
        )
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.evaluate("window.innerWidth"), f"{size['width']} px: {width}"
