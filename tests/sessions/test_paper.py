import datetime as dt
import hashlib
from pathlib import Path

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from formations.models import AuditEntry, User
from sessions.exceptions import AttendanceError, SessionsError
from sessions.models import Attendance, PaperSheetScan, Seal
from sessions.services.paper import paper_scan_store, paper_sheet_key_in
from tests.factories import (
    AttendanceFactory,
    EnrolmentFactory,
    ParticipantFactory,
    SlotFactory,
    TrainingSessionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
# The slot is 09:00-12:30 local time on 4 October 2021; keying in happens that afternoon.
AFTER_SLOT = dt.datetime(2021, 10, 4, 14, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path, documents_dir):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def after_slot():
    with time_machine.travel(AFTER_SLOT, tick=False):
        yield


@pytest.fixture
def session(trainer):
    session = TrainingSessionFactory(time_zone="Indian/Mayotte")
    session.trainers.add(trainer)
    return session


@pytest.fixture
def slot(session):
    return SlotFactory(session=session)


@pytest.fixture
def alice(session):
    return EnrolmentFactory(
        session=session, participant=ParticipantFactory(last_name="Abdallah", first_name="Alice")
    )


@pytest.fixture
def bruno(session):
    return EnrolmentFactory(
        session=session, participant=ParticipantFactory(last_name="Bacar", first_name="Bruno")
    )


@pytest.fixture
def trainer_client(client, trainer):
    client.force_login(trainer)
    return client


@pytest.fixture
def scan(slot, trainer):
    return paper_scan_store(
        slot=slot, uploaded_file=SimpleUploadedFile("feuille.pdf", PDF), actor=trainer
    )


def _seal(slot, user):
    return Seal.objects.create(
        slot=slot,
        session=slot.session,
        sequence=1,
        digest="a" * 64,
        sealed_at=timezone.now(),
        sealed_by=user,
    )


def _page(slot):
    return reverse("sessions:slot_paper", args=[slot.pk])


# --- paper_scan_store ------------------------------------------------------------------


def test_paper_scan_store_pdf_keeps_sha256_size_and_random_name(
    slot, trainer, media_root, documents_dir
):
    scan = paper_scan_store(
        slot=slot, uploaded_file=SimpleUploadedFile("Feuille lundi.pdf", PDF), actor=trainer
    )

    assert scan.sha256 == hashlib.sha256(PDF).hexdigest()
    assert scan.size == len(PDF)
    assert scan.original_name == "Feuille lundi.pdf"
    assert scan.file.name.startswith("paper_sheets/")
    assert scan.file.name.endswith(".pdf")
    assert "Feuille" not in scan.file.name
    # Kept in the private documents storage, never in the public media folder.
    assert (documents_dir / scan.file.name).read_bytes() == PDF
    assert not (Path(media_root) / scan.file.name).exists()
    assert AuditEntry.objects.filter(action="paper_scan.upload", object_id=str(scan.pk)).exists()


def test_paper_scan_store_png_accepted(slot, trainer):
    scan = paper_scan_store(
        slot=slot, uploaded_file=SimpleUploadedFile("photo.png", PNG), actor=trainer
    )

    assert scan.file.name.endswith(".png")
    assert scan.sha256 == hashlib.sha256(PNG).hexdigest()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("feuille.pdf", b"Ceci n'est pas un PDF"),
        ("feuille.txt", PDF),
        ("photo.pdf", PNG),
        ("feuille.exe", b"MZ\x90\x00"),
    ],
)
def test_paper_scan_store_wrong_content_refused(slot, trainer, name, content):
    with pytest.raises(SessionsError) as exc:
        paper_scan_store(slot=slot, uploaded_file=SimpleUploadedFile(name, content), actor=trainer)

    assert exc.value.code == "bad_file_type"
    assert not PaperSheetScan.objects.exists()


def test_paper_scan_store_oversized_refused(slot, trainer, settings):
    settings.SUIVI_MAX_UPLOAD_BYTES = 100

    with pytest.raises(SessionsError) as exc:
        paper_scan_store(
            slot=slot, uploaded_file=SimpleUploadedFile("f.pdf", PDF + b"0" * 100), actor=trainer
        )

    assert exc.value.code == "file_too_large"
    assert not PaperSheetScan.objects.exists()


def test_paper_scan_store_empty_refused(slot, trainer):
    with pytest.raises(SessionsError) as exc:
        paper_scan_store(slot=slot, uploaded_file=SimpleUploadedFile("f.pdf", b""), actor=trainer)

    assert exc.value.code == "empty_file"


def test_paper_scan_store_sealed_slot_refused(slot, trainer, coordinator):
    _seal(slot, coordinator)

    with pytest.raises(SessionsError) as exc:
        paper_scan_store(slot=slot, uploaded_file=SimpleUploadedFile("f.pdf", PDF), actor=trainer)

    assert exc.value.code == "slot_sealed"
    assert not PaperSheetScan.objects.exists()


# --- paper_sheet_key_in ----------------------------------------------------------------


def test_paper_sheet_key_in_creates_paper_attendances_linked_to_scan(
    slot, scan, trainer, alice, bruno
):
    attendances = paper_sheet_key_in(
        slot=slot,
        scan=scan,
        entries=[(alice, "present", None), (bruno, "late", 150)],
        actor=trainer,
    )

    assert len(attendances) == 2
    rows = {a.enrolment_id: a for a in Attendance.objects.filter(slot=slot)}
    assert rows[alice.pk].status == "present"
    assert rows[bruno.pk].status == "late"
    assert rows[bruno.pk].minutes_attended == 150
    assert all(a.method == Attendance.Method.PAPER for a in rows.values())
    assert all(a.paper_scan_id == scan.pk for a in rows.values())
    assert all(a.is_signed for a in rows.values())


def test_paper_sheet_key_in_one_bad_row_writes_nothing(slot, scan, trainer, alice, bruno):
    with pytest.raises(AttendanceError) as exc:
        paper_sheet_key_in(
            slot=slot,
            scan=scan,
            entries=[(alice, "present", None), (bruno, "late", None)],
            actor=trainer,
        )

    assert exc.value.code == "time_required"
    assert "BACAR Bruno" in exc.value.message
    assert exc.value.enrolment == bruno
    assert not Attendance.objects.exists()


# --- page ------------------------------------------------------------------------------


def test_slot_paper_page_shows_half_day_in_local_time(trainer_client, slot, alice):
    response = trainer_client.get(_page(slot))

    assert response.status_code == 200
    content = response.content.decode()
    assert slot.session.code in content
    assert "09:00" in content and "12:30" in content
    assert "(heure de Mayotte)" in content
    assert 'enctype="multipart/form-data"' in content
    # No scan yet: no key-in form.
    assert response.context["key_in_form"] is None


def test_slot_paper_upload_pdf_stores_scan(trainer_client, slot, trainer):
    response = trainer_client.post(
        _page(slot),
        {"action": "upload", "file": SimpleUploadedFile("feuille.pdf", PDF, "application/pdf")},
    )

    assert response.status_code == 302
    scan = PaperSheetScan.objects.get(slot=slot)
    assert scan.uploaded_by == trainer
    assert scan.sha256 == hashlib.sha256(PDF).hexdigest()


def test_slot_paper_upload_fake_pdf_shows_error(trainer_client, slot):
    response = trainer_client.post(
        _page(slot),
        {
            "action": "upload",
            "file": SimpleUploadedFile("feuille.pdf", b"texte", "application/pdf"),
        },
    )

    assert response.status_code == 200
    assert "n&#x27;est pas un PDF" in response.content.decode()
    assert response.context["upload_form"].errors["file"]
    assert not PaperSheetScan.objects.exists()


def test_slot_paper_upload_oversized_refused(trainer_client, slot, settings):
    settings.SUIVI_MAX_UPLOAD_BYTES = 10

    response = trainer_client.post(
        _page(slot), {"action": "upload", "file": SimpleUploadedFile("feuille.pdf", PDF)}
    )

    assert response.status_code == 413
    assert "dépasse la taille maximale autorisée" in response.content.decode()
    assert not PaperSheetScan.objects.exists()


@pytest.mark.parametrize("fields", [["file", "file"], ["file", "scan"]])
def test_slot_paper_upload_of_two_files_refused(trainer_client, slot, fields):
    files = [(field, SimpleUploadedFile("feuille.pdf", PDF)) for field in fields]
    data = {"action": "upload"}
    for field, upload in files:
        data.setdefault(field, []).append(upload)

    response = trainer_client.post(_page(slot), data)

    assert response.status_code == 400
    assert "Rien n&#x27;a été enregistré" in response.content.decode()
    assert not PaperSheetScan.objects.exists()


def test_slot_paper_key_in_creates_attendances(trainer_client, slot, scan, alice, bruno):
    response = trainer_client.post(
        _page(slot),
        {
            "action": "key_in",
            "scan": scan.pk,
            f"status_{alice.pk}": "present",
            f"status_{bruno.pk}": "left_early",
            # The sheet says he left at 11:00 local time: 90 of 210 minutes missed.
            f"departure_{bruno.pk}": "11:00",
        },
    )

    assert response.status_code == 302
    rows = {a.enrolment_id: a for a in Attendance.objects.filter(slot=slot)}
    assert rows[alice.pk].status == "present"
    assert rows[bruno.pk].status == "left_early"
    assert rows[bruno.pk].minutes_attended == 120
    assert rows[bruno.pk].left_at == slot.ends_at - dt.timedelta(minutes=90)
    assert {a.paper_scan_id for a in rows.values()} == {scan.pk}
    assert {a.method for a in rows.values()} == {"paper"}


def test_slot_paper_key_in_late_without_minutes_writes_nothing(
    trainer_client, slot, scan, alice, bruno
):
    response = trainer_client.post(
        _page(slot),
        {
            "action": "key_in",
            "scan": scan.pk,
            f"status_{alice.pk}": "present",
            f"status_{bruno.pk}": "late",
            f"arrival_{bruno.pk}": "",
            f"minutes_missed_{bruno.pk}": "",
        },
    )

    assert response.status_code == 200
    form = response.context["key_in_form"]
    assert "heure d'arrivée" in " ".join(form.errors[f"status_{bruno.pk}"])
    row = next(r for r in form.rows if r.enrolment == bruno)
    assert row.errors
    assert not Attendance.objects.exists()


def test_slot_paper_key_in_signed_row_is_read_only(trainer_client, slot, scan, alice, bruno):
    AttendanceFactory(enrolment=alice, slot=slot)

    response = trainer_client.get(_page(slot))

    form = response.context["key_in_form"]
    assert f"status_{alice.pk}" not in form.fields
    assert f"status_{bruno.pk}" in form.fields
    assert next(r for r in form.rows if r.enrolment == alice).readonly


def test_slot_paper_sealed_slot_refused(trainer_client, slot, scan, alice, coordinator):
    _seal(slot, coordinator)

    page = trainer_client.get(_page(slot))
    response = trainer_client.post(
        _page(slot),
        {"action": "key_in", "scan": scan.pk, f"status_{alice.pk}": "present"},
        follow=True,
    )
    upload = trainer_client.post(
        _page(slot), {"action": "upload", "file": SimpleUploadedFile("f.pdf", PDF)}, follow=True
    )

    assert page.context["upload_form"] is None
    assert page.context["key_in_form"] is None
    assert "scellée" in page.content.decode()
    assert "rectification" in response.content.decode()
    assert not Attendance.objects.exists()
    assert PaperSheetScan.objects.count() == 1
    assert "scellée" in upload.content.decode()


def test_slot_paper_other_trainer_gets_404(client, slot, scan):
    client.force_login(UserFactory(role=User.Role.TRAINER))

    page = client.get(_page(slot))
    post = client.post(_page(slot), {"action": "upload", "file": SimpleUploadedFile("f.pdf", PDF)})
    file = client.get(reverse("sessions:slot_paper_scan", args=[slot.pk, scan.pk]))

    assert (page.status_code, post.status_code, file.status_code) == (404, 404, 404)
    assert PaperSheetScan.objects.count() == 1


def test_slot_paper_coordinator_allowed(coordinator_client, slot):
    assert coordinator_client.get(_page(slot)).status_code == 200


# --- scan file -------------------------------------------------------------------------


def test_slot_paper_scan_serves_file_with_content_type(trainer_client, slot, scan):
    response = trainer_client.get(reverse("sessions:slot_paper_scan", args=[slot.pk, scan.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == PDF


def test_slot_paper_scan_of_another_slot_404(trainer_client, slot, scan, session):
    other_slot = SlotFactory(session=session, day=dt.date(2021, 10, 5))

    response = trainer_client.get(
        reverse("sessions:slot_paper_scan", args=[other_slot.pk, scan.pk])
    )

    assert response.status_code == 404


def test_slot_paper_scan_anonymous_redirected_to_login(client, slot, scan):
    response = client.get(reverse("sessions:slot_paper_scan", args=[slot.pk, scan.pk]))

    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_slot_paper_scan_auditor_of_funder_may_view_referent_may_not(
    client, slot, scan, auditor, referent, alice
):
    slot.session.formation.programme.funders.add(auditor.funders.get())
    alice.participant.structure = referent.structure
    alice.participant.save()
    url = reverse("sessions:slot_paper_scan", args=[slot.pk, scan.pk])

    client.force_login(auditor)
    auditor_file = client.get(url)
    auditor_page = client.get(_page(slot))
    client.force_login(referent)
    referent_file = client.get(url)

    assert auditor_file.status_code == 200
    assert auditor_page.status_code == 404
    assert referent_file.status_code == 404


def _page_queries(client, slot):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = client.get(_page(slot))
    assert response.status_code == 200
    return len(queries)


def test_slot_paper_page_query_count_does_not_grow_with_participants(trainer_client, slot, scan):
    EnrolmentFactory(session=slot.session)
    few = _page_queries(trainer_client, slot)
    for _n in range(5):
        enrolment = EnrolmentFactory(session=slot.session)
        AttendanceFactory(enrolment=enrolment, slot=slot)
    paper_scan_store(
        slot=slot, uploaded_file=SimpleUploadedFile("autre.png", PNG), actor=scan.uploaded_by
    )

    assert _page_queries(trainer_client, slot) == few
