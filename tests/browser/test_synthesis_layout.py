"""The synthesis pages on a portrait tablet (820 px) and a phone (390 px): the formation's
« Synthèses d'évaluation » panel, the synthesis page (scope, conclusion, issue), the page
that sends it to the funder and the one that hides a comment fit without sideways scroll,
every field labelled, no content security policy violation."""

import os

import pytest
from django.urls import reverse

from tests.evaluations.synthesis_world import HIDDEN_COMMENT, build_world
from tests.factories import ProviderIdentityFactory

pytestmark = pytest.mark.browser

SIZES = [{"width": 820, "height": 1180}, {"width": 390, "height": 844}]
IDS = ["tablet-820", "phone-390"]


def fits(page, size, name):
    if os.environ.get("SUIVI_SCREENSHOTS"):
        page.screenshot(
            path=f"{os.environ['SUIVI_SCREENSHOTS']}/{name}-{size['width']}.png", full_page=True
        )
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.evaluate("window.innerWidth"), f"{name} {size['width']} px: {width}"


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_synthesis_pages_fit(
    page, live_server, login_as, db, trainer, coordinator, auditor, csp_violations, size
):
    ProviderIdentityFactory()
    world = build_world(trainer=trainer)
    login_as(coordinator)
    page.set_viewport_size(size)

    page.goto(live_server.url + reverse("evaluations:comment_hide", args=[world.hidden.pk]))
    assert HIDDEN_COMMENT in page.content()
    page.get_by_label("Pourquoi masquer ce commentaire ?").fill("Nomme une élue")
    fits(page, size, "comment-hide")
    page.get_by_role("button", name="Masquer le commentaire").click()
    page.wait_for_url("**/formations/**")

    page.goto(live_server.url + world.formation.get_absolute_url())
    panel = page.locator("section.syntheses")
    panel.get_by_role("button", name="Préparer la synthèse").click()
    page.wait_for_url("**/synthese-evaluation/**")
    page.get_by_label("Conclusion de la coordination").fill("Formation jugée utile.")
    fits(page, size, "synthesis-page")
    page.get_by_role("button", name="Enregistrer et émettre la synthèse (PDF)").click()
    page.wait_for_url("**/synthese-evaluation/**")
    assert page.get_by_text("Synthèses émises").is_visible()
    page.get_by_role("link", name="Envoyer au financeur").first.click()
    page.wait_for_url("**/envoyer-au-financeur/")
    assert page.get_by_label("Et / ou à cette adresse").is_visible()
    fits(page, size, "synthesis-send")

    page.goto(live_server.url + world.formation.get_absolute_url() + "#syntheses")
    fits(page, size, "formation-syntheses")
    assert not csp_violations
