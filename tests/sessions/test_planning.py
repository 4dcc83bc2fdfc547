import datetime as dt

import pytest
from django.utils import timezone

from formations.models import AuditEntry, User
from sessions.exceptions import SessionsError
from sessions.models import Seal, Slot, TrainingSession
from sessions.services.planning import SlotSpec, generate_slots, session_save
from tests.factories import EnrolmentFactory, FormationFactory, UserFactory
from tests.factories.planning import attend, countersign

pytestmark = pytest.mark.django_db

NINE, HALF_TWELVE = dt.time(9, 0), dt.time(12, 30)
HALF_ONE, FIVE = dt.time(13, 30), dt.time(17, 0)


def _data(formation, **extra):
    data = {"formation": formation, "code": "LABO-2021-1", "place": "Mamoudzou"}
    data.update(extra)
    return data


def _create(coordinator, slots, **extra):
    return session_save(actor=coordinator, data=_data(FormationFactory(), **extra), slots=slots)


def _specs(session):
    return [
        SlotSpec(s.local_start.date(), s.local_start.time(), s.local_end.time(), s.pk)
        for s in session.slots.order_by("starts_at")
    ]


def test_generate_slots_three_day_labo():
    specs = generate_slots(first_day=dt.date(2021, 10, 4), days=3)

    assert [(s.day.day, s.start, s.end) for s in specs] == [
        (4, NINE, HALF_TWELVE),
        (4, HALF_ONE, FIVE),
        (5, NINE, HALF_TWELVE),
        (5, HALF_ONE, FIVE),
        (6, NINE, HALF_TWELVE),
        (6, HALF_ONE, FIVE),
    ]


def test_generate_slots_skips_weekends_when_asked():
    specs = generate_slots(
        first_day=dt.date(2021, 10, 8), days=2, afternoon=None, skip_weekends=True
    )

    assert [s.day for s in specs] == [dt.date(2021, 10, 8), dt.date(2021, 10, 11)]


def test_session_save_mayotte_labo_stores_utc(coordinator):
    specs = generate_slots(first_day=dt.date(2021, 10, 4), days=3)

    session = _create(coordinator, specs, time_zone="Indian/Mayotte")

    slots = list(session.slots.order_by("starts_at"))
    assert len(slots) == 6
    first = slots[0]
    assert first.starts_at == dt.datetime(2021, 10, 4, 6, 0, tzinfo=dt.UTC)
    assert first.ends_at == dt.datetime(2021, 10, 4, 9, 30, tzinfo=dt.UTC)
    assert first.local_start.strftime("%H:%M") == "09:00"
    assert {s.planned_minutes for s in slots} == {210}
    # Read back from the database, not the cached objects.
    stored = Slot.objects.filter(session=session).values_list("starts_at", flat=True)
    assert {timezone.localtime(v, dt.UTC).hour for v in stored} == {6, 10}


def test_session_save_dst_week_keeps_local_nine(coordinator):
    # Sunday 31 October 2021: Paris goes from UTC+2 to UTC+1.
    specs = generate_slots(first_day=dt.date(2021, 10, 28), days=7, afternoon=None)

    session = _create(coordinator, specs, time_zone="Europe/Paris")

    slots = list(session.slots.order_by("starts_at"))
    assert {s.local_start.strftime("%H:%M") for s in slots} == {"09:00"}
    utc_hours = [timezone.localtime(s.starts_at, dt.UTC).hour for s in slots]
    assert utc_hours == [7, 7, 7, 8, 8, 8, 8]
    assert {s.planned_minutes for s in slots} == {210}


def test_session_save_nonexistent_local_time_refused(coordinator):
    with pytest.raises(SessionsError) as exc:
        _create(coordinator, [(dt.date(2021, 3, 28), dt.time(2, 30), dt.time(4, 0))])

    assert exc.value.code == "slot_nonexistent_time"
    assert "n'existe pas le 28/03/2021 en heure de Paris (changement d'heure)" in exc.value.message
    assert not TrainingSession.objects.exists()


@pytest.mark.parametrize(
    "slots, code",
    [
        ([(dt.date(2021, 10, 4), HALF_TWELVE, NINE)], "slot_end_before_start"),
        ([(dt.date(2021, 10, 4), NINE, NINE)], "slot_end_before_start"),
        (
            [(dt.date(2021, 10, 4), NINE, HALF_TWELVE), (dt.date(2021, 10, 4), NINE, dt.time(10))],
            "slot_duplicate_start",
        ),
        (
            [(dt.date(2021, 10, 4), NINE, HALF_TWELVE), (dt.date(2021, 10, 4), dt.time(12), FIVE)],
            "slot_overlap",
        ),
        ([], "no_slots"),
    ],
)
def test_session_save_invalid_slots_refused(coordinator, slots, code):
    with pytest.raises(SessionsError) as exc:
        _create(coordinator, slots)

    assert exc.value.code == code
    assert not TrainingSession.objects.exists()
    assert not AuditEntry.objects.exists()


def test_session_save_writes_audit_entry(coordinator, trainer):
    session = session_save(
        actor=coordinator,
        data=_data(FormationFactory()),
        trainers=[trainer],
        slots=generate_slots(first_day=dt.date(2021, 10, 4), days=1),
    )

    entry = AuditEntry.objects.get(action="session.create")
    assert entry.actor == coordinator
    assert entry.object_id == str(session.pk)
    assert len(entry.data["slots_added"]) == 2
    assert list(session.trainers.all()) == [trainer]


def test_session_save_refuses_non_trainer(coordinator):
    with pytest.raises(SessionsError) as exc:
        session_save(
            actor=coordinator,
            data=_data(FormationFactory()),
            trainers=[UserFactory(role=User.Role.FUNDER_AUDITOR)],
            slots=generate_slots(first_day=dt.date(2021, 10, 4), days=1),
        )

    assert exc.value.code == "not_trainer"
    assert not TrainingSession.objects.exists()


def test_session_save_moves_free_slot_in_place(coordinator):
    session = _create(coordinator, generate_slots(first_day=dt.date(2021, 10, 4), days=1))
    morning, afternoon = _specs(session)

    session_save(
        actor=coordinator,
        session=session,
        data={"place": "Dzaoudzi"},
        slots=[
            SlotSpec(morning.day, dt.time(8, 30), HALF_TWELVE, morning.slot_id),
            afternoon,
        ],
    )

    session.refresh_from_db()
    moved = Slot.objects.get(pk=morning.slot_id)
    assert moved.local_start.strftime("%H:%M") == "08:30"
    assert session.place == "Dzaoudzi"
    entry = AuditEntry.objects.get(action="session.update")
    assert entry.data["fields"] == {"place": ["Mamoudzou", "Dzaoudzi"]}
    assert len(entry.data["slots_moved"]) == 1


def test_session_save_swaps_two_slots_despite_unique_start(coordinator):
    session = _create(coordinator, generate_slots(first_day=dt.date(2021, 10, 4), days=1))
    morning, afternoon = _specs(session)

    session_save(
        actor=coordinator,
        session=session,
        data={},
        slots=[
            SlotSpec(morning.day, afternoon.start, afternoon.end, morning.slot_id),
            SlotSpec(afternoon.day, morning.start, morning.end, afternoon.slot_id),
        ],
    )

    assert Slot.objects.get(pk=morning.slot_id).local_start.hour == 13


def test_session_save_adds_and_removes_free_slots(coordinator):
    session = _create(coordinator, generate_slots(first_day=dt.date(2021, 10, 4), days=1))
    morning, afternoon = _specs(session)

    session_save(
        actor=coordinator,
        session=session,
        data={},
        slots=[
            morning,
            (dt.date(2021, 10, 5), NINE, HALF_TWELVE),
        ],
    )

    assert not Slot.objects.filter(pk=afternoon.slot_id).exists()
    assert session.slots.count() == 2


def _attended_session(coordinator):
    session = _create(coordinator, generate_slots(first_day=dt.date(2021, 10, 4), days=1))
    morning = session.slots.order_by("starts_at").first()
    attend(EnrolmentFactory(session=session), morning, "present")
    return session


def test_session_save_attended_slot_cannot_move(coordinator):
    session = _attended_session(coordinator)
    morning, afternoon = _specs(session)

    with pytest.raises(SessionsError) as exc:
        session_save(
            actor=coordinator,
            session=session,
            data={"place": "Ailleurs"},
            slots=[
                SlotSpec(morning.day, dt.time(9, 15), HALF_TWELVE, morning.slot_id),
                afternoon,
            ],
        )

    assert exc.value.code == "slot_has_attendance"
    session.refresh_from_db()
    assert session.place == "Mamoudzou"
    assert Slot.objects.get(pk=morning.slot_id).local_start.strftime("%H:%M") == "09:00"


def test_session_save_attended_slot_cannot_be_removed(coordinator):
    session = _attended_session(coordinator)
    _morning, afternoon = _specs(session)

    with pytest.raises(SessionsError) as exc:
        session_save(actor=coordinator, session=session, data={}, slots=[afternoon])

    assert exc.value.code == "slot_has_attendance"
    assert session.slots.count() == 2


def test_session_save_attended_slot_unchanged_is_fine(coordinator):
    session = _attended_session(coordinator)
    morning, afternoon = _specs(session)

    session_save(
        actor=coordinator,
        session=session,
        data={"notes": "ok"},
        slots=[
            morning,
            SlotSpec(afternoon.day, dt.time(14), FIVE, afternoon.slot_id),
        ],
    )

    assert Slot.objects.get(pk=afternoon.slot_id).local_start.hour == 14


def test_session_save_sealed_slot_refused(coordinator):
    session = _create(coordinator, generate_slots(first_day=dt.date(2021, 10, 4), days=1))
    morning, afternoon = _specs(session)
    slot = Slot.objects.get(pk=morning.slot_id)
    countersign(slot)
    Seal.objects.create(
        slot=slot,
        session=session,
        sequence=1,
        digest="a" * 64,
        sealed_at=timezone.now(),
        sealed_by=coordinator,
    )

    with pytest.raises(SessionsError) as exc:
        session_save(actor=coordinator, session=session, data={}, slots=[afternoon])

    assert exc.value.code == "slot_sealed"


def test_session_save_countersigned_slot_refused(coordinator):
    session = _create(coordinator, generate_slots(first_day=dt.date(2021, 10, 4), days=1))
    morning, afternoon = _specs(session)
    countersign(Slot.objects.get(pk=morning.slot_id))

    with pytest.raises(SessionsError) as exc:
        session_save(actor=coordinator, session=session, data={}, slots=[afternoon])

    assert exc.value.code == "slot_countersigned"


def test_session_save_unknown_slot_id_refused(coordinator):
    other = _create(coordinator, [(dt.date(2021, 10, 4), NINE, HALF_TWELVE)], code="AUTRE")
    session = session_save(
        actor=coordinator,
        data=_data(FormationFactory()),
        slots=[(dt.date(2021, 10, 5), NINE, HALF_TWELVE)],
    )
    foreign = other.slots.get()

    with pytest.raises(SessionsError) as exc:
        session_save(
            actor=coordinator,
            session=session,
            data={},
            slots=[(dt.date(2021, 10, 6), NINE, HALF_TWELVE, foreign.pk)],
        )

    assert exc.value.code == "slot_unknown"


def test_session_save_formation_locked_once_attended(coordinator):
    session = _attended_session(coordinator)

    with pytest.raises(SessionsError) as exc:
        session_save(
            actor=coordinator,
            session=session,
            data={"formation": FormationFactory()},
            slots=_specs(session),
        )

    assert exc.value.code == "formation_locked"


@pytest.mark.parametrize("lock", ["attendance", "countersignature", "seal"])
def test_session_save_time_zone_locked_once_a_half_day_is(coordinator, lock):
    session = _create(coordinator, generate_slots(first_day=dt.date(2021, 10, 4), days=1))
    morning = session.slots.order_by("starts_at").first()
    if lock == "attendance":
        attend(EnrolmentFactory(session=session), morning, "present")
    else:
        countersign(morning)
    if lock == "seal":
        Seal.objects.create(
            slot=morning,
            session=session,
            sequence=1,
            digest="a" * 64,
            sealed_at=timezone.now(),
            sealed_by=coordinator,
        )
    # Same instants, typed in Mayotte time: no half-day moves, only the zone would change.
    mayotte = [
        SlotSpec(
            s.starts_at.astimezone(dt.timezone(dt.timedelta(hours=3))).date(),
            s.starts_at.astimezone(dt.timezone(dt.timedelta(hours=3))).time(),
            s.ends_at.astimezone(dt.timezone(dt.timedelta(hours=3))).time(),
            s.pk,
        )
        for s in session.slots.order_by("starts_at")
    ]

    with pytest.raises(SessionsError) as exc:
        session_save(
            actor=coordinator,
            session=session,
            data={"time_zone": "Indian/Mayotte"},
            slots=mayotte,
        )

    assert exc.value.code == "time_zone_locked"
    session.refresh_from_db()
    assert session.time_zone == "Europe/Paris"


def test_session_save_formation_locked_once_countersigned(coordinator):
    session = _create(coordinator, generate_slots(first_day=dt.date(2021, 10, 4), days=1))
    countersign(session.slots.order_by("starts_at").first())

    with pytest.raises(SessionsError) as exc:
        session_save(
            actor=coordinator,
            session=session,
            data={"formation": FormationFactory()},
            slots=_specs(session),
        )

    assert exc.value.code == "formation_locked"


def test_session_save_time_zone_free_without_evidence(coordinator):
    session = _create(coordinator, generate_slots(first_day=dt.date(2021, 10, 4), days=1))

    session_save(
        actor=coordinator,
        session=session,
        data={"time_zone": "Indian/Mayotte"},
        slots=_specs(session),
    )

    morning = Slot.objects.filter(session=session).order_by("starts_at").first()
    assert morning.session.time_zone == "Indian/Mayotte"
    assert morning.local_start.strftime("%H:%M") == "09:00"


def test_session_save_calendar_sequence_rises_when_what_agendas_show_changes(coordinator):
    session = _create(coordinator, [(dt.date(2021, 10, 4), NINE, HALF_TWELVE)])
    created = session.calendar_sequence

    session = session_save(
        actor=coordinator, session=session, data={"notes": "salle 2"}, slots=_specs(session)
    )
    after_notes = session.calendar_sequence
    moved = [SlotSpec(spec.day, dt.time(9, 30), spec.end, spec.slot_id) for spec in _specs(session)]
    session = session_save(actor=coordinator, session=session, data={}, slots=moved)
    after_move = session.calendar_sequence
    session = session_save(
        actor=coordinator, session=session, data={"place": "Dzaoudzi"}, slots=_specs(session)
    )
    after_place = session.calendar_sequence
    session = session_save(
        actor=coordinator,
        session=session,
        data={},
        slots=[*_specs(session), (dt.date(2021, 10, 4), HALF_ONE, FIVE)],
    )

    assert (created, after_notes, after_move, after_place) == (0, 0, 1, 2)
    assert session.calendar_sequence == 3
    session.refresh_from_db()
    assert session.calendar_sequence == 3
    entry = AuditEntry.objects.filter(action="session.update").latest("pk")
    assert entry.data["calendar_sequence"] == 3
