"""The structure's certificats d'assiduité on its page, on a portrait tablet (820 px) and
a phone (390 px): the standing certificate, its links and the button fit, the page never
scrolls sideways; the coordinator issues it with the keyboard."""

import datetime as dt
import os

import pytest
from django.urls import reverse

from livrables.models import IssuedDocument
from livrables.services import issue_structure_certificate
from tests.factories import ProviderIdentityFactory
from tests.livrables.structure_world import rich_world

pytestmark = pytest.mark.browser

SIZES = [{"width": 820, "height": 1180}, {"width": 390, "height": 844}]


@pytest.fixture
def world(db, documents_dir):
    ProviderIdentityFactory()
    return rich_world()


@pytest.mark.parametrize("size", SIZES, ids=["tablet-820", "phone-390"])
def test_structure_certificates_never_scroll_sideways(page, live_server, login_as, world, size):
    issue_structure_certificate(
        structure=world.structure,
        formation=world.formation,
        actor=world.coordinator,
        now=dt.datetime(2021, 11, 1, 16, tzinfo=dt.UTC),
    )
    login_as(world.coordinator)
    page.set_viewport_size(size)
    page.goto(live_server.url + reverse("formations:structure_detail", args=[world.structure.pk]))

    section = page.locator("section.structure-certificates")
    assert section.get_by_text("en vigueur").count() == 1
    width = page.evaluate("document.documentElement.scrollWidth")
    inner = page.evaluate("window.innerWidth")
    if os.environ.get("SUIVI_SCREENSHOTS"):
        section.screenshot(path=f"{os.environ['SUIVI_SCREENSHOTS']}/structure-{size['width']}.png")
    assert width <= inner, f"{size['width']} px: {width} > {inner}"


def test_coordinator_issues_with_the_keyboard(page, live_server, login_as, world):
    login_as(world.coordinator)
    page.goto(live_server.url + reverse("formations:structure_detail", args=[world.structure.pk]))

    button = page.get_by_role("button", name="Émettre le certificat d'assiduité — FEDER-2018-AO.3")
    button.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")

    record = IssuedDocument.objects.get()
    assert page.get_by_text(f"Document n° {record.number} émis").count() == 1
    reissue = page.get_by_role(
        "button", name="Rééditer le certificat d'assiduité — FEDER-2018-AO.3"
    )
    assert reissue.count() == 1
