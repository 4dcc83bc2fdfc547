"""Every write checks its actor in the service, whatever page or script calls it: a user
without the role is refused and nothing is written. `actor=None` is a management command."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from formations.importing import import_participants
from formations.models import AuditEntry, Participant
from sessions.exceptions import AttendanceError, SessionsError
from sessions.models import Attendance, Enrolment, PaperSheetScan, Rectification, TrainingSession
from sessions.services import (
    attendance_key_in,
    attendance_mark,
    attendance_rectify,
    enrol_participants,
    paper_sheet_key_in,
    regenerate_participant_calendar_token,
    send_convocations,
    session_save,
    slot_close,
    slot_countersign,
    tablet_lock,
    unenrol,
)
from sessions.services.paper import PaperEntry, paper_scan_store
from sessions.services.remote_links import send_remote_links
from tests.factories import EnrolmentFactory, ParticipantFactory, SlotFactory, UserFactory
from tests.factories.planning import SIGNATURE, paper_scan

pytestmark = pytest.mark.django_db

CSV = "nom;prenom;email;structure;type_structure\nSaindou;Amina;a@example.org;CCAS X;ccas\n"


@pytest.fixture
def outsider():
    return UserFactory(role="trainer")


def test_only_coordinators_enrol_unenrol_and_convoke(outsider):
    slot = SlotFactory()
    participant = ParticipantFactory()
    with pytest.raises(SessionsError) as enrolled:
        enrol_participants(session=slot.session, participants=[participant], actor=outsider)
    enrolment = EnrolmentFactory(session=slot.session)
    with pytest.raises(SessionsError) as unenrolled:
        unenrol(enrolment=enrolment, actor=outsider)
    with pytest.raises(SessionsError) as convoked:
        send_convocations(session=slot.session, actor=outsider)
    assert {enrolled.value.code, unenrolled.value.code, convoked.value.code} == {"not_coordinator"}
    assert list(Enrolment.objects.all()) == [enrolment]


def test_only_who_runs_the_session_stores_a_scan_or_sends_remote_links(outsider):
    slot = SlotFactory()
    scan = SimpleUploadedFile("feuille.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    with pytest.raises(SessionsError) as stored:
        paper_scan_store(slot=slot, uploaded_file=scan, actor=outsider)
    with pytest.raises(SessionsError) as sent:
        send_remote_links(slot=slot, actor=outsider, url_for=lambda token: token)
    assert (stored.value.code, sent.value.code) == ("not_trainer", "not_trainer")
    assert not PaperSheetScan.objects.exists()


def test_only_coordinators_import_participants(outsider):
    with pytest.raises(PermissionDenied):
        import_participants(file_name="liste.csv", content=CSV.encode(), actor=outsider)
    assert not Participant.objects.exists()
    # The command (no signed-in user) still imports.
    report = import_participants(file_name="liste.csv", content=CSV.encode(), actor=None)
    assert not report.has_errors and Participant.objects.count() == 1


# --- the trainer of another session -------------------------------------------------------


@pytest.fixture
def running():
    """A half-day whose session has its trainer and one person enrolled, and the trainer of
    another session (a real trainer, with sessions of their own)."""
    slot = SlotFactory()
    trainer = UserFactory(role="trainer")
    slot.session.trainers.add(trainer)
    enrolment = EnrolmentFactory(session=slot.session)
    elsewhere = SlotFactory()
    stranger = UserFactory(role="trainer")
    elsewhere.session.trainers.add(stranger)
    return slot, trainer, enrolment, stranger


def test_a_trainer_of_another_session_cannot_mark_key_in_or_rectify(running):
    slot, trainer, enrolment, stranger = running
    during = slot.starts_at + dt.timedelta(minutes=30)
    with pytest.raises(AttendanceError) as marked:
        attendance_mark(
            enrolment=enrolment, slot=slot, status="present", actor=stranger, now=during
        )
    scan = paper_scan(slot, trainer)
    with pytest.raises(AttendanceError) as keyed_in:
        attendance_key_in(
            enrolment=enrolment, slot=slot, status="present", scan=scan, actor=stranger, now=during
        )
    with pytest.raises(AttendanceError) as sheet_keyed_in:
        paper_sheet_key_in(
            slot=slot, scan=scan, entries=[PaperEntry(enrolment, "present")], actor=stranger
        )
    assert not Attendance.objects.exists()

    row = attendance_mark(
        enrolment=enrolment, slot=slot, status="absent", actor=trainer, now=during
    )
    slot_countersign(slot=slot, trainer=trainer, signature=SIGNATURE, now=slot.ends_at)
    slot_close(slot=slot, actor=trainer, now=slot.ends_at)
    with pytest.raises(AttendanceError) as rectified:
        attendance_rectify(
            attendance=row, status="present", reason="erreur de saisie", author=stranger
        )
    codes = {marked.value.code, keyed_in.value.code, sheet_keyed_in.value.code}
    assert codes | {rectified.value.code} == {"not_trainer"}
    row.refresh_from_db()
    assert row.status == "absent"
    assert not Rectification.objects.exists()
    assert not AuditEntry.objects.filter(actor=stranger).exists()


def test_only_coordinators_plan_sessions(running):
    slot, trainer, _enrolment, stranger = running
    session = slot.session
    day = timezone.localtime(slot.starts_at, session.tzinfo).date()
    for actor in (trainer, stranger, UserFactory(role="funder_auditor")):
        with pytest.raises(SessionsError) as caught:
            session_save(
                actor=actor,
                session=session,
                data={"place": "Ailleurs"},
                slots=[(day, dt.time(9), dt.time(12), slot.pk)],
            )
        assert caught.value.code == "not_coordinator"
    session.refresh_from_db()
    assert session.place != "Ailleurs"
    with pytest.raises(SessionsError) as created:
        session_save(
            actor=trainer,
            data={"formation": session.formation, "code": "NOUVELLE"},
            slots=[(day, dt.time(9), dt.time(12))],
        )
    assert created.value.code == "not_coordinator"
    assert not TrainingSession.objects.filter(code="NOUVELLE").exists()


def test_a_trainer_of_another_session_cannot_lock_a_tablet_on_it(running):
    slot, trainer, _enrolment, stranger = running
    store = {}
    with pytest.raises(SessionsError) as caught:
        tablet_lock(store=store, slot=slot, actor=stranger)
    assert caught.value.code == "not_trainer"
    assert store == {}
    assert tablet_lock(store=store, slot=slot, actor=trainer) is True


def test_only_coordinators_renew_a_participant_calendar_link(running):
    _slot, trainer, enrolment, _stranger = running
    participant = enrolment.participant
    token = participant.calendar_token
    with pytest.raises(SessionsError) as caught:
        regenerate_participant_calendar_token(participant=participant, actor=trainer)
    assert caught.value.code == "not_coordinator"
    participant.refresh_from_db()
    assert participant.calendar_token == token
