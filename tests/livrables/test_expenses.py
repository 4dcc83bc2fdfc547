"""Expenses (frais engagés): receipts checked by their content, amounts that add up,
totals by category and mission, who sees and who writes, and the funder's follow-up file."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from formations.models import AuditEntry, User
from livrables.exceptions import LivrablesError
from livrables.models_expenses import Expense
from livrables.selectors_expenses import expense_totals
from livrables.services_expenses import (
    expense_create,
    expense_delete,
    expense_update,
    mission_create,
)
from tests.factories import (
    FormationFactory,
    FunderFactory,
    TrainingSessionFactory,
    UserFactory,
)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
HTML = b"<!DOCTYPE html><html><body>Facture</body></html>"


def upload(content=PDF, name="facture.pdf", content_type="application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.fixture
def formation(db):
    return FormationFactory(contract_reference="FEDER-2021-AO.7")


def fields(**overrides):
    values = {
        "date": dt.date(2021, 10, 6),
        "category": Expense.Category.TRAVEL,
        "description": "Train Lille – Arras",
        "amount_ht": Decimal("40.00"),
        "vat": Decimal("8.00"),
        "amount_ttc": Decimal("48.00"),
        "paid_by": "Organisme",
    }
    values.update(overrides)
    return values


def add(formation, actor, receipt=None, **overrides):
    return expense_create(
        actor=actor, formation=formation, receipt=receipt or upload(), **fields(**overrides)
    )


# --- Receipts -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_receipt_html_renamed_pdf_is_refused(formation, coordinator, documents_dir):
    with pytest.raises(LivrablesError) as refused:
        add(formation, coordinator, receipt=upload(HTML, "facture.pdf"))
    assert refused.value.code == "receipt_type"
    assert "facture.pdf" in refused.value.message
    assert "ni un PDF, ni une image JPEG ou PNG" in refused.value.message
    # Nothing half-written: no row, no file, no journal entry.
    assert not Expense.objects.exists()
    assert not [p for p in documents_dir.rglob("*") if p.is_file()]
    assert not AuditEntry.objects.filter(action="livrables.expense_created").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "name", "content_type", "extension"),
    [
        (PDF, "facture.pdf", "application/pdf", "pdf"),
        (JPEG, "ticket.jpg", "image/jpeg", "jpg"),
        (PNG, "capture.png", "image/png", "png"),
        # The content decides, not the name.
        (PNG, "capture.pdf", "application/pdf", "png"),
    ],
)
def test_receipt_pdf_jpeg_png_accepted_by_content(
    formation, coordinator, documents_dir, content, name, content_type, extension
):
    expense = add(formation, coordinator, receipt=upload(content, name, content_type))
    assert (
        expense.receipt_content_type
        == {"pdf": "application/pdf", "jpg": "image/jpeg", "png": "image/png"}[extension]
    )
    assert expense.pack_name == f"frais/001-train-lille-arras.{extension}"
    assert expense.receipt_original_name == name
    with expense.receipt.open("rb") as handle:
        assert handle.read() == content
    # Kept in the private storage, under a name of ours, not the uploaded one.
    assert expense.receipt.name.startswith("receipts/")
    assert name not in expense.receipt.name


@pytest.mark.django_db
def test_receipt_empty_or_missing_is_refused(formation, coordinator, documents_dir):
    with pytest.raises(LivrablesError) as empty:
        add(formation, coordinator, receipt=upload(b""))
    assert empty.value.code == "receipt_empty"
    with pytest.raises(LivrablesError) as missing:
        expense_create(actor=coordinator, formation=formation, receipt=None, **fields())
    assert missing.value.code == "receipt_missing"


@pytest.mark.django_db
def test_receipt_too_large_is_refused(formation, coordinator, documents_dir, monkeypatch):
    from livrables import services_expenses

    monkeypatch.setattr(services_expenses, "MAX_RECEIPT_BYTES", 100)
    with pytest.raises(LivrablesError) as refused:
        add(formation, coordinator, receipt=upload(PDF + b"0" * 200))
    assert refused.value.code == "receipt_too_large"


# --- Amounts and scope ----------------------------------------------------------------------


@pytest.mark.django_db
def test_ht_plus_vat_not_ttc_is_refused(formation, coordinator, documents_dir):
    with pytest.raises(LivrablesError) as refused:
        add(formation, coordinator, amount_ttc=Decimal("48.01"))
    assert refused.value.code == "invalid"
    assert "TTC doit être égal au montant HT plus la TVA" in refused.value.message
    assert not Expense.objects.exists()
    assert not [p for p in documents_dir.rglob("*") if p.is_file()]


@pytest.mark.django_db
def test_session_of_another_formation_is_refused(formation, coordinator, documents_dir):
    with pytest.raises(LivrablesError) as refused:
        add(formation, coordinator, session=TrainingSessionFactory())
    assert refused.value.code == "invalid"


@pytest.mark.django_db
def test_only_coordinators_write(formation, coordinator, auditor, trainer, documents_dir):
    for actor in (auditor, trainer):
        with pytest.raises(LivrablesError) as refused:
            add(formation, actor)
        assert refused.value.code == "not_allowed"
    expense = add(formation, coordinator)
    with pytest.raises(LivrablesError):
        expense_delete(actor=auditor, expense=expense)
    assert Expense.objects.count() == 1


@pytest.mark.django_db
def test_update_replaces_receipt_and_journals_changes(
    formation, coordinator, documents_dir, committed
):
    expense = add(formation, coordinator)
    old_name = expense.receipt.name
    committed(
        expense_update,
        actor=coordinator,
        expense=expense,
        receipt=upload(PNG, "photo.png", "image/png"),
        **fields(amount_ht=Decimal("50.00"), vat=Decimal("10.00"), amount_ttc=Decimal("60.00")),
    )
    expense.refresh_from_db()
    assert expense.amount_ttc == Decimal("60.00")
    assert expense.pack_name.endswith(".png")
    assert not (documents_dir / old_name).exists()
    entry = AuditEntry.objects.get(action="livrables.expense_updated")
    assert entry.data["changes"]["amount_ttc"] == ["48.00", "60.00"]


@pytest.mark.django_db
def test_delete_removes_row_and_file_and_keeps_the_trace(
    formation, coordinator, documents_dir, committed
):
    expense = add(formation, coordinator)
    name = expense.receipt.name
    committed(expense_delete, actor=coordinator, expense=expense)
    assert not Expense.objects.exists()
    assert not (documents_dir / name).exists()
    entry = AuditEntry.objects.get(action="livrables.expense_deleted")
    assert entry.data["receipt_sha256"] == expense.receipt_sha256
    assert entry.data["amount_ttc"] == "48.00"


# --- Totals ---------------------------------------------------------------------------------


@pytest.fixture
def expenses_world(formation, coordinator, documents_dir):
    session = TrainingSessionFactory(formation=formation, code="ARR-1")
    mission = mission_create(
        actor=coordinator,
        formation=formation,
        name="Comité de pilotage",
        start_date=dt.date(2021, 10, 6),
        end_date=dt.date(2021, 10, 6),
        place="Arras",
    )
    add(formation, coordinator, session=session)  # travel 40 + 8
    add(
        formation,
        coordinator,
        session=session,
        category=Expense.Category.MEALS,
        description="Repas",
        amount_ht=Decimal("20.00"),
        vat=Decimal("2.00"),
        amount_ttc=Decimal("22.00"),
    )
    add(
        formation,
        coordinator,
        mission=mission,
        description="Train comité",
        amount_ht=Decimal("30.00"),
        vat=Decimal("0.00"),
        amount_ttc=Decimal("30.00"),
    )
    add(
        formation,
        coordinator,
        category=Expense.Category.EQUIPMENT,
        description="Vidéoprojecteur",
        amount_ht=Decimal("300.00"),
        vat=Decimal("60.00"),
        amount_ttc=Decimal("360.00"),
        receipt=upload(JPEG, "ticket.jpg", "image/jpeg"),
    )
    # Another formation's expense never counts.
    add(FormationFactory(), coordinator, amount_ttc=Decimal("48.00"))
    return {"formation": formation, "session": session, "mission": mission}


def _flat(totals):
    return [(t.label, t.count, t.amount_ht, t.vat, t.amount_ttc) for t in totals]


@pytest.mark.django_db
def test_totals_by_category_and_mission(expenses_world, django_assert_num_queries):
    with django_assert_num_queries(2):
        totals = expense_totals(formation=expenses_world["formation"])
    assert _flat(totals.by_category) == [
        ("Déplacement", 2, Decimal("70.00"), Decimal("8.00"), Decimal("78.00")),
        ("Restauration", 1, Decimal("20.00"), Decimal("2.00"), Decimal("22.00")),
        ("Matériel", 1, Decimal("300.00"), Decimal("60.00"), Decimal("360.00")),
    ]
    assert _flat(totals.by_mission) == [
        ("Session ARR-1", 2, Decimal("60.00"), Decimal("10.00"), Decimal("70.00")),
        ("Comité de pilotage", 1, Decimal("30.00"), Decimal("0.00"), Decimal("30.00")),
        ("Hors mission", 1, Decimal("300.00"), Decimal("60.00"), Decimal("360.00")),
    ]
    assert (totals.overall.count, totals.overall.amount_ttc) == (4, Decimal("460.00"))


# --- Pages ----------------------------------------------------------------------------------


def _urls(formation, number=1):
    return {
        "list": reverse("livrables:expense_list", args=[formation.pk]),
        "export": reverse("livrables:expense_export", args=[formation.pk]),
        "receipt": reverse("livrables:expense_receipt", args=[formation.pk, number]),
        "add": reverse("livrables:expense_add", args=[formation.pk]),
        "edit": reverse("livrables:expense_edit", args=[formation.pk, number]),
        "remove": reverse("livrables:expense_remove", args=[formation.pk, number]),
        "mission": reverse("livrables:mission_add", args=[formation.pk]),
    }


@pytest.fixture
def funded_world(expenses_world):
    funder = FunderFactory(name="Région Hauts-de-France")
    expenses_world["formation"].programme.funders.add(funder)
    return {**expenses_world, "funder": funder}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["trainer", "referent", "other_auditor"])
def test_outsiders_get_404_everywhere(client, funded_world, role, trainer, referent):
    formation = funded_world["formation"]
    if role == "trainer":
        # Even a trainer of the formation's session: costs are not theirs to see.
        funded_world["session"].trainers.add(trainer)
        user = trainer
    elif role == "referent":
        user = referent
    else:
        user = UserFactory(role=User.Role.FUNDER_AUDITOR)
        user.funders.add(FunderFactory(name="FSE"))
    client.force_login(user)
    for name, url in _urls(formation).items():
        assert client.get(url).status_code == 404, (role, name)
        # A read-only page answers a POST with 405 whoever asks.
        assert client.post(url).status_code in (404, 405), (role, name)
    page = client.get(formation.get_absolute_url())
    assert b"Frais engag" not in page.content


@pytest.mark.django_db
def test_auditor_of_the_funder_reads_only(client, funded_world):
    formation = funded_world["formation"]
    auditor = UserFactory(role=User.Role.FUNDER_AUDITOR)
    auditor.funders.add(funded_world["funder"])
    client.force_login(auditor)
    urls = _urls(formation)
    page = client.get(urls["list"])
    assert page.status_code == 200
    assert "Vidéoprojecteur" in page.text
    assert "Consultation seule" in page.text
    assert urls["add"] not in page.text and urls["edit"] not in page.text
    receipt = client.get(urls["receipt"])
    assert receipt.status_code == 200
    assert b"".join(receipt.streaming_content) == PDF
    assert 'filename="001-train-lille-arras.pdf"' in receipt["Content-Disposition"]
    assert "no-store" in receipt["Cache-Control"]
    assert client.get(urls["export"]).status_code == 200
    assert client.post(urls["receipt"]).status_code == 405
    # In reach but read-only: 403 (out of reach is 404, `test_outsiders_get_404_everywhere`).
    for name in ("add", "edit", "remove", "mission"):
        assert client.get(urls[name]).status_code == 403, name
        assert client.post(urls[name]).status_code == 403, name
    assert Expense.objects.filter(formation=formation).count() == 4
    detail = client.get(formation.get_absolute_url())
    assert "Frais engagés" in detail.text and "460,00 € TTC" in detail.text


@pytest.mark.django_db
def test_coordinator_adds_edits_and_deletes_through_pages(
    client, coordinator, formation, documents_dir
):
    client.force_login(coordinator)
    urls = _urls(formation)
    refused = client.post(
        urls["add"],
        {
            "date": "2021-10-06",
            "category": "travel",
            "description": "Taxi",
            "attached_to": "",
            "amount_ht": "10,00",
            "vat": "1,00",
            "amount_ttc": "11,00",
            "paid_by": "Organisme",
            "receipt": upload(HTML, "taxi.pdf"),
        },
    )
    assert refused.status_code == 200
    assert "ni un PDF, ni une image JPEG ou PNG" in refused.text
    assert not Expense.objects.exists()
    response = client.post(
        urls["add"],
        {
            "date": "2021-10-06",
            "category": "travel",
            "description": "Taxi",
            "attached_to": "",
            "amount_ht": "10,00",
            "vat": "1,00",
            "amount_ttc": "11,00",
            "paid_by": "Organisme",
            "receipt": upload(),
        },
    )
    assert response.status_code == 302
    expense = Expense.objects.get()
    assert (expense.number, expense.amount_ttc) == (1, Decimal("11.00"))
    edit = client.post(
        urls["edit"],
        {
            "date": "2021-10-06",
            "category": "travel",
            "description": "Taxi gare",
            "attached_to": "",
            "amount_ht": "10,00",
            "vat": "1,00",
            "amount_ttc": "12,00",
            "paid_by": "Organisme",
        },
    )
    assert edit.status_code == 200
    assert "TTC doit être égal" in edit.text
    confirm = client.get(urls["remove"])
    assert "Supprimer la dépense n° 1" in confirm.text
    assert Expense.objects.exists()
    assert client.post(urls["remove"]).status_code == 302
    assert not Expense.objects.exists()


# --- Export ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_export_one_line_per_expense_with_pack_names_and_totals(client, coordinator, funded_world):
    client.force_login(coordinator)
    response = client.get(_urls(funded_world["formation"])["export"])
    assert response["Content-Disposition"].endswith('frais-engages-feder-2021-ao7.xlsx"')
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = [list(row) for row in workbook.active.iter_rows(values_only=True)]
    assert rows[0][:3] == ["N°", "Date", "Catégorie"]
    assert rows[0][9] == "Justificatif (fichier du dossier)"
    lines = rows[1:5]
    assert [line[0] for line in lines] == [1, 2, 3, 4]
    by_number = {line[0]: line for line in lines}
    assert by_number[1][3:10] == [
        "Train Lille – Arras",
        "Session ARR-1",
        40,
        8,
        48,
        "Organisme",
        "frais/001-train-lille-arras.pdf",
    ]
    assert by_number[4][9] == "frais/004-videoprojecteur.jpg"
    # A link that opens the receipt once the pack is unzipped (the file at its root).
    link = workbook.active.cell(row=2, column=10).hyperlink
    assert link.target == "frais/001-train-lille-arras.pdf"
    assert by_number[3][4] == "Comité de pilotage"
    totals = {(row[2], row[3]): row[4:8] for row in rows[6:]}
    assert totals[("Total par catégorie", "Déplacement")] == ["2 dépenses", 70, 8, 78]
    assert totals[("Total par mission", "Hors mission")] == ["1 dépense", 300, 60, 360]
    assert totals[("Total général", "Total")] == ["4 dépenses", 390, 70, 460]


@pytest.mark.django_db
@pytest.mark.parametrize("extra", [0, 6])
def test_list_and_export_queries_do_not_grow(
    client, coordinator, funded_world, extra, django_assert_max_num_queries
):
    formation = funded_world["formation"]
    for index in range(extra):
        add(
            formation,
            coordinator,
            session=funded_world["session"] if index % 2 else None,
            mission=funded_world["mission"] if not index % 2 else None,
            description=f"Frais {index}",
        )
    client.force_login(coordinator)
    urls = _urls(formation)
    with django_assert_max_num_queries(12):
        assert client.get(urls["list"]).status_code == 200
    with django_assert_max_num_queries(10):
        response = client.get(urls["export"])
        b"".join(response.streaming_content)


@pytest.mark.django_db
def test_mission_ending_before_it_starts_is_refused(formation, coordinator):
    with pytest.raises(LivrablesError) as refused:
        mission_create(
            actor=coordinator,
            formation=formation,
            name="Comité",
            start_date=dt.date(2021, 9, 2),
            end_date=dt.date(2021, 9, 1),
        )
    assert refused.value.code == "invalid"
    assert "finir avant de commencer" in refused.value.message


@pytest.mark.django_db
def test_formation_panel_without_expenses_invites_coordinators(client, coordinator, formation):
    client.force_login(coordinator)
    page = client.get(formation.get_absolute_url())
    assert "Aucune dépense (frais engagés) n'est enregistrée pour cette formation" in page.text
    assert reverse("livrables:expense_list", args=[formation.pk]) in page.text
    assert reverse("livrables:expense_export", args=[formation.pk]) not in page.text


def test_pack_name_keeps_whole_words():
    expense = Expense(
        number=12,
        description="Aller-retour Lille – Valenciennes en TER, deux formatrices",
        receipt_content_type="image/jpeg",
    )
    assert expense.pack_name == "frais/012-aller-retour-lille-valenciennes-en-ter.jpg"
    expense.description = "« … »"
    assert expense.pack_name == "frais/012-frais.jpg"


# --- Numbers and dates ----------------------------------------------------------------------


@pytest.mark.django_db
def test_number_of_a_deleted_expense_is_never_given_again(
    formation, coordinator, documents_dir, committed
):
    first = add(formation, coordinator)
    last = add(formation, coordinator, description="Hôtel")
    assert (first.number, last.number) == (1, 2)
    # The last one deleted: its n° 2 may already be printed in a funder's file.
    committed(expense_delete, actor=coordinator, expense=last)
    assert add(formation, coordinator, description="Repas").number == 3
    committed(expense_delete, actor=coordinator, expense=first)
    assert add(formation, coordinator, description="Taxi").number == 4
    # Each formation counts on its own.
    other = FormationFactory(contract_reference="FEDER-2021-AO.8")
    assert add(other, coordinator).number == 1


@pytest.mark.django_db
def test_number_deleted_before_any_counter_existed_is_never_given_again(
    formation, coordinator, documents_dir, committed
):
    from livrables.models import ExpenseNumbering

    add(formation, coordinator)
    last = add(formation, coordinator, description="Hôtel")
    # Expenses typed before the counter existed (migration 0010): no counter row.
    ExpenseNumbering.objects.all().delete()
    committed(expense_delete, actor=coordinator, expense=last)
    assert ExpenseNumbering.objects.get(formation=formation).last_number == 2
    assert add(formation, coordinator, description="Repas").number == 3


@pytest.mark.django_db
def test_migration_gives_a_counter_to_formations_numbered_before_it(
    formation, coordinator, documents_dir
):
    import importlib

    from django.apps import apps

    from livrables.models import ExpenseNumbering

    seed = importlib.import_module("livrables.migrations.0015_seed_expense_numbering").seed
    add(formation, coordinator)
    add(formation, coordinator, description="Hôtel")
    other = FormationFactory(contract_reference="FEDER-2021-AO.8")
    add(other, coordinator)
    ExpenseNumbering.objects.filter(formation=formation).delete()
    ExpenseNumbering.objects.filter(formation=other).update(last_number=7)

    seed(apps, None)

    counters = dict(ExpenseNumbering.objects.values_list("formation_id", "last_number"))
    assert counters == {formation.pk: 2, other.pk: 7}  # an existing counter is left alone


@pytest.mark.django_db
def test_refused_expense_does_not_use_up_a_number(formation, coordinator, documents_dir):
    add(formation, coordinator)
    with pytest.raises(LivrablesError):
        add(formation, coordinator, receipt=upload(HTML))
    assert add(formation, coordinator).number == 2


@pytest.mark.django_db
def test_expense_and_mission_dates_outside_the_execution_period_are_refused(
    formation, coordinator, documents_dir
):
    formation.start_date, formation.end_date = dt.date(2021, 9, 1), dt.date(2022, 6, 30)
    formation.save()
    with pytest.raises(LivrablesError) as refused:
        add(formation, coordinator, date=dt.date(2012, 10, 6))
    assert refused.value.code == "outside_execution"
    assert refused.value.message.startswith(
        "La date du 06/10/2012 sort de la période d'exécution du marché "
        "(du 01/09/2021 au 30/06/2022)"
    )
    assert not Expense.objects.exists()

    expense = add(formation, coordinator, date=dt.date(2022, 6, 30))
    with pytest.raises(LivrablesError) as refused:
        expense_update(actor=coordinator, expense=expense, date=dt.date(2022, 7, 1))
    assert refused.value.code == "outside_execution"
    expense.refresh_from_db()
    assert expense.date == dt.date(2022, 6, 30)

    with pytest.raises(LivrablesError) as refused:
        mission_create(
            actor=coordinator,
            formation=formation,
            name="Repérage",
            start_date=dt.date(2021, 8, 30),
            end_date=dt.date(2021, 9, 2),
        )
    assert refused.value.code == "outside_execution"
    assert refused.value.message.startswith(
        "Les dates du 30/08/2021 au 02/09/2021 sortent de la période d'exécution du marché "
        "(du 01/09/2021 au 30/06/2022)"
    )


@pytest.mark.django_db
def test_expense_date_refusal_is_shown_on_the_form(client, coordinator, formation, documents_dir):
    formation.start_date = dt.date(2021, 9, 1)
    formation.save()
    client.force_login(coordinator)
    response = client.post(
        reverse("livrables:expense_add", args=[formation.pk]),
        {
            **fields(date="2021-08-31"),
            "attached_to": "",
            "amount_ht": "40,00",
            "vat": "8,00",
            "amount_ttc": "48,00",
            "receipt": upload(),
        },
    )
    assert response.status_code == 200
    assert "sort de la période d&#x27;exécution du marché (à partir du 01/09/2021)" in (
        response.text
    )
    assert not Expense.objects.exists()


@pytest.mark.django_db
def test_a_superuser_opens_an_expense_in_the_admin(client, formation, coordinator, documents_dir):
    expense = add(formation, coordinator)
    client.force_login(UserFactory(is_superuser=True, is_staff=True))

    page = client.get(reverse("admin:livrables_expense_change", args=[expense.pk]))

    assert page.status_code == 200
    assert expense.receipt_sha256 in page.content.decode()
    assert reverse("livrables:expense_receipt", args=[formation.pk, expense.number]) in (
        page.content.decode()
    )
