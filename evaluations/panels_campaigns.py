"""The evaluation campaigns on the session and formation pages (`formations.panels`,
registered by `evaluations.apps`): each campaign's questionnaire, audience, sending date,
state and counts (invited, answered); the buttons for coordinators. Trainers see the
counts only: who has not answered is on the campaign's page, for coordinators."""

from evaluations.selectors_campaigns import campaign_rows, campaigns_seen_by
from evaluations.services_campaigns import COLD_CODE, HOT_CODE
from formations.permissions import can_manage
from sessions.models import TrainingSession


def _defaults_scheduled(rows) -> bool:
    codes = {row.campaign.version.questionnaire.code for row in rows if row.state != "cancelled"}
    return {HOT_CODE, COLD_CODE} <= codes


def session_campaigns_panel(request, session):
    user = request.user
    manager = can_manage(user)
    campaigns = campaigns_seen_by(user=user).filter(session=session)
    if not manager and not session.trainers.filter(pk=user.pk).exists():
        return None
    rows = campaign_rows(campaigns)
    return (
        "evaluations/campaigns/panel.html",
        {
            "campaign_rows": rows,
            "campaigns_scope": "session",
            "can_manage_campaigns": manager,
            "can_schedule_defaults": manager
            and session.status != TrainingSession.Status.CANCELLED
            and not _defaults_scheduled(rows),
        },
    )


def formation_campaigns_panel(request, formation):
    user = request.user
    manager = can_manage(user)
    if formation is None:
        return None
    campaigns = campaigns_seen_by(user=user).filter(formation=formation)
    if not manager and not campaigns.exists():
        return None
    return (
        "evaluations/campaigns/panel.html",
        {
            "campaign_rows": campaign_rows(campaigns),
            "campaigns_scope": "formation",
            "can_manage_campaigns": manager,
            "can_schedule_defaults": False,
        },
    )
