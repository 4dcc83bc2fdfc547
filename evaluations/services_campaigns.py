"""Campaigns: writing them (create, edit, cancel, the one-click « à chaud et à froid » of a
session) and reading who they ask (`campaign_audience`).

Rules:
- A campaign is on a session, or on a whole formation (`session` empty). Its audience is
  read when it is launched and again at each run while it is open (a person enrolled
  later is invited then): the session's enrolments (a formation-wide campaign: each
  participant once, with their latest enrolment), the trainers' accounts, the enrolled
  participants of one structure, or the active auditor accounts of one of the
  programme's funders.
- `opens_at` defaults by the questionnaire's kind (`evaluations.dates`): à chaud at the
  end of the session's last half-day, à froid three calendar months later at 9:00 in
  the session's time zone. A campaign created with that default keeps following the
  session (`opens_at_follows_session`) until it is launched: `campaign_follow_session`
  recomputes it from the half-days as they are then, and `evaluations.sending` calls it
  before launching. A date the coordinator chose stays as chosen.
- Dates and reminders change only before launch; a campaign may be cancelled before or
  after it: nothing more is sent, the pending messages of its invitations are withdrawn
  and its link answers « campagne close ».

Errors: `EvaluationsError` with a stable code (see each service).
"""

import datetime as dt

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from evaluations.dates import default_opens_at
from evaluations.exceptions import EvaluationsError
from evaluations.models import Campaign, Invitation, Questionnaire, QuestionnaireVersion
from formations.audit import log_action
from formations.models import OutboxMessage, User
from formations.permissions import can_manage
from sessions.models import Enrolment, Slot, TrainingSession

# The questionnaires the one-click « à chaud et à froid » uses (shipped by
# `evaluations.defaults` with these codes).
HOT_CODE = "a-chaud"
COLD_CODE = "a-froid"

DEFAULT_KINDS = (Questionnaire.Kind.HOT, Questionnaire.Kind.COLD)


def reminder_days_default() -> int:
    return int(getattr(settings, "SUIVI_EVALUATION_REMINDER_DAYS", 7))


def max_reminders_default() -> int:
    return int(getattr(settings, "SUIVI_EVALUATION_MAX_REMINDERS", 2))


def _ensure_coordinator(actor) -> None:
    """Coordinators, or `None` (a command run by whoever operates the server)."""
    if actor is not None and not can_manage(actor):
        raise PermissionDenied


def last_slot_end(session: TrainingSession | None) -> dt.datetime | None:
    if session is None:
        return None
    return Slot.objects.filter(session=session).aggregate(end=Max("ends_at"))["end"]


def default_opening(version: QuestionnaireVersion, session: TrainingSession | None):
    """The default `opens_at` of a campaign of `version` on `session`, or None when its
    kind has no rule or the campaign is formation-wide. Raises ``no_half_days`` when the
    kind has a rule but the session has no half-day yet."""
    kind = version.questionnaire.kind
    if session is None or kind not in DEFAULT_KINDS:
        return None
    end = last_slot_end(session)
    if end is None:
        raise EvaluationsError(
            _(
                "La session n'a pas encore de demi-journée : la date d'envoi ne peut pas "
                "être calculée. Ajoutez les demi-journées ou choisissez une date."
            ),
            code="no_half_days",
        )
    return default_opens_at(kind, session, last_slot_end=end)


def _check_target(*, formation, session, audience, structure, funder) -> None:
    if session is not None and session.formation_id != formation.pk:
        raise EvaluationsError(
            _("Cette session n'est pas une session de la formation."),
            code="session_not_in_formation",
        )
    if session is not None and session.status == TrainingSession.Status.CANCELLED:
        raise EvaluationsError(_("Cette session est annulée."), code="session_cancelled")
    if audience == Campaign.Audience.STRUCTURE_TEAM and structure is None:
        raise EvaluationsError(
            _("Choisissez la structure dont l'équipe est interrogée."), code="structure_required"
        )
    if audience == Campaign.Audience.STRUCTURE_TEAM:
        enrolled = Enrolment.objects.filter(participant__structure=structure)
        if session is not None:
            enrolled = enrolled.filter(session=session)
        else:
            enrolled = enrolled.filter(session__formation=formation).exclude(
                session__status=TrainingSession.Status.CANCELLED
            )
        if not enrolled.exists():
            # Launched, such a campaign would reach nobody.
            raise EvaluationsError(
                (
                    _(
                        "Personne de la structure « %(structure)s » n'est inscrit·e à cette "
                        "session : choisissez une autre structure."
                    )
                    if session is not None
                    else _(
                        "Personne de la structure « %(structure)s » n'est inscrit·e à cette "
                        "formation : choisissez une autre structure."
                    )
                )
                % {"structure": structure.name},
                code="structure_without_participant",
            )
    if audience == Campaign.Audience.FUNDER:
        if funder is None:
            raise EvaluationsError(_("Choisissez le financeur interrogé."), code="funder_required")
        if not formation.programme.funders.filter(pk=funder.pk).exists():
            raise EvaluationsError(
                _("Ce financeur ne finance pas le programme de cette formation."),
                code="funder_not_of_programme",
            )
        if not User.objects.filter(
            is_active=True, role=User.Role.FUNDER_AUDITOR, funders=funder
        ).exists():
            # Launched, such a campaign would reach nobody.
            raise EvaluationsError(
                _(
                    "Le financeur « %(funder)s » n'a aucun compte d'auditeur·rice actif : "
                    "créez-en un dans Comptes, ou choisissez un autre financeur."
                )
                % {"funder": funder.name},
                code="funder_without_auditor",
            )


def _check_dates(opens_at, closes_at) -> None:
    if closes_at is not None and closes_at <= opens_at:
        raise EvaluationsError(
            _("La clôture doit venir après l'envoi."), code="closes_before_opens"
        )


@transaction.atomic
def campaign_create(
    *,
    actor,
    version: QuestionnaireVersion,
    formation,
    session: TrainingSession | None = None,
    audience: str = Campaign.Audience.PARTICIPANTS,
    structure=None,
    funder=None,
    opens_at: dt.datetime | None = None,
    closes_at: dt.datetime | None = None,
    reminder_delay_days: int | None = None,
    max_reminders: int | None = None,
) -> Campaign:
    """Writes a campaign of ``version`` on ``session`` (or the whole ``formation``).
    Without ``opens_at``, the default of the questionnaire's kind, followed until launch.
    Reminders default to the settings `SUIVI_EVALUATION_REMINDER_DAYS` and
    `SUIVI_EVALUATION_MAX_REMINDERS`. A team or funder campaign that would reach nobody
    (nobody of the structure enrolled, no active auditor account) is refused. Journal
    `evaluations.campaign_created`. Codes: ``session_not_in_formation``,
    ``session_cancelled``, ``structure_required``, ``structure_without_participant``,
    ``funder_required``, ``funder_not_of_programme``, ``funder_without_auditor``,
    ``no_half_days``, ``opens_at_required``, ``closes_before_opens``."""
    _ensure_coordinator(actor)
    _check_target(
        formation=formation, session=session, audience=audience, structure=structure, funder=funder
    )
    follows = False
    if opens_at is None:
        opens_at = default_opening(version, session)
        if opens_at is None:
            raise EvaluationsError(
                _("Choisissez la date d'envoi des invitations."), code="opens_at_required"
            )
        follows = True
    _check_dates(opens_at, closes_at)
    campaign = Campaign(
        version=version,
        formation=formation,
        session=session,
        audience=audience,
        structure=structure if audience == Campaign.Audience.STRUCTURE_TEAM else None,
        funder=funder if audience == Campaign.Audience.FUNDER else None,
        opens_at=opens_at,
        opens_at_follows_session=follows,
        closes_at=closes_at,
        reminder_delay_days=reminder_delay_days or reminder_days_default(),
        max_reminders=max_reminders_default() if max_reminders is None else max_reminders,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    campaign.full_clean()
    campaign.save()
    log_action(
        actor=actor,
        action="evaluations.campaign_created",
        obj=campaign,
        summary=_("Campagne d'évaluation programmée : %(campaign)s, envoi le %(date)s")
        % {"campaign": campaign, "date": _local(campaign).strftime("%d/%m/%Y %H:%M")},
        data={"audience": audience, "opens_at": opens_at.isoformat(), "default": follows},
        mentions=[c for c in (session, formation) if c is not None],
    )
    return campaign


def _local(campaign: Campaign) -> dt.datetime:
    zone = campaign.session.tzinfo if campaign.session_id else timezone.get_current_timezone()
    return timezone.localtime(campaign.opens_at, zone)


def _ensure_not_launched(campaign: Campaign) -> None:
    if campaign.cancelled_at is not None:
        raise EvaluationsError(_("Cette campagne est annulée."), code="cancelled")
    if campaign.launched_at is not None:
        raise EvaluationsError(
            _("Les invitations sont parties : la campagne ne se modifie plus."), code="launched"
        )


@transaction.atomic
def campaign_update(
    *,
    actor,
    campaign: Campaign,
    opens_at: dt.datetime | None,
    closes_at: dt.datetime | None,
    reminder_delay_days: int,
    max_reminders: int,
) -> Campaign:
    """Changes the dates and reminders of a campaign not launched yet. ``opens_at`` None:
    back to the default of its kind (followed again). Journal
    `evaluations.campaign_updated`. Codes: ``launched``, ``cancelled``, ``no_half_days``,
    ``opens_at_required``, ``closes_before_opens``."""
    _ensure_coordinator(actor)
    campaign = (
        Campaign.objects.select_for_update(of=("self",))
        .select_related("version__questionnaire", "session", "formation")
        .get(pk=campaign.pk)
    )
    _ensure_not_launched(campaign)
    follows = False
    if opens_at is None:
        opens_at = default_opening(campaign.version, campaign.session)
        if opens_at is None:
            raise EvaluationsError(
                _("Choisissez la date d'envoi des invitations."), code="opens_at_required"
            )
        follows = True
    _check_dates(opens_at, closes_at)
    before = {
        "opens_at": campaign.opens_at.isoformat(),
        "closes_at": campaign.closes_at.isoformat() if campaign.closes_at else None,
        "reminder_delay_days": campaign.reminder_delay_days,
        "max_reminders": campaign.max_reminders,
    }
    campaign.opens_at = opens_at
    campaign.opens_at_follows_session = follows
    campaign.closes_at = closes_at
    campaign.reminder_delay_days = reminder_delay_days
    campaign.max_reminders = max_reminders
    campaign.full_clean()
    campaign.save()
    log_action(
        actor=actor,
        action="evaluations.campaign_updated",
        obj=campaign,
        summary=_("Campagne d'évaluation modifiée : %(campaign)s") % {"campaign": campaign},
        data={"before": before, "opens_at": opens_at.isoformat(), "default": follows},
    )
    return campaign


@transaction.atomic
def campaign_cancel(*, actor, campaign: Campaign) -> Campaign:
    """Cancels a campaign, launched or not: nothing more is sent, and the messages of its
    invitations still waiting in the outbox are withdrawn (abandoned). Journal
    `evaluations.campaign_cancelled`. Code: ``cancelled`` (already)."""
    _ensure_coordinator(actor)
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.cancelled_at is not None:
        raise EvaluationsError(_("Cette campagne est déjà annulée."), code="cancelled")
    now = timezone.now()
    campaign.cancelled_at = now
    campaign.save(update_fields=["cancelled_at"])
    invitation_ids = [str(pk) for pk in campaign.invitations.values_list("pk", flat=True)]
    # Rows a worker holds now are left to it: the delivery check
    # (`evaluations.sending.delivery_refusal`) refuses them before the handover.
    withdrawn = OutboxMessage.objects.filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
        about_type=Invitation._meta.label_lower,
        about_id__in=invitation_ids,
        status=OutboxMessage.Status.PENDING,
        handovers=0,
    ).update(
        status=OutboxMessage.Status.ABANDONED,
        refused_reason=_("Campagne d'évaluation annulée."),
        finished_at=now,
        next_attempt_at=None,
    )
    log_action(
        actor=actor,
        action="evaluations.campaign_cancelled",
        obj=campaign,
        summary=_("Campagne d'évaluation annulée : %(campaign)s") % {"campaign": campaign},
        data={"withdrawn_messages": withdrawn, "launched": campaign.launched_at is not None},
    )
    return campaign


def latest_version(code: str) -> QuestionnaireVersion | None:
    return (
        QuestionnaireVersion.objects.filter(questionnaire__code=code, questionnaire__archived=False)
        .select_related("questionnaire")
        .order_by("-number")
        .first()
    )


@transaction.atomic
def campaigns_schedule_hot_cold(*, actor, session: TrainingSession) -> list[Campaign]:
    """The one click « Programmer les évaluations à chaud et à froid »: a campaign of the
    shipped « à chaud » questionnaire (code ``a-chaud``) and one of « à froid »
    (``a-froid``), to the session's participants, at their default dates. A questionnaire
    already asked on the session (a campaign not cancelled) is not asked twice. Returns
    the campaigns written. Codes: ``no_default_questionnaire``, ``no_half_days`` and those
    of `campaign_create`."""
    _ensure_coordinator(actor)
    created = []
    for code in (HOT_CODE, COLD_CODE):
        version = latest_version(code)
        if version is None:
            raise EvaluationsError(
                _("Le questionnaire par défaut « %(code)s » n'est pas installé.") % {"code": code},
                code="no_default_questionnaire",
            )
        if Campaign.objects.filter(
            session=session,
            version__questionnaire=version.questionnaire,
            cancelled_at__isnull=True,
        ).exists():
            continue
        created.append(
            campaign_create(
                actor=actor, version=version, formation=session.formation, session=session
            )
        )
    return created


def campaign_follow_session(campaign: Campaign, *, last_end: dt.datetime | None) -> bool:
    """Moves a campaign that follows its session (not launched, opened at its kind's
    default) to the default computed from ``last_end`` (the end of the session's last
    half-day now). Returns whether it moved. A session left without half-days keeps the
    last date."""
    if not campaign.opens_at_follows_session or campaign.launched_at or campaign.cancelled_at:
        return False
    if last_end is None or campaign.session is None:
        return False
    opens_at = default_opens_at(
        campaign.version.questionnaire.kind, campaign.session, last_slot_end=last_end
    )
    if opens_at is None or opens_at == campaign.opens_at:
        return False
    Campaign.objects.filter(pk=campaign.pk, launched_at__isnull=True).update(opens_at=opens_at)
    campaign.opens_at = opens_at
    return True


# --------------------------------------------------------------------------- audience


def _enrolments(campaign: Campaign):
    qs = Enrolment.objects.select_related("participant__structure", "session")
    if campaign.session_id:
        return qs.filter(session_id=campaign.session_id)
    return qs.filter(session__formation_id=campaign.formation_id).exclude(
        session__status=TrainingSession.Status.CANCELLED
    )


def _latest_per_participant(enrolments) -> list[Enrolment]:
    """Each participant once, with the enrolment of their latest session (by its last
    half-day, then by enrolment date)."""
    rows = enrolments.annotate(session_end=Max("session__slots__ends_at")).order_by("pk")
    latest: dict[int, Enrolment] = {}
    for row in rows:
        kept = latest.get(row.participant_id)
        key = (row.session_end is not None, row.session_end or row.enrolled_at, row.enrolled_at)
        if kept is None or key > kept._rank:
            row._rank = key
            latest[row.participant_id] = row
    return sorted(latest.values(), key=lambda e: (e.participant.sort_key, e.participant_id))


def campaign_audience(campaign: Campaign) -> tuple[list[Enrolment], list[User]]:
    """Who the campaign asks now: (enrolments of the participants asked, accounts asked).
    A constant number of queries."""
    audience = campaign.audience
    if audience in (Campaign.Audience.PARTICIPANTS, Campaign.Audience.STRUCTURE_TEAM):
        enrolments = _enrolments(campaign)
        if audience == Campaign.Audience.STRUCTURE_TEAM:
            enrolments = enrolments.filter(participant__structure_id=campaign.structure_id)
        if campaign.session_id:
            return list(enrolments.order_by("participant__sort_key", "participant_id")), []
        return _latest_per_participant(enrolments), []
    if audience == Campaign.Audience.TRAINERS:
        users = User.objects.filter(is_active=True)
        if campaign.session_id:
            users = users.filter(trained_sessions=campaign.session_id)
        else:
            users = users.filter(
                trained_sessions__in=TrainingSession.objects.filter(
                    formation_id=campaign.formation_id
                ).exclude(status=TrainingSession.Status.CANCELLED)
            )
        return [], list(users.distinct().order_by("last_name", "first_name", "pk"))
    users = User.objects.filter(
        is_active=True, role=User.Role.FUNDER_AUDITOR, funders=campaign.funder_id
    )
    return [], list(users.distinct().order_by("last_name", "first_name", "pk"))
