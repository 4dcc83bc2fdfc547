"""What the administrative dates part adds to the outbox and the periodic jobs: called
once by `AlertesConfig.ready()` (which may run twice in tests: add each thing once)."""

from django.utils.translation import gettext_lazy as _


def register() -> None:
    from alertes.constants import STEP_REMINDER_PURPOSE
    from formations import outbox
    from formations.models import Purpose

    # A reminder the member asked for: sent on the service basis while their request for
    # that channel stands (`Purpose.ADMIN_REMINDERS`).
    outbox.PURPOSES.setdefault(
        STEP_REMINDER_PURPOSE,
        outbox.MessagePurpose(
            _("Rappel de démarche administrative"), contact_purpose=Purpose.ADMIN_REMINDERS
        ),
    )
