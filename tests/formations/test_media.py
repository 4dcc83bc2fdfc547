"""Uploaded files: funders' logos are public, nothing else under MEDIA_ROOT is."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse

from tests.factories import FunderFactory

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def funder_with_logo(db):
    funder = FunderFactory(name="Région Hauts-de-France", kind="region")
    funder.emblem.save("region.png", ContentFile(PNG))
    return funder


def test_funder_logo_is_served_to_anyone_at_its_media_url(client, funder_with_logo):
    url = funder_with_logo.emblem.url

    response = client.get(url)

    assert url.startswith("/media/funders/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == PNG


def test_funder_logo_url_is_the_named_route(funder_with_logo):
    name = funder_with_logo.emblem.name.removeprefix("funders/")

    assert reverse("formations:funder_emblem", args=[name]) == funder_with_logo.emblem.url


def test_funder_logo_shows_on_funder_page(coordinator_client, funder_with_logo):
    response = coordinator_client.get(
        reverse("formations:funder_detail", args=[funder_with_logo.pk])
    )

    assert f'src="{funder_with_logo.emblem.url}"' in response.content.decode()


def test_file_in_funders_folder_that_is_no_funders_logo_is_not_served(client, db):
    name = default_storage.save("funders/stray.png", ContentFile(PNG))

    response = client.get(f"/media/{name}")

    assert response.status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/media/paper_sheets/2021/10/scan.pdf",
        "/media/funders/../paper_sheets/2021/10/scan.pdf",
        "/media/funders/%2e%2e/paper_sheets/2021/10/scan.pdf",
        "/media/imports/pending.csv",
    ],
)
def test_other_media_files_are_never_public(client, db, path):
    default_storage.save("paper_sheets/2021/10/scan.pdf", ContentFile(b"%PDF-1.4 secret"))
    default_storage.save("imports/pending.csv", ContentFile(b"nom;prenom"))

    response = client.get(path)

    assert response.status_code in (302, 404)
    assert b"secret" not in response.content


def test_removed_logo_file_is_404_not_500(client, funder_with_logo):
    default_storage.delete(funder_with_logo.emblem.name)

    response = client.get(funder_with_logo.emblem.url)

    assert response.status_code == 404


def test_funder_logo_refuses_post(client, funder_with_logo):
    assert client.post(funder_with_logo.emblem.url).status_code == 405
