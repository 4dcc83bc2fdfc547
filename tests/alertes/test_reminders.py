"""Reminders of administrative steps (alertes.reminders, the periodic job
`alertes.remind_steps`): once per date and channel, however often `run_periodic` runs,
in the structure's time zone, never after the step or the membership ended or the
request was withdrawn."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from alertes.models import StepReminder
from alertes.reminders import Due, _write, due_reminders, remind_due_steps
from formations.consent import consent_withdraw_channel, may_contact
from formations.models import ContactConsent, OutboxMessage
from formations.periodic import PERIODIC_JOBS, run_periodic
from tests.factories.members import (
    AdministrativeStepFactory,
    MembershipFactory,
    alertes_world,
    give_structure_consent,
)

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")


def _at(day: dt.date, hour: int = 9, zone=PARIS) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=zone)


def _step(world=None, *, sms=True, email=False, **values):
    world = world or alertes_world()
    membership = values.pop("membership", None) or MembershipFactory(
        structure=world.arbrisseau,
        participant__first_name="Anaïs",
    )
    channels = [c for c, on in (("sms", sms), ("email", email)) if on]
    if channels:
        give_structure_consent(membership, *channels, purpose="admin_reminders")
    values.setdefault("due_on", dt.date(2026, 12, 1))
    return AdministrativeStepFactory(
        membership=membership, remind_by_sms=sms, remind_by_email=email, **values
    )


def test_the_reminder_names_the_structure_the_step_and_its_date():
    step = _step(email=True, remind_days_before=3)

    counts = remind_due_steps(now=_at(dt.date(2026, 11, 28)))

    assert counts["written"] == 2
    sms = OutboxMessage.objects.get(channel="sms")
    assert sms.body == (
        "Bonjour Anaïs, rappel du Centre social l'Arbrisseau : "
        "actualisation France Travail le mardi 1er décembre. "
        "Pour ne plus recevoir ces rappels, prévenez l'équipe du Centre social l'Arbrisseau."
    )
    assert sms.purpose == "alertes_step_reminder" and sms.structure == step.membership.structure
    assert sms.recipient == step.membership.participant.phone
    assert sms.legal_basis == OutboxMessage.LegalBasis.SERVICE
    assert sms.status == OutboxMessage.Status.PENDING
    email = OutboxMessage.objects.get(channel="email")
    assert email.subject == "Rappel : actualisation France Travail le mardi 1er décembre"
    assert email.body.startswith(
        "Bonjour Anaïs, rappel du Centre social l'Arbrisseau : "
        "actualisation France Travail le mardi 1er décembre.\n\n-- \n"
    )
    assert "Pour ne plus recevoir ces rappels par e-mail : http" in email.body
    assert (email.about_type, email.about_id) == ("alertes.administrativestep", str(step.pk))
    assert set(step.reminders.values_list("channel", "occurrence")) == {
        ("sms", dt.date(2026, 12, 1)),
        ("email", dt.date(2026, 12, 1)),
    }


def test_a_one_off_step_is_reminded_once_within_its_notice_and_not_after():
    _step(remind_days_before=3)

    assert remind_due_steps(now=_at(dt.date(2026, 11, 27)))["written"] == 0  # 4 days before
    for day in (28, 29, 30):
        remind_due_steps(now=_at(dt.date(2026, 11, day)))
    remind_due_steps(now=_at(dt.date(2026, 12, 1)))
    remind_due_steps(now=_at(dt.date(2026, 12, 2)))

    assert StepReminder.objects.count() == 1
    assert OutboxMessage.objects.count() == 1


def test_a_step_added_late_is_reminded_on_its_day_but_never_after_it():
    _step(remind_days_before=3, due_on=dt.date(2026, 12, 1))
    assert remind_due_steps(now=_at(dt.date(2026, 12, 2)))["written"] == 0
    assert remind_due_steps(now=_at(dt.date(2026, 12, 1), hour=7))["written"] == 0  # night
    assert remind_due_steps(now=_at(dt.date(2026, 12, 1), hour=8))["written"] == 1


def test_a_reminder_is_due_from_nine_on_its_first_day_and_never_at_night():
    _step(remind_days_before=3)  # 1 December: first day of the notice 28 November
    assert remind_due_steps(now=_at(dt.date(2026, 11, 28), hour=0))["written"] == 0
    assert remind_due_steps(now=_at(dt.date(2026, 11, 28), hour=8))["written"] == 0
    assert remind_due_steps(now=_at(dt.date(2026, 11, 28), hour=9))["written"] == 1


def test_a_step_added_in_the_evening_is_reminded_the_next_morning():
    _step(remind_days_before=3, due_on=dt.date(2026, 12, 2))
    for hour in (20, 21, 23):
        assert remind_due_steps(now=_at(dt.date(2026, 11, 30), hour=hour))["written"] == 0
    for hour in (0, 3, 7):
        assert remind_due_steps(now=_at(dt.date(2026, 12, 1), hour=hour))["written"] == 0
    assert remind_due_steps(now=_at(dt.date(2026, 12, 1), hour=8))["written"] == 1


def test_a_monthly_reminder_is_sent_once_a_month_through_run_periodic():
    """Three months of `run_periodic` every three hours: one reminder a month, each the
    right number of days before the date (the 31st on the 30th of November)."""
    step = _step(due_on=dt.date(2026, 10, 31), recurrence="monthly", remind_days_before=2)
    jobs = [job for job in PERIODIC_JOBS if job.name == "alertes.remind_steps"]
    assert jobs and jobs[0].every == dt.timedelta(hours=1)
    moment = _at(dt.date(2026, 10, 25), hour=0)
    written_on = {}
    while moment < _at(dt.date(2027, 1, 31), hour=23):
        with time_machine.travel(moment, tick=False):
            run_periodic(now=moment, jobs=jobs)
            run_periodic(now=moment, jobs=jobs)  # a second cron in the same slot
        for reminder in step.reminders.exclude(occurrence__in=written_on):
            written_on[reminder.occurrence] = timezone.localtime(reminder.created_at, PARIS).date()
        moment += dt.timedelta(hours=3)

    assert written_on == {
        dt.date(2026, 10, 31): dt.date(2026, 10, 29),
        dt.date(2026, 11, 30): dt.date(2026, 11, 28),
        dt.date(2026, 12, 31): dt.date(2026, 12, 29),
        dt.date(2027, 1, 31): dt.date(2027, 1, 29),
    }
    assert OutboxMessage.objects.filter(purpose="alertes_step_reminder").count() == 4


def test_running_twice_at_once_writes_one_reminder():
    step = _step()
    now = _at(dt.date(2026, 11, 30))
    due = due_reminders(now)
    assert due == [Due(step, dt.date(2026, 12, 1), "sms")]
    assert _write(due[0]) is not None
    # A second run that read the same due list before the first one wrote.
    assert _write(due[0]) is None
    assert StepReminder.objects.count() == 1 and OutboxMessage.objects.count() == 1
    assert remind_due_steps(now=now) == {"written": 0, "refused": 0, "raced": 0}


@pytest.mark.parametrize("what", ["step", "membership"])
def test_nothing_is_sent_for_an_ended_step_or_membership(what):
    step = _step()
    if what == "step":
        step.ended_at = timezone.now()
        step.save()
    else:
        step.membership.ended_at = timezone.now()
        step.membership.save()
    assert remind_due_steps(now=_at(dt.date(2026, 11, 30)))["written"] == 0
    assert not StepReminder.objects.exists() and not OutboxMessage.objects.exists()


def test_a_withdrawn_request_is_refused_by_the_outbox_and_shown_as_such():
    step = _step(email=True)
    consent_withdraw_channel(
        participant=step.membership.participant,
        channel="sms",
        method=ContactConsent.Method.SMS_STOP,
        actor=None,
    )

    counts = remind_due_steps(now=_at(dt.date(2026, 11, 30)))

    assert counts == {"written": 1, "refused": 1, "raced": 0}
    sms = step.reminders.get(channel="sms").message
    assert sms.status == OutboxMessage.Status.ABANDONED and sms.refused_reason
    assert sms.queued_at is None
    email = step.reminders.get(channel="email").message
    assert email.status == OutboxMessage.Status.PENDING
    # Written once: the next runs do not try again.
    assert remind_due_steps(now=_at(dt.date(2026, 12, 1)))["refused"] == 0


def test_a_reminder_never_asked_for_is_not_sent():
    world = alertes_world()
    membership = MembershipFactory(structure=world.arbrisseau)
    # The structure's news accepted, but no reminder asked for.
    give_structure_consent(membership, "sms")
    AdministrativeStepFactory(membership=membership, due_on=dt.date(2026, 12, 1))
    counts = remind_due_steps(now=_at(dt.date(2026, 11, 30)))
    assert counts["refused"] == 1
    assert OutboxMessage.objects.get().status == OutboxMessage.Status.ABANDONED


def test_the_hours_are_the_structures_own():
    """At 23:30 UTC it is 00:30 in Lille and 02:30 in Mamoudzou (Mayotte, UTC+3): night
    in both, nothing is sent. At 06:30 UTC it is 09:30 in Mamoudzou and 07:30 in Lille:
    Mayotte's reminder goes, Lille's waits for 09:00 there (08:00 UTC)."""
    world = alertes_world()
    world.chemin_rouge.time_zone = "Indian/Mayotte"
    world.chemin_rouge.save()
    lille = _step(world, due_on=dt.date(2026, 12, 1), remind_days_before=3)
    mayotte_member = MembershipFactory(structure=world.chemin_rouge)
    mayotte = _step(
        world, membership=mayotte_member, due_on=dt.date(2026, 12, 1), remind_days_before=3
    )

    # The evening before the first day of the notice (27 November), and its night.
    remind_due_steps(now=dt.datetime(2026, 11, 27, 23, 30, tzinfo=dt.UTC))
    assert not StepReminder.objects.exists()
    remind_due_steps(now=dt.datetime(2026, 11, 28, 5, 30, tzinfo=dt.UTC))  # 08:30 Mayotte
    assert not StepReminder.objects.exists()
    remind_due_steps(now=dt.datetime(2026, 11, 28, 6, 30, tzinfo=dt.UTC))
    assert list(StepReminder.objects.values_list("step", flat=True)) == [mayotte.pk]
    remind_due_steps(now=dt.datetime(2026, 11, 28, 8, 0, tzinfo=dt.UTC))  # 09:00 in Lille
    assert set(StepReminder.objects.values_list("step", flat=True)) == {mayotte.pk, lille.pk}


def test_no_reminder_at_night_whatever_the_zone():
    """A step whose notice has long begun, added late: at 23:30 UTC (00:30 in Lille, 02:30
    in Mamoudzou) nothing goes; each goes from 08:00 local, Mayotte first."""
    world = alertes_world()
    world.chemin_rouge.time_zone = "Indian/Mayotte"
    world.chemin_rouge.save()
    lille = _step(world, due_on=dt.date(2026, 12, 3), remind_days_before=5)
    mayotte = _step(
        world,
        membership=MembershipFactory(structure=world.chemin_rouge),
        due_on=dt.date(2026, 12, 3),
        remind_days_before=5,
    )
    assert remind_due_steps(now=dt.datetime(2026, 11, 30, 23, 30, tzinfo=dt.UTC))["written"] == 0
    remind_due_steps(now=dt.datetime(2026, 12, 1, 5, 0, tzinfo=dt.UTC))  # 08:00 Mayotte
    assert list(StepReminder.objects.values_list("step", flat=True)) == [mayotte.pk]
    remind_due_steps(now=dt.datetime(2026, 12, 1, 7, 0, tzinfo=dt.UTC))  # 08:00 Lille
    assert set(StepReminder.objects.values_list("step", flat=True)) == {mayotte.pk, lille.pk}


def test_the_selection_does_not_grow_with_the_steps(django_assert_max_num_queries):
    world = alertes_world()
    now = _at(dt.date(2026, 11, 30))
    _step(world)
    remind_due_steps(now=now)
    with django_assert_max_num_queries(2):
        due_reminders(now)
    for _n in range(6):
        _step(world, recurrence="monthly", due_on=dt.date(2026, 1, 1))
        _step(world, recurrence="yearly", due_on=dt.date(2020, 12, 2))
        _step(world, due_on=dt.date(2027, 3, 1))  # too far
    remind_due_steps(now=now)
    assert StepReminder.objects.count() == 13
    with django_assert_max_num_queries(2):
        assert due_reminders(now) == []


def test_the_reminder_email_link_stops_the_email_reminders_only(client):
    step = _step(email=True)
    person, structure = step.membership.participant, step.membership.structure
    remind_due_steps(now=_at(dt.date(2026, 11, 30)))
    body = OutboxMessage.objects.get(channel="email").body
    path = "/" + body.split("par e-mail : ")[1].split()[0].split("://", 1)[1].split("/", 1)[1]

    page = client.get(path).content.decode()
    assert "rappels de vos démarches administratives" in page
    assert may_contact(person, "email", "admin_reminders", structure=structure).allowed

    done = client.post(path).content.decode()
    assert "ne vous enverra plus de rappels de vos démarches par e-mail" in done
    row = ContactConsent.objects.filter(participant=person, channel="email").latest("at", "pk")
    assert (row.action, row.purpose, row.method, row.structure, row.collected_by) == (
        "withdrawn",
        "admin_reminders",
        "web_link",
        structure,
        None,
    )
    assert may_contact(person, "sms", "admin_reminders", structure=structure).allowed
    # The next date's e-mail is written abandoned, the SMS still goes.
    step.due_on = dt.date(2026, 12, 15)
    step.save()
    counts = remind_due_steps(now=_at(dt.date(2026, 12, 14)))
    assert counts == {"written": 1, "refused": 1, "raced": 0}
