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


def _png():
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), "navy").save(buffer, format="PNG")
    return SimpleUploadedFile("logo.png", buffer.getvalue(), content_type="image/png")


def test_a_funder_logo_can_be_uploaded_from_the_funder_form(coordinator_client):
    from formations.models import Funder

    response = coordinator_client.post(
        reverse("formations:funder_create"),
        {"name": "Région Test", "kind": "region", "publicity_sentence": "", "emblem": _png()},
    )

    assert response.status_code == 302, response.content.decode()[:500]
    assert Funder.objects.get(name="Région Test").emblem.name.startswith("funders/")


def test_a_funder_logo_can_be_uploaded_in_the_django_admin(client, django_user_model):
    from formations.models import Funder

    admin = django_user_model.objects.create_superuser("tech", "tech@example.org", "x-pass-123")
    client.force_login(admin)

    response = client.post(
        reverse("admin:formations_funder_add"),
        {"name": "CAF Test", "kind": "caf", "publicity_sentence": "", "emblem": _png()},
    )

    assert response.status_code == 302, response.content.decode()[:500]
    assert Funder.objects.get(name="CAF Test").emblem


def test_the_funder_form_still_refuses_a_second_file(coordinator_client):
    response = coordinator_client.post(
        reverse("formations:funder_create"),
        {"name": "Région Test", "kind": "region", "emblem": _png(), "autre": _file()},
    )

    assert response.status_code == 400
