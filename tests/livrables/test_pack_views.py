"""The audit pack from the formation page: the button starts a background job with its
progress, the registered pack is downloaded byte for byte, and only coordinators and the
formation's funders' auditors get either."""

import hashlib
import io

import pytest
from django.urls import reverse

from formations.jobs import job_state
from formations.models import AuditEntry, BackgroundJob, Funder, User
from formations.storage import documents_storage
from livrables.models import IssuedDocument
from tests.factories import FunderFactory, UserFactory
from tests.livrables.pack_world import make_pack_world, manifest_rows, read_zip

PACK = IssuedDocument.Kind.AUDIT_PACK


@pytest.fixture
def pack_world(db):
    return make_pack_world()


def auditor_of(funder) -> User:
    user = UserFactory(role=User.Role.FUNDER_AUDITOR, first_name="Alice", last_name="Audit")
    user.funders.add(funder)
    return user


def build_url(world):
    return reverse("livrables:audit_pack_build", args=[world.formation.pk])


def download_url(world):
    return reverse("livrables:audit_pack_download", args=[world.formation.pk])


def page(world):
    return reverse("formations:formation_detail", args=[world.formation.pk])


def streamed(response) -> bytes:
    return b"".join(response.streaming_content)


def test_coordinator_builds_the_pack_in_the_background_and_downloads_it(
    client, pack_world, committed
):
    client.force_login(pack_world.coordinator)
    response = committed(client.post, build_url(pack_world), {"du": "", "au": ""})
    job = BackgroundJob.objects.get(kind="livrables.audit_pack")
    assert response.status_code == 302
    assert response.url == f"{page(pack_world)}?dossier={job.pk}#audit-pack"
    state = job_state(job)
    assert state["finished"] and state["done"] == state["total"] and not state["failed"]
    # Steps are the files written, plus the registration.
    document = IssuedDocument.objects.get(kind=PACK)
    # No LISEZMOI, dossier.json, manifest.
    assert state["total"] == len(read_zip(_kept(document))) - 3 + 1
    assert state["result_url"] == f"{download_url(pack_world)}?numero={document.number}"
    assert state["result_label"] == "Télécharger le dossier de justificatifs (ZIP)"
    # The finished box names the pack and links to its verification page, no reload needed.
    assert state["result_note"] == (
        f"Dossier n° {document.number} inscrit au registre des documents émis."
    )
    assert state["result_more_url"].endswith(f"/verifier/{document.number}/")
    assert state["result_more_label"] == f"Vérifier le dossier n° {document.number}"
    polled = client.get(reverse("formations:job_progress", args=[job.pk])).json()
    assert polled["result_note"] == state["result_note"]
    shown = client.get(response.url)
    assert shown.status_code == 200
    assert b'id="audit-pack"' in shown.content and document.number.encode() in shown.content
    downloaded = client.get(state["result_url"])
    assert downloaded.status_code == 200
    assert downloaded["Content-Type"] == "application/zip"
    content = streamed(downloaded)
    assert content == _kept(document)
    assert hashlib.sha256(content).hexdigest() == document.sha256
    assert document.issued_by == pack_world.coordinator
    assert manifest_rows(read_zip(content))[0] == ["fichier", "sha256", "octets"]


def _kept(document) -> bytes:
    with documents_storage().open(document.storage_name, "rb") as handle:
        return handle.read()


def test_auditor_of_the_formation_builds_and_downloads_the_pack(client, pack_world, committed):
    auditor = auditor_of(pack_world.funder)
    client.force_login(auditor)
    response = committed(
        client.post, build_url(pack_world), {"du": "2021-10-01", "au": "2021-10-31"}
    )
    assert response.status_code == 302
    document = IssuedDocument.objects.get(kind=PACK)
    # The auditor's read is recorded under their name, in the register and the journal.
    assert document.issued_by == auditor
    assert AuditEntry.objects.filter(actor=auditor, action="livrables.audit_pack_built").exists()
    assert AuditEntry.objects.filter(actor=auditor, action="livrables.audit_pack_started").exists()
    readme = read_zip(_kept(document))["LISEZMOI.txt"].decode()
    assert "par Alice Audit" in readme
    downloaded = client.get(download_url(pack_world), {"du": "2021-10-01", "au": "2021-10-31"})
    assert streamed(downloaded) == _kept(document)
    # The whole formation's pack is another one, not built yet.
    assert client.get(download_url(pack_world)).status_code == 404


def test_double_submit_starts_no_second_job(client, pack_world, django_capture_on_commit_callbacks):
    client.force_login(pack_world.coordinator)
    # The task is not run: the first job is still running when the second POST comes.
    with django_capture_on_commit_callbacks(execute=False):
        first = client.post(build_url(pack_world), {})
        second = client.post(build_url(pack_world), {"du": "2021-10-01"})
    assert BackgroundJob.objects.filter(kind="livrables.audit_pack").count() == 1
    assert first.url == second.url
    assert not IssuedDocument.objects.filter(kind=PACK).exists()


def _panel(content: bytes) -> str:
    text = content.decode()
    start = text.index('id="audit-pack"')
    return text[start : text.index("</section>", start)]


def test_reversed_period_is_refused_in_the_panel_with_the_dates_kept(client, pack_world):
    client.force_login(pack_world.coordinator)
    response = client.post(
        build_url(pack_world), {"du": "2021-10-31", "au": "2021-10-01"}, follow=True
    )
    panel = _panel(response.content)
    assert 'id="audit-pack-errors"' in panel
    assert "La période est inversée : la date de début doit précéder la date de fin." in panel
    assert 'value="2021-10-31"' in panel and 'value="2021-10-01"' in panel
    assert not BackgroundJob.objects.filter(kind="livrables.audit_pack").exists()
    # Shown once: the page read again has neither the error nor the dates.
    again = _panel(client.get(page(pack_world)).content)
    assert "audit-pack-errors" not in again and "2021-10-31" not in again


def test_a_period_asked_while_another_pack_builds_says_so_and_keeps_the_dates(
    client, pack_world, django_capture_on_commit_callbacks
):
    client.force_login(pack_world.coordinator)
    with django_capture_on_commit_callbacks(execute=False):
        client.post(build_url(pack_world), {})
        response = client.post(
            build_url(pack_world), {"du": "2021-10-01", "au": "2021-10-31"}, follow=True
        )
    panel = _panel(response.content)
    assert "Un autre dossier de cette formation est en cours de constitution" in panel
    assert "toute la formation" in panel
    assert 'value="2021-10-01"' in panel and 'value="2021-10-31"' in panel
    assert BackgroundJob.objects.filter(kind="livrables.audit_pack").count() == 1


def test_period_with_nothing_sealed_is_refused(client, pack_world):
    client.force_login(pack_world.coordinator)
    response = client.post(
        build_url(pack_world), {"du": "2020-03-01", "au": "2020-03-31"}, follow=True
    )
    panel = _panel(response.content)
    assert "Aucune demi-journée scellée dans la période du 01/03/2020 au 31/03/2020." in panel
    assert 'value="2020-03-01"' in panel
    assert not BackgroundJob.objects.filter(kind="livrables.audit_pack").exists()
    assert not IssuedDocument.objects.filter(kind=PACK).exists()


@pytest.mark.parametrize("role", ["trainer", "referent", "other_auditor"])
def test_others_get_neither_the_button_nor_the_pack(client, pack_world, committed, role):
    # A pack exists, built by the coordinator.
    client.force_login(pack_world.coordinator)
    committed(client.post, build_url(pack_world), {})
    assert IssuedDocument.objects.filter(kind=PACK).count() == 1
    if role == "trainer":
        user = pack_world.sessions[0].trainers.first() or UserFactory(role=User.Role.TRAINER)
        pack_world.sessions[0].trainers.add(user)
    elif role == "referent":
        user = UserFactory(
            role=User.Role.STRUCTURE_REFERENT, structure=pack_world.people[0].structure
        )
    else:
        # An FSE auditor, the formation being FEDER-only.
        user = auditor_of(FunderFactory(name="FSE+", kind=Funder.Kind.FSE))
    client.force_login(user)
    assert client.get(download_url(pack_world)).status_code == 404
    assert client.post(build_url(pack_world), {}).status_code == 404
    assert BackgroundJob.objects.filter(kind="livrables.audit_pack").count() == 1
    shown = client.get(page(pack_world))
    assert b'id="audit-pack"' not in shown.content


def test_altered_kept_pack_is_not_served(client, pack_world, committed):
    client.force_login(pack_world.coordinator)
    committed(client.post, build_url(pack_world), {})
    document = IssuedDocument.objects.get(kind=PACK)
    with documents_storage().open(document.storage_name, "wb") as handle:
        handle.write(b"PK forged")
    response = client.get(download_url(pack_world))
    assert response.status_code == 503
    assert "ne correspond plus" in response.content.decode()


def test_failed_build_ends_the_job_without_a_link(client, pack_world, committed, monkeypatch):
    from livrables.pack import jobs

    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(jobs, "build_audit_pack", broken)
    client.force_login(pack_world.coordinator)
    committed(client.post, build_url(pack_world), {})
    job = BackgroundJob.objects.get(kind="livrables.audit_pack")
    state = job_state(job)
    assert state["finished"] and state["result_url"] == ""


def test_a_job_whose_requester_is_gone_builds_nothing(
    pack_world, django_capture_on_commit_callbacks
):
    """Started by an auditor whose account is deactivated before the worker runs: the pack
    is not built as if the command had asked (no actor, no permission check)."""
    from livrables.pack.jobs import audit_pack_start

    auditor = auditor_of(pack_world.formation.programme.funders.first())
    with django_capture_on_commit_callbacks() as callbacks:
        job = audit_pack_start(
            formation=pack_world.formation, date_from=None, date_to=None, actor=auditor
        )
    User.objects.filter(pk=auditor.pk).update(is_active=False)
    for callback in callbacks:
        try:
            callback()
        except Exception:  # the task re-raises once the job is ended
            pass

    job.refresh_from_db()
    assert job_state(job)["finished"] and job_state(job)["result_url"] == ""
    assert not IssuedDocument.objects.filter(kind=PACK).exists()


def test_verification_page_of_a_pack(client, pack_world):
    from livrables.pack.registry import PackScope
    from livrables.pack.services import build_audit_pack

    built = build_audit_pack(
        scope=PackScope(formation=pack_world.formation), actor=None, output=io.BytesIO()
    )
    response = client.get(reverse("livrables:verify_document", args=[built.document.number]))
    text = response.content.decode()
    assert response.status_code == 200
    assert "Dossier de justificatifs" in text and "toute la formation" in text
    assert built.document.sha256 in text


def test_verification_page_of_a_pack_takes_a_zip_larger_than_a_pdf(client, pack_world, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from livrables.pack.registry import PackScope
    from livrables.pack.services import build_audit_pack

    output = io.BytesIO()
    built = build_audit_pack(
        scope=PackScope(formation=pack_world.formation), actor=None, output=output
    )
    content = output.getvalue()
    settings.SUIVI_MAX_UPLOAD_BYTES = 1024
    settings.SUIVI_MAX_PACK_CHECK_BYTES = len(content) + 1
    url = reverse("livrables:verify_document", args=[built.document.number])

    page_text = client.get(url).content.decode()
    assert 'accept="application/zip,.zip"' in page_text
    assert "Fichier ZIP à comparer" in page_text and "sha256sum" in page_text
    assert "le PDF que vous avez reçu" not in page_text
    response = client.post(url, {"file": SimpleUploadedFile("dossier.zip", content)})
    assert response.status_code == 200
    assert 'data-verification="match"' in response.content.decode()

    settings.SUIVI_MAX_PACK_CHECK_BYTES = 2048
    refused = client.post(url, {"file": SimpleUploadedFile("dossier.zip", content)})
    assert refused.status_code == 413
    assert "2\u00a0Ko" in refused.content.decode()  # the limit, as « 2 Ko »


def test_unknown_document_help_names_the_audit_pack(client, db):
    response = client.get(reverse("livrables:verify_document", args=["DOS-INCONNU"]))

    assert response.status_code == 404
    assert "pour un dossier de justificatifs, dans son fichier LISEZMOI.txt" in (
        response.content.decode()
    )
