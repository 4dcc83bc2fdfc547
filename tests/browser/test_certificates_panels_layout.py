"""A person's certificates panel and the revocation page, on a portrait tablet (820 px) and
a phone (390 px): nothing scrolls sideways, the card buttons' labels sit in their middle, a
revoked document is not offered as valid, and « Annuler » leads back."""

import datetime as dt
import os

import pytest
from django.urls import reverse

from livrables.models import IssuedDocument
from livrables.services import issue_certificate, revoke_document
from tests.factories import ProviderIdentityFactory
from tests.livrables.structure_world import rich_world

pytestmark = pytest.mark.browser

SIZES = [{"width": 820, "height": 1180}, {"width": 390, "height": 844}]
IDS = ["tablet-820", "phone-390"]
ISSUED = dt.datetime(2021, 11, 1, 16, tzinfo=dt.UTC)
CERTIFICATE = IssuedDocument.Kind.COMPLETION_CERTIFICATE


@pytest.fixture
def world(db, documents_dir):
    ProviderIdentityFactory()
    return rich_world()


def issue(world, now=ISSUED):
    return issue_certificate(
        kind=CERTIFICATE,
        participant=world.people["nguyen"],
        formation=world.formation,
        actor=world.coordinator,
        now=now,
    )


def screenshot(target, name):
    if os.environ.get("SUIVI_SCREENSHOTS"):
        target.screenshot(path=f"{os.environ['SUIVI_SCREENSHOTS']}/{name}.png")


def no_sideways_scroll(page, size):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.evaluate("window.innerWidth"), f"{size['width']} px: {width}"


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_revoke_page_cancels_back_to_the_person(page, live_server, login_as, world, size):
    record = issue(world)
    login_as(world.coordinator)
    page.set_viewport_size(size)
    page.goto(live_server.url + reverse("livrables:document_revoke", args=[record.number]))

    with page.expect_navigation():
        page.get_by_role("button", name="Révoquer le document").click()
    assert page.locator("#motif-errors").inner_text() == "Indiquez le motif de la révocation."
    screenshot(page, f"revoke-empty-{size['width']}")
    no_sideways_scroll(page, size)

    with page.expect_navigation():
        page.get_by_role("link", name="Annuler").click()
    participant = reverse("formations:participant_detail", args=[world.people["nguyen"].pk])
    assert page.url.endswith(participant + "#participant-certificates")


LABEL_OFFSETS = """(buttons) => buttons.map((button) => {
  const range = document.createRange();
  range.selectNodeContents(button.firstChild);
  const text = range.getBoundingClientRect();
  const box = button.getBoundingClientRect();
  return Math.abs((text.top + text.bottom) / 2 - (box.top + box.bottom) / 2);
})"""


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_participant_panel_reissues_and_marks_the_revoked(page, live_server, login_as, world, size):
    first = issue(world)
    revoke_document(document=first, actor=world.coordinator, reason="Erreur", now=ISSUED)
    standing = issue(world, now=ISSUED + dt.timedelta(hours=1))
    login_as(world.coordinator)
    page.set_viewport_size(size)
    page.goto(
        live_server.url + reverse("formations:participant_detail", args=[world.people["nguyen"].pk])
    )

    panel = page.locator("section.participant-certificates")
    reissue = panel.get_by_role("button", name="Rééditer le certificat de réalisation")
    assert reissue.get_attribute("aria-describedby")
    assert f"remplace le n° {standing.number}" in panel.inner_text()
    assert panel.get_by_role("button", name="Émettre le certificat de réalisation").count() == 0
    revoked = panel.get_by_role("link", name=f"Télécharger (révoqué) {first.number}")
    assert "secondary" in revoked.get_attribute("class")
    buttons = panel.locator(".document-actions .button.small")
    assert buttons.count() >= 5
    offsets = buttons.evaluate_all(LABEL_OFFSETS)
    assert max(offsets) <= 1.5, offsets
    screenshot(panel, f"participant-panel-{size['width']}")
    no_sideways_scroll(page, size)
