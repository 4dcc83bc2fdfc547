"""Reads of the answering pages: the campaigns a trainer's tablet may take answers for,
and who of the session has answered."""

from django.db.models import Min, QuerySet

from evaluations.models import Campaign, Invitation, Questionnaire
from sessions.models import Enrolment
from sessions.selectors.visibility import sessions_run_by


def tablet_campaigns_run_by(*, user) -> QuerySet[Campaign]:
    """À chaud campaigns of a session the user runs (its trainers, coordinators), asked of
    its participants and not cancelled: those answered on the trainer's tablet (when:
    `services_answers.tablet_problem`, which reads ``first_slot_start``)."""
    return (
        Campaign.objects.filter(
            session__in=sessions_run_by(user=user),
            audience=Campaign.Audience.PARTICIPANTS,
            version__questionnaire__kind=Questionnaire.Kind.HOT,
            cancelled_at__isnull=True,
        )
        .select_related("version__questionnaire", "session__formation", "formation")
        .annotate(first_slot_start=Min("session__slots__starts_at"))
    )


def tablet_entries(*, campaign: Campaign) -> list[dict]:
    """The session's participants who may answer on the tablet, in name order, each with
    whether they answered there and whether they started there (a draft kept), in two
    queries.

    Left out: whoever was sent their personal link (e-mail, SMS). They answer through it,
    and the tablet, which the people in training hold, must not tell whether they did:
    trainers never see who has not answered."""
    enrolments = (
        Enrolment.objects.filter(session_id=campaign.session_id)
        .select_related("participant__structure")
        .order_by("participant__last_name", "participant__first_name", "pk")
    )
    invitations = {
        invitation.participant_id: invitation
        for invitation in Invitation.objects.filter(
            campaign=campaign, participant__isnull=False
        ).only("participant_id", "answered_on", "draft_step", "sent_at")
    }
    entries = []
    for enrolment in enrolments:
        invitation = invitations.get(enrolment.participant_id)
        if invitation is not None and invitation.sent_at is not None:
            continue
        answered = invitation is not None and invitation.is_answered
        entries.append(
            {
                "participant": enrolment.participant,
                "answered": answered,
                "started": not answered and invitation is not None and invitation.draft_step > 0,
            }
        )
    return entries
