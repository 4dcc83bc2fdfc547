"""What the campaigns part adds to the outbox and the periodic jobs: called once by
`AlertesConfig.ready()` (which may run twice in tests: add each thing once)."""

from django.utils.translation import gettext_lazy as _


def _send_campaigns() -> dict:
    from alertes.services_campaigns import send_due_campaigns

    return send_due_campaigns()


def register() -> None:
    from alertes import panels_campaigns
    from alertes.constants import CAMPAIGN_PURPOSE
    from alertes.panels import HOME_PANELS, MEMBER_PANELS, Tab, add_tab
    from formations import outbox
    from formations.models import Purpose
    from formations.periodic import PERIODIC_JOBS, PeriodicJob

    # A structure's news: only to members who agreed to it with that structure, per channel.
    outbox.PURPOSES.setdefault(
        CAMPAIGN_PURPOSE,
        outbox.MessagePurpose(
            _("Campagne d'une structure"), contact_purpose=Purpose.STRUCTURE_NEWS
        ),
    )
    # Every minute: the scheduled campaigns whose time has come.
    if not any(job.name == "alertes.send_campaigns" for job in PERIODIC_JOBS):
        PERIODIC_JOBS.append(PeriodicJob("alertes.send_campaigns", _send_campaigns))
    add_tab(Tab("campaigns", _("Campagnes"), "alertes:campaign_list", position=40))
    for panels, panel in (
        (HOME_PANELS, panels_campaigns.home_next_campaigns_panel),
        (MEMBER_PANELS, panels_campaigns.member_campaigns_panel),
    ):
        if panel not in panels:
            panels.append(panel)
