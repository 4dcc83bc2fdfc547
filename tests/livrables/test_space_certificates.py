"""A participant downloads their own certificates from their space (signed in by a
one-time link, not a staff login), and nobody else's."""

import hashlib

import pytest
from django.urls import reverse

from formations import space
from livrables.selectors import issued_file
from livrables.services import revoke_document
from tests.livrables.test_certificates import ATTESTATION, CERTIFICATE, issue, provider  # noqa: F401

SPACE_URL = reverse("space:home")


def sign_in(client, participant):
    session = client.session
    session[space.SESSION_KEY] = participant.pk
    session.save()
    return client


def document_url(record):
    return reverse("livrables:space_document", args=[record.number])


def test_the_space_lists_and_serves_the_persons_own_certificates(
    client,
    sheet_world,
    provider,  # noqa: F811
):
    certificate = issue(sheet_world, "dvorak", CERTIFICATE)
    attestation = issue(sheet_world, "dvorak", ATTESTATION)
    dvorak = sheet_world.enrolments["dvorak"].participant
    sign_in(client, dvorak)

    page = client.get(SPACE_URL).content.decode()
    download = client.get(document_url(certificate))

    assert "Certificat de réalisation — Accompagner les usages numériques" in page
    assert document_url(certificate) in page and document_url(attestation) in page
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert hashlib.sha256(download.content).hexdigest() == certificate.sha256
    assert download.content == issued_file(document=certificate).content


def test_another_persons_certificate_is_not_found(client, sheet_world, provider):  # noqa: F811
    theirs = issue(sheet_world, "martin", CERTIFICATE)
    sign_in(client, sheet_world.enrolments["dvorak"].participant)

    assert client.get(document_url(theirs)).status_code == 404
    assert document_url(theirs) not in client.get(SPACE_URL).content.decode()


def test_a_revoked_certificate_leaves_the_space(client, sheet_world, provider):  # noqa: F811
    record = issue(sheet_world, "dvorak", CERTIFICATE)
    revoke_document(document=record, actor=sheet_world.coordinator, reason="Erreur de formation")
    sign_in(client, sheet_world.enrolments["dvorak"].participant)

    assert client.get(document_url(record)).status_code == 404
    assert "Aucun document pour l'instant" in client.get(SPACE_URL).content.decode()


def test_without_signing_in_the_space_asks_for_a_link(client, sheet_world, provider):  # noqa: F811
    record = issue(sheet_world, "dvorak", CERTIFICATE)

    response = client.get(document_url(record))

    assert response.status_code == 302
    assert response["Location"] == reverse("space:sign_in")


@pytest.mark.parametrize("staff", ["coordinator", "trainer"])
def test_staff_do_not_download_through_the_space(client, sheet_world, provider, staff):  # noqa: F811
    record = issue(sheet_world, "dvorak", CERTIFICATE)
    client.force_login(getattr(sheet_world, staff))

    assert client.get(document_url(record)).status_code == 302


def test_a_missing_document_in_the_space_says_so_in_the_space_s_words(client, sheet_world):
    sign_in(client, sheet_world.enrolments["dvorak"].participant)

    response = client.get(reverse("livrables:space_document", args=["CR-INCONNU"]))

    page = response.content.decode().replace("&#x27;", "'")
    assert response.status_code == 404
    assert "ne fait pas partie de votre espace" in page and "votre compte" not in page
    assert reverse("space:home") in page and "Revenir à mon espace" in page
