import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from formations import outbox
from formations.jobs import job_advance, job_create, job_finish
from formations.models import OutboxMessage
from sessions.services.enrolment import send_convocations
from tests.factories import EnrolmentFactory, SlotFactory, UserFactory

LIST_URL = reverse("formations:outbox")
Status = OutboxMessage.Status


def _message(**fields):
    values = {"purpose": "convocation", "recipient": "awa@example.org", "body": "Bonjour"}
    values.update(fields)
    return OutboxMessage.objects.create(**values)


def test_demo_convocation_is_read_on_the_outbox_page_with_its_calendar(
    coordinator_client, coordinator, settings, committed
):
    settings.SUIVI_DEMO_MAILBOX = True
    settings.MAILERS = {"default": {"BACKEND": "formations.mail.DemoMailboxBackend"}}
    session = SlotFactory().session
    enrolment = EnrolmentFactory(session=session, participant__email="awa@example.org")

    committed(send_convocations, session=session, actor=coordinator)

    message = OutboxMessage.objects.get()
    assert message.status == Status.SENT
    listing = coordinator_client.get(LIST_URL).content.decode()
    assert "awa@example.org" in listing and "Envoyé" in listing
    page = coordinator_client.get(reverse("formations:outbox_message", args=[message.pk]))
    html = page.content.decode()
    assert enrolment.participant.first_name in html
    ics = coordinator_client.get(reverse("formations:outbox_attachment", args=[message.pk, 0]))
    assert ics["Content-Type"] == "text/calendar; method=REQUEST; charset=utf-8"
    assert ics.content.startswith(b"BEGIN:VCALENDAR")
    enrolments_page = coordinator_client.get(
        reverse("sessions:session_enrolments", args=[session.pk])
    ).content.decode()
    assert "émise le" in enrolments_page and "Envoyé" in enrolments_page


def test_outbox_filters_by_channel_status_and_purpose(coordinator_client):
    email = _message(subject="Convocation LABO-1")
    sms = _message(channel="sms", recipient="+33639000001", purpose="remote_link")
    failed = _message(subject="Lien", status=Status.FAILED, last_error="421 indisponible")

    def shown(**params):
        response = coordinator_client.get(LIST_URL, params)
        return [m.pk for m in response.context["outbox_messages"]]

    assert shown() == [failed.pk, sms.pk, email.pk]
    assert shown(channel="sms") == [sms.pk]
    assert shown(status="failed") == [failed.pk]
    assert shown(purpose="convocation") == [failed.pk, email.pk]
    assert shown(q="labo-1") == [email.pk]
    assert "421 indisponible" in coordinator_client.get(LIST_URL).content.decode()


def test_outbox_list_query_count_does_not_grow(coordinator_client, django_assert_max_num_queries):
    requester = UserFactory()

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert coordinator_client.get(LIST_URL).status_code == 200
        return len(ctx)

    for _ in range(3):
        _message(requested_by=requester)
    with django_assert_max_num_queries(8):
        small = count()
    for _ in range(60):
        _message(requested_by=requester)
    assert count() == small


def test_failed_message_page_offers_a_retry(coordinator_client, settings, committed):
    message = _message(status=Status.FAILED, last_error="SMTPServerDisconnected : 421")
    url = reverse("formations:outbox_message", args=[message.pk])
    assert "Relancer l'envoi" in coordinator_client.get(url).content.decode()

    response = committed(
        coordinator_client.post,
        reverse("formations:outbox_retry", args=[message.pk]),
        follow=True,
    )

    message.refresh_from_db()
    assert message.status == Status.SENT
    assert "Le message est remis en file d'envoi." in [str(m) for m in response.context["messages"]]
    again = coordinator_client.post(reverse("formations:outbox_retry", args=[message.pk]))
    assert again.status_code == 302  # refused with a message, not an error page


# --------------------------------------------------------------------------- job progress


def test_job_progress_answers_its_creator_and_coordinators_only(client, trainer, coordinator):
    job = job_create(kind="test", label="Envoi des liens", total=4, actor=trainer)
    job_advance(job_id=job.pk)
    job_advance(job_id=job.pk, failed=1)
    url = reverse("formations:job_progress", args=[job.pk])

    client.force_login(trainer)
    state = client.get(url).json()
    client.force_login(UserFactory(role=trainer.role))
    other = client.get(url)
    client.force_login(coordinator)

    assert state["done"] == 2 and state["total"] == 4 and state["percent"] == 50
    assert not state["finished"]
    assert state["summary"] == ("En cours : 2 sur 4. 1 n'est pas parti : voyez la page Envois.")
    assert other.status_code == 404
    assert client.get(url).status_code == 200


def test_job_progress_finishes_and_says_when_it_stalled(client, coordinator):
    client.force_login(coordinator)
    with time_machine.travel(dt.datetime(2025, 3, 10, 9, tzinfo=dt.UTC), tick=False) as clock:
        done = job_create(kind="test", label="A", total=2, actor=coordinator)
        job_advance(job_id=done.pk, done=2)
        job_finish(job_id=done.pk)
        stalled = job_create(kind="test", label="B", total=3, actor=coordinator)
        job_advance(job_id=stalled.pk)
        clock.shift(dt.timedelta(minutes=16))
        finished_state = client.get(reverse("formations:job_progress", args=[done.pk])).json()
        stalled_state = client.get(reverse("formations:job_progress", args=[stalled.pk])).json()

    assert finished_state["finished"] and finished_state["summary"] == (
        "Terminé : 2 sur 2 traités."
    )
    assert stalled_state["finished"] and stalled_state["stale"]
    assert stalled_state["summary"].startswith("Interrompu après 1 sur 3")


def test_enrolment_page_shows_the_sending_job_it_was_sent_back_with(
    coordinator_client, coordinator
):
    session = SlotFactory().session
    EnrolmentFactory.create_batch(2, session=session)

    response = coordinator_client.post(
        reverse("sessions:session_convocations", args=[session.pk]), {"scope": "all"}
    )

    assert "?envoi=" in response.url
    html = coordinator_client.get(response.url).content.decode()
    job = outbox.OutboxMessage.objects.first().job
    assert f'data-job-progress="{reverse("formations:job_progress", args=[job.pk])}"' in html
    assert "js/job-progress" in html
    assert "En cours : 0 sur 2." in html


@pytest.mark.parametrize("value", ["pas-un-uuid", "00000000-0000-0000-0000-000000000000"])
def test_enrolment_page_ignores_an_unknown_job(coordinator_client, value):
    session = SlotFactory().session

    response = coordinator_client.get(
        reverse("sessions:session_enrolments", args=[session.pk]), {"envoi": value}
    )

    assert response.status_code == 200 and response.context["job"] is None


def test_outbox_list_forgives_old_links(coordinator_client):
    url = reverse("formations:outbox")

    past_the_end = coordinator_client.get(url + "?page=99")
    not_a_number = coordinator_client.get(url + "?page=abc")
    unknown_status = coordinator_client.get(url + "?status=bogus")
    nothing_matches = coordinator_client.get(url + "?q=personne-de-ce-nom")

    assert past_the_end.status_code == not_a_number.status_code == 200
    assert unknown_status.status_code == 200
    assert "Sélectionnez un choix valide" in unknown_status.content.decode()
    assert "Aucun message ne correspond à ces filtres." in nothing_matches.content.decode()
    assert '<option value="" selected>Tous</option>' in coordinator_client.get(url).content.decode()
