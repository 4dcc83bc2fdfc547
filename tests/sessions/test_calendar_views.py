import datetime as dt

import pytest
from django.urls import reverse
from icalendar import Calendar

from formations.models import AuditEntry, User
from sessions.models import TrainingSession
from tests.factories import (
    EnrolmentFactory,
    ParticipantFactory,
    SlotFactory,
    TrainingSessionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def base_url(settings):
    settings.SUIVI_BASE_URL = "https://suivi.example.org"


def trainer_feed(user):
    return reverse("sessions:calendar_feed_trainer", args=[user.calendar_token])


def participant_feed(participant):
    return reverse("sessions:calendar_feed_participant", args=[participant.calendar_token])


def session_with_slot(**kwargs):
    session = TrainingSessionFactory(**kwargs)
    SlotFactory(session=session)
    return session


def uids(response) -> set[str]:
    return {str(event["UID"]) for event in Calendar.from_ical(response.content).events}


def test_trainer_feed_lists_only_their_sessions_without_names(client, trainer):
    mine = session_with_slot()
    mine.trainers.add(trainer)
    cancelled = session_with_slot(status=TrainingSession.Status.CANCELLED)
    cancelled.trainers.add(trainer)
    session_with_slot()  # someone else's
    participant = EnrolmentFactory(
        session=mine, participant__last_name="Dvořák", participant__first_name="Zoë"
    ).participant

    response = client.get(trainer_feed(trainer))  # anonymous: the token is the credential

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert uids(response) == {f"session-{mine.pk}-20211004@suivi.example.org"}
    text = response.content.decode()
    for personal in ("Dvořák", "DVOŘÁK", "Zoë", participant.email, trainer.last_name):
        assert personal not in text


def test_participant_feed_lists_their_enrolled_sessions(client):
    enrolled = session_with_slot()
    participant = EnrolmentFactory(session=enrolled).participant
    session_with_slot()

    response = client.get(participant_feed(participant))

    assert response.status_code == 200
    assert uids(response) == {f"session-{enrolled.pk}-20211004@suivi.example.org"}
    assert participant.email not in response.content.decode()


@pytest.mark.parametrize("name", ["calendar_feed_trainer", "calendar_feed_participant"])
def test_feed_unknown_token_404(client, name):
    UserFactory(role=User.Role.TRAINER)
    ParticipantFactory()

    response = client.get(reverse(f"sessions:{name}", args=["x" * 32]))

    assert response.status_code == 404


def test_feed_malformed_token_404(client):
    assert client.get("/calendrier/formateur/abc.ics").status_code == 404
    assert (
        client.get("/calendrier/formateur/%27%20or%201%3D1%20--aaaaaaaaaaaaaa.ics").status_code
        == 404
    )


def test_feed_inactive_trainer_404(client):
    user = UserFactory(role=User.Role.TRAINER, is_active=False)

    assert client.get(trainer_feed(user)).status_code == 404


@pytest.mark.parametrize("count", [1, 5])
def test_trainer_feed_query_count_does_not_grow(client, trainer, django_assert_num_queries, count):
    for _ in range(count):
        session_with_slot().trainers.add(trainer)

    with django_assert_num_queries(3):  # user, sessions, slots
        response = client.get(trainer_feed(trainer))

    assert len(Calendar.from_ical(response.content).events) == count


def test_session_ics_download_for_visible_session(coordinator_client):
    session = session_with_slot(code="LABO-2021-7")

    response = coordinator_client.get(reverse("sessions:session_ics", args=[session.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert 'filename="session-LABO-2021-7.ics"' in response["Content-Disposition"]
    assert uids(response) == {f"session-{session.pk}-20211004@suivi.example.org"}


def test_session_ics_trainer_of_another_session_404(client, trainer):
    session = session_with_slot()
    client.force_login(trainer)

    assert client.get(reverse("sessions:session_ics", args=[session.pk])).status_code == 404


def test_session_ics_anonymous_redirected_to_login(client):
    session = session_with_slot()

    response = client.get(reverse("sessions:session_ics", args=[session.pk]))

    assert response.status_code == 302
    assert "/connexion/" in response["Location"]


def test_my_calendar_shows_feed_url(client, trainer):
    client.force_login(trainer)

    response = client.get(reverse("sessions:my_calendar"))

    assert response.status_code == 200
    expected = f"https://suivi.example.org/calendrier/formateur/{trainer.calendar_token}.ics"
    assert response.context["feed_url"] == expected
    assert expected in response.text


def test_my_calendar_referent_forbidden(client, referent):
    client.force_login(referent)

    assert client.get(reverse("sessions:my_calendar")).status_code == 403


def test_regenerate_calendar_token_requires_confirmation(client, trainer):
    client.force_login(trainer)
    old = trainer.calendar_token

    response = client.post(reverse("sessions:my_calendar_regenerate"), {})

    assert response.status_code == 200
    trainer.refresh_from_db()
    assert trainer.calendar_token == old


def test_regenerate_calendar_token_old_feed_stops_working(client, trainer):
    client.force_login(trainer)
    old_url = trainer_feed(trainer)

    response = client.post(reverse("sessions:my_calendar_regenerate"), {"confirm": "on"})

    assert response.status_code == 302
    trainer.refresh_from_db()
    assert client.get(old_url).status_code == 404
    assert client.get(trainer_feed(trainer)).status_code == 200
    assert AuditEntry.objects.filter(action="calendar.token_regenerated", actor=trainer).exists()


def test_regenerate_calendar_token_get_not_allowed(client, trainer):
    client.force_login(trainer)

    assert client.get(reverse("sessions:my_calendar_regenerate")).status_code == 405


def test_feed_head_request_allowed(client, trainer):
    assert client.head(trainer_feed(trainer)).status_code == 200


def test_feed_events_in_session_zone(client):
    session = TrainingSessionFactory(time_zone="Indian/Mayotte")
    SlotFactory(
        session=session,
        starts_at=dt.datetime(2021, 10, 4, 5, 0, tzinfo=dt.UTC),
        ends_at=dt.datetime(2021, 10, 4, 9, 0, tzinfo=dt.UTC),
    )
    participant = EnrolmentFactory(session=session).participant

    calendar = Calendar.from_ical(client.get(participant_feed(participant)).content)

    [event] = calendar.events
    assert event["DTSTART"].params["TZID"] == "Indian/Mayotte"
    assert event.start.hour == 8
