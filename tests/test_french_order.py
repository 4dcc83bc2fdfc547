"""Names in French order on every page, export and document that lists people or
structures: accents and case ignored (ÖZTÜRK among the O, ČAPEK among the C), on SQLite
and PostgreSQL alike (the suite runs on both)."""

import csv
import datetime as dt
import html
import io
import re

import openpyxl
import pytest
import time_machine
from django.urls import reverse
from pypdf import PdfReader

from sessions.selectors.enrolment import enrolment_candidates
from tests.factories import (
    EnrolmentFactory,
    ParticipantFactory,
    SlotFactory,
    StructureFactory,
    TrainingSessionFactory,
)
from tests.factories.sessions import PaperSheetScanFactory

pytestmark = pytest.mark.django_db

# Created in this (byte-order-friendly) order so that insertion order proves nothing.
PEOPLE = [
    ("Petit", "Louise"),
    ("ÖZTÜRK", "Ayşe"),
    ("Dupont", "Marc"),
    ("olivier", "Jeanne"),
    ("Čapek", "Karel"),
    ("Brun", "Léa"),
]
FRENCH_ORDER = ["Brun", "Čapek", "Dupont", "Olivier", "Öztürk", "Petit"]


def positions(text: str, names: list[str]) -> list[int]:
    folded = text.casefold()
    found = []
    for name in names:
        index = folded.find(name.casefold())
        assert index >= 0, f"{name} missing"
        found.append(index)
    return found


def assert_in_french_order(text: str, names: list[str] = FRENCH_ORDER) -> None:
    found = positions(text, names)
    order = [name for _, name in sorted(zip(found, names, strict=True))]
    assert order == names


def page_text(response) -> str:
    assert response.status_code == 200
    text = re.sub(r"<[^>]+>", " ", response.content.decode())
    return re.sub(r"\s+", " ", html.unescape(text))


def main_text(response) -> str:
    """The page's <main>, without the navigation and the filters' dropdowns."""
    text = response.content.decode()
    start, end = text.index("<main"), text.index("</main>")
    text = re.sub(r"<select.*?</select>", " ", text[start:end], flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", text)))


@pytest.fixture
def structure():
    return StructureFactory(name="Centre social L'Étoile")


@pytest.fixture
def people(structure):
    return [
        ParticipantFactory(last_name=last, first_name=first, structure=structure)
        for last, first in PEOPLE
    ]


@pytest.fixture
def slot(trainer, people):
    session = TrainingSessionFactory()
    session.trainers.add(trainer)
    for person in people:
        EnrolmentFactory(session=session, participant=person)
    return SlotFactory(session=session)


@pytest.fixture
def during(slot):
    with time_machine.travel(slot.starts_at + dt.timedelta(minutes=20), tick=False):
        yield


# --- formations lists and exports ---------------------------------------------------------


def test_participant_list_is_in_french_order(coordinator_client, people):
    response = coordinator_client.get(reverse("formations:participant_list"))

    assert_in_french_order(main_text(response))


def test_participant_list_sorted_by_name_column_both_ways(coordinator_client, people):
    url = reverse("formations:participant_list")

    ascending = coordinator_client.get(url + "?sort=last_name")
    descending = coordinator_client.get(url + "?sort=-last_name")

    assert_in_french_order(main_text(ascending))
    assert_in_french_order(main_text(descending), FRENCH_ORDER[::-1])


def test_participant_list_sorted_by_structure_then_name(coordinator_client, people):
    # People of « Centre social L'Étoile », between « Ça bouge » and « Écoute ».
    ParticipantFactory(last_name="Zola", structure=StructureFactory(name="Écoute et partage"))
    ParticipantFactory(last_name="Abel", structure=StructureFactory(name="Ça bouge"))

    response = coordinator_client.get(reverse("formations:participant_list") + "?sort=structure")

    assert_in_french_order(main_text(response), ["Abel", *FRENCH_ORDER, "Zola"])


def test_participant_csv_export_is_in_french_order(coordinator_client, people):
    response = coordinator_client.get(reverse("formations:participant_list") + "?_export=csv")

    rows = list(csv.reader(io.StringIO(response.getvalue().decode("utf-8-sig")), delimiter=";"))
    assert [row[0] for row in rows[1:]] == ["Brun", "Čapek", "Dupont", "olivier", "ÖZTÜRK", "Petit"]


def test_participant_xlsx_export_sorted_descending_follows_the_page(coordinator_client, people):
    url = reverse("formations:participant_list") + "?sort=-last_name&_export=xlsx"

    sheet = openpyxl.load_workbook(io.BytesIO(coordinator_client.get(url).getvalue())).active

    names = [row[0].value for row in sheet.iter_rows(min_row=2)]
    assert names == ["Petit", "ÖZTÜRK", "olivier", "Dupont", "Čapek", "Brun"]


def test_structure_list_and_export_put_accented_names_among_their_letter(coordinator_client):
    for name in ["Zèbre", "Étoile", "arbre", "Fleur", "Œuvre sociale", "Escale"]:
        StructureFactory(name=name)
    expected = ["arbre", "Escale", "Étoile", "Fleur", "Œuvre sociale", "Zèbre"]
    url = reverse("formations:structure_list")

    page = main_text(coordinator_client.get(url))
    exported = (
        coordinator_client.get(url + "?sort=-name&_export=csv").getvalue().decode("utf-8-sig")
    )

    assert_in_french_order(page, expected)
    assert [row[0] for row in list(csv.reader(io.StringIO(exported), delimiter=";"))[1:]] == (
        expected[::-1]
    )


def test_structure_filter_dropdown_is_in_french_order(coordinator_client):
    for name in ["Zèbre", "Étoile", "Fleur"]:
        StructureFactory(name=name)

    response = coordinator_client.get(reverse("formations:participant_list"))

    options = response.context["filter"].form.fields["structure"].queryset
    assert [s.name for s in options] == ["Étoile", "Fleur", "Zèbre"]


def test_structure_page_lists_its_people_and_their_hours_in_french_order(
    coordinator_client, structure, slot
):
    response = coordinator_client.get(reverse("formations:structure_detail", args=[structure.pk]))

    text = main_text(response)
    table_start = text.casefold().index("participant·es du centre social")
    assert_in_french_order(text[table_start:])
    (hours,) = [ctx for _, ctx in response.context["panels"] if "structure_people" in ctx]
    people = [str(p) for p in hours["structure_people"]]
    assert people == [
        "BRUN Léa",
        "ČAPEK Karel",
        "DUPONT Marc",
        "OLIVIER Jeanne",
        "ÖZTÜRK Ayşe",
        "PETIT Louise",
    ]


# --- sessions pages ---------------------------------------------------------------------


def test_tablet_list_is_in_french_order(client, trainer, slot, during):
    client.force_login(trainer)

    response = client.get(reverse("sessions:slot_tablet", args=[slot.pk]))

    assert_in_french_order(main_text(response))


@pytest.mark.parametrize("url_name", ["slot_detail", "slot_remote_links"])
def test_trainer_half_day_pages_are_in_french_order(client, trainer, slot, during, url_name):
    client.force_login(trainer)

    response = client.get(reverse(f"sessions:{url_name}", args=[slot.pk]))

    assert_in_french_order(main_text(response))


def test_paper_key_in_rows_are_in_french_order(client, trainer, slot, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    PaperSheetScanFactory(slot=slot, uploaded_by=trainer)
    client.force_login(trainer)

    with time_machine.travel(slot.ends_at + dt.timedelta(hours=1), tick=False):
        response = client.get(reverse("sessions:slot_paper", args=[slot.pk]))

    assert_in_french_order(main_text(response))


@pytest.mark.parametrize("url_name", ["session_detail", "session_enrolments"])
def test_session_pages_are_in_french_order(coordinator_client, slot, url_name):
    response = coordinator_client.get(reverse(f"sessions:{url_name}", args=[slot.session_id]))

    assert_in_french_order(main_text(response))


def test_enrolment_candidates_are_in_french_order(coordinator, slot):
    session = TrainingSessionFactory()

    candidates = enrolment_candidates(session=session, user=coordinator)

    assert [p.last_name for p in candidates] == [
        "Brun",
        "Čapek",
        "Dupont",
        "olivier",
        "ÖZTÜRK",
        "Petit",
    ]


# --- documents ----------------------------------------------------------------------------


def test_sheet_pdf_is_in_french_order(coordinator_client, slot):
    response = coordinator_client.get(reverse("livrables:session_sheet", args=[slot.session_id]))

    assert response.status_code == 200
    reader = PdfReader(io.BytesIO(response.content))
    text = " ".join(page.extract_text() or "" for page in reader.pages)
    assert_in_french_order(text, [name.upper() for name in FRENCH_ORDER])
