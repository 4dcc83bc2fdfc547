"""The members' pages of Alertes on a phone (390 px) and a portrait tablet (820 px): a
structure's staff registers a member with a group and consent using the keyboard and
mouse, lands back on the Alertes home, and the list, profile and consents pages never
scroll sideways."""

import datetime as dt
import os

import pytest
from django.urls import reverse

from formations.models import Membership
from tests.factories.members import MembershipFactory, alertes_world, give_structure_consent

pytestmark = pytest.mark.browser

SIZES = [{"width": 820, "height": 1180}, {"width": 390, "height": 844}]
IDS = ["tablet-820", "phone-390"]


def screenshot(page, name):
    if os.environ.get("SUIVI_SCREENSHOTS"):
        page.screenshot(path=f"{os.environ['SUIVI_SCREENSHOTS']}/{name}.png", full_page=True)


def no_sideways_scroll(page, size):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.evaluate("window.innerWidth"), f"{size['width']} px: {width}"


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_registering_and_following_a_member(page, live_server, login_as, csp_violations, size, db):
    world = alertes_world()
    existing = MembershipFactory(
        structure=world.arbrisseau,
        groups=[world.group],
        participant__last_name="Abdallah-Soilihi-Madi",
        participant__first_name="Élodie",
        participant__email="elodie.abdallah-soilihi-madi.tres-longue@example.org",
        participant__date_of_birth=dt.date(1988, 4, 2),
    )
    give_structure_consent(existing, "sms")
    login_as(world.staff)
    page.set_viewport_size(size)
    base = live_server.url

    page.goto(base + reverse("alertes:member_register", args=[world.arbrisseau.pk]))
    no_sideways_scroll(page, size)
    screenshot(page, f"members-register-{size['width']}")
    page.get_by_label("Nom :", exact=True).fill("Dupont")
    page.get_by_label("Prénom").fill("Zoë")
    page.get_by_label("Date de naissance").fill("1990-03-02")
    page.get_by_label("Téléphone").fill("06 12 34 56 78")
    page.get_by_label("Petite enfance").check()
    page.get_by_label("J'accepte que le centre social m'envoie des SMS", exact=False).check()
    page.get_by_label("Comment l'accord a été recueilli").select_option("paper")
    page.get_by_role("button", name="Inscrire").click()

    page.wait_for_url(base + reverse("alertes:structure_home", args=[world.arbrisseau.pk]))
    assert "DUPONT Zoë est inscrit·e." in page.inner_text("body")
    membership = Membership.objects.get(participant__last_name="Dupont")
    assert list(membership.groups.all()) == [world.group]

    for name, args in [
        ("alertes:member_list", [world.arbrisseau.pk]),
        ("alertes:member_detail", [world.arbrisseau.pk, existing.pk]),
        ("alertes:member_consents", [world.arbrisseau.pk, existing.pk]),
        ("alertes:member_end", [world.arbrisseau.pk, existing.pk]),
    ]:
        page.goto(base + reverse(name, args=args))
        no_sideways_scroll(page, size)
        screenshot(page, f"{name.split(':')[1]}-{size['width']}")
    assert not csp_violations


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_resuming_an_ended_follow_up_by_keyboard(
    page, live_server, login_as, csp_violations, size, db
):
    """An ended member: the profile offers « Reprendre le suivi », the confirmation is done
    with the keyboard; the withdrawal-only consents page fits too."""
    from django.utils import timezone

    world = alertes_world()
    ended = MembershipFactory(
        structure=world.arbrisseau,
        participant__last_name="Abdallah-Soilihi-Madi",
        participant__first_name="Élodie",
    )
    give_structure_consent(ended, "sms")
    Membership.objects.filter(pk=ended.pk).update(ended_at=timezone.now())
    login_as(world.staff)
    page.set_viewport_size(size)
    base = live_server.url
    page.goto(base + reverse("alertes:member_consents", args=[world.arbrisseau.pk, ended.pk]))
    no_sideways_scroll(page, size)
    assert "seul un retrait peut être noté" in page.inner_text("body")
    page.goto(base + reverse("alertes:member_detail", args=[world.arbrisseau.pk, ended.pk]))
    page.get_by_role("link", name="Reprendre le suivi").click()
    no_sideways_scroll(page, size)
    screenshot(page, f"member_resume-{size['width']}")
    page.get_by_label("Je confirme la reprise du suivi", exact=False).focus()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_url(base + reverse("alertes:member_detail", args=[world.arbrisseau.pk, ended.pk]))
    assert "Le suivi de ABDALLAH-SOILIHI-MADI Élodie reprend." in page.inner_text("body")
    ended.refresh_from_db()
    assert ended.is_active
    assert not csp_violations
