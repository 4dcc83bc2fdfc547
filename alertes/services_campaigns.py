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
import logging
import zoneinfo
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from alertes.constants import CAMPAIGN_PURPOSE
from alertes.models import AlertCampaign, CampaignRecipient
from alertes.unsubscribe import unsubscribe_url
from formations.audit import log_action
from formations.consent import may_contact_many
from formations.members import ensure_may_follow
from formations.models import MemberGroup, Membership, Purpose, Structure
from formations.outbox import outbox_build, outbox_deliver_after_commit, outbox_write_many

logger = logging.getLogger(__name__)

FIRST_NAME = "{prénom}"
Status = AlertCampaign.Status
CHANNELS = ("sms", "email")
# Messages leave between these hours, in the structure's time zone: no SMS nor e-mail at
# night (French recommendations on marketing SMS: 8 h – 20 h).
SENDING_HOURS = (dt.time(8, 0), dt.time(20, 0))


class CampaignError(Exception):
    """A refused act on a campaign. Codes: "no_recipients", "no_channel", "foreign_group",
    "archived_group", "foreign_member", "subject_required", "not_scheduled", "not_sent",
    "past", "night", "already_done"."""

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


def normalised_body(body: str) -> str:
    """A textarea posts CRLF line breaks; an SMS carries LF (one character): stored and
    counted as LF, as the browser's counter does."""
    return (body or "").replace("\r\n", "\n").replace("\r", "\n").strip()


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
    if any(group.archived_at is not None for group in data.groups):
        raise CampaignError(
            _("Ce groupe est archivé : il ne reçoit plus de campagne."),
            code="archived_group",
            field="groups",
        )
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
    zone = zoneinfo.ZoneInfo(structure.time_zone or "Europe/Paris")
    local = data.scheduled_at.astimezone(zone).time()
    if not SENDING_HOURS[0] <= local <= SENDING_HOURS[1]:
        raise CampaignError(
            _(
                "Choisissez une heure entre 8 h et 20 h (heure de %(zone)s) : les SMS et "
                "e-mails de la structure ne partent pas la nuit."
            )
            % {"zone": zone.key},
            code="night",
            field="scheduled_at",
        )


def _fill(campaign: AlertCampaign, data: CampaignData) -> None:
    campaign.title = " ".join(data.title.split())
    campaign.category = data.category
    campaign.body = normalised_body(data.body)
    campaign.email_subject = " ".join(data.email_subject.split()) if data.send_email else ""
    campaign.send_sms = data.send_sms
    campaign.send_email = data.send_email
    campaign.scheduled_at = data.scheduled_at


def _already_done() -> CampaignError:
    return CampaignError(
        _("Ce formulaire a déjà été enregistré : la campagne n'est pas créée une seconde fois."),
        code="already_done",
    )


@transaction.atomic
def campaign_create(*, structure: Structure, actor, data: CampaignData) -> AlertCampaign:
    """Schedules a campaign. The form's token (`data.token`) is stored unique: the same
    form posted twice raises "already_done" (the insert itself is the guard)."""
    ensure_may_follow(actor, structure)
    token = (data.token or "").strip()
    if token and AlertCampaign.objects.filter(form_token=token).exists():
        raise _already_done()
    _check(structure, data)
    campaign = AlertCampaign(structure=structure, created_by=actor, form_token=token)
    _fill(campaign, data)
    campaign.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            campaign.save()
    except IntegrityError:
        # The same form posted twice at once: the other request's insert won.
        if token and AlertCampaign.objects.filter(form_token=token).exists():
            raise _already_done() from None
        raise
    campaign.groups.set(data.groups)
    campaign.members.set(data.members)
    log_action(
        actor=actor,
        action="campaign_created",
        obj=campaign,
        summary=_("Campagne « %(title)s » programmée") % {"title": campaign.title},
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
    # No lock: « envoyée » and « échec d'envoi » are final, so the status read here cannot
    # change under us.
    if campaign.status not in (Status.SENT, Status.FAILED):
        raise CampaignError(
            _("Seule une campagne envoyée, ou dont l'envoi a échoué, peut être réutilisée."),
            code="not_sent",
        )
    data = CampaignData(
        title=campaign.title,
        body=campaign.body,
        scheduled_at=scheduled_at,
        category=campaign.category,
        email_subject=campaign.email_subject,
        send_sms=campaign.send_sms,
        send_email=campaign.send_email,
        groups=list(campaign.groups.filter(archived_at__isnull=True)),
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


def _email_body(campaign: AlertCampaign, membership: Membership, link: str) -> str:
    text = personalised(campaign.body, membership.participant.first_name)
    footer = _(
        "Vous recevez ce message parce que vous avez accepté de recevoir les actualités de "
        "%(structure)s. Pour ne plus les recevoir par e-mail : %(link)s"
    ) % {"structure": campaign.structure.name, "link": link}
    return f"{text}\n\n-- \n{footer}\n"


def _message(campaign: AlertCampaign, membership: Membership, channel: str, decision, now):
    """The outbox row for one recipient (unsaved), built by the outbox's own code with the
    consent decision already taken: legal basis recorded as `outbox_enqueue` does."""
    person = membership.participant
    fields = {
        "purpose": CAMPAIGN_PURPOSE,
        "channel": channel,
        "recipient_name": f"{person.first_name} {person.last_name}".strip(),
        "participant": person,
        "structure": campaign.structure,
        "about": campaign,
        "deliver": False,
        "decision": decision,
        "now": now,
    }
    if channel == "email":
        link = unsubscribe_url(
            participant_id=membership.participant_id, structure_id=campaign.structure_id
        )
        return outbox_build(
            recipient=person.email,
            subject=personalised(campaign.email_subject, person.first_name),
            body=_email_body(campaign, membership, link),
            # RFC 8058 one-click unsubscribe: what Gmail and Yahoo ask of bulk senders.
            headers={
                "List-Unsubscribe": f"<{link}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
            **fields,
        )
    return outbox_build(
        recipient=person.phone, body=personalised(campaign.body, person.first_name), **fields
    )


def campaign_send(*, campaign: AlertCampaign, now=None) -> int:
    """Sends a scheduled campaign: returns the number of messages written (0 when it was
    not scheduled any more: already sent, being sent, cancelled; or when sending failed:
    the campaign is then « échec d'envoi » with the reason)."""
    return _send(campaign.pk, now or timezone.now()) or 0


FAILED = -1


def _send(pk: int, now) -> int | None:
    """None when another run had claimed the campaign (or it was cancelled); FAILED when
    sending raised: nothing of it was written (one transaction), and the campaign is
    marked « échec d'envoi » in a second one, so the periodic job does not retry it
    every minute with the same failure."""
    try:
        return _send_claimed(pk, now)
    except Exception as exc:  # whatever broke, the campaign must say so
        logger.exception("campaign %s: sending failed", pk)
        reason = f"{exc.__class__.__name__} : {exc}"[:2000]
        with transaction.atomic():
            marked = AlertCampaign.objects.filter(pk=pk, status=Status.SCHEDULED).update(
                status=Status.FAILED, failure_reason=reason, failed_at=now
            )
            if marked:
                log_action(
                    actor=None,
                    action="campaign_send_failed",
                    obj=AlertCampaign.objects.get(pk=pk),
                    summary=_("Échec de l'envoi de la campagne : %(reason)s")
                    % {"reason": reason[:200]},
                    data={"reason": reason},
                )
        return FAILED


def _send_claimed(pk: int, now) -> int | None:
    """One transaction, a constant number of queries whatever the recipients: the consent
    decisions are asked once per channel (`recipients_preview`), and the outbox rows,
    the recipient rows and their groups are written in bulk."""
    with transaction.atomic():
        claimed = AlertCampaign.objects.filter(pk=pk, status=Status.SCHEDULED).update(
            status=Status.SENDING
        )
        if not claimed:
            return None
        campaign = AlertCampaign.objects.select_related("structure").get(pk=pk)
        memberships = list(targeted_memberships(campaign))
        people = [m.participant for m in memberships]
        recipients, rows = [], []
        for channel in channels_of(campaign):
            decisions = may_contact_many(
                people, channel, Purpose.STRUCTURE_NEWS, structure=campaign.structure
            )
            for membership in memberships:
                decision = decisions[membership.participant_id]
                recipient = CampaignRecipient(
                    campaign=campaign, membership=membership, channel=channel
                )
                if decision.allowed:
                    recipient.message = _message(campaign, membership, channel, decision, now)
                    rows.append(recipient.message)
                else:
                    recipient.skipped_reason = str(decision.label)[:300]
                recipients.append(recipient)
        outbox_write_many(rows)
        for recipient in recipients:
            if recipient.message is not None:
                recipient.message_id = recipient.message.pk
        CampaignRecipient.objects.bulk_create(recipients, batch_size=500)
        through = CampaignRecipient.groups.through
        through.objects.bulk_create(
            [
                through(campaignrecipient_id=recipient.pk, membergroup_id=group.pk)
                for recipient in recipients
                for group in recipient.membership.groups.all()
            ],
            batch_size=1000,
        )
        outbox_deliver_after_commit(rows)
        campaign.status = Status.SENT
        campaign.sent_at = now
        campaign.save(update_fields=["status", "sent_at"])
        log_action(
            actor=None,
            action="campaign_sent",
            obj=campaign,
            summary=_("Campagne « %(title)s » envoyée : %(count)s messages")
            % {"title": campaign.title, "count": len(rows)},
            data={"messages": len(rows)},
        )
    return len(rows)


def send_due_campaigns(*, now=None) -> dict:
    """The periodic job `alertes.send_campaigns`: every scheduled campaign whose time has
    come, each in its own transaction; one that fails is marked « échec d'envoi » and the
    others still go."""
    now = now or timezone.now()
    due = list(
        AlertCampaign.objects.filter(status=Status.SCHEDULED, scheduled_at__lte=now)
        .order_by("scheduled_at", "pk")
        .values_list("pk", flat=True)
    )
    sent = messages = failed = 0
    for pk in due:
        count = _send(pk, now)
        if count == FAILED:
            failed += 1
        elif count is not None:
            sent += 1
            messages += count
    return {"campaigns": sent, "messages": messages, "failed": failed}
