"""The audit pack panel of the formation page, on a portrait tablet (820 px) and a phone
(390 px): the period fields are labelled, nothing scrolls sideways, and the button builds
the pack (tasks run at once in tests) whose download link the progress box then offers."""

import os

import pytest
from django.urls import reverse

from tests.livrables.pack_world import make_pack_world

pytestmark = pytest.mark.browser

SIZES = [{"width": 820, "height": 1180}, {"width": 390, "height": 844}]
IDS = ["tablet-820", "phone-390"]


@pytest.fixture
def world(db, documents_dir):
    return make_pack_world()


def screenshot(target, name):
    if os.environ.get("SUIVI_SCREENSHOTS"):
        target.screenshot(path=f"{os.environ['SUIVI_SCREENSHOTS']}/{name}.png")


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_pack_panel_builds_and_offers_the_download(page, live_server, login_as, world, size):
    login_as(world.coordinator)
    page.set_viewport_size(size)
    page.goto(live_server.url + reverse("formations:formation_detail", args=[world.formation.pk]))
    panel = page.locator("#audit-pack")
    assert panel.get_by_label("Du (facultatif)").is_visible()
    assert panel.get_by_label("Au (facultatif)").is_visible()
    with page.expect_navigation():
        panel.get_by_role("button", name="Constituer le dossier").click()
    panel = page.locator("#audit-pack")
    link = panel.get_by_role("link", name="Télécharger le dossier de justificatifs (ZIP)")
    link.wait_for()
    assert reverse("livrables:audit_pack_download", args=[world.formation.pk]) + "?numero=DOS-" in (
        link.get_attribute("href")
    )
    # The finished box names the pack built and links to its verification page.
    assert panel.get_by_role("link", name="Vérifier le dossier n° DOS-").first.is_visible()
    panel.scroll_into_view_if_needed()
    screenshot(panel, f"audit-pack-{size['width']}")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.evaluate("window.innerWidth"), f"{size['width']} px: {width}"
