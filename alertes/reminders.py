"""Reminders of administrative steps (seed 002: « prévenir les personnes de leurs
démarches administratives à réaliser »), the periodic job `alertes.remind_steps`.

For each active step (member still followed, step not stopped) whose next date falls
within its `remind_days_before` days of today (today in the structure's time zone), on
each channel chosen: one `StepReminder` and its outbox message, in one transaction. The
unique (step, occurrence, channel) makes it idempotent: a monthly step is reminded once a
month however often the job runs, two runs at once write one reminder. A request
withdrawn since (STOP) is the outbox's to refuse: the row is written abandoned with the
reason, so the page shows why nothing went.

Hours, in the structure's time zone: a reminder is due from 09:00 on the first day of its
notice (not from midnight: nobody wants a reminder at 00:05), and nothing is written
between 20:00 and 08:00. A step added in the evening, or a run missed overnight, is
reminded the next morning from 08:00, as long as that morning is not after the date."""

import datetime as dt
import zoneinfo
from collections import Counter
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from alertes.constants import STEP_REMINDER_PURPOSE
from alertes.models import AdministrativeStep, StepReminder
from alertes.occurrences import step_next_occurrence
from alertes.unsubscribe import unsubscribe_url
from formations.french import de_structure, long_date
from formations.models import OutboxMessage, Purpose
from formations.outbox import outbox_enqueue

# The longest notice a step may ask (`remind_days_before`'s validator), and a day of
# margin for the time zones (Mayotte is ahead of UTC, the Antilles behind).
_MAX_NOTICE = dt.timedelta(days=60)
_MARGIN = dt.timedelta(days=1)
# Local hours (the structure's zone): due from DUE_AT on the first day of the notice; no
# reminder written from QUIET_FROM to QUIET_UNTIL.
DUE_AT = dt.time(9, 0)
QUIET_FROM = dt.time(20, 0)
QUIET_UNTIL = dt.time(8, 0)


def structure_now(structure, now: dt.datetime) -> dt.datetime:
    """`now` on the structure's clock."""
    return timezone.localtime(now, zoneinfo.ZoneInfo(structure.time_zone))


def structure_today(structure, now: dt.datetime) -> dt.date:
    """The day it is at `now` where the structure is."""
    return structure_now(structure, now).date()


def is_quiet(local: dt.datetime) -> bool:
    """Whether `local` (a structure's clock) is in the hours no reminder is written."""
    return local.time() >= QUIET_FROM or local.time() < QUIET_UNTIL


def reminder_is_due(step, occurrence: dt.date, local: dt.datetime) -> bool:
    """Whether the reminder of `occurrence` may be written at `local` (the structure's
    clock): within the notice, from 09:00 on its first day, on or before the date, outside
    the quiet hours."""
    today = local.date()
    first_day = occurrence - dt.timedelta(days=step.remind_days_before)
    if is_quiet(local) or today > occurrence or today < first_day:
        return False
    return today > first_day or local.time() >= DUE_AT


def _lower_first(text: str) -> str:
    """« Actualisation France Travail » → « actualisation France Travail »; « CAF : … »
    stays as written."""
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        return text[0].lower() + text[1:]
    return text


def reminder_text(
    step: AdministrativeStep, occurrence: dt.date, channel: str = "sms"
) -> tuple[str, str]:
    """(subject, body) of the reminder on `channel`: « Bonjour Anaïs, rappel du Centre
    social l'Arbrisseau : actualisation France Travail le mardi 1er décembre. », then how
    to stop it. The e-mail carries a signed link that withdraws the e-mail request
    (`alertes.unsubscribe`). The SMS goes as a transactional SMS, from a sender that may
    not receive replies: it names the structure to ask rather than promise a STOP answer
    that may never arrive."""
    membership = step.membership
    structure = membership.structure
    what = _lower_first(step.title)
    when = long_date(occurrence, "l j F")
    text = _("Bonjour %(first_name)s, rappel %(of_structure)s : %(what)s le %(when)s.") % {
        "first_name": membership.participant.first_name,
        "of_structure": de_structure(structure.name),
        "what": what,
        "when": when,
    }
    subject = _("Rappel : %(what)s le %(when)s") % {"what": what, "when": when}
    if channel == "email":
        link = unsubscribe_url(
            participant_id=membership.participant_id,
            structure_id=structure.pk,
            purpose=Purpose.ADMIN_REMINDERS,
        )
        footer = _(
            "Vous recevez ce rappel parce que vous l'avez demandé à l'équipe "
            "%(of_structure)s. Pour ne plus recevoir ces rappels par e-mail : %(link)s"
        ) % {"of_structure": de_structure(structure.name), "link": link}
        return subject, f"{text}\n\n-- \n{footer}\n"
    stop = _("Pour ne plus recevoir ces rappels, prévenez l'équipe %(of_structure)s.") % {
        "of_structure": de_structure(structure.name)
    }
    return subject, f"{text} {stop}"


@dataclass(frozen=True)
class Due:
    step: AdministrativeStep
    occurrence: dt.date
    channel: str


def candidate_steps(now: dt.datetime):
    """Steps that may have a date to remind around `now`, in one query: active, with a
    channel, and a date in reach whatever the time zone (the exact test is Python's)."""
    today = now.date()
    low, high = today - _MARGIN, today + _MAX_NOTICE + _MARGIN
    return (
        AdministrativeStep.objects.filter(
            ended_at__isnull=True,
            membership__ended_at__isnull=True,
            due_on__lte=high,
        )
        .filter(Q(remind_by_sms=True) | Q(remind_by_email=True))
        .filter(
            Q(recurrence=AdministrativeStep.Recurrence.ONCE, due_on__gte=low)
            | (
                ~Q(recurrence=AdministrativeStep.Recurrence.ONCE)
                & (Q(until__isnull=True) | Q(until__gte=low))
            )
        )
        .select_related("membership__participant", "membership__structure")
        .order_by("pk")
    )


def due_reminders(now: dt.datetime) -> list[Due]:
    """What should have been reminded by `now`, written or not. Two queries."""
    due = []
    for step in candidate_steps(now):
        local = structure_now(step.membership.structure, now)
        occurrence = step_next_occurrence(step, local.date())
        if occurrence is None or not reminder_is_due(step, occurrence, local):
            continue
        for channel, chosen in (("sms", step.remind_by_sms), ("email", step.remind_by_email)):
            if chosen:
                due.append(Due(step, occurrence, channel))
    if not due:
        return due
    done = set(
        StepReminder.objects.filter(
            step__in={item.step.pk for item in due},
            occurrence__in={item.occurrence for item in due},
        ).values_list("step_id", "occurrence", "channel")
    )
    return [item for item in due if (item.step.pk, item.occurrence, item.channel) not in done]


def _write(item: Due) -> StepReminder | None:
    """One reminder and its message, or None when another run wrote it first."""
    step, participant = item.step, item.step.membership.participant
    subject, body = reminder_text(step, item.occurrence, item.channel)
    try:
        with transaction.atomic():
            reminder = StepReminder(step=step, occurrence=item.occurrence, channel=item.channel)
            message = outbox_enqueue(
                purpose=STEP_REMINDER_PURPOSE,
                channel=item.channel,
                recipient=participant.phone if item.channel == "sms" else participant.email,
                recipient_name=str(participant),
                subject=subject if item.channel == "email" else "",
                body=body,
                participant=participant,
                structure=step.membership.structure,
                about=step,
            )
            reminder.message = message
            reminder.save()
    except IntegrityError:
        return None
    return reminder


def remind_due_steps(*, now: dt.datetime | None = None) -> dict:
    """Writes the reminders due at `now` (default: now). Returns the counts: written,
    refused by the outbox (request withdrawn, no address) and already written by a run at
    the same time."""
    now = now or timezone.now()
    counts = Counter(written=0, refused=0, raced=0)
    for item in due_reminders(now):
        reminder = _write(item)
        if reminder is None:
            counts["raced"] += 1
        elif reminder.message.status == OutboxMessage.Status.ABANDONED:
            counts["refused"] += 1
        else:
            counts["written"] += 1
    return dict(counts)
