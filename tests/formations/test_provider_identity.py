"""The training organisation's identity: one record a coordinator sets on « Organisme »,
its SIRET checked, its signature image checked by its bytes and kept in the private
documents storage, every change journaled."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from formations.models import AuditEntry, ProviderIdentity, User, siret_is_valid
from tests.factories import UserFactory

URL = "/organisme/"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
FORM = {
    "legal_name": "Formations du Nord SCOP",
    "address": "12 rue des Arts, 59000 Lille",
    "siret": "732 829 320 00074",
    "activity_declaration_number": "31590000059",
    "representative_name": "Marie Dupont",
    "representative_role": "Gérante",
    "signing_place": "Lille",
}


def test_url_is_organisme():
    assert reverse("formations:provider_identity") == URL


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("73282932000074", True),
        ("73282932000075", False),  # wrong key
        ("7328293200007", False),  # 13 digits
        ("7328293200007A", False),
        ("35600000000048", False),
        ("35600000000060", True),  # La Poste: digits sum to a multiple of 5
    ],
)
def test_siret_is_14_digits_with_a_luhn_key(value, valid):
    assert siret_is_valid(value) is valid


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["trainer", "funder_auditor", "structure_referent"])
def test_only_coordinators_open_the_page(client, role, referent):
    user = referent if role == "structure_referent" else UserFactory(role=role)
    client.force_login(user)

    assert client.get(URL).status_code == 403
    assert client.post(URL, FORM).status_code == 403
    assert not ProviderIdentity.objects.exists()


def test_coordinator_sets_it_once_with_an_image_kept_privately(coordinator_client, documents_dir):
    image = SimpleUploadedFile("signature.png", PNG, content_type="image/png")

    response = coordinator_client.post(URL, {**FORM, "signature_image": image}, follow=True)

    provider = ProviderIdentity.objects.get()
    assert (
        "L'identité de l'organisme de formation est enregistrée."
        in response.content.decode().replace("&#x27;", "'")
    )
    assert provider.siret == "73282932000074"
    assert (documents_dir / provider.signature_image.name).read_bytes() == PNG
    entry = AuditEntry.objects.get(action="provider_identity_created")
    assert "siret" in entry.data["fields"]

    coordinator_client.post(URL, {**FORM, "signing_place": "Roubaix"})

    assert ProviderIdentity.objects.get().signing_place == "Roubaix"
    assert ProviderIdentity.objects.count() == 1
    assert AuditEntry.objects.get(action="provider_identity_updated").data["fields"] == [
        "signing_place"
    ]


def test_the_page_says_an_image_is_kept_and_can_remove_it(coordinator_client, documents_dir):
    image = SimpleUploadedFile("signature.png", PNG, content_type="image/png")
    assert "Retirer l'image" not in coordinator_client.get(URL).content.decode().replace(
        "&#x27;", "'"
    )
    coordinator_client.post(URL, {**FORM, "signature_image": image})

    page = coordinator_client.get(URL).content.decode().replace("&#x27;", "'")
    assert "Une image est enregistrée : elle est imprimée sur les certificats." in page
    coordinator_client.post(URL, {**FORM, "remove_signature_image": "on"})

    assert not ProviderIdentity.objects.get().signature_image


def test_bad_siret_and_non_image_are_refused(coordinator_client, documents_dir):
    fake = SimpleUploadedFile("signature.png", b"GIF89a not a png", content_type="image/png")

    response = coordinator_client.post(
        URL, {**FORM, "siret": "73282932000075", "signature_image": fake}
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "SIRET invalide" in html
    assert "doit être un fichier PNG ou JPEG" in html
    assert not ProviderIdentity.objects.exists()
    assert not list(documents_dir.rglob("*.*"))


def test_service_refuses_a_non_coordinator(db):
    from django.core.exceptions import PermissionDenied

    from formations.forms import ProviderIdentityForm
    from formations.services import provider_identity_save

    trainer = UserFactory(role=User.Role.TRAINER)
    form = ProviderIdentityForm(data=FORM, user=trainer)
    assert form.is_valid(), form.errors

    with pytest.raises(PermissionDenied):
        provider_identity_save(form=form, actor=trainer)
    assert not ProviderIdentity.objects.exists()
