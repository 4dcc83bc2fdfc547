"""The expected deliverables' pages on a portrait tablet (820 px) and a phone (390 px): the
list with its due items and versions, the formation's panel, the definition form, the
upload (a file that is HTML named .pdf is refused with its reason) and the auditor's
decision page, without sideways scroll."""

import datetime as dt
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from livrables.models_deliverables import ExpectedDeliverable
from livrables.services_deliverables import deliverable_create, version_decide, version_submit
from tests.factories import FormationFactory, FunderFactory, ProgrammeFactory

pytestmark = pytest.mark.browser

SIZES = [{"width": 820, "height": 1180}, {"width": 390, "height": 844}]
IDS = ["tablet-820", "phone-390"]
PDF = b"%PDF-1.4\n%%EOF\n"


def screenshot(target, name):
    if os.environ.get("SUIVI_SCREENSHOTS"):
        target.screenshot(path=f"{os.environ['SUIVI_SCREENSHOTS']}/{name}.png", full_page=True)


def no_sideways_scroll(page, size):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.evaluate("window.innerWidth"), f"{size['width']} px: {width}"


@pytest.fixture
def world(db, documents_dir, coordinator, auditor):
    today = timezone.localdate()
    programme = ProgrammeFactory()
    feder = FunderFactory()
    programme.funders.add(feder)
    formation = FormationFactory(
        programme=programme,
        contract_reference="FEDER-2018-AO.3",
        title="Accompagnement/Formation des chargés d'animation et d'innovation numérique",
        start_date=today - dt.timedelta(days=300),
        end_date=today + dt.timedelta(days=300),
    )
    recit = deliverable_create(
        actor=coordinator,
        formation=formation,
        title="Récit collectif bimestriel",
        rhythm=ExpectedDeliverable.Rhythm.BIMONTHLY,
        description="Le processus d'observation, de réflexion et d'application des chargés "
        "d'innovation et d'animation autour des nouvelles pratiques numériques.",
    )
    dues = list(recit.dues.order_by("due_date"))
    first = version_submit(
        actor=coordinator,
        due=dues[0],
        upload=SimpleUploadedFile("recit-collectif-janvier-fevrier-version-finale.pdf", PDF),
    )
    version_decide(
        actor=auditor,
        version=first,
        validated=False,
        funder=feder,
        comment="Détailler les freins levés et les leviers trouvés.",
    )
    version_submit(
        actor=coordinator,
        due=dues[0],
        upload=SimpleUploadedFile("recit-collectif-janvier-fevrier-version-finale.pdf", PDF),
    )
    return {"formation": formation, "recit": recit, "dues": dues}


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_deliverables_pages_fit_and_refuse_a_fake_pdf(
    page, live_server, login_as, coordinator, auditor, world, size, tmp_path
):
    formation = world["formation"]
    login_as(coordinator)
    page.set_viewport_size(size)
    page.goto(live_server.url + formation.get_absolute_url())
    panel = page.locator("#deliverables")
    assert "En retard" in panel.inner_text()
    assert "En attente de la décision du financeur" in panel.inner_text()
    no_sideways_scroll(page, size)
    screenshot(page, f"deliverables-panel-{size['width']}")

    page.goto(live_server.url + reverse("livrables:deliverable_list", args=[formation.pk]))
    assert "Récit collectif bimestriel" in page.inner_text("main")
    assert "Détailler les freins levés" in page.inner_text("main")
    no_sideways_scroll(page, size)
    screenshot(page, f"deliverables-list-{size['width']}")

    page.goto(live_server.url + reverse("livrables:deliverable_add", args=[formation.pk]))
    assert page.get_by_label("Intitulé").is_visible()
    assert page.get_by_label("Rythme", exact=False).first.is_visible()
    # The due dates field only for the « à des dates données » rhythm (static JS, no
    # inline script under the CSP).
    assert not page.locator("#id_given_dates").is_visible()
    page.locator("#id_rhythm").select_option("given_dates")
    assert page.locator("#id_given_dates").is_visible()
    no_sideways_scroll(page, size)
    screenshot(page, f"deliverables-add-{size['width']}")

    due = world["dues"][1]
    page.goto(
        live_server.url + reverse("livrables:deliverable_version_add", args=[formation.pk, due.pk])
    )
    fake = tmp_path / "recit.pdf"
    fake.write_bytes(b"<!DOCTYPE html><html><body>Recit</body></html>")
    page.get_by_label("Fichier du livrable").set_input_files(str(fake))
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_load_state()
    assert "n'est ni un PDF" in page.inner_text("main")
    no_sideways_scroll(page, size)
    screenshot(page, f"deliverables-upload-refused-{size['width']}")

    login_as(auditor)
    version = world["dues"][0].versions.order_by("-number").first()
    page.goto(
        live_server.url
        + reverse("livrables:deliverable_version_decide", args=[formation.pk, version.pk])
    )
    page.get_by_label("Validé").check()
    no_sideways_scroll(page, size)
    screenshot(page, f"deliverables-decision-{size['width']}")
    page.get_by_role("button", name="Enregistrer la décision").click()
    page.wait_for_load_state()
    assert "Décision du financeur enregistrée." in page.inner_text("main")


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_coordinator_decision_delete_and_upload_pages(
    page, live_server, login_as, coordinator, world, size
):
    formation = world["formation"]
    version = world["dues"][0].versions.order_by("-number").first()
    login_as(coordinator)
    page.set_viewport_size(size)

    page.goto(
        live_server.url
        + reverse("livrables:deliverable_version_decide", args=[formation.pk, version.pk])
    )
    assert "Livrables attendus" in page.locator(".breadcrumbs").inner_text()
    assert page.get_by_label("Date de la décision").input_value() == f"{timezone.localdate()}"
    assert page.locator("#id_funder").input_value() == str(formation.programme.funders.get().pk)
    no_sideways_scroll(page, size)
    screenshot(page, f"deliverables-coordinator-decision-{size['width']}")

    page.goto(
        live_server.url
        + reverse("livrables:deliverable_remove", args=[formation.pk, world["recit"].pk])
    )
    assert "ne peut plus être supprimé" in page.inner_text("main")
    assert page.get_by_role("button", name="Supprimer le livrable").count() == 0
    no_sideways_scroll(page, size)
    screenshot(page, f"deliverables-delete-refused-{size['width']}")

    due = world["dues"][1]
    page.goto(
        live_server.url + reverse("livrables:deliverable_version_add", args=[formation.pk, due.pk])
    )
    heading = page.locator("main h1").bounding_box()
    explanation = page.get_by_text("La version déposée est soumise au financeur").bounding_box()
    assert explanation["y"] > heading["y"]
    no_sideways_scroll(page, size)
    screenshot(page, f"deliverables-upload-{size['width']}")
