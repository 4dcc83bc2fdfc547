"""Sending the evaluations: what `run_periodic` (job ``evaluations.send_due``, every five
minutes) and `manage.py send_evaluations` run.

`send_due(now=…)`, each step idempotent:
1. campaigns that follow their session (`services_campaigns.campaign_follow_session`)
   move to the default date of the half-days as they are now;
2. every open campaign (opened, not cancelled, not closed) writes one invitation per
   person of its audience as it is now: at launch, and for people enrolled since at each
   later run; the unique constraints of `Invitation` make a second write impossible;
3. every invitation not sent yet and not answered goes through the outbox: by e-mail
   when the person has an address, else by SMS when they have only a phone, else it stays
   unsent and is listed as « sans coordonnées » (sent as soon as an address is added).
   An invitation opened on the trainer's tablet (channel « tablette ») and not answered
   there goes the same way: its channel becomes e-mail or SMS, and the person finishes
   through the link (the tablet no longer takes it: `services_answers`);
4. reminders: after `reminder_delay_days` since the invitation (or the last reminder), at
   most `max_reminders`, never to an answered invitation, never once closed or cancelled.

Steps 2–4 concern the campaigns launched in the last `SUIVI_EVALUATION_SENDING_DAYS`
(60) days, or about to be: the cost of a run does not grow with the years of campaigns.

Why a row lock: each message is written in one transaction with the invitation's
`sent_at` (or its reminder count), after `SELECT … FOR UPDATE` of the invitation and a
second look at its state. Two runs at once (two crons, the command beside the worker):
on PostgreSQL the second waits for the first's commit and then finds the invitation
sent; on SQLite write transactions are serialised (IMMEDIATE), with the same result.

Purposes (`formations.outbox.PURPOSES`) and consent (`formations.consent`): the
invitation of an « à froid » questionnaire to a participant is evaluation follow-up,
which needs their consent for the channel; every other invitation is a service message.
A reminder to a participant is optional: it needs that consent too. A reminder to an
account (trainers, the funder's auditors) is a service message of their role.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, Max, OuterRef, Q
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from evaluations.models import Campaign, Invitation, Questionnaire
from evaluations.services_campaigns import campaign_audience, campaign_follow_session
from evaluations.tokens import invitation_url
from formations.audit import log_action
from formations.french import long_date
from formations.models import OutboxMessage
from formations.models import Purpose as ContactPurpose
from formations.outbox import MessagePurpose, outbox_enqueue

INVITATION_PURPOSE = "evaluation_invitation"
FOLLOW_UP_PURPOSE = "evaluation_follow_up"
REMINDER_PURPOSE = "evaluation_reminder"
ACCOUNT_REMINDER_PURPOSE = "evaluation_reminder_account"
INVITATION_PURPOSES = (INVITATION_PURPOSE, FOLLOW_UP_PURPOSE)
REMINDER_PURPOSES = (REMINDER_PURPOSE, ACCOUNT_REMINDER_PURPOSE)

ABOUT_TYPE = Invitation._meta.label_lower


def register_purposes(purposes: dict) -> None:
    purposes.setdefault(
        INVITATION_PURPOSE, MessagePurpose(gettext_lazy("Invitation à une évaluation"))
    )
    purposes.setdefault(
        FOLLOW_UP_PURPOSE,
        MessagePurpose(
            gettext_lazy("Invitation à une évaluation à froid"),
            contact_purpose=ContactPurpose.EVALUATION_FOLLOW_UP,
        ),
    )
    purposes.setdefault(
        REMINDER_PURPOSE,
        MessagePurpose(
            gettext_lazy("Relance d'évaluation"),
            contact_purpose=ContactPurpose.EVALUATION_FOLLOW_UP,
        ),
    )
    purposes.setdefault(
        ACCOUNT_REMINDER_PURPOSE,
        MessagePurpose(gettext_lazy("Relance d'évaluation (compte)")),
    )


def delivery_refusal(message: OutboxMessage) -> str | None:
    """Asked by the outbox before each handover (`formations.outbox.DELIVERY_CHECKS`):
    nothing of a cancelled campaign goes, and nothing (invitation or reminder) to an
    invitation answered since it was written (on the trainer's tablet, for instance)."""
    if message.about_type != ABOUT_TYPE:
        return None
    row = (
        Invitation.objects.filter(pk=message.about_id)
        .values("answered_on", "campaign__cancelled_at")
        .first()
    )
    if row is None:
        return None
    if row["campaign__cancelled_at"] is not None:
        return _("Campagne d'évaluation annulée.")
    if row["answered_on"] is not None:
        return _("La personne a déjà répondu.")
    return None


@dataclass
class SendReport:
    moved: int = 0
    launched: int = 0
    invitations_written: int = 0
    sent_email: int = 0
    sent_sms: int = 0
    no_contact: int = 0
    reminders: int = 0
    lines: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "moved": self.moved,
            "launched": self.launched,
            "invitations_written": self.invitations_written,
            "sent_email": self.sent_email,
            "sent_sms": self.sent_sms,
            "no_contact": self.no_contact,
            "reminders": self.reminders,
        }


def sending_days() -> int:
    return settings.SUIVI_EVALUATION_SENDING_DAYS


def _open_campaigns(now: dt.datetime):
    # A campaign launched more than SUIVI_EVALUATION_SENDING_DAYS ago is left alone (its
    # link still answers until it closes): every run would otherwise read again the
    # audience of every campaign ever launched without a closing date.
    sending_since = now - dt.timedelta(days=sending_days())
    return (
        Campaign.objects.filter(cancelled_at__isnull=True, opens_at__lte=now)
        .filter(Q(closes_at__isnull=True) | Q(closes_at__gt=now))
        .filter(Q(launched_at__isnull=True) | Q(launched_at__gte=sending_since))
        .select_related("version__questionnaire", "session", "formation")
        .order_by("opens_at", "pk")
    )


def send_due(*, now: dt.datetime | None = None, dry_run: bool = False) -> SendReport:
    """Launches the campaigns due, sends the invitations not sent yet and the reminders
    due, each once. ``dry_run``: does it all in a transaction rolled back, so that the
    report says exactly what would go and nothing is written or sent."""
    now = now or timezone.now()
    report = SendReport()
    if dry_run:
        with transaction.atomic():
            _run(now, report)
            transaction.set_rollback(True)
        return report
    _run(now, report)
    return report


def _run(now: dt.datetime, report: SendReport) -> None:
    following = (
        Campaign.objects.filter(
            opens_at_follows_session=True,
            launched_at__isnull=True,
            cancelled_at__isnull=True,
            session__isnull=False,
        )
        .select_related("version__questionnaire", "session")
        .annotate(last_end=Max("session__slots__ends_at"))
    )
    report.moved = sum(campaign_follow_session(c, last_end=c.last_end) for c in following)
    campaigns = list(_open_campaigns(now))
    for campaign in campaigns:
        _invite(campaign, now, report)
    open_ids = [c.pk for c in campaigns]
    _send_invitations(open_ids, now, report)
    _send_reminders(open_ids, now, report)


def campaign_launch(*, campaign: Campaign, now: dt.datetime | None = None) -> int:
    """Writes the campaign's invitations now, without sending them (they go with the next
    `send_due`); the number written. For the demo, which answers some at once."""
    report = SendReport()
    _invite(campaign, now or timezone.now(), report)
    return report.invitations_written


@transaction.atomic
def _invite(campaign: Campaign, now: dt.datetime, report: SendReport) -> None:
    enrolments, users = campaign_audience(campaign)
    known = set(campaign.invitations.values_list("participant_id", "user_id").order_by())
    known_participants = {p for p, _u in known if p}
    known_users = {u for _p, u in known if u}
    new = [
        Invitation(campaign=campaign, participant=e.participant, enrolment=e)
        for e in enrolments
        if e.participant_id not in known_participants
    ] + [Invitation(campaign=campaign, user=u) for u in users if u.pk not in known_users]
    # A run at the same moment may have written some: the unique constraints keep one.
    Invitation.objects.bulk_create(new, ignore_conflicts=True)
    report.invitations_written += len(new)
    if campaign.launched_at is None:
        launched = Campaign.objects.filter(pk=campaign.pk, launched_at__isnull=True).update(
            launched_at=now
        )
        if launched:
            campaign.launched_at = now
            report.launched += 1
            log_action(
                actor=None,
                action="evaluations.campaign_launched",
                obj=campaign,
                summary=_("Campagne d'évaluation lancée : %(campaign)s, %(count)s personnes")
                % {"campaign": campaign, "count": len(enrolments) + len(users)},
                data={"invited": len(enrolments) + len(users)},
            )


def contact_of(invitation: Invitation) -> tuple[str, str] | None:
    """(channel, address) the invitation goes to: e-mail when there is an address, else
    SMS when there is only a phone (participants), else None (« sans coordonnées »)."""
    if invitation.participant_id:
        person = invitation.participant
        if person.email:
            return OutboxMessage.Channel.EMAIL, person.email
        if person.phone:
            return OutboxMessage.Channel.SMS, person.phone
        return None
    if invitation.user.email:
        return OutboxMessage.Channel.EMAIL, invitation.user.email
    return None


def _person_name(invitation: Invitation) -> tuple[str, str]:
    """(full name, how the message greets them)."""
    if invitation.participant_id:
        person = invitation.participant
        return person.full_name, person.first_name
    user = invitation.user
    return (user.get_full_name() or user.username), user.first_name


def _subject_of(campaign: Campaign) -> str:
    if campaign.session_id:
        return _("la session %(code)s de la formation « %(formation)s »") % {
            "code": campaign.session.code,
            "formation": campaign.formation.title,
        }
    return _("la formation « %(formation)s »") % {"formation": campaign.formation.title}


def _closing_day(campaign: Campaign) -> dt.date | None:
    if campaign.closes_at is None:
        return None
    zone = campaign.session.tzinfo if campaign.session_id else timezone.get_current_timezone()
    return timezone.localtime(campaign.closes_at, zone).date()


def message_text(invitation: Invitation, *, channel: str, reminder: bool) -> tuple[str, str]:
    """The subject and body (French) of an invitation or a reminder. A quiz, or another
    nominative questionnaire (auto-positionnement), is not an opinion survey: its message
    does not ask for « votre avis »."""
    campaign = invitation.campaign
    questionnaire = campaign.version.questionnaire
    title = questionnaire.title
    about = _subject_of(campaign)
    url = invitation_url(invitation)
    closing = _closing_day(campaign)
    quiz = questionnaire.kind == Questionnaire.Kind.QUIZ
    opinion = not quiz and not questionnaire.nominative
    if channel == OutboxMessage.Channel.SMS:
        if quiz:
            text = (
                _("Rappel : quiz sur %(about)s (questionnaire %(kind)s) : %(url)s")
                if reminder
                else _("Quiz sur %(about)s (questionnaire %(kind)s) : %(url)s")
            )
        elif not opinion:
            text = (
                _("Rappel : questionnaire sur %(about)s (%(kind)s) : %(url)s")
                if reminder
                else _("Questionnaire sur %(about)s (%(kind)s) : %(url)s")
            )
        else:
            text = (
                _("Rappel : votre avis sur %(about)s (questionnaire %(kind)s) : %(url)s")
                if reminder
                else _("Votre avis sur %(about)s (questionnaire %(kind)s) : %(url)s")
            )
        text %= {
            "about": campaign.session.code if campaign.session_id else campaign.formation.title,
            "kind": _("nominatif") if questionnaire.nominative else _("anonyme"),
            "url": url,
        }
        if closing:
            text += " " + _("Avant le %(date)s.") % {"date": f"{closing:%d/%m}"}
        return "", text
    if quiz:
        subject = _("Rappel : quiz « %(title)s »") if reminder else _("Quiz : « %(title)s »")
    elif not opinion:
        subject = (
            _("Rappel : questionnaire « %(title)s »")
            if reminder
            else _("Questionnaire : « %(title)s »")
        )
    else:
        subject = (
            _("Rappel : « %(title)s », votre avis compte")
            if reminder
            else _("Votre avis : « %(title)s »")
        )
    subject %= {"title": title}
    _name, greeting = _person_name(invitation)
    lines = [
        _("Bonjour %(name)s,") % {"name": greeting} if greeting else _("Bonjour,"),
        "",
    ]
    if reminder and quiz:
        first = _(
            "Vous n'avez pas encore répondu au quiz « %(title)s » sur %(about)s. "
            "Il ne prend que quelques minutes."
        )
    elif reminder:
        first = _(
            "Vous n'avez pas encore répondu au questionnaire « %(title)s » sur %(about)s. "
            "Il ne prend que quelques minutes."
        )
    elif quiz:
        first = _("Merci de répondre au quiz « %(title)s » sur %(about)s.")
    elif not opinion:
        first = _("Merci de répondre au questionnaire « %(title)s » sur %(about)s.")
    else:
        first = _(
            "Merci de donner votre avis sur %(about)s en répondant au questionnaire « %(title)s »."
        )
    lines.append(first % {"title": title, "about": about})
    lines += [
        "",
        _("Vos réponses porteront votre nom : ce questionnaire est nominatif.")
        if questionnaire.nominative
        else _("Ce questionnaire est anonyme : vos réponses ne porteront pas votre nom."),
        "",
        _("Pour répondre, sans compte ni mot de passe, ouvrez ce lien :"),
        url,
        "",
        _("Vous pouvez vous arrêter en cours de route et reprendre plus tard avec le même lien."),
    ]
    if closing:
        lines.append(
            _("Les réponses sont acceptées jusqu'au %(date)s.") % {"date": long_date(closing)}
        )
    lines += ["", _("Ce lien vous est personnel : merci de ne pas le transférer.")]
    return subject, "\n".join(lines)


def _invitation_purpose(invitation: Invitation) -> str:
    if (
        invitation.participant_id
        and invitation.campaign.version.questionnaire.kind == Questionnaire.Kind.COLD
    ):
        return FOLLOW_UP_PURPOSE
    return INVITATION_PURPOSE


def _locked(pk: int, **still):
    """The invitation, locked, if it is still in the state the caller read (see the
    module docstring: why a lock)."""
    return (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("campaign__version__questionnaire", "campaign__session")
        .select_related("campaign__formation", "participant", "user")
        .filter(pk=pk, answered_on__isnull=True, campaign__cancelled_at__isnull=True, **still)
        .first()
    )


def _enqueue(invitation: Invitation, channel: str, address: str, purpose: str, reminder: bool):
    subject, body = message_text(invitation, channel=channel, reminder=reminder)
    name, _greeting = _person_name(invitation)
    return outbox_enqueue(
        purpose=purpose,
        recipient=address,
        recipient_name=name,
        subject=subject,
        body=body,
        channel=channel,
        about=invitation,
        participant=invitation.participant,
        expires_at=invitation.campaign.closes_at,
    )


def _line(invitation: Invitation, channel: str, what: str) -> str:
    name, _greeting = _person_name(invitation)
    return f"{what} — {invitation.campaign} — {name} ({channel})"


# Whom `contact_of` finds an address for, and whom not: in SQL, so that a run neither locks
# nor reads one by one the invitations of people without contact details, every five
# minutes until someone adds an address.
HAS_CONTACT = Q(participant__email__gt="") | Q(participant__phone__gt="") | Q(user__email__gt="")
NO_CONTACT = Q(participant__isnull=False, participant__email="", participant__phone="") | Q(
    user__isnull=False, user__email=""
)


def _send_invitations(campaign_ids: list[int], now: dt.datetime, report: SendReport) -> None:
    unsent = Invitation.objects.filter(
        campaign_id__in=campaign_ids, sent_at__isnull=True, answered_on__isnull=True
    )
    # Listed, not locked: they stay unsent (one query, whatever their number).
    for invitation in (
        unsent.filter(NO_CONTACT)
        .select_related("campaign__version__questionnaire", "campaign__session")
        .select_related("campaign__formation", "participant", "user")
        .order_by("campaign_id", "pk")
    ):
        report.no_contact += 1
        report.lines.append(_line(invitation, "—", _("sans coordonnées")))
    pending = unsent.filter(HAS_CONTACT).order_by("campaign_id", "pk").values_list("pk", flat=True)
    for pk in list(pending):
        with transaction.atomic():
            invitation = _locked(pk, sent_at__isnull=True)
            if invitation is None:
                continue
            contact = contact_of(invitation)
            if contact is None:  # the address removed since the list was read
                report.no_contact += 1
                report.lines.append(_line(invitation, "—", _("sans coordonnées")))
                continue
            channel, address = contact
            _enqueue(invitation, channel, address, _invitation_purpose(invitation), False)
            invitation.sent_at = now
            invitation.channel = channel
            invitation.save(update_fields=["sent_at", "channel"])
            if channel == OutboxMessage.Channel.SMS:
                report.sent_sms += 1
            else:
                report.sent_email += 1
            report.lines.append(_line(invitation, channel, _("invitation")))


def _reminder_due(invitation: Invitation, now: dt.datetime) -> bool:
    last = invitation.last_reminder_at or invitation.sent_at
    return last + dt.timedelta(days=invitation.campaign.reminder_delay_days) <= now


def _reminders_due_q(delays, now: dt.datetime) -> Q:
    """Invitations whose reminder is due: ``reminder_delay_days`` past the last reminder
    (or the invitation), in SQL alike on SQLite and PostgreSQL, one term per distinct
    delay of the campaigns at hand (they are few). Nothing when there is no delay."""
    due = Q(pk__in=[])
    for days in sorted(set(delays)):
        due |= Q(
            campaign__reminder_delay_days=days,
            last_contact__lte=now - dt.timedelta(days=days),
        )
    return due


def _send_reminders(campaign_ids: list[int], now: dt.datetime, report: SendReport) -> None:
    # An invitation the outbox refused (no consent, no usable number) gets no reminder:
    # it would be refused for the same reason.
    refused = OutboxMessage.objects.filter(
        about_type=ABOUT_TYPE,
        about_id=Cast(OuterRef("pk"), output_field=OutboxMessage._meta.get_field("about_id")),
        purpose__in=INVITATION_PURPOSES,
        status=OutboxMessage.Status.ABANDONED,
    )
    delays = Campaign.objects.filter(pk__in=campaign_ids).values_list(
        "reminder_delay_days", flat=True
    )
    candidates = (
        Invitation.objects.filter(
            campaign_id__in=campaign_ids,
            sent_at__isnull=False,
            answered_on__isnull=True,
            reminders_sent__lt=F("campaign__max_reminders"),
        )
        .exclude(channel=Invitation.Channel.TABLET)
        .annotate(last_contact=Coalesce("last_reminder_at", "sent_at"))
        .filter(_reminders_due_q(delays.distinct().order_by(), now))
        .filter(HAS_CONTACT)
        .exclude(Exists(refused))
        .select_related("campaign")
        .order_by("campaign_id", "pk")
    )
    for candidate in list(candidates):
        with transaction.atomic():
            invitation = _locked(candidate.pk, reminders_sent=candidate.reminders_sent)
            if invitation is None or not _reminder_due(invitation, now):
                continue
            contact = contact_of(invitation)
            if contact is None:
                continue
            channel, address = contact
            purpose = REMINDER_PURPOSE if invitation.participant_id else ACCOUNT_REMINDER_PURPOSE
            _enqueue(invitation, channel, address, purpose, True)
            invitation.reminders_sent += 1
            invitation.last_reminder_at = now
            invitation.save(update_fields=["reminders_sent", "last_reminder_at"])
            report.reminders += 1
            report.lines.append(_line(invitation, channel, _("relance")))
