"""Bulk issuing of a formation's certificates in the browser, on a portrait tablet and a
phone: the form, the progress bar that fills as the background task works, and the ZIP
link that appears when it has finished; the page never scrolls sideways."""

import io
import os
import zipfile

import pytest
from django.urls import reverse

from livrables import bulk, tasks
from livrables.models import IssuedDocument
from tests.livrables.test_bulk import make_world

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("SUIVI_SCREENSHOTS")  # a folder: keep screenshots to look at
SIZES = [{"width": 820, "height": 1180}, {"width": 390, "height": 844}]


class HeldTask:
    """Stands for the task queue: keeps what was enqueued, for the test to run later."""

    def __init__(self):
        self.calls = []

    def enqueue(self, **kwargs):
        self.calls.append(kwargs)


@pytest.mark.parametrize("size", SIZES, ids=["tablet-820", "phone-390"])
def test_bulk_issue_shows_progress_then_the_zip_link(
    page, live_server, login_as, documents_dir, monkeypatch, size
):
    world = make_world()
    held = HeldTask()
    monkeypatch.setattr(tasks, "issue_certificates_bulk", held)
    login_as(world.coordinator)
    page.set_viewport_size(size)
    url = live_server.url + reverse("formations:formation_detail", args=[world.formation.pk])
    page.goto(url)
    section = page.locator("#certificates")
    assert "5 personnes ont au moins une session entièrement scellée" in section.inner_text()
    page.get_by_label("Attestations d'assiduité").uncheck()
    page.get_by_role("button", name="Émettre les documents manquants et à rééditer").click()
    page.wait_for_url("**emission=**")
    bar = page.locator("[data-job-bar]")
    assert bar.get_attribute("value") == "0"
    assert page.locator("[data-job-result]").is_hidden()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.evaluate("window.innerWidth")
    # Nothing in the section scrolls sideways either (the counts wrap on a phone).
    assert section.evaluate(
        "s => [s, ...s.querySelectorAll('*')].every(e => e.scrollWidth <= e.clientWidth + 1"
        " || getComputedStyle(e).overflowX === 'visible')"
    )
    if SHOTS:
        section.screenshot(path=os.path.join(SHOTS, f"certificates-bulk-{size['width']}.png"))

    # The worker takes the task.
    assert len(held.calls) == 1
    bulk.certificates_bulk_run(**held.calls[0])

    link = page.locator("[data-job-result-link]")
    link.wait_for(state="visible", timeout=10_000)
    assert link.inner_text() == "Télécharger le ZIP des documents"
    # Five certificates de réalisation, and the certificat d'assiduité of each person's
    # structure (one each here), checked by default.
    assert bar.get_attribute("value") == "10"
    assert "Terminé : 10 sur 10 traités." in page.locator("[data-job-summary]").inner_text()
    refresh = page.get_by_role("link", name="Actualiser les compteurs")
    assert refresh.is_visible()
    with page.expect_download() as download:
        link.click()
    content = open(download.value.path(), "rb").read()
    names = zipfile.ZipFile(io.BytesIO(content)).namelist()
    assert len(names) == 11 and "manifest.csv" in names
    assert sum(1 for name in names if name.startswith("structures/")) == 5
    assert IssuedDocument.objects.count() == 10
    # Read again, the page counts what the job issued.
    refresh.click()
    page.wait_for_load_state()
    counts = page.locator(".kind-counts li").first.inner_text()
    assert "à jour : 5" in counts and "manquants : 0" in counts
