import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from formations.models import Programme
from sessions.models import Enrolment
from tests.factories import ParticipantFactory, TrainingSessionFactory

pytestmark = pytest.mark.django_db

CSV = b"email\nawa@example.org\n"


def _file(content=CSV, name="inscrits.csv"):
    return SimpleUploadedFile(name, content, content_type="text/csv")


def test_page_without_upload_refuses_any_file(coordinator_client):
    response = coordinator_client.post(
        reverse("formations:programme_create"),
        {"reference": "PRG-X", "title": "Programme X", "piece_jointe": _file()},
    )

    assert response.status_code == 400
    assert "Cette page n&#x27;accepte aucun fichier" in response.content.decode()
    assert not Programme.objects.filter(reference="PRG-X").exists()


def test_multipart_post_without_file_passes_through(client, coordinator):
    coordinator.set_password("motdepasse")
    coordinator.save()

    response = client.post(
        reverse("login"), {"username": coordinator.username, "password": "motdepasse"}
    )

    assert response.status_code == 302
    assert client.session.get("_auth_user_id") == str(coordinator.pk)


@pytest.fixture
def enrol_url():
    return reverse("sessions:session_enrol_import", args=[TrainingSessionFactory().pk])


def test_enrolment_import_with_two_files_refused(coordinator_client, enrol_url):
    ParticipantFactory(email="awa@example.org")

    response = coordinator_client.post(enrol_url, {"file": [_file(), _file()]})

    assert response.status_code == 400
    assert "Un seul fichier peut être déposé à la fois" in response.content.decode()
    assert not Enrolment.objects.exists()


def test_enrolment_import_over_the_limit_refused(coordinator_client, enrol_url, settings):
    ParticipantFactory(email="awa@example.org")
    settings.SUIVI_MAX_UPLOAD_BYTES = len(CSV) - 1

    response = coordinator_client.post(enrol_url, {"file": _file()})

    assert response.status_code == 413
    assert "dépasse la taille maximale autorisée" in response.content.decode()
    assert not Enrolment.objects.exists()


def test_enrolment_import_within_the_limit_accepted(coordinator_client, enrol_url, settings):
    ParticipantFactory(email="awa@example.org")
    settings.SUIVI_MAX_UPLOAD_BYTES = len(CSV)

    response = coordinator_client.post(enrol_url, {"file": _file()})

    assert response.status_code == 302
    assert Enrolment.objects.count() == 1


@pytest.mark.parametrize(
    ("referer", "expected"),
    [
        (
            "http://testserver/sessions/1/inscriptions/",
            "http://testserver/sessions/1/inscriptions/",
        ),
        ("https://ailleurs.example/piege/", "/sessions/1/inscriptions/import/"),
        ("", "/sessions/1/inscriptions/import/"),
    ],
)
def test_refusal_page_links_back_to_the_form_on_this_site(client, referer, expected):
    url = "/sessions/1/inscriptions/import/"

    response = client.post(url, {"file": [_file(), _file()]}, HTTP_REFERER=referer)

    assert response.status_code == 400
    assert response.context["back_url"] == expected
