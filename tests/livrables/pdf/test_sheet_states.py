"""What the sheet strikes out, when it is only a preview, and the names beside sealed
signatures: a running or future half-day stays blank, an unsealed session's sheet is
« document provisoire » on every page and never registered, an absence written by the
close says so, and a rename never replaces the name a person signed under."""

import datetime as dt

import pytest
from django.urls import reverse

from formations.models import AuditEntry
from livrables.data import build_sheet_data
from livrables.models import IssuedDocument
from livrables.pdf.sheet import render_sheet
from sessions.models import Attendance, Seal
from sessions.services import attendance_mark, slot_close, slot_countersign
from tests.factories import EnrolmentFactory, ParticipantFactory, SlotFactory
from tests.factories.sessions import at_local, sign
from tests.livrables.conftest import SIGNATURE, pdf_pages, pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def day(trainer):
    """A day of two half-days, 09:00–12:30 and 13:30–17:00, with Alice and Bruno enrolled."""
    morning = SlotFactory()
    morning.session.trainers.add(trainer)
    afternoon = SlotFactory(
        session=morning.session,
        starts_at=at_local(morning, 13, 30),
        ends_at=at_local(morning, 17, 0),
    )
    alice = EnrolmentFactory(
        session=morning.session,
        participant=ParticipantFactory(last_name="Abdou", first_name="Alice"),
    )
    bruno = EnrolmentFactory(
        session=morning.session,
        participant=ParticipantFactory(last_name="Bacar", first_name="Bruno"),
    )
    return morning, afternoon, alice, bruno


def cells(data, name):
    return next(row for row in data.rows if row.participant_name == name).cells


def test_running_and_future_half_days_are_not_struck_out(day):
    morning, afternoon, alice, _bruno = day
    sign(alice, morning)
    during_morning = morning.starts_at + dt.timedelta(minutes=40)

    data = build_sheet_data(session=morning.session, now=during_morning)

    running, future = cells(data, "BACAR Bruno")
    assert running.is_empty and not running.closed
    assert future.is_empty and not future.closed
    text = pdf_text(render_sheet(data))
    assert "non signé" not in text


def test_an_empty_cell_is_struck_out_once_signing_is_over(day):
    morning, _afternoon, alice, _bruno = day
    sign(alice, morning)
    after_window = morning.ends_at + dt.timedelta(minutes=31)

    data = build_sheet_data(session=morning.session, now=after_window)

    morning_cell, afternoon_cell = cells(data, "BACAR Bruno")
    assert morning_cell.closed and not afternoon_cell.closed
    assert "— non signé" in pdf_text(render_sheet(data))


def test_a_sheet_not_fully_sealed_is_provisional_on_every_page_and_not_registered(
    client, coordinator, day
):
    morning, _afternoon, alice, _bruno = day
    for _ in range(40):  # enough people for several pages
        EnrolmentFactory(session=morning.session)
    sign(alice, morning)
    client.force_login(coordinator)

    response = client.get(reverse("livrables:session_sheet", args=[morning.session.pk]))

    assert response.status_code == 200
    assert "provisoire" in response["Content-Disposition"]
    pages = pdf_pages(response.content)
    assert pages > 1
    from io import BytesIO

    from pypdf import PdfReader

    reader = PdfReader(BytesIO(response.content))
    for page in reader.pages:
        assert "DOCUMENT PROVISOIRE" in page.extract_text()
    text = pdf_text(response.content)
    assert "il n'est pas enregistré et ne peut pas être vérifié" in text
    assert "/verifier/" not in text
    assert not IssuedDocument.objects.exists()
    assert AuditEntry.objects.filter(action="livrables.sheet_previewed").count() == 1


def test_absences_written_by_the_close_say_so(trainer, day):
    morning, _afternoon, alice, bruno = day
    sign(alice, morning)
    attendance_mark(enrolment=alice, slot=morning, status="present", actor=trainer)
    slot_countersign(slot=morning, trainer=trainer, signature=SIGNATURE, now=morning.ends_at)
    slot_close(slot=morning, actor=trainer, now=morning.ends_at)

    row = Attendance.objects.get(enrolment=bruno, slot=morning)
    assert row.method == Attendance.Method.CLOSING
    data = build_sheet_data(session=morning.session, now=morning.ends_at + dt.timedelta(hours=1))
    assert cells(data, "BACAR Bruno")[0].status_label == "Absent·e — constaté à la clôture"
    text = pdf_text(render_sheet(data))
    assert "Absent·e — constaté à la clôture" in text
    assert "Relevé par le formateur" not in text


def test_a_renamed_signer_keeps_the_name_signed_under(trainer, day):
    morning, afternoon, alice, _bruno = day
    sign(alice, morning)
    for slot in (morning, afternoon):
        slot_countersign(slot=slot, trainer=trainer, signature=SIGNATURE, now=slot.ends_at)
        slot_close(slot=slot, actor=trainer, now=slot.ends_at)
    participant = alice.participant
    participant.last_name = "Martin"
    participant.save()

    data = build_sheet_data(session=morning.session, now=afternoon.ends_at)
    (row,) = [r for r in data.rows if r.participant_name == "MARTIN Alice"]
    assert row.signed_as == ("nom à la signature : ABDOU Alice",)
    text = pdf_text(render_sheet(data))
    assert "nom à la signature : ABDOU Alice" in text
    assert Seal.objects.count() == 2
    from sessions.sealing import verify_session

    assert verify_session(morning.session) == []
