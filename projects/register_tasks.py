"""What the tasks part adds to other apps' pages, outbox and periodic jobs: called once by
`ProjectsConfig.ready()` (which may run twice in tests: add each thing once)."""

from datetime import timedelta

from django.utils.translation import gettext_lazy as _


def _remind_tasks() -> dict:
    from projects.reminders_tasks import remind_tasks

    return remind_tasks().as_dict()


def register() -> None:
    from formations import outbox
    from formations import panels as registry
    from formations.models import Purpose
    from formations.periodic import PERIODIC_JOBS, PeriodicJob
    from projects import panels_tasks
    from projects.reminders_tasks import PURPOSE

    # A reminder of work the structure's referent has to hand in: a service message to a
    # professional account, no consent asked.
    outbox.PURPOSES.setdefault(
        PURPOSE,
        outbox.MessagePurpose(
            _("Rappel de travail d'intersession"), contact_purpose=Purpose.SERVICE
        ),
    )
    if not any(job.name == "projects.remind_tasks" for job in PERIODIC_JOBS):
        PERIODIC_JOBS.append(
            PeriodicJob("projects.remind_tasks", _remind_tasks, every=timedelta(days=1))
        )
    for panels, panel in (
        (registry.DASHBOARD_PANELS, panels_tasks.dashboard_overdue_tasks_panel),
        (registry.DASHBOARD_PANELS, panels_tasks.dashboard_referent_tasks_panel),
        (registry.STRUCTURE_PANELS, panels_tasks.structure_tasks_panel),
        (registry.PROGRAMME_PANELS, panels_tasks.programme_tasks_panel),
    ):
        if panel not in panels:
            panels.append(panel)
