"""Alertes groups and campaigns on a portrait tablet (820 px) and a phone (390 px): the
group list, the campaign form with its live SMS counter, the campaign's page with those
apart, without sideways scroll and without a CSP violation."""

import os

import pytest
from django.urls import reverse

from tests.factories.members import (
    AlertCampaignFactory,
    MemberGroupFactory,
    MembershipFactory,
    alertes_world,
    give_structure_consent,
)

pytestmark = pytest.mark.browser

SIZES = [{"width": 820, "height": 1180}, {"width": 390, "height": 844}]
IDS = ["tablet-820", "phone-390"]


def screenshot(page, name):
    if os.environ.get("SUIVI_SCREENSHOTS"):
        page.screenshot(path=f"{os.environ['SUIVI_SCREENSHOTS']}/{name}.png", full_page=True)


def no_sideways_scroll(page, size):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.evaluate("window.innerWidth"), f"{size['width']} px: {width}"


@pytest.fixture
def world(db):
    world = alertes_world()
    MemberGroupFactory(structure=world.arbrisseau, name="Accompagnement à la scolarité (CLAS)")
    for first, last, consent in (
        ("Zoë", "Abdallah-Soilihi-Montgomery", True),
        ("Inès", "Martin", True),
        ("Paul", "Bernard", False),
    ):
        membership = MembershipFactory(
            structure=world.arbrisseau,
            groups=[world.group],
            participant__first_name=first,
            participant__last_name=last,
        )
        if consent:
            give_structure_consent(membership, "sms", "email")
    world.campaign = AlertCampaignFactory(
        structure=world.arbrisseau,
        groups=[world.group],
        title="Sortie au parc de la Citadelle avec les familles du quartier",
        body=(
            "Bonjour {prénom}, la sortie au parc a lieu samedi à 14 h. "
            "Rendez-vous devant le centre."
        ),
        send_email=True,
        email_subject="Sortie samedi",
    )
    return world


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_alertes_pages_fit_and_the_counter_names_unicode_characters(
    page, live_server, login_as, world, size, csp_violations
):
    login_as(world.staff)
    page.set_viewport_size(size)
    s = world.arbrisseau.pk
    for name, args in (
        ("alertes:group_list", [s]),
        ("alertes:group_delete", [s, world.group.pk]),
        ("alertes:campaign_list", [s]),
        ("alertes:campaign_detail", [s, world.campaign.pk]),
    ):
        page.goto(live_server.url + reverse(name, args=args))
        no_sideways_scroll(page, size)
        screenshot(page, f"{name.split(':')[1]}-{size['width']}")

    page.goto(live_server.url + reverse("alertes:campaign_create", args=[s]))
    page.get_by_label("Message").fill("Fête de fin d'année : venez nombreux, cœur ouvert !")
    counter = page.locator("#campaign-sms-counter")
    assert "ê, œ : ces caractères font passer le message en Unicode" in counter.inner_text()
    assert "UCS-2" in counter.inner_text()
    # 150 letters + Brevo's STOP mention (14): 164, two SMS.
    page.get_by_label("Message").fill("a" * 150)
    assert "2 SMS" in counter.inner_text() and "GSM-7" in counter.inner_text()
    assert not page.locator("[data-unicode]").is_visible()
    # The worst case among the members: Zoë's ë forces Unicode once {prénom} is used.
    page.get_by_label("Message").fill("Bonjour {prénom} !")
    assert "UCS-2" in counter.inner_text()
    assert "ë : ce caractère fait passer le message en Unicode" in counter.inner_text()
    # Invisible characters are named.
    page.get_by_label("Message").fill("Rendez-vous à 14\u00a0h")
    assert "« espace insécable »" in counter.inner_text()
    no_sideways_scroll(page, size)
    screenshot(page, f"campaign_create-{size['width']}")
    assert csp_violations == []


def test_the_live_counter_agrees_with_the_server_on_the_shared_vectors(
    page, live_server, login_as, world
):
    from alertes.sms_segments import GSM7_BASIC, GSM7_EXTENSION
    from tests.alertes.test_sms_segments import VECTORS

    login_as(world.staff)
    page.goto(live_server.url + reverse("alertes:campaign_create", args=[world.arbrisseau.pk]))
    results = page.evaluate(
        """([vectors, basic, extension]) => vectors.map(
            (v) => window.SuiviSmsCounter.segments(v.text, basic, extension, []))""",
        [VECTORS, GSM7_BASIC, GSM7_EXTENSION],
    )
    for vector, result in zip(VECTORS, results, strict=True):
        assert (
            result["encoding"],
            result["characters"],
            result["segments"],
            result["perSegment"],
            result["forcing"],
        ) == (
            vector["encoding"],
            vector["characters"],
            vector["segments"],
            vector["per_segment"],
            vector["forcing"],
        ), vector["why"]
