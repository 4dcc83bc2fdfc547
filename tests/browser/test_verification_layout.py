"""The public verification page on a phone (390 px) and a portrait tablet (820 px): a
revoked document says so on the first screen; the result of a comparison is where the
page lands, focused, and a long digest never widens the page."""

import datetime as dt
import os

import pytest
from django.urls import reverse

from livrables.selectors import issued_file
from livrables.services import issue_structure_certificate, revoke_document
from tests.factories import ProviderIdentityFactory
from tests.livrables.structure_world import rich_world

pytestmark = pytest.mark.browser

SIZES = [{"width": 820, "height": 1180}, {"width": 390, "height": 844}]
IDS = ["tablet-820", "phone-390"]
ISSUED = dt.datetime(2021, 11, 1, 16, tzinfo=dt.UTC)


@pytest.fixture
def world(db, documents_dir):
    ProviderIdentityFactory(legal_name="Formations du Littoral")
    return rich_world()


@pytest.fixture
def certificate(world):
    return issue_structure_certificate(
        structure=world.structure, formation=world.formation, actor=world.coordinator, now=ISSUED
    )


def screenshot(page, name):
    if os.environ.get("SUIVI_SCREENSHOTS"):
        page.screenshot(path=f"{os.environ['SUIVI_SCREENSHOTS']}/{name}.png")


def no_sideways_scroll(page, size):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.evaluate("window.innerWidth"), f"{size['width']} px: {width}"


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_a_revoked_document_says_so_on_the_first_screen(
    page, live_server, world, certificate, size
):
    revoke_document(document=certificate, actor=world.coordinator, reason="Erreur", now=ISSUED)
    page.set_viewport_size(size)
    page.goto(live_server.url + reverse("livrables:verify_document", args=[certificate.number]))

    heading = " ".join(page.locator("#registered").inner_text().split())
    assert heading.endswith("a été révoqué le 1er novembre 2021")
    assert "émis par Formations du Littoral (avec Suivi Formations)" in heading
    notice = page.locator('.message[data-state="revoked"]')
    assert "il ne vaut plus justificatif" in notice.inner_text()
    box = notice.bounding_box()
    assert box["y"] + box["height"] <= size["height"], "the revocation is below the first screen"
    screenshot(page, f"verify-revoked-{size['width']}")
    no_sideways_scroll(page, size)


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_the_comparison_result_is_shown_and_focused(page, live_server, certificate, size):
    page.set_viewport_size(size)
    page.goto(live_server.url + reverse("livrables:verify_document", args=[certificate.number]))

    page.set_input_files(
        "#id_file",
        {"name": "copie.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 retouche"},
    )
    with page.expect_navigation():
        page.get_by_role("button", name="Comparer", exact=True).click()

    result = page.locator("#comparison-result")
    assert "Fichier différent." in result.inner_text()
    assert page.evaluate("document.activeElement.id") == "comparison-result"
    box = result.bounding_box()
    assert 0 <= box["y"] and box["y"] + box["height"] <= size["height"], box
    screenshot(page, f"verify-mismatch-{size['width']}")
    no_sideways_scroll(page, size)


def test_a_copy_of_another_document_names_it(page, live_server, world, certificate):
    newer = issue_structure_certificate(
        structure=world.structure,
        formation=world.formation,
        actor=world.coordinator,
        now=ISSUED + dt.timedelta(days=1),
    )
    page.set_viewport_size(SIZES[1])
    page.goto(live_server.url + reverse("livrables:verify_document", args=[certificate.number]))

    page.set_input_files(
        "#id_file",
        {
            "name": "certificat.pdf",
            "mimeType": "application/pdf",
            "buffer": issued_file(document=newer).content,
        },
    )
    with page.expect_navigation():
        page.get_by_role("button", name="Comparer", exact=True).click()

    with page.expect_navigation():
        page.locator("#comparison-result").get_by_role(
            "link", name=f"Vérifier le document n° {newer.number}"
        ).click()
    assert page.locator(".message[data-state='current']").count() == 1


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_a_number_typed_in_lower_case_is_found(page, live_server, certificate, size):
    page.set_viewport_size(size)
    page.goto(live_server.url + reverse("livrables:verify_lookup"))
    screenshot(page, f"verify-lookup-{size['width']}")
    no_sideways_scroll(page, size)

    page.get_by_label("Numéro du document").fill(certificate.number.lower())
    with page.expect_navigation():
        page.get_by_role("button", name="Vérifier").click()

    assert page.url.endswith(reverse("livrables:verify_document", args=[certificate.number]))
    assert "a bien été émis par" in page.locator("#registered").inner_text()
