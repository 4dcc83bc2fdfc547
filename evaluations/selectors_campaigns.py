"""Reading campaigns for their pages: the rows of a session's or a formation's campaigns
with their state and counts (a constant number of queries), who may see what, and each
invitation's state for the coordinator's detail page."""

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from evaluations.dates import default_opens_at
from evaluations.models import Campaign, Invitation
from evaluations.sending import ABOUT_TYPE, INVITATION_PURPOSES, contact_of
from formations.models import OutboxMessage
from formations.permissions import can_manage, is_trainer
from sessions.models import Slot
from sessions.selectors.visibility import SessionTrainer, sessions_visible_to

STATE_LABELS = {
    "scheduled": _("programmée"),
    "sent": _("envoyée"),
    "closed": _("close"),
    "cancelled": _("annulée"),
}

STATE_BADGES = {"scheduled": "info", "sent": "ok", "closed": "", "cancelled": "warning"}


def campaign_state(campaign: Campaign, now=None) -> str:
    now = now or timezone.now()
    if campaign.cancelled_at is not None:
        return "cancelled"
    if campaign.closes_at is not None and campaign.closes_at <= now:
        return "closed"
    if campaign.launched_at is not None:
        return "sent"
    return "scheduled"


def campaigns_seen_by(*, user) -> QuerySet[Campaign]:
    """Campaigns whose list (with counts) the user sees: all for coordinators; for a
    trainer, those of the sessions they train (and the formation-wide ones of a formation
    where they train). Nobody else."""
    qs = Campaign.objects.all()
    if can_manage(user):
        return qs
    if is_trainer(user):
        trains = SessionTrainer.objects.filter(user_id=user.pk)
        return qs.filter(
            Exists(trains.filter(trainingsession_id=OuterRef("session_id")))
            | Q(session__isnull=True)
            & Exists(trains.filter(trainingsession__formation_id=OuterRef("formation_id")))
        )
    return qs.none()


def campaign_in_reach(*, user, campaign: Campaign) -> bool:
    """Whether the campaign's session (or formation) is one the user sees at all: a page
    of it is then refused (403) rather than unknown (404)."""
    if can_manage(user):
        return True
    if campaign.session_id:
        return sessions_visible_to(user=user).filter(pk=campaign.session_id).exists()
    return sessions_visible_to(user=user).filter(formation_id=campaign.formation_id).exists()


@dataclass
class CampaignRow:
    campaign: Campaign
    state: str
    state_label: str
    opens_at: object
    invited: int
    answered: int
    audience_label: str

    @property
    def badge(self) -> str:
        return STATE_BADGES[self.state]


def _audience_label(campaign: Campaign) -> str:
    label = str(campaign.get_audience_display())
    if campaign.audience == Campaign.Audience.STRUCTURE_TEAM and campaign.structure_id:
        return f"{label} : {campaign.structure.name}"
    if campaign.audience == Campaign.Audience.FUNDER and campaign.funder_id:
        return f"{label} : {campaign.funder.name}"
    return label


def campaign_rows(campaigns: QuerySet[Campaign]) -> list[CampaignRow]:
    """Each campaign with its state, its sending date as it stands (a campaign that
    follows its session: from the session's half-days now), how many were invited and
    how many answered. One query, whatever the number of campaigns."""
    last_end = (
        Slot.objects.filter(session_id=OuterRef("session_id"))
        .order_by("-ends_at")
        .values("ends_at")
    )
    rows = (
        campaigns.select_related(
            "version__questionnaire", "session", "formation", "structure", "funder"
        )
        .annotate(
            invited=Count("invitations"),
            answered=Count("invitations", filter=Q(invitations__answered_on__isnull=False)),
            last_end=Subquery(last_end[:1]),
        )
        .order_by("opens_at", "pk")
    )
    now = timezone.now()
    result = []
    for campaign in rows:
        opens_at = campaign.opens_at
        if (
            campaign.opens_at_follows_session
            and campaign.launched_at is None
            and campaign.session_id
            and campaign.last_end is not None
        ):
            opens_at = (
                default_opens_at(
                    campaign.version.questionnaire.kind,
                    campaign.session,
                    last_slot_end=campaign.last_end,
                )
                or opens_at
            )
        state = campaign_state(campaign, now)
        result.append(
            CampaignRow(
                campaign=campaign,
                state=state,
                state_label=str(STATE_LABELS[state]),
                opens_at=opens_at,
                invited=campaign.invited,
                answered=campaign.answered,
                audience_label=_audience_label(campaign),
            )
        )
    return result


@dataclass
class InvitationRow:
    invitation: Invitation
    name: str
    structure: str
    state: str
    message_status: str


def invitation_rows(campaign: Campaign) -> list[InvitationRow]:
    """Each invitation of the campaign with the person's name and where it stands
    (answered, opened, sent by e-mail or SMS with its reminders, refused by the outbox,
    no contact details, not sent yet). Two queries."""
    invitations = list(
        campaign.invitations.select_related("participant__structure", "user").order_by(
            "participant__sort_key", "user__last_name", "pk"
        )
    )
    statuses = {}
    for about_id, status, reason in (
        OutboxMessage.objects.filter(
            about_type=ABOUT_TYPE,
            about_id__in=[str(i.pk) for i in invitations],
            purpose__in=INVITATION_PURPOSES,
        )
        .order_by("created_at", "pk")
        .values_list("about_id", "status", "refused_reason")
    ):
        statuses[about_id] = (status, reason)
    rows = []
    for invitation in invitations:
        if invitation.participant_id:
            name = invitation.participant.full_name
            structure = (
                invitation.participant.structure.name if invitation.participant.structure_id else ""
            )
        else:
            name = invitation.user.get_full_name() or invitation.user.username
            structure = ""
        status, reason = statuses.get(str(invitation.pk), ("", ""))
        rows.append(
            InvitationRow(
                invitation=invitation,
                name=name,
                structure=structure,
                state=_invitation_state(invitation, status),
                message_status=reason if status == OutboxMessage.Status.ABANDONED else "",
            )
        )
    return rows


def _invitation_state(invitation: Invitation, status: str) -> str:
    if invitation.answered_on is not None:
        return "answered"
    if status == OutboxMessage.Status.ABANDONED:
        return "refused"
    if invitation.opened_at is not None:
        return "opened"
    if invitation.sent_at is not None:
        return "sent"
    if invitation.channel == Invitation.Channel.TABLET:
        return "tablet"
    return "pending" if contact_of(invitation) else "no_contact"
