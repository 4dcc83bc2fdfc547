"""The expenses pages on a portrait tablet (820 px) and a phone (390 px): the list with its
totals, the add form (a receipt that is HTML named .pdf is refused with its reason, a real
PDF accepted) and the formation's panel, without sideways scroll."""

import datetime as dt
import os
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from livrables.models_expenses import Expense
from livrables.services_expenses import expense_create, mission_create
from tests.factories import FormationFactory, TrainingSessionFactory

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
def formation(db, documents_dir, coordinator):
    formation = FormationFactory(contract_reference="FSE-2022-LILLE-SUD")
    session = TrainingSessionFactory(formation=formation, code="LILLE-SUD-2022-1")
    mission = mission_create(
        actor=coordinator,
        formation=formation,
        name="Comité de pilotage de l'opération",
        start_date=dt.date(2022, 3, 1),
        end_date=dt.date(2022, 3, 2),
        place="Hôtel de ville, Lille",
    )
    for index, (category, attached) in enumerate(
        [
            (Expense.Category.TRAVEL, {"session": session}),
            (Expense.Category.LODGING, {"mission": mission}),
            (Expense.Category.ROOM, {}),
        ]
    ):
        expense_create(
            actor=coordinator,
            formation=formation,
            receipt=SimpleUploadedFile("facture.pdf", PDF),
            date=dt.date(2022, 3, 1 + index),
            category=category,
            description="Aller-retour Lille – Valenciennes en TER, deux formatrices",
            amount_ht=Decimal("1234.50"),
            vat=Decimal("246.90"),
            amount_ttc=Decimal("1481.40"),
            paid_by="Association (carte bancaire)",
            **attached,
        )
    return formation


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_expenses_pages_fit_and_refuse_a_fake_pdf(
    page, live_server, login_as, coordinator, formation, size, tmp_path
):
    login_as(coordinator)
    page.set_viewport_size(size)
    page.goto(live_server.url + formation.get_absolute_url())
    panel = page.locator("#expenses")
    assert "3 dépenses, 4 444,20 € TTC" in panel.inner_text().replace("\u202f", " ").replace(
        "\xa0", " "
    )
    no_sideways_scroll(page, size)

    with page.expect_navigation():
        panel.get_by_role("link", name="Voir et saisir les frais").click()
    assert page.get_by_role("heading", name="Totaux").is_visible()
    screenshot(page, f"expenses-list-{size['width']}")
    no_sideways_scroll(page, size)

    with page.expect_navigation():
        page.get_by_role("link", name="Ajouter une dépense").click()
    fake = tmp_path / "facture.pdf"
    fake.write_bytes(b"<!DOCTYPE html><html><body>Facture</body></html>")
    page.get_by_label("Date").fill("2022-03-05")
    page.get_by_label("Catégorie").select_option("meals")
    page.get_by_label("Description").fill("Repas du groupe")
    page.get_by_label("Session ou mission").select_option(label="LILLE-SUD-2022-1")
    page.get_by_label("Payé par").fill("Association")
    page.get_by_label("Montant HT (€)").fill("100,00")
    page.get_by_label("TVA (€)").fill("10,00")
    page.get_by_label("Montant TTC (€)").fill("110,00")
    page.get_by_label("Justificatif (PDF, JPEG ou PNG, 10 Mo au plus)").set_input_files(str(fake))
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer").click()
    assert "ni un PDF, ni une image JPEG ou PNG" in page.content()
    screenshot(page, f"expenses-refused-{size['width']}")
    no_sideways_scroll(page, size)

    real = tmp_path / "ticket.pdf"
    real.write_bytes(PDF)
    page.get_by_label("Justificatif (PDF, JPEG ou PNG, 10 Mo au plus)").set_input_files(str(real))
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer").click()
    assert page.url.endswith(reverse("livrables:expense_list", args=[formation.pk]))
    assert "Dépense n° 4 enregistrée." in page.content()


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_totals_tables_do_not_scroll(page, live_server, login_as, coordinator, formation, size):
    login_as(coordinator)
    page.set_viewport_size(size)
    page.goto(live_server.url + reverse("livrables:expense_list", args=[formation.pk]))
    overflow = page.evaluate(
        "[...document.querySelectorAll('.expense-totals')].map("
        "(t) => t.parentElement.scrollWidth - t.parentElement.clientWidth)"
    )
    assert overflow == [0, 0], f"{size['width']} px: {overflow}"
