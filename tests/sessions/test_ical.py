import datetime as dt
import zoneinfo

import pytest
from icalendar import Calendar

from sessions import ical
from sessions.models import TrainingSession
from tests.factories import (
    EnrolmentFactory,
    ParticipantFactory,
    SlotFactory,
    TrainingSessionFactory,
)

UTC = dt.UTC
PARIS = zoneinfo.ZoneInfo("Europe/Paris")
MAYOTTE = zoneinfo.ZoneInfo("Indian/Mayotte")

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("base_url")]


@pytest.fixture
def base_url(settings):
    settings.SUIVI_BASE_URL = "https://suivi.example.org"


def slot(session, day, start, end):
    return SlotFactory(
        session=session,
        starts_at=dt.datetime.combine(day, start, tzinfo=session.tzinfo),
        ends_at=dt.datetime.combine(day, end, tzinfo=session.tzinfo),
    )


def labo(session, first_day=dt.date(2021, 10, 4), days=3):
    """A 3-day « labo »: 09:00–12:30 and 13:30–17:00 each day."""
    slots = []
    for offset in range(days):
        day = first_day + dt.timedelta(days=offset)
        slots.append(slot(session, day, dt.time(9, 0), dt.time(12, 30)))
        slots.append(slot(session, day, dt.time(13, 30), dt.time(17, 0)))
    return slots


def parse(content: bytes) -> Calendar:
    return Calendar.from_ical(content)


def test_session_calendar_mayotte_keeps_local_times():
    session = TrainingSessionFactory(time_zone="Indian/Mayotte", place="CCAS de Mamoudzou")
    slots = [
        slot(session, dt.date(2021, 10, 4), dt.time(8, 0), dt.time(12, 0)),
        slot(session, dt.date(2021, 10, 4), dt.time(13, 0), dt.time(16, 0)),
    ]

    calendar = parse(ical.session_calendar(session, slots=slots))

    [event] = calendar.events
    assert event["DTSTART"].params["TZID"] == "Indian/Mayotte"
    assert event["DTEND"].params["TZID"] == "Indian/Mayotte"
    assert event.start == dt.datetime(2021, 10, 4, 8, 0, tzinfo=MAYOTTE)
    assert event.start.astimezone(UTC) == dt.datetime(2021, 10, 4, 5, 0, tzinfo=UTC)
    assert event.end.astimezone(UTC) == dt.datetime(2021, 10, 4, 13, 0, tzinfo=UTC)
    assert [tz.tz_name for tz in calendar.timezones] == ["Indian/Mayotte"]
    assert "COMMENT" not in calendar.timezones[0]  # icalendar's English note is dropped
    assert "08:00–12:00, 13:00–16:00" in event["DESCRIPTION"]
    assert "Horaires en heure de Mayotte" in event["DESCRIPTION"]


def test_session_calendar_one_event_per_day_for_a_three_day_labo():
    session = TrainingSessionFactory(address="2 rue de l'Arbrisseau")

    calendar = parse(ical.session_calendar(session, slots=labo(session)))

    events = sorted(calendar.events, key=lambda e: e.start)
    assert [e.start for e in events] == [
        dt.datetime(2021, 10, d, 9, 0, tzinfo=PARIS) for d in (4, 5, 6)
    ]
    assert [e.end for e in events] == [
        dt.datetime(2021, 10, d, 17, 0, tzinfo=PARIS) for d in (4, 5, 6)
    ]
    assert all("DTEND" in e for e in events)
    assert all(e["DTSTART"].params["TZID"] == "Europe/Paris" for e in events)
    assert [tz.tz_name for tz in calendar.timezones] == ["Europe/Paris"]
    assert events[0]["LOCATION"] == "Centre social l'Arbrisseau, Lille, 2 rue de l'Arbrisseau"
    assert "09:00–12:30, 13:30–17:00" in events[0]["DESCRIPTION"]
    assert str(calendar["PRODID"]) == "-//Suivi Formations//FR"


def test_session_calendar_uids_are_stable_across_renders():
    session = TrainingSessionFactory()
    slots = labo(session)

    first = ical.session_calendar(session, slots=slots)
    second = ical.session_calendar(session, slots=list(reversed(slots)))

    assert first == second
    uids = sorted(str(e["UID"]) for e in parse(first).events)
    assert uids == [f"session-{session.pk}-2021100{d}@suivi.example.org" for d in (4, 5, 6)]
    stamps = {e["DTSTAMP"].dt for e in parse(first).events}
    assert stamps == {session.created_at.replace(microsecond=0)}


def test_session_calendar_across_dst_change_keeps_local_hours():
    # 31 October 2021: Paris goes from UTC+2 to UTC+1.
    session = TrainingSessionFactory()
    slots = [
        slot(session, dt.date(2021, 10, 29), dt.time(9, 0), dt.time(12, 30)),
        slot(session, dt.date(2021, 11, 2), dt.time(9, 0), dt.time(12, 30)),
    ]

    calendar = parse(ical.session_calendar(session, slots=slots))

    starts = sorted(e.start.astimezone(UTC) for e in calendar.events)
    assert starts == [
        dt.datetime(2021, 10, 29, 7, 0, tzinfo=UTC),
        dt.datetime(2021, 11, 2, 8, 0, tzinfo=UTC),
    ]
    [vtimezone] = calendar.timezones
    assert {c.name for c in vtimezone.subcomponents} == {"STANDARD", "DAYLIGHT"}


def test_session_calendar_groups_half_days_by_local_day_not_utc_day():
    # Nouméa is UTC+11: an 08:00 local start is 21:00 UTC the day before.
    session = TrainingSessionFactory(time_zone="Pacific/Noumea")
    slots = [
        slot(session, dt.date(2021, 10, 4), dt.time(8, 0), dt.time(12, 0)),
        slot(session, dt.date(2021, 10, 4), dt.time(13, 0), dt.time(17, 0)),
    ]

    [event] = parse(ical.session_calendar(session, slots=slots)).events

    assert str(event["UID"]).startswith(f"session-{session.pk}-20211004@")
    assert event.start.astimezone(UTC) == dt.datetime(2021, 10, 3, 21, 0, tzinfo=UTC)


def test_session_calendar_remote_session_located_at_its_link():
    session = TrainingSessionFactory(
        modality=TrainingSession.Modality.REMOTE, remote_url="https://visio.example.org/labo"
    )

    [event] = parse(ical.session_calendar(session, slots=[SlotFactory(session=session)])).events

    assert event["LOCATION"] == "https://visio.example.org/labo"
    assert "https://visio.example.org/labo" in event["DESCRIPTION"]


def test_session_calendar_cancelled_session_marks_events_cancelled():
    session = TrainingSessionFactory(status=TrainingSession.Status.CANCELLED)

    [event] = parse(ical.session_calendar(session, slots=[SlotFactory(session=session)])).events

    assert event["STATUS"] == "CANCELLED"


def test_session_calendar_without_participant_names_nobody():
    session = TrainingSessionFactory()
    participant = EnrolmentFactory(session=session, participant__last_name="Nguyễn").participant

    content = ical.session_calendar(session, slots=[SlotFactory(session=session)])

    calendar = parse(content)
    assert calendar["METHOD"] == "PUBLISH"
    assert "ATTENDEE" not in calendar.events[0]
    text = content.decode()
    assert participant.email not in text
    assert "Nguyễn" not in text and "NGUYỄN" not in text


def test_session_calendar_for_participant_is_an_invitation_to_them():
    session = TrainingSessionFactory()
    participant = ParticipantFactory(email="camille@example.org")

    calendar = parse(
        ical.session_calendar(
            session, slots=[SlotFactory(session=session)], for_participant=participant
        )
    )

    assert calendar["METHOD"] == "REQUEST"
    [event] = calendar.events
    assert str(event["ATTENDEE"]) == "mailto:camille@example.org"
    assert str(event["ORGANIZER"]).startswith("mailto:")


def test_feed_calendar_lists_every_session_day():
    first, second = TrainingSessionFactory(), TrainingSessionFactory()
    items = [
        (first, labo(first, days=2)),
        (second, labo(second, first_day=dt.date(2021, 11, 8), days=1)),
    ]

    calendar = parse(ical.feed_calendar(items, name="Mes sessions"))

    assert len(calendar.events) == 3
    assert calendar.calendar_name == "Mes sessions"
    assert calendar["METHOD"] == "PUBLISH"


def test_feed_calendar_without_sessions_is_still_a_calendar():
    calendar = parse(ical.feed_calendar([], name="Mes sessions"))

    assert calendar.events == []
    assert str(calendar["PRODID"]) == "-//Suivi Formations//FR"


def test_events_carry_the_session_calendar_sequence():
    session = TrainingSessionFactory()
    slots = labo(session, days=2)
    session.calendar_sequence = 4

    for content in (
        ical.session_calendar(session, slots=slots),
        ical.session_calendar(session, slots=slots, for_participant=ParticipantFactory()),
        ical.feed_calendar([(session, slots)], name="Agenda"),
    ):
        events = parse(content).events
        assert [int(event["SEQUENCE"]) for event in events] == [4, 4]


def test_new_session_events_have_sequence_zero():
    session = TrainingSessionFactory()

    [event] = parse(ical.session_calendar(session, slots=labo(session, days=1))).events

    assert int(event["SEQUENCE"]) == 0


def test_changed_session_invitation_outranks_the_first_one(coordinator):
    from sessions.services.planning import session_save

    session = TrainingSessionFactory()
    labo(session, days=1)
    first = parse(ical.session_calendar(session, slots=list(session.slots.all()))).events[0]

    session = session_save(
        actor=coordinator,
        session=session,
        data={"place": "Salle du conseil"},
        slots=[
            (s.local_start.date(), s.local_start.time(), s.local_end.time(), s.pk)
            for s in session.slots.all()
        ],
    )
    second = parse(ical.session_calendar(session, slots=list(session.slots.all()))).events[0]

    assert second["UID"] == first["UID"]
    assert int(second["SEQUENCE"]) > int(first["SEQUENCE"])
    assert "Salle du conseil" in str(second["LOCATION"])
