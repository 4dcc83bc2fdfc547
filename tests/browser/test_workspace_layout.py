"""The auditor's workspace on a portrait tablet (820 px) and a phone (390 px): nothing
scrolls sideways, each formation is a heading with its blocks, the figures are written
beside their bars, and the links are reached with the keyboard."""

import os

import pytest
from django.urls import reverse

from tests.formations.test_workspace import world  # noqa: F401 (fixture)

pytestmark = pytest.mark.browser

SIZES = [{"width": 820, "height": 1180}, {"width": 390, "height": 844}]
IDS = ["tablet-820", "phone-390"]


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_workspace_fits_and_reads_without_colour(page, live_server, login_as, world, size):  # noqa: F811
    login_as(world["auditor"])
    page.set_viewport_size(size)
    page.goto(live_server.url + reverse("dashboard"))

    assert page.get_by_role("heading", level=1).inner_text() == "Espace financeur"
    formation = page.get_by_role("article")
    assert formation.count() == 1
    assert "FSE-2021-AO.1" in formation.get_by_role("heading", level=3).inner_text()
    blocks = [h.inner_text() for h in formation.get_by_role("heading", level=4).all()]
    assert blocks == [
        "Heures-stagiaires",
        "Risques d'audit",
        "Service fait",
        "Certificats",
        "Dossier de justificatifs",
    ]
    hours = formation.locator(".ws-hours")
    assert "7 h réalisées sur 14 h programmées (50 %)" in hours.inner_text()
    # The bars are drawings beside the words, hidden from screen readers.
    assert hours.locator("svg").first.get_attribute("aria-hidden") == "true"
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.closest('.ws-risks') !== null"):
            break
    assert page.evaluate("document.activeElement.textContent").startswith(
        "Voir les risques et les explications"
    )
    if os.environ.get("SUIVI_SCREENSHOTS"):
        page.screenshot(
            path=f"{os.environ['SUIVI_SCREENSHOTS']}/workspace-{size['width']}.png",
            full_page=True,
        )
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.evaluate("window.innerWidth"), f"{size['width']} px: {width}"
