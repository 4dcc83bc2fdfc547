"""Reminders of intersession tasks (projects.reminders_tasks, `run_periodic`, the command)."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from formations.models import OutboxMessage, User
from formations.periodic import PERIODIC_JOBS, run_periodic
from projects.models import IntersessionTask, ProjectFiche, TeamMember
from projects.reminders_tasks import remind_tasks
from projects.services_tasks import task_create, task_mark_done
from tests.factories import ParticipantFactory, UserFactory

Kind = IntersessionTask.Kind


def _set(world, due_in, structures=None, title="Diagnostic territorial"):
    return task_create(
        actor=world.coordinator,
        programme=world.programme,
        structures=structures or [world.ccas, world.other, world.third],
        kind=Kind.DOCUMENT,
        title=title,
        instructions="Remplir la trame.",
        due_on=world.today + dt.timedelta(days=due_in),
    )


def _messages():
    return OutboxMessage.objects.filter(purpose="projects_task_reminder")


@pytest.mark.django_db
def test_the_reminder_goes_once_n_days_before_and_not_for_a_done_task(task_world, settings):
    settings.SUIVI_TASK_REMINDER_DAYS = 3
    UserFactory(
        role=User.Role.STRUCTURE_REFERENT, structure=task_world.ccas, email="second@ccas.yt"
    )
    tasks = _set(task_world, due_in=5)
    task_mark_done(
        actor=task_world.other_referent,
        task=next(t for t in tasks if t.structure == task_world.other),
    )
    today = task_world.today

    assert remind_tasks(today=today).reminded == 0  # five days before: too early
    assert not _messages().exists()

    report = remind_tasks(today=today + dt.timedelta(days=2))  # three days before
    assert report.reminded == 1
    assert report.no_recipient == 1  # CCAS de Sada has no referent account
    recipients = set(_messages().values_list("recipient", flat=True))
    assert recipients == {task_world.referent.email, "second@ccas.yt"}
    message = _messages().first()
    assert message.legal_basis == OutboxMessage.LegalBasis.SERVICE
    assert message.about_type == "projects.intersessiontask"
    assert "Diagnostic territorial" in message.subject
    assert "dans 3 jours" in message.body and "Remplir la trame." in message.body
    assert IntersessionTask.objects.get(structure=task_world.ccas).reminded_at is not None

    # The next days: nothing more for the same task.
    assert remind_tasks(today=today + dt.timedelta(days=3)).reminded == 0
    assert remind_tasks(today=today + dt.timedelta(days=5)).reminded == 0
    assert _messages().count() == 2
    other_tasks = IntersessionTask.objects.filter(structure=task_world.other)
    assert not _messages().filter(about_id__in=[str(t.pk) for t in other_tasks]).exists()


@pytest.mark.django_db
def test_without_a_referent_account_the_project_teams_agents_are_reminded(task_world):
    """The same recipients as the follow-up's reminder (`reminder_recipients`)."""
    fiche = ProjectFiche.objects.create(programme=task_world.programme, structure=task_world.third)
    agent = ParticipantFactory(structure=task_world.third, email="agent@ccas-sada.yt")
    TeamMember.objects.create(
        fiche=fiche, kind="agent", participant=agent, full_name=agent.full_name, is_referent=True
    )
    _set(task_world, due_in=2, structures=[task_world.third])
    report = remind_tasks(today=task_world.today)
    assert (report.reminded, report.no_recipient) == (1, 0)
    message = _messages().get()
    assert (message.recipient, message.recipient_name) == ("agent@ccas-sada.yt", agent.full_name)


@pytest.mark.django_db
def test_a_past_due_task_is_not_reminded(task_world):
    _set(task_world, due_in=1, structures=[task_world.ccas])
    assert remind_tasks(today=task_world.today + dt.timedelta(days=2)).reminded == 0


@pytest.mark.django_db
def test_run_periodic_runs_the_daily_job(task_world):
    _set(task_world, due_in=2, structures=[task_world.ccas])
    job = next(job for job in PERIODIC_JOBS if job.name == "projects.remind_tasks")
    assert job.every == dt.timedelta(days=1)

    outcomes = run_periodic(jobs=[job])
    again = run_periodic(jobs=[job])

    assert outcomes[0].ran and outcomes[0].result["reminded"] == 1
    assert not again[0].ran
    assert _messages().count() == 1


@pytest.mark.django_db
def test_the_command_dry_run_writes_nothing(task_world):
    _set(task_world, due_in=1)
    out = io.StringIO()

    call_command("remind_intersession_tasks", "--dry-run", stdout=out)

    text = out.getvalue()
    assert "Simulation" in text
    assert "CCAS de Mamoudzou" in text and "personne à qui envoyer le rappel" in text
    assert not _messages().exists()
    assert not IntersessionTask.objects.filter(reminded_at__isnull=False).exists()

    call_command("remind_intersession_tasks", stdout=out)
    assert _messages().count() == 2


@pytest.mark.django_db
def test_reminder_query_count_does_not_grow_with_tasks(task_world, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_for(count, day):
        for index in range(count):
            _set(task_world, due_in=day, structures=[task_world.ccas], title=f"T{day}-{index}")
        with CaptureQueriesContext(connection) as captured:
            report = remind_tasks(today=task_world.today + dt.timedelta(days=day - 1))
        assert report.reminded == count
        return len(captured)

    one, two, five = queries_for(1, 10), queries_for(2, 20), queries_for(5, 30)
    # Per task: its claim, its message and its journal entry; the reads are shared.
    assert five - two == 3 * (two - one)


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_send_once():
    import threading

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("real concurrency needs PostgreSQL (DATABASE_URL)")
    from tests.projects.conftest import make_task_world

    world = make_task_world()
    _set(world, due_in=2)
    barrier = threading.Barrier(2)
    reports, failures = [], []

    def worker():
        try:
            barrier.wait(timeout=10)
            reports.append(remind_tasks(today=timezone.localdate()))
        except Exception as exc:  # surfaced below
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert failures == []
    assert sorted(report.reminded for report in reports) in ([0, 2], [1, 1])
    assert _messages().count() == 2  # one per structure with a referent, once
