"""What the campaigns part adds to the outbox and the periodic jobs: called once by
`AlertesConfig.ready()` (which may run twice in tests: add each thing once)."""

from django.utils.translation import gettext_lazy as _


def register() -> None:
    from alertes.constants import CAMPAIGN_PURPOSE
    from formations import outbox
    from formations.models import Purpose

    # A structure's news: only to members who agreed to it with that structure, per channel.
    outbox.PURPOSES.setdefault(
        CAMPAIGN_PURPOSE,
        outbox.MessagePurpose(
            _("Campagne d'une structure"), contact_purpose=Purpose.STRUCTURE_NEWS
        ),
    )
