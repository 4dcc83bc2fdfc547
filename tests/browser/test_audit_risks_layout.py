"""The formation page's « Risques d'audit » panel on a portrait tablet (820 px) and a phone
(390 px): nothing scrolls sideways, a coordinator opens « Expliquer ce risque », types and
saves with the keyboard, and the risk then shows as explained with its text."""

import datetime as dt
import os

import pytest
from django.urls import reverse

from tests.factories import EnrolmentFactory, TrainingSessionFactory
from tests.factories.planning import attend, make_slot

pytestmark = pytest.mark.browser

SIZES = [{"width": 820, "height": 1180}, {"width": 390, "height": 844}]
IDS = ["tablet-820", "phone-390"]


def screenshot(target, name):
    if os.environ.get("SUIVI_SCREENSHOTS"):
        target.screenshot(path=f"{os.environ['SUIVI_SCREENSHOTS']}/{name}.png")


def no_sideways_scroll(page, size):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.evaluate("window.innerWidth"), f"{size['width']} px: {width}"


@pytest.fixture
def formation(db):
    session = TrainingSessionFactory(
        code="LABO-MAYOTTE-2026-AVEC-UN-CODE-LONG",
        time_zone="Indian/Mayotte",
        postal_code="97600",
        room_capacity=1,
    )
    slot = make_slot(
        session, dt.date(2026, 4, 27), dt.time(9), dt.time(12, 30), countersigned=False
    )
    for last_name in ("Abdallah-Soilihi-Madi", "Nguyễn"):
        attend(EnrolmentFactory(session=session, participant__last_name=last_name), slot)
    EnrolmentFactory(session=session)
    return session.formation


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_audit_risks_panel_explained_from_a_phone_or_tablet(
    page, live_server, login_as, coordinator, formation, size
):
    login_as(coordinator)
    page.set_viewport_size(size)
    page.goto(live_server.url + reverse("formations:formation_detail", args=[formation.pk]))

    panel = page.locator("#audit-risks")
    assert "Abolition de l'esclavage" in panel.inner_text()
    no_sideways_scroll(page, size)
    screenshot(panel, f"audit-risks-{size['width']}")

    first = panel.locator("li.risk").first
    first.get_by_text("Expliquer ce risque").click()
    field = first.get_by_label("Explication (portée par le dossier d'audit)")
    field.fill("Session de rattrapage décidée avec le financeur (courriel du 20/04).")
    no_sideways_scroll(page, size)
    with page.expect_navigation():
        field.press("Tab")
        page.keyboard.press("Enter")

    first = page.locator("#audit-risks li.risk").first
    assert "Expliqué" in first.inner_text()
    assert "Session de rattrapage décidée" in first.inner_text()
    no_sideways_scroll(page, size)
    screenshot(page.locator("#audit-risks"), f"audit-risks-explained-{size['width']}")
