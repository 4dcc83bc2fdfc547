"""A structure's Alertes statistics (seed 002: « un suivi des statistiques pour chaque
structure »): its active members by group, kind and age band; consents by channel; the
messages it sent per month, per campaign category and per group; its reminders.

Every figure is counted by the database (`Count` with a filter, the month as a CASE in the
structure's time zone), in a constant number of queries whatever the rows. Only the
structure's own rows are read: the caller has checked that the user may follow it
(`alertes.selectors.alertes_structure`).

Messages, in the outbox's own words: « messages » (field `written`) are the outbox rows
of the period (`CAMPAIGN_PURPOSE` and `STEP_REMINDER_PURPOSE`, month of writing), then
by status: « en attente », « envoyés » (handed to the provider: status sent or
delivered), « délivrés » (the provider reported delivery: SMS receipts; e-mail has no
such report), « échec » (the provider refused, or the retries are over), « abandonnés »
(refused at delivery: consent withdrawn meanwhile, or expired). Campaign recipients use
the campaigns' definition (`alertes.selectors_campaigns.sent_q`), plus « non envoyés »
for those left apart (no consent, no address).
"""

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from django.db.models import Case, Count, DateField, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from alertes.constants import CAMPAIGN_PURPOSE, STEP_REMINDER_PURPOSE
from alertes.models import AlertCampaign, CampaignRecipient, StepReminder
from alertes.selectors_campaigns import sent_q, skipped_q
from formations.consent import STRUCTURE_PAIRS, annotate_structure_consents, annotation_name
from formations.french import long_date
from formations.members import AGE_BANDS, age_band_filter
from formations.models import (
    ContactConsent,
    MemberGroup,
    Membership,
    OutboxMessage,
    Participant,
    Structure,
)

MONTHS = 12

SENT_STATUSES = (OutboxMessage.Status.SENT, OutboxMessage.Status.DELIVERED)


@dataclass(frozen=True)
class CountRow:
    label: str
    count: int


@dataclass(frozen=True)
class ConsentRow:
    channel: str
    purpose: str
    given: int
    withdrawn: int
    never: int


@dataclass(frozen=True)
class MessageRow:
    label: str
    written: int
    sent: int
    delivered: int
    failed: int
    abandoned: int
    pending: int
    skipped: int = 0  # campaign recipients not written to (no consent, no address)


@dataclass(frozen=True)
class ReminderRow:
    label: str
    due: int  # reminders written (one per due occurrence × channel)
    sent: int
    delivered: int
    failed: int  # failed or abandoned


@dataclass(frozen=True)
class StructureStats:
    structure: Structure
    today: dt.date
    since: dt.date  # first day of the first month of the period
    members: int
    by_group: tuple[CountRow, ...]
    by_kind: tuple[CountRow, ...]
    by_age: tuple[CountRow, ...]
    consents: tuple[ConsentRow, ...]
    messages_by_month: tuple[MessageRow, ...]
    messages_by_category: tuple[MessageRow, ...]
    messages_by_group: tuple[MessageRow, ...]
    reminders_by_month: tuple[ReminderRow, ...]


def month_label(month: dt.date) -> str:
    """« janvier 2026 », in the active language (`formations.french.long_date`)."""
    return long_date(month, "F Y")


def _months(today: dt.date) -> list[dt.date]:
    first = today.replace(day=1)
    months = []
    for back in range(MONTHS - 1, -1, -1):
        index = first.year * 12 + first.month - 1 - back
        months.append(dt.date(index // 12, index % 12 + 1, 1))
    return months


def _message_counts(prefix: str = "", where: Q | None = None) -> dict:
    status = f"{prefix}status"
    where = where or Q()
    return {
        "written": Count("pk", filter=where) if where else Count("pk"),
        "sent": Count("pk", filter=where & Q(**{f"{status}__in": SENT_STATUSES})),
        "delivered": Count("pk", filter=where & Q(**{status: OutboxMessage.Status.DELIVERED})),
        "failed": Count("pk", filter=where & Q(**{status: OutboxMessage.Status.FAILED})),
        "abandoned": Count("pk", filter=where & Q(**{status: OutboxMessage.Status.ABANDONED})),
        "pending": Count("pk", filter=where & Q(**{status: OutboxMessage.Status.PENDING})),
    }


def _recipient_counts() -> dict:
    """The same figures over campaign recipients, with the campaigns' one definition of a
    message written (`sent_q`) and of a recipient left apart (`skipped_q`)."""
    counts = _message_counts("message__", sent_q())
    counts["skipped"] = Count("pk", filter=skipped_q())
    return counts


def _message_row(label, values) -> MessageRow:
    return MessageRow(
        label=str(label),
        written=values.get("written", 0),
        sent=values.get("sent", 0),
        delivered=values.get("delivered", 0),
        failed=values.get("failed", 0),
        abandoned=values.get("abandoned", 0),
        pending=values.get("pending", 0),
        skipped=values.get("skipped", 0),
    )


def _month_key(value) -> dt.date:
    if isinstance(value, str):  # SQLite returns a CASE's date value as text
        return dt.date.fromisoformat(value)
    return value.date() if isinstance(value, dt.datetime) else value


def _month_of(field: str, months: list[dt.date], zone) -> Case:
    """The month (its first day, in `zone`) of `field`, as a CASE over the months' bounds:
    compared as stored, so the database groups by an indexed comparison rather than by
    `TruncMonth`, which SQLite computes with a Python call per row (3 of the 4 s of the
    statistics page at 5,000 members, bench/alertes.py)."""
    bounds = [*months[1:], _next_month(months[-1])]
    return Case(
        *(
            When(
                **{f"{field}__lt": dt.datetime.combine(end, dt.time.min, tzinfo=zone)},
                then=Value(month),
            )
            for month, end in zip(months, bounds, strict=True)
        ),
        output_field=DateField(),
    )


def _next_month(month: dt.date) -> dt.date:
    return dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def structure_stats(*, structure: Structure, now: dt.datetime | None = None) -> StructureStats:
    """The statistics of `structure`, the last `MONTHS` months (this one included) in its
    time zone. Nine queries, whatever the rows."""
    zone = zoneinfo.ZoneInfo(structure.time_zone)
    today = timezone.localtime(now or timezone.now(), zone).date()
    months = _months(today)
    since = dt.datetime.combine(months[0], dt.time.min, tzinfo=zone)
    active = Membership.objects.filter(structure=structure, ended_at__isnull=True)

    # Members: by group (a member may be in several), without group, by kind, by age band.
    groups = (
        MemberGroup.objects.filter(structure=structure)
        .annotate(active=Count("memberships", filter=Q(memberships__ended_at__isnull=True)))
        .order_by("sort_key", "pk")
    )
    by_group = [CountRow(group.name, group.active) for group in groups]
    totals = active.aggregate(
        members=Count("pk", distinct=True),
        without_group=Count("pk", filter=Q(groups__isnull=True)),
    )
    ages = active.aggregate(
        **{
            band.code: Count(
                "pk", filter=age_band_filter(band, today, "participant__date_of_birth")
            )
            for band in AGE_BANDS
        }
    )
    by_group.append(CountRow(_("sans groupe"), totals["without_group"]))
    kinds = dict(active.values_list("participant__kind").annotate(count=Count("pk")).order_by())
    by_kind = [
        CountRow(str(label), kinds.get(kind, 0))
        for kind, label in Participant.Kind.choices
        if kind in Participant.MEMBER_KINDS or kinds.get(kind)
    ]

    # Consents: the latest row per channel × purpose with this structure, for active members.
    consents_qs = annotate_structure_consents(active, structure, prefix="participant__")
    aggregates = {}
    for channel, purpose in STRUCTURE_PAIRS:
        name = annotation_name(channel, purpose)
        aggregates[f"{name}_given"] = Count("pk", filter=Q(**{name: ContactConsent.Action.GIVEN}))
        aggregates[f"{name}_withdrawn"] = Count(
            "pk", filter=Q(**{name: ContactConsent.Action.WITHDRAWN})
        )
    consent_counts = consents_qs.aggregate(**aggregates)
    consents = []
    for channel, purpose in STRUCTURE_PAIRS:
        name = annotation_name(channel, purpose)
        given = consent_counts[f"{name}_given"]
        withdrawn = consent_counts[f"{name}_withdrawn"]
        consents.append(
            ConsentRow(channel, purpose, given, withdrawn, totals["members"] - given - withdrawn)
        )

    # Messages of the period, per month of writing.
    messages = OutboxMessage.objects.filter(
        structure=structure,
        purpose__in=(CAMPAIGN_PURPOSE, STEP_REMINDER_PURPOSE),
        created_at__gte=since,
    )
    per_month = {
        _month_key(row.pop("month")): row
        for row in messages.annotate(month=_month_of("created_at", months, zone))
        .values("month")
        .annotate(**_message_counts())
        .order_by("month")
    }
    messages_by_month = [
        _message_row(month_label(month), per_month.get(month, {})) for month in months
    ]

    # Campaign recipients of the period: per category, per group at sending time.
    recipients = CampaignRecipient.objects.filter(campaign__structure=structure).filter(
        Q(message__created_at__gte=since)
        | Q(message__isnull=True, campaign__scheduled_at__gte=since)
    )
    per_category = {
        row.pop("campaign__category"): row
        for row in recipients.values("campaign__category")
        .annotate(**_recipient_counts())
        .order_by()
    }
    messages_by_category = [
        _message_row(label, per_category[code])
        for code, label in AlertCampaign.Category.choices
        if code in per_category
    ]
    per_group = (
        recipients.values("groups__pk", "groups__name", "groups__sort_key")
        .annotate(**_recipient_counts())
        .order_by("groups__sort_key", "groups__pk")
    )
    messages_by_group = [
        _message_row(row["groups__name"] or _("sans groupe (membres choisis)"), row)
        for row in sorted(per_group, key=lambda row: row["groups__pk"] is None)
    ]

    # Reminders: one StepReminder per due occurrence × channel, month of writing.
    reminders = (
        StepReminder.objects.filter(step__membership__structure=structure, created_at__gte=since)
        .annotate(month=_month_of("created_at", months, zone))
        .values("month")
        .annotate(
            due=Count("pk"),
            sent=Count("pk", filter=Q(message__status__in=SENT_STATUSES)),
            delivered=Count("pk", filter=Q(message__status=OutboxMessage.Status.DELIVERED)),
            failed=Count(
                "pk",
                filter=Q(
                    message__status__in=(
                        OutboxMessage.Status.FAILED,
                        OutboxMessage.Status.ABANDONED,
                    )
                ),
            ),
        )
        .order_by("month")
    )
    per_month_reminders = {_month_key(row.pop("month")): row for row in reminders}
    reminders_by_month = [
        ReminderRow(month_label(month), **per_month_reminders.get(month, _NO_REMINDERS))
        for month in months
    ]

    return StructureStats(
        structure=structure,
        today=today,
        since=months[0],
        members=totals["members"],
        by_group=tuple(by_group),
        by_kind=tuple(by_kind),
        by_age=tuple(CountRow(str(band.label), ages[band.code]) for band in AGE_BANDS),
        consents=tuple(consents),
        messages_by_month=tuple(messages_by_month),
        messages_by_category=tuple(messages_by_category),
        messages_by_group=tuple(messages_by_group),
        reminders_by_month=tuple(reminders_by_month),
    )


_NO_REMINDERS = {"due": 0, "sent": 0, "delivered": 0, "failed": 0}
