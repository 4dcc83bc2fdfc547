"""What the administrative dates part adds to the outbox and the periodic jobs: called
once by `AlertesConfig.ready()` (which may run twice in tests: add each thing once)."""

from datetime import timedelta

from django.utils.translation import gettext_lazy as _


def _remind_steps() -> dict:
    from alertes.reminders import remind_due_steps

    return remind_due_steps()


def register() -> None:
    from alertes import panels, panels_steps
    from alertes.constants import STEP_REMINDER_PURPOSE
    from formations import outbox
    from formations.models import Purpose
    from formations.periodic import PERIODIC_JOBS, PeriodicJob

    # A reminder the member asked for: sent on the service basis while their request for
    # that channel stands (`Purpose.ADMIN_REMINDERS`).
    outbox.PURPOSES.setdefault(
        STEP_REMINDER_PURPOSE,
        outbox.MessagePurpose(
            _("Rappel de démarche administrative"), contact_purpose=Purpose.ADMIN_REMINDERS
        ),
    )
    # Hourly: a reminder goes out within the hour its day starts in the structure's zone.
    if not any(job.name == "alertes.remind_steps" for job in PERIODIC_JOBS):
        PERIODIC_JOBS.append(
            PeriodicJob("alertes.remind_steps", _remind_steps, every=timedelta(hours=1))
        )
    panels.add_tab(panels.Tab("week", _("Cette semaine"), "alertes:week", position=30))
    for registry, panel in (
        (panels.HOME_PANELS, panels_steps.home_week_panel),
        (panels.MEMBER_PANELS, panels_steps.member_steps_panel),
    ):
        if panel not in registry:
            registry.append(panel)
