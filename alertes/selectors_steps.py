"""Reading administrative steps: the week of a structure (« the referent sees the week's
steps of their members ») and a member's steps, in a constant number of queries (the
steps in SQL, their dates in Python)."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from alertes.models import AdministrativeStep, StepReminder
from alertes.occurrences import step_next_occurrence, step_occurrences_between
from alertes.reminders import structure_today
from formations.consent import structure_consents
from formations.members import may_follow_members
from formations.models import ContactConsent, Purpose, User

CHANNEL_FIELDS = (("sms", "remind_by_sms"), ("email", "remind_by_email"))


def step_in_reach(*, user, structure, pk) -> AdministrativeStep:
    """Step `pk` of one of `structure`'s members, else 404 (the page already checked the
    structure)."""
    if not may_follow_members(user, structure):
        raise Http404
    try:
        return AdministrativeStep.objects.select_related(
            "membership__participant", "membership__structure", "followed_by"
        ).get(pk=pk, membership__structure=structure)
    except (AdministrativeStep.DoesNotExist, ValueError):
        raise Http404 from None


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


@dataclass
class WeekLine:
    step: AdministrativeStep
    occurrence: dt.date
    # {channel: StepReminder} for this date.
    reminders: dict = field(default_factory=dict)

    @property
    def channels(self) -> list[str]:
        step = self.step
        return [c for c, on in (("sms", step.remind_by_sms), ("email", step.remind_by_email)) if on]


@dataclass
class Week:
    start: dt.date
    end: dt.date
    today: dt.date
    lines: list[WeekLine]

    @property
    def previous(self) -> dt.date:
        return self.start - dt.timedelta(days=7)

    @property
    def next(self) -> dt.date:
        return self.start + dt.timedelta(days=7)

    @property
    def is_current(self) -> bool:
        return self.start <= self.today <= self.end


def structure_week(*, structure, day: dt.date | None = None, followed_by=None, now=None) -> Week:
    """The steps of `structure`'s active members with a date in the week (Monday to
    Sunday) holding `day` (default: today in the structure's zone), by date; only those
    `followed_by` follows if given. Two queries."""
    today = structure_today(structure, now or timezone.now())
    start = week_start(day or today)
    end = start + dt.timedelta(days=6)
    steps = (
        AdministrativeStep.objects.filter(
            membership__structure=structure,
            membership__ended_at__isnull=True,
            ended_at__isnull=True,
            due_on__lte=end,
        )
        .filter(
            Q(recurrence=AdministrativeStep.Recurrence.ONCE, due_on__gte=start)
            | (
                ~Q(recurrence=AdministrativeStep.Recurrence.ONCE)
                & (Q(until__isnull=True) | Q(until__gte=start))
            )
        )
        .select_related("membership__participant", "followed_by")
    )
    if followed_by is not None:
        steps = steps.filter(followed_by=followed_by)
    lines = [
        WeekLine(step, occurrence)
        for step in steps
        for occurrence in step_occurrences_between(step, start, end)
    ]
    if lines:
        by_key = {(line.step.pk, line.occurrence): line for line in lines}
        for reminder in StepReminder.objects.filter(
            step__in={line.step.pk for line in lines}, occurrence__range=(start, end)
        ).select_related("message"):
            line = by_key.get((reminder.step_id, reminder.occurrence))
            if line is not None:
                line.reminders[reminder.channel] = reminder
    lines.sort(
        key=lambda line: (
            line.occurrence,
            line.step.membership.participant.sort_key,
            line.step.pk,
        )
    )
    return Week(start=start, end=end, today=today, lines=lines)


@dataclass
class MemberStep:
    step: AdministrativeStep
    next_date: dt.date | None
    reminders: list


def member_steps(*, membership, now=None) -> list[MemberStep]:
    """A member's steps, the running ones first (by next date), then the stopped or
    finished ones; each with its reminders (newest first). Two queries."""
    today = structure_today(membership.structure, now or timezone.now())
    steps = list(
        AdministrativeStep.objects.filter(membership=membership).select_related("followed_by")
    )
    reminders = defaultdict(list)
    for reminder in StepReminder.objects.filter(step__membership=membership).select_related(
        "message"
    ):
        reminders[reminder.step_id].append(reminder)
    rows = [
        MemberStep(step, step_next_occurrence(step, today), reminders[step.pk]) for step in steps
    ]
    far = dt.date.max
    rows.sort(key=lambda row: (row.next_date is None, row.next_date or far, row.step.pk))
    return rows


def followers(structure, *, actor=None, keep_id: int | None = None) -> QuerySet[User]:
    """Who may follow a step of `structure`'s members: its active administrator and staff
    accounts, and the coordinators. Offered to a structure's own account (`actor`), the
    coordinators are left out (the regional team is not the centre's to pick; a list of
    every coordinator only lengthens the choice), except `keep_id`, the step's current
    follower. `actor=None` (the services' check): everyone who may."""
    accounts = Q(
        role__in=(User.Role.STRUCTURE_ADMIN, User.Role.STRUCTURE_STAFF), structure=structure
    )
    if actor is None or getattr(actor, "role", None) == User.Role.COORDINATOR:
        accounts |= Q(role=User.Role.COORDINATOR)
    elif keep_id is not None:
        accounts |= Q(role=User.Role.COORDINATOR, pk=keep_id)
    return (
        User.objects.filter(is_active=True)
        .filter(accounts)
        .order_by("last_name", "first_name", "pk")
    )


def standing_requests(membership) -> dict[str, ContactConsent | None]:
    """{channel: the latest `admin_reminders` row with the member's structure} (None:
    never asked). One query."""
    state = structure_consents(membership.participant, membership.structure)
    return {
        channel: state.get((channel, Purpose.ADMIN_REMINDERS)) for channel, _f in CHANNEL_FIELDS
    }


@dataclass(frozen=True)
class Withdrawal:
    channel: str
    at: dt.datetime
    how: str


def withdrawal_how(row: ContactConsent) -> str:
    """How a request was withdrawn, in the team's words: « réponse STOP à un SMS »,
    « depuis son espace personnel » (the note the space writes), « lien … d'un e-mail »,
    or the method the team noted."""
    if row.method == ContactConsent.Method.SMS_STOP:
        return _("réponse STOP à un SMS")
    if row.method == ContactConsent.Method.WEB_LINK and row.note:
        return row.note
    return row.get_method_display()


def withdrawn_requests(step: AdministrativeStep, rows: dict) -> list[Withdrawal]:
    """The channels `step` reminds on whose request was withdrawn, with when and how
    (`rows`: `standing_requests`)."""
    withdrawn = []
    for channel, field_name in CHANNEL_FIELDS:
        row = rows[channel]
        if getattr(step, field_name) and row is not None and row.action == row.Action.WITHDRAWN:
            withdrawn.append(Withdrawal(channel, row.at, withdrawal_how(row)))
    return withdrawn
