"""Reminders of intersession tasks, run daily by `run_periodic` (job
`projects.remind_tasks`) and by `manage.py remind_intersession_tasks`: the people a
follow-up reminder goes to (`selectors_followup.reminder_recipients`: the structure's
referent accounts with an e-mail address, else the agents of its project team with one)
receive, through the outbox, one reminder `SUIVI_TASK_REMINDER_DAYS` days (3 by
default) before the due date of each task still open. A task set with less time left is
reminded at the next run; a task done, or past its due date, is not.

Once per task: `reminded_at` is set in the transaction that writes the messages, on the
row locked first (`select_for_update(skip_locked=True)` where the database has it) and by
a conditional UPDATE (`reminded_at IS NULL`), so two runs at the same moment send once. A
structure nobody can be reminded at is not marked reminded (the programme's task list says
so); it is reminded once someone can be, if still in time.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from formations.audit import log_action
from formations.french import long_date
from formations.models import Structure
from formations.outbox import outbox_enqueue
from projects.models import IntersessionTask
from projects.selectors_followup import Recipient, reminder_recipients

PURPOSE = "projects_task_reminder"


def reminder_days() -> int:
    return int(getattr(settings, "SUIVI_TASK_REMINDER_DAYS", 3))


@dataclass
class ReminderReport:
    reminded: int = 0
    messages: int = 0
    no_recipient: int = 0
    lines: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "reminded": self.reminded,
            "messages": self.messages,
            "no_recipient": self.no_recipient,
        }


def due_for_reminder(*, today: dt.date):
    """Open tasks not reminded yet whose due date is within the next
    `SUIVI_TASK_REMINDER_DAYS` days (today included)."""
    return (
        IntersessionTask.objects.filter(
            done_at__isnull=True,
            reminded_at__isnull=True,
            due_on__gte=today,
            due_on__lte=today + dt.timedelta(days=reminder_days()),
        )
        .select_related("programme", "structure")
        .order_by("due_on", "pk")
    )


def recipients_by_task(tasks: list[IntersessionTask]) -> dict[int, list[Recipient]]:
    """Whom each task's reminder goes to: the same rule as the follow-up's reminders
    (`selectors_followup.reminder_recipients`: the structure's referent accounts with an
    e-mail address, else its project team's agents with one). Two queries per programme."""
    by_programme: dict[int, dict[int, Structure]] = {}
    programmes = {}
    for task in tasks:
        programmes[task.programme_id] = task.programme
        by_programme.setdefault(task.programme_id, {})[task.structure_id] = task.structure
    found: dict[tuple[int, int], list[Recipient]] = {}
    for programme_id, structures in by_programme.items():
        for answer in reminder_recipients(
            programme=programmes[programme_id], structures=list(structures.values())
        ):
            found[programme_id, answer.structure.pk] = answer.recipients
    return {task.pk: found.get((task.programme_id, task.structure_id), []) for task in tasks}


def reminder_text(task: IntersessionTask, today: dt.date) -> tuple[str, str]:
    """The subject and body (French) of a task's reminder."""
    days = (task.due_on - today).days
    when = (
        _("est à rendre aujourd'hui, %(date)s.")
        if days == 0
        else ngettext(
            "est à rendre dans %(days)s jour, le %(date)s.",
            "est à rendre dans %(days)s jours, le %(date)s.",
            days,
        )
    ) % {"days": days, "date": long_date(task.due_on)}
    url = settings.SUIVI_BASE_URL.rstrip("/") + reverse(
        "projects:structure_tasks", args=[task.programme_id, task.structure_id]
    )
    subject = _("Travail d'intersession à rendre le %(date)s : %(title)s") % {
        "date": f"{task.due_on:%d/%m/%Y}",
        "title": task.title,
    }
    lines = [
        _("Bonjour,"),
        "",
        _("Le travail d'intersession « %(title)s » (%(kind)s) du programme %(programme)s %(when)s")
        % {
            "title": task.title,
            "kind": task.get_kind_display().lower(),
            "programme": task.programme.title,
            "when": when,
        },
    ]
    if task.instructions:
        lines += ["", _("Consignes :"), task.instructions]
    lines += [
        "",
        _("Une fois le travail fait, indiquez-le (avec le document s'il y en a un) sur la page :"),
        url,
        "",
        _("Ce rappel n'est envoyé qu'une fois pour ce travail."),
    ]
    return subject, "\n".join(lines)


def _claim(task_pk: int, now) -> bool:
    """Takes the task for this run, or says another run has it (or it was done since).
    On PostgreSQL the row is locked first, skipping a row another run holds; the
    conditional UPDATE decides on every database."""
    candidates = IntersessionTask.objects.filter(
        pk=task_pk, reminded_at__isnull=True, done_at__isnull=True
    )
    if connection.features.has_select_for_update_skip_locked:
        if not candidates.select_for_update(skip_locked=True).exists():
            return False
    return candidates.update(reminded_at=now) == 1


def remind_tasks(*, today: dt.date | None = None, dry_run: bool = False) -> ReminderReport:
    """Puts in the outbox the reminders due today (see the module docstring). Journal
    `projects.task_reminder_sent` per task. `dry_run`: lists what would go, writes
    nothing."""
    today = today or timezone.localdate()
    report = ReminderReport()
    tasks = list(due_for_reminder(today=today))
    recipients_of = recipients_by_task(tasks)
    for task in tasks:
        recipients = recipients_of[task.pk]
        if not recipients:
            report.no_recipient += 1
            report.lines.append(
                _("%(structure)s — « %(title)s » : personne à qui envoyer le rappel.")
                % {"structure": task.structure.name, "title": task.title}
            )
            continue
        if dry_run:
            report.reminded += 1
            report.messages += len(recipients)
            report.lines.append(
                _("%(structure)s — « %(title)s », à rendre le %(date)s : rappel à %(who)s.")
                % {
                    "structure": task.structure.name,
                    "title": task.title,
                    "date": f"{task.due_on:%d/%m/%Y}",
                    "who": ", ".join(recipient.email for recipient in recipients),
                }
            )
            continue
        subject, body = reminder_text(task, today)
        with transaction.atomic():
            if not _claim(task.pk, timezone.now()):
                continue
            for recipient in recipients:
                outbox_enqueue(
                    purpose=PURPOSE,
                    recipient=recipient.email,
                    recipient_name=recipient.name,
                    subject=subject,
                    body=body,
                    # About the task: the follow-up log of its programme lists it.
                    about=task,
                )
            log_action(
                actor=None,
                action="projects.task_reminder_sent",
                obj=task.structure,
                summary=_("Rappel du travail d'intersession « %(title)s » envoyé à la structure")
                % {"title": task.title},
                data={"task": task.pk, "recipients": len(recipients)},
            )
        report.reminded += 1
        report.messages += len(recipients)
        report.lines.append(
            _("%(structure)s — « %(title)s » : rappel mis dans la file d'envoi.")
            % {"structure": task.structure.name, "title": task.title}
        )
    return report
