"""The members' import (upload, preview with errors and new groups) and the coordinators'
duplicates and merge pages on a portrait tablet (820 px) and a phone (390 px): nothing
scrolls sideways, the file is chosen and checked with the keyboard."""

import datetime as dt
import os

import pytest
from django.urls import reverse

from tests.factories.importing import csv_bytes
from tests.factories.members import MembershipFactory, alertes_world

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
def test_import_pages_on_a_phone_or_tablet(page, live_server, login_as, size, tmp_path, db):
    world = alertes_world()
    login_as(world.admin)
    page.set_viewport_size(size)
    page.goto(live_server.url + reverse("alertes:member_import", args=[world.arbrisseau.pk]))
    no_sideways_scroll(page, size)
    screenshot(page, f"members-import-upload-{size['width']}")
    path = tmp_path / "adherents-de-l-arbrisseau-2026.csv"
    path.write_bytes(
        csv_bytes(
            [
                [
                    "Dupont",
                    "Zoë",
                    "zoe.dupont-avec-une-adresse-longue@example.org",
                    "0612345678",
                    "02/03/1990",
                    "Petite enfance ; Accompagnement à la scolarité du mercredi",
                    "oui",
                ],
                ["", "Sans nom", "", "", "31/02/1990", "", "peut-être"],
            ],
            header=[
                "nom",
                "prenom",
                "email",
                "telephone",
                "date_naissance",
                "groupes",
                "consentement_sms",
            ],
        )
    )
    page.get_by_label("Fichier des adhérent·es (CSV ou XLSX)").set_input_files(str(path))
    page.get_by_role("button", name="Vérifier le fichier").press("Enter")
    page.wait_for_url("**/importer/*/")
    text = page.inner_text("main") if page.locator("main").count() else page.inner_text("body")
    assert "Ligne 3" in text and "31/02/1990" in text
    assert "Accompagnement à la scolarité du mercredi" in text
    no_sideways_scroll(page, size)
    screenshot(page, f"members-import-preview-{size['width']}")


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_duplicates_and_merge_pages_on_a_phone_or_tablet(page, live_server, login_as, size, db):
    world = alertes_world()
    for structure in (world.arbrisseau, world.chemin_rouge):
        MembershipFactory(
            structure=structure,
            participant__last_name="Abdallah-Soilihi-Madi",
            participant__first_name="Anaïs",
            participant__email="anais.abdallah-soilihi-madi@example.org",
            participant__date_of_birth=dt.date(1984, 5, 6),
        )
    login_as(world.coordinator)
    page.set_viewport_size(size)
    page.goto(live_server.url + reverse("alertes:duplicates"))
    assert "même adresse e-mail" in page.inner_text("body")
    no_sideways_scroll(page, size)
    screenshot(page, f"members-duplicates-{size['width']}")
    page.get_by_role("link", name="garder la première", exact=False).first.click()
    assert "Après la fusion" in page.inner_text("body")
    no_sideways_scroll(page, size)
    screenshot(page, f"members-merge-{size['width']}")
    page.get_by_role("button", name="Fusionner les deux fiches").press("Enter")
    page.wait_for_url("**/doublons/")
    assert "Aucun doublon probable" in page.inner_text("body")
