"""A structure's campaigns: scheduled, edited or cancelled before they go, sent once when
due (`send_due_campaigns`, the periodic job `alertes.send_campaigns`), « réutilisées »
(copied with a new date) after.

Sending writes one `CampaignRecipient` per targeted member and channel (groups ∪ chosen
members, active memberships, each person once) and, for those who agreed to the
structure's news on that channel, one outbox message. Those who did not (no consent,
consent withdrawn, no usable address) get a recipient row with the reason
(`skipped_reason`) and NO outbox message: nothing is ever written for them to send, and
the statistics count `message` vs `skipped_reason`. The outbox asks the consent again at
delivery (a STOP received in between stops the message).

Idempotence: sending starts with a conditional update scheduled → sending in the
sending transaction; a second run (another worker, `run_periodic` again) finds the
campaign no longer scheduled and writes nothing. The unique (campaign, membership,
channel) constraint is the last guard."""

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from alertes.constants import CAMPAIGN_PURPOSE
from alertes.models import AlertCampaign, CampaignRecipient
from alertes.unsubscribe import unsubscribe_url
from formations.audit import log_action
from formations.consent import may_contact_many
from formations.members import ensure_may_follow
from formations.models import AuditEntry, MemberGroup, Membership, Purpose, Structure
from formations.outbox import outbox_deliver_after_commit, outbox_enqueue

FIRST_NAME = "{prénom}"
Status = AlertCampaign.Status
CHANNELS = ("sms", "email")


class CampaignError(Exception):
    """A refused act on a campaign. Codes: "no_recipients", "no_channel", "foreign_group",
    "foreign_member", "subject_required", "not_scheduled", "not_sent", "past",
    "already_done"."""

    def __init__(self, message: str, *, code: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field


@dataclass
class CampaignData:
    title: str
    body: str
    scheduled_at: dt.datetime
    category: str = AlertCampaign.Category.NEWS
    email_subject: str = ""
    send_sms: bool = False
    send_email: bool = False
    groups: list = field(default_factory=list)
    members: list = field(default_factory=list)
    # The form's one-time token: the same form posted twice creates one campaign.
    token: str = ""


def personalised(body: str, first_name: str) -> str:
    return body.replace(FIRST_NAME, first_name or "")


def channels_of(campaign: AlertCampaign) -> list[str]:
    return [c for c, on in (("sms", campaign.send_sms), ("email", campaign.send_email)) if on]


def _check(structure: Structure, data: CampaignData, *, now=None) -> None:
    if not (data.send_sms or data.send_email):
        raise CampaignError(_("Choisissez au moins un canal : SMS ou e-mail."), code="no_channel")
    if not data.groups and not data.members:
        raise CampaignError(
            _(
                "Choisissez au moins un groupe ou un·e adhérent·e : "
                "une campagne ne part jamais à tous."
            ),
            code="no_recipients",
            field="groups",
        )
    if any(group.structure_id != structure.pk for group in data.groups):
        raise CampaignError(_("Ce groupe n'est pas celui de la structure."), code="foreign_group")
    if any(m.structure_id != structure.pk or not m.is_active for m in data.members):
        raise CampaignError(
            _("Cette personne n'est pas adhérente de la structure."), code="foreign_member"
        )
    if data.send_email and not data.email_subject.strip():
        raise CampaignError(
            _("Donnez un objet à l'e-mail."), code="subject_required", field="email_subject"
        )
    if data.scheduled_at <= (now or timezone.now()):
        raise CampaignError(
            _("Choisissez une date et une heure à venir."), code="past", field="scheduled_at"
        )


def _fill(campaign: AlertCampaign, data: CampaignData) -> None:
    campaign.title = " ".join(data.title.split())
    campaign.category = data.category
    campaign.body = data.body.strip()
    campaign.email_subject = " ".join(data.email_subject.split()) if data.send_email else ""
    campaign.send_sms = data.send_sms
    campaign.send_email = data.send_email
    campaign.scheduled_at = data.scheduled_at


@transaction.atomic
def campaign_create(*, structure: Structure, actor, data: CampaignData) -> AlertCampaign:
    ensure_may_follow(actor, structure)
    Structure.objects.select_for_update().filter(pk=structure.pk).first()
    token = (data.token or "").strip()
    if token and AuditEntry.objects.filter(action="campaign_created", data__token=token).exists():
        raise CampaignError(
            _(
                "Ce formulaire a déjà été enregistré : "
                "la campagne n'est pas créée une seconde fois."
            ),
            code="already_done",
        )
    _check(structure, data)
    campaign = AlertCampaign(structure=structure, created_by=actor)
    _fill(campaign, data)
    campaign.full_clean()
    campaign.save()
    campaign.groups.set(data.groups)
    campaign.members.set(data.members)
    log_action(
        actor=actor,
        action="campaign_created",
        obj=campaign,
        summary=_("Campagne « %(title)s » programmée") % {"title": campaign.title},
        data={"token": token} if token else None,
    )
    return campaign


def _locked_scheduled(campaign: AlertCampaign) -> AlertCampaign:
    locked = AlertCampaign.objects.select_for_update().get(pk=campaign.pk)
    if locked.status != Status.SCHEDULED:
        raise CampaignError(
            _("Cette campagne n'est plus programmée : elle a été envoyée ou annulée."),
            code="not_scheduled",
        )
    return locked


@transaction.atomic
def campaign_update(*, campaign: AlertCampaign, actor, data: CampaignData) -> AlertCampaign:
    ensure_may_follow(actor, campaign.structure)
    locked = _locked_scheduled(campaign)
    _check(locked.structure, data)
    _fill(locked, data)
    locked.full_clean()
    locked.save()
    locked.groups.set(data.groups)
    locked.members.set(data.members)
    log_action(
        actor=actor,
        action="campaign_updated",
        obj=locked,
        summary=_("Campagne « %(title)s » modifiée") % {"title": locked.title},
    )
    return locked


@transaction.atomic
def campaign_cancel(*, campaign: AlertCampaign, actor) -> AlertCampaign:
    ensure_may_follow(actor, campaign.structure)
    locked = _locked_scheduled(campaign)
    locked.status = Status.CANCELLED
    locked.cancelled_at = timezone.now()
    locked.cancelled_by = actor if getattr(actor, "is_authenticated", False) else None
    locked.save(update_fields=["status", "cancelled_at", "cancelled_by"])
    log_action(
        actor=actor,
        action="campaign_cancelled",
        obj=locked,
        summary=_("Campagne « %(title)s » annulée") % {"title": locked.title},
    )
    return locked


@transaction.atomic
def campaign_reuse(
    *, campaign: AlertCampaign, actor, scheduled_at: dt.datetime, token: str = ""
) -> AlertCampaign:
    """« Réutiliser »: a new scheduled campaign, copy of the sent `campaign` (same text,
    channels, groups and chosen members still active) at `scheduled_at`. The sent one is
    left as it is."""
    ensure_may_follow(actor, campaign.structure)
    if campaign.status != Status.SENT:
        raise CampaignError(_("Seule une campagne envoyée peut être réutilisée."), code="not_sent")
    data = CampaignData(
        title=campaign.title,
        body=campaign.body,
        scheduled_at=scheduled_at,
        category=campaign.category,
        email_subject=campaign.email_subject,
        send_sms=campaign.send_sms,
        send_email=campaign.send_email,
        groups=list(campaign.groups.all()),
        members=list(campaign.members.filter(ended_at__isnull=True)),
        token=token,
    )
    copy = campaign_create(structure=campaign.structure, actor=actor, data=data)
    copy.copied_from = campaign
    copy.save(update_fields=["copied_from"])
    return copy


# --------------------------------------------------------------------------- recipients


def targeted_memberships(campaign: AlertCampaign):
    """The active memberships the campaign targets (its groups ∪ its chosen members), each
    once, in French order, with their person and groups."""
    return (
        Membership.objects.filter(structure_id=campaign.structure_id, ended_at__isnull=True)
        .filter(
            Q(pk__in=campaign.members.values("pk"))
            | Q(groups__in=MemberGroup.objects.filter(alert_campaigns=campaign))
        )
        .distinct()
        .select_related("participant")
        .prefetch_related("groups")
        .order_by("participant__sort_key", "pk")
    )


@dataclass
class ChannelPreview:
    channel: str
    label: str
    receiving: list  # [Membership]
    apart: list  # [(Membership, reason label)]


def recipients_preview(campaign: AlertCampaign, memberships=None) -> list[ChannelPreview]:
    """Who would receive the campaign on each channel now, and who is listed apart (with
    the reason: no consent on that channel, consent withdrawn, no usable address). One
    consent query per channel."""
    memberships = list(targeted_memberships(campaign) if memberships is None else memberships)
    people = [m.participant for m in memberships]
    labels = {"sms": _("SMS"), "email": _("E-mail")}
    previews = []
    for channel in channels_of(campaign):
        decisions = may_contact_many(
            people, channel, Purpose.STRUCTURE_NEWS, structure=campaign.structure
        )
        receiving, apart = [], []
        for membership in memberships:
            decision = decisions[membership.participant_id]
            if decision.allowed:
                receiving.append(membership)
            else:
                apart.append((membership, decision.label))
        previews.append(ChannelPreview(channel, labels[channel], receiving, apart))
    return previews


def _email_body(campaign: AlertCampaign, membership: Membership) -> str:
    link = unsubscribe_url(
        participant_id=membership.participant_id, structure_id=campaign.structure_id
    )
    text = personalised(campaign.body, membership.participant.first_name)
    footer = _(
        "Vous recevez ce message parce que vous avez accepté de recevoir les actualités de "
        "%(structure)s. Pour ne plus les recevoir par e-mail : %(link)s"
    ) % {"structure": campaign.structure.name, "link": link}
    return f"{text}\n\n-- \n{footer}\n"


def campaign_send(*, campaign: AlertCampaign, now=None) -> int:
    """Sends a scheduled campaign: returns the number of messages written (0 when it was
    not scheduled any more: already sent, being sent, cancelled)."""
    return _send(campaign.pk, now or timezone.now()) or 0


def _send(pk: int, now) -> int | None:
    """None when another run had claimed the campaign (or it was cancelled)."""
    with transaction.atomic():
        claimed = AlertCampaign.objects.filter(pk=pk, status=Status.SCHEDULED).update(
            status=Status.SENDING
        )
        if not claimed:
            return None
        campaign = AlertCampaign.objects.select_related("structure").get(pk=pk)
        memberships = list(targeted_memberships(campaign))
        messages = []
        for preview in recipients_preview(campaign, memberships):
            reasons = {m.pk: reason for m, reason in preview.apart}
            for membership in memberships:
                person = membership.participant
                recipient = CampaignRecipient(
                    campaign=campaign, membership=membership, channel=preview.channel
                )
                if membership.pk in reasons:
                    recipient.skipped_reason = str(reasons[membership.pk])[:300]
                else:
                    email = preview.channel == "email"
                    recipient.message = outbox_enqueue(
                        purpose=CAMPAIGN_PURPOSE,
                        channel=preview.channel,
                        recipient=person.email if email else person.phone,
                        recipient_name=f"{person.first_name} {person.last_name}".strip(),
                        subject=personalised(campaign.email_subject, person.first_name)
                        if email
                        else "",
                        body=_email_body(campaign, membership)
                        if email
                        else personalised(campaign.body, person.first_name),
                        participant=person,
                        structure=campaign.structure,
                        about=campaign,
                        deliver=False,
                    )
                    if recipient.message.refused_reason:
                        recipient.skipped_reason = recipient.message.refused_reason[:300]
                    else:
                        messages.append(recipient.message)
                recipient.save()
                recipient.groups.set(list(membership.groups.all()))
        outbox_deliver_after_commit(messages)
        campaign.status = Status.SENT
        campaign.sent_at = now
        campaign.save(update_fields=["status", "sent_at"])
        log_action(
            actor=None,
            action="campaign_sent",
            obj=campaign,
            summary=_("Campagne « %(title)s » envoyée : %(count)s messages")
            % {"title": campaign.title, "count": len(messages)},
            data={"messages": len(messages)},
        )
    return len(messages)


def send_due_campaigns(*, now=None) -> dict:
    """The periodic job `alertes.send_campaigns`: every scheduled campaign whose time has
    come, each in its own transaction."""
    now = now or timezone.now()
    due = list(
        AlertCampaign.objects.filter(status=Status.SCHEDULED, scheduled_at__lte=now)
        .order_by("scheduled_at", "pk")
        .values_list("pk", flat=True)
    )
    sent = messages = 0
    for pk in due:
        count = _send(pk, now)
        if count is not None:
            sent += 1
            messages += count
    return {"campaigns": sent, "messages": messages}
