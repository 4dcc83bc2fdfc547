"""The participant's own space, sessions side: their sessions, statuses per half-day,
realised hours from the émargement selectors, their convocation; nobody else's."""

import datetime as dt

import icalendar
import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from formations import panels, space
from sessions.selectors.hours import realised_minutes
from tests.factories import EnrolmentFactory, ParticipantFactory, TrainingSessionFactory
from tests.factories.planning import attend, make_slot

pytestmark = pytest.mark.django_db

HOME = reverse("space:home")
NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)


def sign_in(client, participant):
    session = client.session
    session[space.SESSION_KEY] = participant.pk
    session.save()
    return client


@pytest.fixture
def person(db):
    return ParticipantFactory(first_name="Aïcha", last_name="Madi")


@pytest.fixture
def past_session(person):
    session = TrainingSessionFactory(code="LABO-1", time_zone="Indian/Mayotte")
    enrolment = EnrolmentFactory(session=session, participant=person)
    morning = make_slot(session, dt.date(2026, 2, 2), dt.time(8, 0), dt.time(12, 0))
    afternoon = make_slot(session, dt.date(2026, 2, 2), dt.time(13, 0), dt.time(16, 0))
    attend(enrolment, morning, "present")
    attend(enrolment, afternoon, "late", minutes=150)
    return enrolment


@pytest.fixture
def upcoming_session(person):
    session = TrainingSessionFactory(
        code="LABO-2", time_zone="Indian/Mayotte", place="CCAS de Dembeni", address="1 rue X"
    )
    make_slot(session, dt.date(2026, 4, 7), dt.time(8, 0), dt.time(12, 0), countersigned=False)
    return EnrolmentFactory(session=session, participant=person)


@time_machine.travel(NOW, tick=False)
def test_space_lists_upcoming_and_past_sessions_in_the_sessions_zone(
    client, person, past_session, upcoming_session
):
    page = sign_in(client, person).get(HOME).content.decode()

    upcoming = page.split("Mes prochaines sessions")[1].split("Mes sessions passées")[0]
    assert "LABO-2" in upcoming and "LABO-1" not in upcoming
    assert "mardi 7 avril 2026, 08:00–12:00" in upcoming
    assert "heure de Mayotte" in upcoming
    assert "CCAS de Dembeni, 1 rue X" in upcoming
    assert reverse("sessions:space_session_ics", args=[upcoming_session.session_id]) in upcoming
    past = page.split("Mes sessions passées")[1]
    assert "lundi 2 février 2026, 08:00–12:00 : <strong>Présent·e</strong>" in past
    assert "13:00–16:00 : <strong>Retard : arrivée 13:30, 30 min manquées</strong>" in past


@time_machine.travel(NOW, tick=False)
def test_realised_hours_are_those_of_the_emargement_selectors(client, person, past_session):
    assert realised_minutes(enrolment=past_session) == 240 + 150
    page = sign_in(client, person).get(HOME).content.decode()

    title = past_session.session.formation.title
    assert f"<strong>{title}</strong> : 6 h 30 réalisées sur 7 h prévues" in page


def test_documents_section_says_none_yet_and_takes_panels(client, person):
    page = sign_in(client, person).get(HOME).content.decode()
    assert "Aucun document pour l'instant." in page

    def documents(request, participant):
        return (
            "formations/space/_documents.html",
            {"documents": [{"title": f"Certificat de {participant.first_name}", "url": "/x/"}]},
        )

    panels.SPACE_DOCUMENT_PANELS.append(documents)
    try:
        response = sign_in(client, person).get(HOME)
    finally:
        panels.SPACE_DOCUMENT_PANELS.remove(documents)
    page = response.content.decode()
    assert "Aucun document pour l'instant." not in page
    assert '<a href="/x/">Certificat de Aïcha</a>' in page


def test_own_convocation_downloads_as_ics(client, person, upcoming_session):
    response = sign_in(client, person).get(
        reverse("sessions:space_session_ics", args=[upcoming_session.session_id])
    )

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(response.content)
    event = next(iter(calendar.walk("VEVENT")))
    assert event.decoded("dtstart") == timezone.make_aware(
        dt.datetime(2026, 4, 7, 8, 0), upcoming_session.session.tzinfo
    )
    assert str(event["attendee"]) == f"mailto:{person.email}"


def test_another_participants_session_is_not_found(client, person, upcoming_session):
    other = EnrolmentFactory()
    make_slot(other.session, dt.date(2026, 4, 7), dt.time(9, 0), dt.time(12, 0))

    response = sign_in(client, person).get(
        reverse("sessions:space_session_ics", args=[other.session_id])
    )

    assert response.status_code == 404
    page = client.get(HOME).content.decode()
    assert other.session.code not in page and other.participant.last_name not in page


def test_the_convocation_needs_a_signed_in_participant(client, coordinator, upcoming_session):
    url = reverse("sessions:space_session_ics", args=[upcoming_session.session_id])
    assert client.get(url).url == reverse("space:sign_in")
    client.force_login(coordinator)
    assert client.get(url).url == reverse("space:sign_in")


@pytest.mark.parametrize("count", [1, 6])
@time_machine.travel(NOW, tick=False)
def test_space_page_queries_do_not_grow_with_sessions(
    client, person, count, django_assert_max_num_queries
):
    for index in range(count):
        session = TrainingSessionFactory()
        enrolment = EnrolmentFactory(session=session, participant=person)
        day = dt.date(2026, 2, 2) + dt.timedelta(days=7 * index)
        for start, end in ((dt.time(9), dt.time(12)), (dt.time(13), dt.time(17))):
            attend(enrolment, make_slot(session, day, start, end), "present")
    sign_in(client, person)

    with django_assert_max_num_queries(10):
        response = client.get(HOME)
    assert response.content.decode().count("Présent·e") == 2 * count
