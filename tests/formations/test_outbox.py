import datetime as dt
import smtplib
import threading
from unittest import mock

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.db import connection, transaction
from django.tasks import default_task_backend
from django.utils import timezone

from formations import outbox, sms
from formations.jobs import job_create
from formations.models import (
    AuditEntry,
    BackgroundJob,
    OutboxMessage,
    PeriodicRun,
    SmsEvent,
    User,
)
from tests.factories import ParticipantFactory, UserFactory

NOW = dt.datetime(2025, 3, 10, 9, 0, 30, tzinfo=dt.UTC)
Status = OutboxMessage.Status


class FailingBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected("421 service indisponible")


class KilledWorker(BaseException):
    """Stands for the worker's process being killed (not an Exception: nothing catches it)."""


def _message(**fields):
    values = {
        "purpose": "convocation",
        "recipient": "awa.diallo@example.org",
        "subject": "Convocation",
        "body": "Bonjour",
        "deliver": False,
    }
    values.update(fields)
    return outbox.outbox_enqueue(**values)


def _deliver(message):
    return outbox.deliver_pending(message_ids=[message.pk])[message.pk]


@pytest.fixture
def dummy_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    default_task_backend.clear()
    yield default_task_backend
    default_task_backend.clear()


def _enqueued_ids(backend) -> list[int]:
    return [i for result in backend.results for i in result.args[0]]


def _run_enqueued(backend):
    for result in list(backend.results):
        result.task.call(*result.args, **result.kwargs)
    backend.clear()


# --------------------------------------------------------------------------- after commit


@pytest.mark.django_db(transaction=True)
def test_message_of_a_rolled_back_transaction_is_never_sent():
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox.outbox_enqueue(purpose="convocation", recipient="a@example.org", body="Bonjour")
        raise RuntimeError("the act failed")

    assert not OutboxMessage.objects.exists()
    assert mail.outbox == []

    with transaction.atomic():
        message = outbox.outbox_enqueue(
            purpose="convocation", recipient="a@example.org", body="Bonjour"
        )
        assert mail.outbox == []  # not before the commit
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert [m.to for m in mail.outbox] == [["a@example.org"]]


def test_email_carries_its_idempotency_key_and_attachment(db, committed):
    message = committed(
        _message,
        deliver=True,
        attachments=[("convocation.ics", "BEGIN:VCALENDAR", "text/calendar")],
    )

    (email,) = mail.outbox
    message.refresh_from_db()
    assert email.extra_headers["X-Idempotency-Key"] == str(message.uuid)
    assert email.extra_headers["Message-ID"] == f"<{message.uuid}@localhost>"
    assert message.provider_message_id == email.extra_headers["Message-ID"]
    assert email.attachments[0].filename == "convocation.ics"
    assert email.attachments[0].content == "BEGIN:VCALENDAR"  # text, as Django gives it
    assert (message.attempts, message.handovers, message.status) == (1, 1, Status.SENT)


# --------------------------------------------------------------------------- retries


def test_failing_delivery_is_retried_then_marked_failed_with_the_error(db, settings):
    settings.SUIVI_OUTBOX_MAX_ATTEMPTS = 3
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.FailingBackend"}}
    with time_machine.travel(NOW, tick=False) as clock:
        message = _message()

        assert _deliver(message) == Status.PENDING
        message.refresh_from_db()
        assert message.next_attempt_at == NOW + dt.timedelta(minutes=1)
        assert _deliver(message) is None  # not due yet

        clock.shift(dt.timedelta(minutes=1))
        assert _deliver(message) == Status.PENDING
        message.refresh_from_db()
        assert message.next_attempt_at == NOW + dt.timedelta(minutes=6)

        clock.shift(dt.timedelta(minutes=5))
        assert _deliver(message) == Status.FAILED
        clock.shift(dt.timedelta(hours=5))
        assert _deliver(message) is None

    message.refresh_from_db()
    assert (message.status, message.attempts, message.handovers) == (Status.FAILED, 3, 0)
    assert message.last_error == "SMTPServerDisconnected : 421 service indisponible"
    assert message.claimed_by == "" and message.claimed_until is None
    assert mail.outbox == []


def test_coordinator_retries_a_failed_message(db, settings, coordinator, committed):
    settings.SUIVI_OUTBOX_MAX_ATTEMPTS = 1
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.FailingBackend"}}
    message = _message()
    assert _deliver(message) == Status.FAILED

    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    committed(outbox.outbox_retry, message=message, actor=coordinator)

    message.refresh_from_db()
    assert message.status == Status.SENT
    assert len(mail.outbox) == 1
    entry = AuditEntry.objects.get(action="outbox.retried")
    assert entry.actor == coordinator and entry.data["previous_status"] == "failed"


def test_only_failed_messages_are_retried_and_only_by_coordinators(db, coordinator, trainer):
    message = _message()

    with pytest.raises(outbox.OutboxError) as pending:
        outbox.outbox_retry(message=message, actor=coordinator)
    OutboxMessage.objects.filter(pk=message.pk).update(status=Status.FAILED)
    with pytest.raises(outbox.OutboxError) as forbidden:
        outbox.outbox_retry(message=message, actor=trainer)

    assert pending.value.code == "not_retryable"
    assert forbidden.value.code == "forbidden"


# --------------------------------------------------------------------------- claims


def test_a_claimed_message_is_not_taken_by_a_second_worker(db):
    message = _message()

    first = outbox.claim_message(worker="A", message_ids=[message.pk])
    second = outbox.claim_message(worker="B", message_ids=[message.pk])

    assert first.pk == message.pk and first.claimed_by == "A"
    assert second is None
    assert outbox.deliver_pending(message_ids=[message.pk], worker="B") == {message.pk: None}
    assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_never_take_the_same_message():
    messages = [_message(recipient=f"p{i}@example.org") for i in range(30)]
    claimed: dict[str, list[int]] = {}
    start = threading.Barrier(3)

    def work(name):
        taken = claimed.setdefault(name, [])
        start.wait()
        try:
            while (message := outbox.claim_message(worker=name)) is not None:
                taken.append(message.pk)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    every = [pk for taken in claimed.values() for pk in taken]
    assert sorted(every) == sorted(m.pk for m in messages)  # each once, none twice
    assert OutboxMessage.objects.filter(attempts=1).count() == 30


def test_claim_past_its_lease_is_taken_back_by_run_periodic(db, settings, dummy_tasks):
    settings.SUIVI_OUTBOX_LEASE_SECONDS = 600
    with time_machine.travel(NOW, tick=False) as clock:
        message = _message()
        assert outbox.claim_message(worker="dead", message_ids=[message.pk])

        clock.shift(dt.timedelta(minutes=9))
        call_command("run_periodic", verbosity=0)
        assert dummy_tasks.results == []  # the lease still holds

        clock.shift(dt.timedelta(minutes=2))
        call_command("run_periodic", verbosity=0)
        assert _enqueued_ids(dummy_tasks) == [message.pk]
        message.refresh_from_db()
        assert message.claimed_by == "" and "Reprise" in message.last_error

        _run_enqueued(dummy_tasks)

    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.SENT, 2)
    assert len(mail.outbox) == 1


def test_a_worker_past_its_lease_neither_sends_nor_overwrites_the_new_owner(db):
    with time_machine.travel(NOW, tick=False) as clock:
        message = _message()
        stale = outbox.claim_message(worker="A", message_ids=[message.pk])
        clock.shift(outbox.lease() + dt.timedelta(seconds=1))
        fresh = outbox.claim_message(worker="B", message_ids=[message.pk])
        assert fresh is not None

        assert outbox.deliver_message(stale, worker="A") is None
        assert outbox.deliver_message(fresh, worker="B") == Status.SENT

    message.refresh_from_db()
    assert len(mail.outbox) == 1
    assert (message.status, message.handovers, message.claimed_by) == (Status.SENT, 1, "")


def test_a_stale_worker_failing_late_does_not_reopen_a_sent_message(db, settings):
    with time_machine.travel(NOW, tick=False) as clock:
        message = _message()
        stale = outbox.claim_message(worker="A", message_ids=[message.pk])
        clock.shift(outbox.lease() + dt.timedelta(seconds=1))
        fresh = outbox.claim_message(worker="B", message_ids=[message.pk])
        assert outbox.deliver_message(fresh, worker="B") == Status.SENT

        outbox._record_failure(stale, RuntimeError("délai dépassé"), worker="A")

    message.refresh_from_db()
    assert (message.status, message.last_error) == (Status.SENT, "")


def test_queue_unreachable_after_the_act_loses_nothing(db, dummy_tasks, committed):
    def act():
        return _message(deliver=True)

    with mock.patch.object(outbox, "enqueue_delivery", side_effect=OSError("file d'attente")):
        message = committed(act)  # the act itself succeeds

    assert OutboxMessage.objects.get(pk=message.pk).status == Status.PENDING
    with time_machine.travel(timezone.now() + outbox.lease() + dt.timedelta(minutes=1)):
        call_command("run_periodic", verbosity=0)
    assert _enqueued_ids(dummy_tasks) == [message.pk]


# --------------------------------------------------------------------------- killed worker


def _killed_after_handover(message):
    with (
        mock.patch.object(outbox, "_record_sent", side_effect=KilledWorker),
        pytest.raises(KilledWorker),
    ):
        _deliver(message)


def test_worker_killed_between_sending_and_recording_sends_again_once(db, dummy_tasks):
    with time_machine.travel(NOW, tick=False) as clock:
        message = _message()
        _killed_after_handover(message)
        message.refresh_from_db()
        assert (message.status, message.handovers, len(mail.outbox)) == (Status.PENDING, 1, 1)

        clock.shift(outbox.lease() + dt.timedelta(minutes=1))
        call_command("run_periodic", verbosity=0)
        _run_enqueued(dummy_tasks)

    message.refresh_from_db()
    assert message.status == Status.SENT
    assert message.handovers == 2
    first, repeat = mail.outbox
    assert first.extra_headers == repeat.extra_headers
    assert repeat.extra_headers["X-Idempotency-Key"] == str(message.uuid)


def test_worker_killed_twice_does_not_send_a_third_time(db, dummy_tasks):
    with time_machine.travel(NOW, tick=False) as clock:
        message = _message()
        _killed_after_handover(message)
        clock.shift(outbox.lease() + dt.timedelta(minutes=1))
        outbox.release_expired_claims()
        _killed_after_handover(message)
        clock.shift(outbox.lease() + dt.timedelta(minutes=1))
        call_command("run_periodic", verbosity=0)
        _run_enqueued(dummy_tasks)

    message.refresh_from_db()
    assert len(mail.outbox) == 2
    assert message.status == Status.FAILED
    assert "Remis 2 fois au fournisseur" in message.last_error


# --------------------------------------------------------------------------- run_periodic


def test_run_periodic_twice_in_the_same_minute_enqueues_once(db, dummy_tasks):
    with time_machine.travel(NOW, tick=False) as clock:
        message = _message()  # written, its task lost (never enqueued)

        call_command("run_periodic", verbosity=0)
        clock.shift(dt.timedelta(seconds=20))
        call_command("run_periodic", verbosity=0)

        assert _enqueued_ids(dummy_tasks) == [message.pk]
        assert PeriodicRun.objects.filter(name="outbox.deliver_due").count() == 1

        # Next minute: the job runs again, but the message's task is still waiting.
        clock.shift(dt.timedelta(minutes=1))
        call_command("run_periodic", verbosity=0)
        assert _enqueued_ids(dummy_tasks) == [message.pk]
        assert PeriodicRun.objects.filter(name="outbox.deliver_due").count() == 2


def test_run_periodic_reports_what_it_did(db, dummy_tasks, capsys):
    with time_machine.travel(NOW, tick=False):
        _message()
        call_command("run_periodic")
        call_command("run_periodic")

    lines = capsys.readouterr().out.splitlines()
    assert "outbox.deliver_due : fait (released=0, enqueued=1)" in lines
    assert "outbox.deliver_due : déjà passé dans ce créneau" in lines


def test_retry_becomes_due_and_is_enqueued_by_run_periodic(db, settings, dummy_tasks):
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.FailingBackend"}}
    with time_machine.travel(NOW, tick=False) as clock:
        message = _message()
        _deliver(message)
        call_command("run_periodic", verbosity=0)
        assert dummy_tasks.results == []  # the retry waits a minute

        clock.shift(dt.timedelta(minutes=1))
        call_command("run_periodic", verbosity=0)

    assert _enqueued_ids(dummy_tasks) == [message.pk]


# --------------------------------------------------------------------------- abandoned


def test_message_not_sent_in_time_is_abandoned(db):
    with time_machine.travel(NOW, tick=False) as clock:
        message = _message(expires_at=NOW + dt.timedelta(minutes=5))
        clock.shift(dt.timedelta(minutes=5))
        assert _deliver(message) == Status.ABANDONED

    message.refresh_from_db()
    assert "Pas envoyé à temps" in message.refused_reason
    assert mail.outbox == []


def test_message_refused_when_written_is_never_delivered(db, dummy_tasks, monkeypatch):
    monkeypatch.setitem(
        outbox.PURPOSES,
        "news",
        outbox.MessagePurpose("Actualités", contact_purpose="news_campaigns"),
    )
    person = ParticipantFactory(phone="+262639000001")
    message = _message(
        channel=OutboxMessage.Channel.SMS,
        purpose="news",
        recipient=person.phone,
        participant=person,
        deliver=True,
    )

    call_command("run_periodic", verbosity=0)

    assert (message.status, message.legal_basis) == (Status.ABANDONED, "consent")
    assert message.refused_reason == "Refusé : pas de consentement pour ce canal."
    assert dummy_tasks.results == []


def test_service_message_without_an_address_is_refused_with_the_reason(db):
    message = _message(recipient="  ")

    assert message.status == Status.ABANDONED
    assert message.refused_reason == "Refusé : aucune adresse pour ce canal."


def test_delivery_check_refuses_a_message_before_handover(db, monkeypatch):
    monkeypatch.setattr(
        outbox, "DELIVERY_CHECKS", [lambda m: "Consentement retiré le 3 mars 2025."]
    )
    message = _message()

    assert _deliver(message) == Status.ABANDONED

    message.refresh_from_db()
    assert message.refused_reason == "Consentement retiré le 3 mars 2025."
    assert message.handovers == 0 and mail.outbox == []


# --------------------------------------------------------------------------- SMS


def test_sms_goes_to_the_backend_with_its_idempotency_key(db):
    message = _message(channel=OutboxMessage.Channel.SMS, recipient="+262692000001", subject="")

    assert _deliver(message) == Status.SENT

    message.refresh_from_db()
    [sent] = sms.outbox
    assert sent.to == "+262692000001" and sent.body == "Bonjour"
    assert sent.idempotency_key == str(message.uuid) and not sent.marketing
    assert message.provider_message_id.startswith("locmem-")
    assert outbox.outbox_mark_delivered(provider_message_id=message.provider_message_id) == 1
    message.refresh_from_db()
    assert message.status == Status.DELIVERED and message.delivered_at


def test_sms_without_a_configured_backend_fails_at_once_with_that_reason(db, settings):
    settings.SMS_BACKEND = "formations.sms.base.DisabledSmsBackend"
    message = _message(channel=OutboxMessage.Channel.SMS, recipient="+262639000001")

    assert _deliver(message) == Status.FAILED

    message.refresh_from_db()
    assert "SUIVI_SMS_BACKEND" in message.last_error and message.attempts == 1
    assert sms.outbox == []


def test_sms_to_a_landline_is_refused_when_written(db):
    message = _message(channel=OutboxMessage.Channel.SMS, recipient="+33140000000")

    assert message.status == Status.ABANDONED
    assert "ligne fixe" in message.refused_reason


# --------------------------------------------------------------------------- reading


def test_latest_messages_about_gives_the_newest_per_object(db, coordinator):
    other = UserFactory(role=User.Role.TRAINER)
    _message(about=coordinator, purpose="password_link")
    newest = _message(about=coordinator, purpose="password_link")
    _message(about=other, purpose="convocation")

    latest = outbox.latest_messages_about(objects=[coordinator, other], purpose="password_link")

    assert latest == {coordinator.pk: newest}


# --------------------------------------------------------------------------- job progress


def test_a_job_spread_over_several_tasks_finishes_with_its_last_message(db, dummy_tasks, committed):
    job = job_create(kind="test", label="Convocations", total=250)

    def act():
        messages = [_message(recipient=f"p{i}@example.org", job=job) for i in range(250)]
        outbox.outbox_deliver_after_commit(messages, job=job)

    committed(act)
    first, second, third = list(dummy_tasks.results)  # 100 + 100 + 50 messages

    for result in (first, third):
        result.task.call(*result.args, **result.kwargs)
    job.refresh_from_db()
    assert (job.done, job.status) == (150, BackgroundJob.Status.RUNNING)

    second.task.call(*second.args, **second.kwargs)
    job.refresh_from_db()
    assert (job.done, job.failed, job.status) == (250, 0, BackgroundJob.Status.FINISHED)


def test_a_message_waiting_for_a_retry_is_not_counted_as_lost(db, settings, dummy_tasks, committed):
    settings.MAILERS = {"default": {"BACKEND": "tests.formations.test_outbox.FailingBackend"}}
    job = job_create(kind="test", label="Liens", total=1)
    message = committed(lambda: _message(job=job))
    committed(outbox.outbox_deliver_after_commit, [message], job=job)
    _run_enqueued(dummy_tasks)

    job.refresh_from_db()
    message.refresh_from_db()
    assert message.status == Status.PENDING and message.next_attempt_at
    assert (job.done, job.failed, job.status) == (1, 0, BackgroundJob.Status.FINISHED)


def test_refused_messages_count_as_failed_and_finish_the_job(db, dummy_tasks, committed):
    job = job_create(kind="test", label="Liens", total=2)

    def act():
        sent = _message(job=job)
        refused = _message(recipient="", job=job)
        outbox.outbox_deliver_after_commit([sent, refused], job=job)

    committed(act)
    _run_enqueued(dummy_tasks)

    job.refresh_from_db()
    assert (job.done, job.failed, job.status) == (2, 1, BackgroundJob.Status.FINISHED)


def test_a_delivery_receipt_arriving_before_the_worker_records_it_is_applied(db):
    message = _message(channel=OutboxMessage.Channel.SMS, recipient="+262692000001")
    receipt_first = SmsEvent.objects.create(
        provider="locmem",
        status=SmsEvent.Status.DELIVERED,
        message_id="locmem-early",
        dedupe_key="early",
        occurred_at=NOW,
        payload={},
    )

    with mock.patch.object(sms, "send_sms", return_value=receipt_first.message_id):
        assert _deliver(message) == Status.SENT

    message.refresh_from_db()
    assert (message.status, message.delivered_at) == (Status.DELIVERED, NOW)
