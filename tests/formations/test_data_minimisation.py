"""Funder auditors see names and structures, never participants' e-mail addresses or phone
numbers: on pages, in searches and in exports (GDPR data minimisation)."""

import csv
import io

import openpyxl
import pytest
from django.urls import reverse

from formations.models import User
from tests.factories import (
    EnrolmentFactory,
    FormationFactory,
    ParticipantFactory,
    ProgrammeFactory,
    StructureFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

EMAIL = "zainaba.madi@example.org"
PHONE = "+262 639 12 34 56"


@pytest.fixture
def person(auditor):
    """A participant enrolled in a session of a programme the auditor's funder finances."""
    structure = StructureFactory(name="CCAS de Mamoudzou")
    programme = ProgrammeFactory()
    programme.funders.add(auditor.funders.get())
    programme.structures.add(structure)
    participant = ParticipantFactory(
        last_name="Madi",
        first_name="Zaïnaba",
        email=EMAIL,
        phone=PHONE,
        job_title="Conseillère",
        structure=structure,
    )
    EnrolmentFactory(
        participant=participant, session__formation=FormationFactory(programme=programme)
    )
    return participant


def _pages(person):
    enrolment = person.enrolments.get()
    return {
        "participant_list": reverse("formations:participant_list"),
        "participant_detail": reverse("formations:participant_detail", args=[person.pk]),
        "structure_detail": reverse("formations:structure_detail", args=[person.structure_id]),
        "session_detail": reverse("sessions:session_detail", args=[enrolment.session_id]),
    }


def _text(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def test_auditor_pages_show_names_but_no_email_or_phone(client, auditor, person):
    client.force_login(auditor)
    for name, url in _pages(person).items():
        text = _text(client.get(url))
        assert "Zaïnaba" in text, name
        assert EMAIL not in text, name
        assert PHONE not in text, name
        assert "mailto:" not in text, name


def test_auditor_participant_list_has_no_contact_columns(client, auditor, person):
    client.force_login(auditor)
    text = _text(client.get(reverse("formations:participant_list")))
    assert ">E-mail<" not in text
    assert ">Téléphone<" not in text
    assert "Conseillère" in text


def test_coordinator_and_referent_still_see_contact_details(client, coordinator, person):
    referent = UserFactory(role=User.Role.STRUCTURE_REFERENT, structure=person.structure)
    for user in (coordinator, referent):
        client.force_login(user)
        for name in ("participant_list", "participant_detail"):
            text = _text(client.get(_pages(person)[name]))
            assert EMAIL in text, (user.role, name)
            assert PHONE in text, (user.role, name)


def test_auditor_cannot_search_participants_by_email(client, auditor, coordinator, person):
    url = reverse("formations:participant_list") + "?q=zainaba.madi@example"
    client.force_login(coordinator)
    assert "Zaïnaba" in _text(client.get(url))
    client.force_login(auditor)
    text = _text(client.get(url))
    assert "Zaïnaba" not in text
    # The name still finds the person.
    assert "Zaïnaba" in _text(client.get(reverse("formations:participant_list") + "?q=Madi"))


def test_auditor_sort_by_email_is_ignored(client, auditor, person):
    client.force_login(auditor)
    text = _text(client.get(reverse("formations:participant_list") + "?sort=email"))
    assert EMAIL not in text
    assert "Zaïnaba" in text


def test_auditor_csv_export_has_no_contact_columns(client, auditor, person):
    client.force_login(auditor)
    response = client.get(reverse("formations:participant_list") + "?_export=csv")
    content = response.getvalue().decode("utf-8")
    header, *rows = list(csv.reader(io.StringIO(content[1:]), delimiter=";"))
    assert header == [
        "Nom",
        "Prénom",
        "Fonction",
        "Structure",
        "Type de structure",
        "Commune",
        "Date de prise de poste",
    ]
    assert rows[0][:4] == ["Madi", "Zaïnaba", "Conseillère", "CCAS de Mamoudzou"]
    assert EMAIL not in content
    assert "639" not in content


def test_auditor_xlsx_export_has_no_contact_columns(client, auditor, person):
    client.force_login(auditor)
    response = client.get(reverse("formations:participant_list") + "?_export=xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(response.getvalue())).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert "E-mail" not in values[0]
    assert "Téléphone" not in values[0]
    assert values[1][:2] == ["Madi", "Zaïnaba"]
    flat = {str(v) for row in values for v in row}
    assert EMAIL not in flat
    assert PHONE not in flat


def test_coordinator_export_keeps_contact_columns(coordinator_client, person):
    response = coordinator_client.get(reverse("formations:participant_list") + "?_export=csv")
    content = response.getvalue().decode("utf-8")
    assert "E-mail;Téléphone" in content
    assert EMAIL in content
