"""Reads of the answering pages: the campaigns a trainer's tablet may take answers for,
and who of the session has answered."""

from django.db.models import QuerySet

from evaluations.models import Campaign, Invitation, Questionnaire
from sessions.models import Enrolment
from sessions.selectors.visibility import sessions_run_by


def tablet_campaigns_run_by(*, user) -> QuerySet[Campaign]:
    """À chaud campaigns of a session the user runs (its trainers, coordinators), asked of
    its participants and not cancelled: those answered on the trainer's tablet."""
    return Campaign.objects.filter(
        session__in=sessions_run_by(user=user),
        audience=Campaign.Audience.PARTICIPANTS,
        version__questionnaire__kind=Questionnaire.Kind.HOT,
        cancelled_at__isnull=True,
    ).select_related("version__questionnaire", "session__formation", "formation")


def tablet_entries(*, campaign: Campaign) -> list[dict]:
    """The session's participants in name order, each with whether they answered and
    whether they started (a draft kept), in two queries."""
    enrolments = (
        Enrolment.objects.filter(session_id=campaign.session_id)
        .select_related("participant__structure")
        .order_by("participant__last_name", "participant__first_name", "pk")
    )
    invitations = {
        invitation.participant_id: invitation
        for invitation in Invitation.objects.filter(
            campaign=campaign, participant__isnull=False
        ).only("participant_id", "answered_on", "draft_step")
    }
    entries = []
    for enrolment in enrolments:
        invitation = invitations.get(enrolment.participant_id)
        entries.append(
            {
                "participant": enrolment.participant,
                "answered": invitation is not None and invitation.is_answered,
                "started": invitation is not None and invitation.draft_step > 0,
            }
        )
    return entries
