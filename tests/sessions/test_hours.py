import datetime as dt

import pytest

from formations.models import Participant, Structure
from sessions.models import TrainingSession
from sessions.selectors import hours
from tests.factories import (
    EnrolmentFactory,
    FormationFactory,
    ParticipantFactory,
    StructureFactory,
    TrainingSessionFactory,
)
from tests.factories.planning import attend, make_slot, paper_scan

pytestmark = pytest.mark.django_db

DAY = dt.date(2021, 10, 4)
MORNING = (dt.time(9, 0), dt.time(12, 30))
AFTERNOON = (dt.time(13, 30), dt.time(17, 0))


@pytest.fixture
def session():
    return TrainingSessionFactory()


@pytest.fixture
def morning(session):
    return make_slot(session, DAY, *MORNING)


def _realised(enrolment):
    return hours.realised_minutes(enrolment=enrolment)


def test_realised_minutes_present_counts_whole_slot(session, morning):
    enrolment = EnrolmentFactory(session=session)
    attend(enrolment, morning, "present")

    assert morning.planned_minutes == 210
    assert _realised(enrolment) == 210


def test_realised_minutes_late_counts_recorded_minutes(session, morning):
    enrolment = EnrolmentFactory(session=session)
    attend(enrolment, morning, "late", minutes=150)

    assert _realised(enrolment) == 150


def test_realised_minutes_left_early_counts_recorded_minutes(session, morning):
    enrolment = EnrolmentFactory(session=session)
    attend(enrolment, morning, "left_early", minutes=95)

    assert _realised(enrolment) == 95


def test_realised_minutes_late_and_left_early_counts_recorded_minutes(session, morning):
    enrolment = EnrolmentFactory(session=session)
    attend(enrolment, morning, "late_left_early", minutes=140)

    assert _realised(enrolment) == 140
    row = hours.planned_and_realised_by_enrolment(session=session).get()
    assert (row.realised_minutes, row.missed_minutes) == (140, 70)


@pytest.mark.parametrize("status", ["absent", "absent_excused"])
def test_realised_minutes_absent_counts_zero(session, morning, status):
    enrolment = EnrolmentFactory(session=session)
    attend(enrolment, morning, status, signed=False, method="trainer")

    assert _realised(enrolment) == 0


def test_realised_minutes_unsigned_not_counted(session, morning):
    enrolment = EnrolmentFactory(session=session)
    attend(enrolment, morning, "present", signed=False, method="trainer")

    assert _realised(enrolment) == 0


def test_realised_minutes_not_countersigned_not_counted(session):
    slot = make_slot(session, DAY, *MORNING, countersigned=False)
    enrolment = EnrolmentFactory(session=session)
    attend(enrolment, slot, "present")

    assert _realised(enrolment) == 0


def test_realised_minutes_paper_with_scan_counted(session, morning):
    enrolment = EnrolmentFactory(session=session)
    attend(enrolment, morning, "present", method="paper", scan=paper_scan(morning))

    assert _realised(enrolment) == 210


def test_realised_minutes_paper_without_scan_not_counted(session, morning):
    enrolment = EnrolmentFactory(session=session)
    attend(enrolment, morning, "present", method="paper", scan=None)

    assert _realised(enrolment) == 0


def test_planned_and_realised_by_enrolment_sums_slots(session, morning):
    afternoon = make_slot(session, DAY, *AFTERNOON)
    full = EnrolmentFactory(session=session)
    late = EnrolmentFactory(session=session)
    missing = EnrolmentFactory(session=session)
    attend(full, morning, "present")
    attend(full, afternoon, "present")
    attend(late, morning, "late", minutes=150)
    attend(late, afternoon, "absent", signed=False, method="trainer")
    other_session_enrolment = EnrolmentFactory()  # not in the result

    rows = {e.pk: e for e in hours.planned_and_realised_by_enrolment(session=session)}

    assert set(rows) == {full.pk, late.pk, missing.pk}
    assert other_session_enrolment.pk not in rows
    assert {e.planned_minutes for e in rows.values()} == {420}
    assert rows[full.pk].realised_minutes == 420
    assert rows[late.pk].realised_minutes == 150
    assert rows[missing.pk].realised_minutes == 0
    assert hours.planned_minutes(session=session) == 420


def test_hours_by_session_counts_trainee_minutes(session, morning):
    afternoon = make_slot(session, DAY, *AFTERNOON)
    a, b = EnrolmentFactory(session=session), EnrolmentFactory(session=session)
    attend(a, morning, "present")
    attend(a, afternoon, "left_early", minutes=60)
    attend(b, morning, "present")
    empty = TrainingSessionFactory()

    rows = {s.pk: s for s in hours.hours_by_session(sessions_qs=TrainingSession.objects.all())}

    row = rows[session.pk]
    assert (row.slot_count, row.planned_minutes, row.enrolled_count) == (2, 420, 2)
    assert row.planned_trainee_minutes == 840
    assert row.realised_trainee_minutes == 210 + 60 + 210
    assert row.first_start == morning.starts_at
    assert row.last_end == afternoon.ends_at
    assert (rows[empty.pk].planned_minutes, rows[empty.pk].realised_trainee_minutes) == (0, 0)
    assert rows[empty.pk].first_start is None


def test_hours_by_session_restricted_to_structure(session, morning):
    mine = StructureFactory()
    a = EnrolmentFactory(session=session, participant__structure=mine)
    b = EnrolmentFactory(session=session)
    attend(a, morning, "late", minutes=100)
    attend(b, morning, "present")

    row = hours.hours_by_session(sessions_qs=TrainingSession.objects.all(), structure=mine).get()

    assert (row.enrolled_count, row.realised_trainee_minutes) == (1, 100)


def test_hours_by_participant_across_sessions_of_formation():
    formation = FormationFactory()
    first = TrainingSessionFactory(formation=formation, time_zone="Indian/Mayotte")
    second = TrainingSessionFactory(formation=formation)
    elsewhere = TrainingSessionFactory()
    person = ParticipantFactory()
    slots_first = [make_slot(first, DAY + dt.timedelta(days=i), *MORNING) for i in range(3)]
    slot_second = make_slot(second, DAY, *AFTERNOON)
    slot_elsewhere = make_slot(elsewhere, DAY, *MORNING)
    e1 = EnrolmentFactory(session=first, participant=person)
    e2 = EnrolmentFactory(session=second, participant=person)
    e3 = EnrolmentFactory(session=elsewhere, participant=person)
    for slot in slots_first:
        attend(e1, slot, "present")
    attend(e2, slot_second, "late", minutes=30)
    attend(e3, slot_elsewhere, "present")
    ParticipantFactory()  # enrolled nowhere: left out

    in_formation = hours.hours_by_participant(formation=formation).get()
    overall = hours.hours_by_participant(participants_qs=Participant.objects.all()).get()

    assert in_formation.pk == person.pk
    assert (in_formation.session_count, in_formation.planned_minutes) == (2, 3 * 210 + 210)
    assert in_formation.realised_minutes == 3 * 210 + 30
    assert (overall.session_count, overall.planned_minutes) == (3, 5 * 210)
    assert overall.realised_minutes == 4 * 210 + 30


def test_hours_by_participant_scoped_by_sessions(session, morning):
    person = ParticipantFactory()
    attend(EnrolmentFactory(session=session, participant=person), morning, "present")
    other = TrainingSessionFactory()
    attend(EnrolmentFactory(session=other, participant=person), make_slot(other, DAY, *MORNING))

    row = hours.hours_by_participant(
        sessions_qs=TrainingSession.objects.filter(pk=session.pk)
    ).get()

    assert (row.session_count, row.planned_minutes, row.realised_minutes) == (1, 210, 210)


def test_hours_by_structure_sums_people_of_each_structure():
    formation = FormationFactory()
    session = TrainingSessionFactory(formation=formation)
    morning = make_slot(session, DAY, *MORNING)
    afternoon = make_slot(session, DAY, *AFTERNOON)
    ccas, centre = StructureFactory(name="CCAS de Mamoudzou"), StructureFactory()
    StructureFactory()  # nobody enrolled: left out
    people = [EnrolmentFactory(session=session, participant__structure=ccas) for _ in range(3)]
    other = EnrolmentFactory(session=session, participant__structure=centre)
    for enrolment in people:
        attend(enrolment, morning, "present")
    attend(people[0], afternoon, "late", minutes=200)
    attend(other, morning, "absent", signed=False, method="trainer")

    rows = {s.pk: s for s in hours.hours_by_structure(formation=formation)}

    assert set(rows) == {ccas.pk, centre.pk}
    assert (rows[ccas.pk].participant_count, rows[ccas.pk].enrolment_count) == (3, 3)
    assert rows[ccas.pk].planned_minutes == 3 * 420
    assert rows[ccas.pk].realised_minutes == 3 * 210 + 200
    assert (rows[centre.pk].planned_minutes, rows[centre.pk].realised_minutes) == (420, 0)


def test_hours_by_formation_counts_trainee_minutes():
    formation = FormationFactory()
    session = TrainingSessionFactory(formation=formation)
    morning = make_slot(session, DAY, *MORNING)
    a, b = EnrolmentFactory(session=session), EnrolmentFactory(session=session)
    attend(a, morning, "present")
    cancelled = TrainingSessionFactory(formation=formation, status="cancelled")
    make_slot(cancelled, DAY, *MORNING)
    EnrolmentFactory(session=cancelled)

    row = hours.hours_by_formation(formations_qs=type(formation).objects.all()).get()

    assert (row.session_count, row.planned_minutes, row.realised_minutes) == (1, 420, 210)
    del b


def _populate(count: int):
    formation = FormationFactory()
    structure = StructureFactory()
    for i in range(count):
        session = TrainingSessionFactory(formation=formation)
        slot = make_slot(session, DAY + dt.timedelta(days=i % 5), *MORNING)
        enrolment = EnrolmentFactory(session=session, participant__structure=structure)
        attend(enrolment, slot, "present")
    return formation


@pytest.mark.parametrize("count", [10, 200])
def test_hours_selectors_query_count_constant(django_assert_num_queries, count):
    formation = _populate(count)
    sessions = TrainingSession.objects.filter(formation=formation)

    with django_assert_num_queries(1):
        rows = list(hours.hours_by_session(sessions_qs=sessions))
    with django_assert_num_queries(1):
        people = list(hours.hours_by_participant(formation=formation))
    with django_assert_num_queries(1):
        structures = list(hours.hours_by_structure(sessions_qs=sessions))
    with django_assert_num_queries(1):
        enrolments = list(hours.planned_and_realised_by_enrolment(session=rows[0]))

    assert sum(r.realised_trainee_minutes for r in rows) == count * 210
    assert sum(p.realised_minutes for p in people) == count * 210
    assert [s.realised_minutes for s in structures] == [count * 210]
    assert isinstance(structures[0], Structure)
    assert enrolments[0].realised_minutes == 210


# --- hours to come ------------------------------------------------------------------------

NEXT_DAY = DAY + dt.timedelta(days=1)


@pytest.fixture
def two_days(session):
    """Day 1 (past, countersigned) and day 2 (to come, not countersigned): 2 × 2 half-days.
    `now` is the evening of day 1."""
    slots = [
        make_slot(session, DAY, *MORNING),
        make_slot(session, DAY, *AFTERNOON),
        make_slot(session, NEXT_DAY, *MORNING, countersigned=False),
        make_slot(session, NEXT_DAY, *AFTERNOON, countersigned=False),
    ]
    now = slots[1].ends_at + dt.timedelta(hours=3)
    return slots, now


def test_enrolment_hours_to_come_are_apart_from_missed(session, two_days):
    (morning, afternoon, *_later), now = two_days
    full = EnrolmentFactory(session=session)
    partial = EnrolmentFactory(session=session)
    attend(full, morning)
    attend(full, afternoon)
    attend(partial, morning)
    attend(partial, afternoon, "absent", signed=False, method="trainer")

    rows = {e.pk: e for e in hours.planned_and_realised_by_enrolment(session=session, now=now)}

    figures = [
        (r.planned_minutes, r.realised_minutes, r.missed_minutes, r.planned_future_minutes)
        for r in (rows[full.pk], rows[partial.pk])
    ]
    assert figures == [(840, 420, 0, 420), (840, 210, 210, 420)]
    assert rows[partial.pk].planned_past_minutes == 420


def test_past_half_day_not_countersigned_is_missed_not_to_come(session, two_days):
    (morning, afternoon, *_later), now = two_days
    afternoon.countersigned_at = None
    afternoon.save()
    enrolment = EnrolmentFactory(session=session)
    attend(enrolment, morning)
    attend(enrolment, afternoon)  # signed, but the trainer has not countersigned yet

    row = hours.planned_and_realised_by_enrolment(session=session, now=now).get()

    assert (row.realised_minutes, row.missed_minutes, row.planned_future_minutes) == (210, 210, 420)


def test_half_day_countersigned_before_its_end_is_no_longer_to_come(session, two_days):
    (*_day1, tomorrow_morning, _tomorrow_afternoon), _now = two_days
    enrolment = EnrolmentFactory(session=session)
    attend(enrolment, tomorrow_morning)
    tomorrow_morning.countersigned_at = tomorrow_morning.starts_at + dt.timedelta(hours=3)
    tomorrow_morning.save()
    during = tomorrow_morning.starts_at + dt.timedelta(hours=3, minutes=5)

    row = hours.planned_and_realised_by_enrolment(session=session, now=during).get()

    assert (row.realised_minutes, row.planned_future_minutes) == (210, 210)
    assert row.missed_minutes == 420  # day 1: nothing signed


def test_before_the_first_half_day_everything_is_to_come(session):
    morning = make_slot(session, DAY, *MORNING, countersigned=False)
    make_slot(session, DAY, *AFTERNOON, countersigned=False)
    EnrolmentFactory(session=session)

    row = hours.planned_and_realised_by_enrolment(
        session=session, now=morning.starts_at - dt.timedelta(days=1)
    ).get()

    assert (row.planned_minutes, row.planned_future_minutes) == (420, 420)
    assert (row.planned_past_minutes, row.missed_minutes, row.realised_minutes) == (0, 0, 0)


def test_hours_by_participant_splits_past_and_to_come(session, two_days):
    (morning, _afternoon, *_later), now = two_days
    enrolment = EnrolmentFactory(session=session)
    attend(enrolment, morning, "late", minutes=150)
    cancelled = TrainingSessionFactory(status=TrainingSession.Status.CANCELLED)
    make_slot(cancelled, NEXT_DAY, *MORNING, countersigned=False)
    EnrolmentFactory(session=cancelled, participant=enrolment.participant)

    person = hours.hours_by_participant(
        participants_qs=Participant.objects.filter(pk=enrolment.participant_id), now=now
    ).get()

    assert (person.planned_minutes, person.realised_minutes) == (840, 150)
    assert (person.missed_minutes, person.planned_future_minutes) == (270, 420)
    assert person.planned_past_minutes == 420
