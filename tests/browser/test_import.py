"""The participant import in a real browser: a file with errors and warnings, then one with
warnings only, at tablet portrait and phone width, with axe-core and the strict CSP."""

import pytest
from django.urls import reverse

from formations.models import Participant, Structure
from tests.browser.test_accessibility import PHONE, axe_problems, describe
from tests.factories.importing import csv_bytes, person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TABLET_PORTRAIT = {"width": 820, "height": 1180}


def upload(page, live_server, tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    page.goto(live_server.url + reverse("formations:participant_import"))
    page.get_by_label("Fichier des participant·es (CSV ou XLSX)").set_input_files(str(path))
    page.get_by_role("button", name="Vérifier le fichier").click()
    page.get_by_role("heading", name="Bilan").wait_for()


def check_page(axe, page):
    failures = []
    for size in (TABLET_PORTRAIT, PHONE):
        page.set_viewport_size(size)
        blocking, _others = axe_problems(axe, page)
        failures += [describe(v) for v in blocking]
        # Only the lines table scrolls sideways (in its own region), never the page.
        overflow = page.evaluate("document.documentElement.scrollWidth - innerWidth")
        assert overflow <= 0, f"{size['width']} px: the page is {overflow} px too wide"
    assert not failures, "\n".join(failures)


def test_import_preview_shows_errors_and_warnings_apart_then_imports(
    axe, page, live_server, login_as, coordinator, tmp_path, settings, csp_violations
):
    settings.MEDIA_ROOT = tmp_path / "media"
    login_as(coordinator)
    refused = csv_bytes(
        [
            person(
                nom="Martin",
                email="helene@example.org",
                structure="Foyer rural de Bavay",
                type_structure="Foyer rural",
            ),
            person(
                nom="Durand",
                prenom="Paul",
                email="helene@example.org",
                structure="Foyer rural de Bavay",
                type_structure="",
            ),
        ]
    )

    upload(page, live_server, tmp_path, "refuse.csv", refused)

    errors = page.get_by_role("heading", name="✗ Erreurs : 1 ligne empêche l'import")
    warnings = page.get_by_role("heading", name="⚠ Avertissements : 1 point à vérifier")
    assert errors.is_visible() and warnings.is_visible()
    assert page.get_by_role("button", name="Confirmer l'import").count() == 0
    check_page(axe, page)

    accepted = csv_bytes(
        [
            person(
                nom="Martin",
                email="helene@example.org",
                structure="Foyer rural de Bavay",
                type_structure="Foyer rural",
            ),
            person(
                nom="MARTIN",
                email="Helene@example.org",
                structure="Foyer rural de Bavay",
                type_structure="",
            ),
        ]
    )
    page.set_viewport_size(TABLET_PORTRAIT)
    upload(page, live_server, tmp_path, "accepte.csv", accepted)

    assert page.get_by_role("heading", name="✗ Erreurs").count() == 0
    assert page.get_by_text("≡ Même personne que la ligne 2").is_visible()
    check_page(axe, page)
    page.get_by_role("button", name="Confirmer l'import").click()
    page.get_by_role("heading", name="Résultat de l'import : accepte.csv").wait_for()

    assert Participant.objects.count() == 1
    assert Structure.objects.get().kind_label == "Foyer rural"
    assert csp_violations == []
