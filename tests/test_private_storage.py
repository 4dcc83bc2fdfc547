"""Two storages: public media (funders' logos) and private documents (issued PDFs, paper
scans, pending imports). The private one is served by no URL, is read through the storage
API only, and may be an S3-compatible store by settings alone."""

import hashlib
import importlib
from pathlib import Path

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from config.storages import documents_storage as documents_settings
from formations.models import User
from formations.storage import PrivateFileSystemStorage, documents_storage
from sessions.models import PaperSheetScan
from sessions.services.paper import paper_scan_store
from tests.factories import SlotFactory, UserFactory

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


# ---------------------------------------------------------------------------- settings


def test_documents_storage_defaults_to_a_private_folder_under_data():
    assert documents_settings({}, Path("/srv/suivi/data")) == {
        "BACKEND": "formations.storage.PrivateFileSystemStorage",
        "OPTIONS": {
            "location": "/srv/suivi/data/documents",
            "file_permissions_mode": 0o600,
            "directory_permissions_mode": 0o700,
        },
    }


def test_documents_storage_folder_from_the_environment():
    entry = documents_settings(
        {"SUIVI_DOCUMENTS_STORAGE": "file", "SUIVI_DOCUMENTS_DIR": "/mnt/justificatifs"},
        Path("/srv/suivi/data"),
    )

    assert entry["OPTIONS"]["location"] == "/mnt/justificatifs"


def test_documents_storage_s3_by_settings_alone():
    environ = {
        "SUIVI_DOCUMENTS_STORAGE": "s3",
        "SUIVI_DOCUMENTS_S3_BUCKET": "suivi-justificatifs",
        "SUIVI_DOCUMENTS_S3_ENDPOINT_URL": "https://s3.fr-par.scw.cloud",
        "SUIVI_DOCUMENTS_S3_REGION": "fr-par",
        "SUIVI_DOCUMENTS_S3_ACCESS_KEY_ID": "SCWKEY",
        "SUIVI_DOCUMENTS_S3_SECRET_ACCESS_KEY": "secret",
        "SUIVI_DOCUMENTS_S3_PREFIX": "production",
        "SUIVI_DOCUMENTS_S3_ADDRESSING_STYLE": "path",
    }

    assert documents_settings(environ, Path("/unused")) == {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": "suivi-justificatifs",
            "endpoint_url": "https://s3.fr-par.scw.cloud",
            "region_name": "fr-par",
            "access_key": "SCWKEY",
            "secret_key": "secret",
            "location": "production",
            "addressing_style": "path",
            "default_acl": None,
            "file_overwrite": False,
            "querystring_auth": True,
        },
    }


def test_documents_storage_s3_leaves_unset_keys_to_django_storages():
    entry = documents_settings(
        {"SUIVI_DOCUMENTS_STORAGE": "S3", "SUIVI_DOCUMENTS_S3_BUCKET": "b"}, Path("/unused")
    )

    assert set(entry["OPTIONS"]) == {
        "bucket_name",
        "default_acl",
        "file_overwrite",
        "querystring_auth",
    }


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"SUIVI_DOCUMENTS_STORAGE": "s3"}, "SUIVI_DOCUMENTS_S3_BUCKET"),
        ({"SUIVI_DOCUMENTS_STORAGE": "ftp"}, "valeurs possibles « file »"),
    ],
)
def test_documents_storage_refuses_what_cannot_work(environ, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        documents_settings(environ, Path("/unused"))


def test_s3_options_are_accepted_by_django_storages_when_installed(settings):
    pytest.importorskip("storages.backends.s3")
    entry = documents_settings(
        {
            "SUIVI_DOCUMENTS_STORAGE": "s3",
            "SUIVI_DOCUMENTS_S3_BUCKET": "suivi",
            "SUIVI_DOCUMENTS_S3_ENDPOINT_URL": "http://127.0.0.1:9",
        },
        Path("/unused"),
    )
    settings.STORAGES = {**settings.STORAGES, "documents": entry}

    storage = documents_storage()

    assert (storage.bucket_name, storage.default_acl, storage.file_overwrite) == (
        "suivi",
        None,
        False,
    )


def test_private_folder_has_no_url_and_needs_a_location(tmp_path):
    storage = PrivateFileSystemStorage(location=tmp_path)
    name = storage.save("paper_sheets/scan.pdf", ContentFile(PDF))

    with pytest.raises(ValueError):
        storage.url(name)
    with pytest.raises(ImproperlyConfigured):
        PrivateFileSystemStorage()


def test_documents_and_media_are_separate_folders(settings, documents_dir):
    assert Path(default_storage.location) == Path(settings.MEDIA_ROOT)
    assert Path(documents_storage().location) == documents_dir
    assert Path(settings.MEDIA_ROOT) not in documents_dir.parents


# ---------------------------------------------------------------------------- paper scans


@pytest.fixture
def scan(db, trainer, documents_dir):
    slot = SlotFactory()
    slot.session.trainers.add(trainer)
    return paper_scan_store(
        slot=slot, uploaded_file=SimpleUploadedFile("feuille.pdf", PDF), actor=trainer
    )


def test_a_scan_lives_in_the_private_storage(scan, documents_dir, settings):
    assert (documents_dir / scan.file.name).read_bytes() == PDF
    assert not default_storage.exists(scan.file.name)
    with pytest.raises(ValueError):
        scan.file.url  # noqa: B018 - no URL may be printed for it


def test_a_scan_is_not_reachable_by_its_storage_path(client, scan, documents_dir, trainer):
    name = scan.file.name
    guesses = [
        f"/media/{name}",
        f"/media/funders/../{name}",
        f"/media/funders/%2e%2e/{name}",
        f"/documents/{name}",
        f"/data/documents/{name}",
        f"/{name}",
        f"/documents/{Path(name).name}",
    ]
    for user in (trainer, UserFactory(role=User.Role.COORDINATOR)):
        client.force_login(user)
        for url in guesses:
            response = client.get(url)
            assert response.status_code == 404, url
            assert PDF not in response.content
    # Its page, which checks the user's right to the half-day, still serves it.
    client.force_login(trainer)
    page = client.get(
        reverse("sessions:slot_paper_scan", kwargs={"pk": scan.slot_id, "scan_pk": scan.pk})
    )
    assert b"".join(page.streaming_content) == PDF


def test_scan_admin_page_does_not_print_a_storage_address(admin_client, scan):
    response = admin_client.get(
        reverse("admin:training_sessions_papersheetscan_change", args=[scan.pk])
    )

    assert response.status_code == 200
    assert scan.file.name not in response.content.decode()


def test_scans_already_in_media_move_to_the_private_storage(db, trainer, documents_dir):
    migration = importlib.import_module("sessions.migrations.0008_paper_scans_private_storage")
    slot = SlotFactory()
    kept = default_storage.save("paper_sheets/2021/10/kept.pdf", ContentFile(PDF))
    odd = default_storage.save("paper_sheets/2021/10/odd.pdf", ContentFile(b"%PDF-1.4 other"))
    for name in (kept, odd):
        PaperSheetScan.objects.create(
            slot=slot,
            file=name,
            original_name="scan.pdf",
            sha256=hashlib.sha256(PDF).hexdigest(),
            size=len(PDF),
            uploaded_by=trainer,
        )

    migration.to_documents(apps, None)

    assert (documents_dir / kept).read_bytes() == PDF
    assert not default_storage.exists(kept)
    # Bytes that are not the registered scan are left where they are, for someone to look.
    assert default_storage.exists(odd)
    assert not (documents_dir / odd).exists()
