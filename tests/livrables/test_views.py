import pytest
from django.urls import reverse

from formations.models import AuditEntry, User
from livrables.selectors import issued_file
from livrables.services import issue_sheet
from tests.factories import FunderFactory, UserFactory
from tests.livrables.conftest import pdf_text


def sheet_url(session):
    return reverse("livrables:session_sheet", args=[session.pk])


def blank_url(session):
    return reverse("livrables:session_blank_sheet", args=[session.pk])


def issue_url(session):
    return reverse("livrables:session_sheet_issue", args=[session.pk])


@pytest.fixture
def issued(sheet_world):
    return issue_sheet(session=sheet_world.session, actor=sheet_world.coordinator)


def test_session_sheet_downloads_for_coordinator(client, sheet_world):
    client.force_login(sheet_world.coordinator)
    client.post(issue_url(sheet_world.session))

    response = client.get(sheet_url(sheet_world.session))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert response["Content-Disposition"].startswith(
        'attachment; filename="feuille-emargement-EMG-'
    )
    assert "private" in response["Cache-Control"]
    entry = AuditEntry.objects.get(action="livrables.sheet_issued")
    assert entry.data["number"] in pdf_text(response.content)
    assert entry.actor == sheet_world.coordinator


def test_session_sheet_downloads_for_the_session_trainer(client, sheet_world, issued):
    client.force_login(sheet_world.trainer)

    response = client.get(sheet_url(sheet_world.session))

    assert response.status_code == 200
    assert "NGUYỄN Thị Hương" in pdf_text(response.content)


def test_session_sheet_downloads_for_auditor_of_a_funder(client, sheet_world, issued):
    auditor = UserFactory(role=User.Role.FUNDER_AUDITOR)
    auditor.funders.add(FunderFactory(name="FEDER"))
    client.force_login(auditor)

    response = client.get(sheet_url(sheet_world.session))

    assert response.status_code == 200
    assert response.content == issued_file(document=issued).content


def test_session_sheet_is_404_for_auditor_of_another_funder(client, sheet_world, issued):
    auditor = UserFactory(role=User.Role.FUNDER_AUDITOR)
    auditor.funders.add(FunderFactory(name="CAF du Nord", kind="caf"))
    client.force_login(auditor)

    assert client.get(sheet_url(sheet_world.session)).status_code == 404


def test_session_sheet_is_404_for_referent_even_of_an_enrolled_structure(
    client, sheet_world, issued
):
    structure = sheet_world.enrolments["nguyen"].participant.structure
    referent = UserFactory(role=User.Role.STRUCTURE_REFERENT, structure=structure)
    client.force_login(referent)

    assert client.get(sheet_url(sheet_world.session)).status_code == 404
    assert client.get(blank_url(sheet_world.session)).status_code == 404


def test_session_sheet_is_404_for_unrelated_trainer(client, sheet_world, issued):
    client.force_login(UserFactory(role=User.Role.TRAINER))

    assert client.get(sheet_url(sheet_world.session)).status_code == 404
    assert client.get(blank_url(sheet_world.session)).status_code == 404


@pytest.mark.parametrize("url", [sheet_url, blank_url])
def test_sheets_redirect_anonymous_to_login(client, sheet_world, url):
    response = client.get(url(sheet_world.session))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_blank_sheet_downloads_for_trainer_with_names_and_no_signatures(client, sheet_world):
    client.force_login(sheet_world.trainer)

    response = client.get(blank_url(sheet_world.session))

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="feuille-vierge-EMV-')
    text = pdf_text(response.content)
    assert "DVOŘÁK Jiří" in text
    assert "Retard" not in text
    assert AuditEntry.objects.filter(action="livrables.blank_sheet_printed").count() == 1


def test_blank_sheet_is_404_for_auditor(client, sheet_world):
    auditor = UserFactory(role=User.Role.FUNDER_AUDITOR)
    auditor.funders.add(FunderFactory(name="FEDER"))
    client.force_login(auditor)

    assert client.get(blank_url(sheet_world.session)).status_code == 404


def test_session_sheet_refuses_post(client, sheet_world):
    client.force_login(sheet_world.coordinator)

    assert client.post(sheet_url(sheet_world.session)).status_code == 405
