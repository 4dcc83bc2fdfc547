"""The reads the signing, paper, calendar and enrolment pages used to make themselves, now
selectors: what each returns for a row of another half-day or session, and for whom."""

import pytest

from sessions.selectors.calendar import (
    participant_by_calendar_token,
    trainer_by_calendar_token,
    trainer_feed_sessions,
)
from sessions.selectors.enrolment import convocation_enrolments, session_enrolments
from sessions.selectors.signing import (
    attendance_of,
    slot_attendance,
    slot_attendances,
    slot_enrolment,
    slots_with_scans_for,
)
from tests.factories import AttendanceFactory, EnrolmentFactory, SlotFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_row_of_another_half_day_is_not_found_through_this_one():
    slot, other = SlotFactory(), SlotFactory()
    mine = AttendanceFactory(slot=slot, enrolment=EnrolmentFactory(session=slot.session))
    theirs = AttendanceFactory(slot=other, enrolment=EnrolmentFactory(session=other.session))
    assert slot_attendance(slot=slot, pk=mine.pk) == mine
    assert slot_attendance(slot=slot, pk=theirs.pk) is None
    assert slot_attendance(slot=slot, pk=None) is None
    assert slot_enrolment(slot=slot, pk=theirs.enrolment_id) is None
    assert slot_enrolment(slot=slot, pk=mine.enrolment_id) == mine.enrolment
    assert slot_attendances(slot=slot) == {mine.enrolment_id: mine}
    assert attendance_of(enrolment=mine.enrolment, slot=other) is None


def test_scans_open_to_auditors_of_the_funder_and_to_who_runs_the_half_day(auditor, trainer):
    slot = SlotFactory()
    slot.session.formation.programme.funders.add(auditor.funders.get())
    slot.session.trainers.add(trainer)
    other_trainer = UserFactory(role="trainer")
    assert list(slots_with_scans_for(user=auditor)) == [slot]
    assert list(slots_with_scans_for(user=trainer)) == [slot]
    assert list(slots_with_scans_for(user=other_trainer)) == []


def test_a_deactivated_trainer_feed_no_longer_opens(trainer):
    slot = SlotFactory()
    slot.session.trainers.add(trainer)
    assert trainer_by_calendar_token(token=trainer.calendar_token) == trainer
    assert list(trainer_feed_sessions(user=trainer)) == [slot.session]
    trainer.is_active = False
    trainer.save()
    assert trainer_by_calendar_token(token=trainer.calendar_token) is None
    participant = EnrolmentFactory(session=slot.session).participant
    assert participant_by_calendar_token(token=participant.calendar_token) == participant
    assert participant_by_calendar_token(token="x" * 32) is None


def test_enrolments_of_the_page_count_attendance_and_convocations_skip_the_convoked(coordinator):
    slot = SlotFactory()
    signed = AttendanceFactory(slot=slot, enrolment=EnrolmentFactory(session=slot.session))
    fresh = EnrolmentFactory(session=slot.session)
    signed.enrolment.convocation_sent_at = slot.starts_at
    signed.enrolment.save()
    counts = {
        e.pk: e.attendance_count for e in session_enrolments(session=slot.session, user=coordinator)
    }
    assert counts == {signed.enrolment_id: 1, fresh.pk: 0}
    assert convocation_enrolments(session=slot.session, unsent_only=True) == [fresh]
    assert len(convocation_enrolments(session=slot.session)) == 2
