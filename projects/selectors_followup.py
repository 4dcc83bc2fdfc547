"""The follow-up of the structures of a programme (seed 003: « fiche de suivi de l'activité
par CCAS (contacts, relances, questions/réponses, participation aux labos…) », « suivi
proactif »): who sees it, the log of one structure, the overview of all.

* Coordinators and the programme's trainers read and write the log of every partner
  structure (they follow the teams between the labos).
* Funder auditors of the programme read it.
* A structure's referent does not see it: it is the provider's working record. Their
  structure's log is « not found » (404), like everything out of scope.

The log merges, at read time, the `FollowUpEntry` rows written by people, the
participation in each session read from the sealed émargements
(`selectors_participation`) and the outbox messages sent about the structure within the
programme: those queued about one of its follow-up entries (a reminder sent from the
overview) or about one of its intersession tasks (the reminder before a due date). A
structure in two programmes thus never shows one programme's messages in the other's log,
whose auditors may differ.
"""

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import (
    BooleanField,
    CharField,
    Count,
    DateField,
    ExpressionWrapper,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from formations.models import OutboxMessage, Programme, Structure, User
from formations.permissions import is_funder_auditor, is_structure_referent
from projects.models import FollowUpEntry, IntersessionTask, TeamMember
from projects.permissions import may_follow
from projects.selectors import fiche_structures
from projects.selectors_participation import SessionParticipation, structure_participation
from sessions.models import Enrolment, Slot, TrainingSession

ENTRY_ABOUT_TYPE = FollowUpEntry._meta.label_lower  # "projects.followupentry"
TASK_ABOUT_TYPE = IntersessionTask._meta.label_lower  # "projects.intersessiontask"

# The kinds that are an exchange with the structure: a note is the provider's own memo.
CONTACT_KINDS = (
    FollowUpEntry.Kind.CONTACT,
    FollowUpEntry.Kind.REMINDER,
    FollowUpEntry.Kind.QUESTION,
    FollowUpEntry.Kind.MEETING,
)


# The one definition of each follow-up figure, for the log, the overview, the panels and
# the fiche individuelle (`livrables.data_fiches`).
def contact_q() -> Q:
    """An entry that is an exchange with the structure (« dernier contact », « dernier
    échange »): notes excluded."""
    return Q(kind__in=CONTACT_KINDS)


def open_question_q() -> Q:
    """A question still without an answer. The services store a blank answer as ""
    (`services_followup._tidy_answer`)."""
    return Q(kind=FollowUpEntry.Kind.QUESTION, answer="")


def with_figures(entries: QuerySet[FollowUpEntry]) -> QuerySet[FollowUpEntry]:
    """`entries` with `is_contact` and `is_open_question` (`contact_q`, `open_question_q`),
    computed by the database in the same query."""
    return entries.annotate(
        is_contact=ExpressionWrapper(contact_q(), output_field=BooleanField()),
        is_open_question=ExpressionWrapper(open_question_q(), output_field=BooleanField()),
    )


def silence_days_default() -> int:
    return int(getattr(settings, "SUIVI_FOLLOW_UP_SILENCE_DAYS", 30))


# --------------------------------------------------------------------------- who


def can_read_follow_up(*, user, programme: Programme) -> bool:
    """Coordinators, the programme's trainers and its funders' auditors; never a referent."""
    if not user.is_authenticated or is_structure_referent(user):
        return False
    return follow_up_structures(programme=programme, user=user).exists()


def can_write_follow_up(*, user, programme: Programme) -> bool:
    """Coordinators and the programme's trainers. Auditors read only."""
    if not user.is_authenticated or is_funder_auditor(user) or is_structure_referent(user):
        return False
    return may_follow(user=user, programme=programme)


def follow_up_structures(*, programme: Programme, user) -> QuerySet[Structure]:
    """The partner structures of `programme` whose log the user may open, by name."""
    if not user.is_authenticated or is_structure_referent(user):
        return Structure.objects.none()
    return fiche_structures(programme=programme, user=user)


def follow_up_entries(*, programme: Programme, structure: Structure) -> QuerySet[FollowUpEntry]:
    return with_figures(
        FollowUpEntry.objects.filter(programme=programme, structure=structure).select_related(
            "author", "outbox_message"
        )
    )


def structure_messages(*, programme: Programme, structure: Structure) -> QuerySet[OutboxMessage]:
    """The outbox messages sent about the structure within the programme (newest first):
    about its follow-up entries or its intersession tasks there."""

    def ids(queryset) -> QuerySet:
        return queryset.annotate(key=Cast("pk", CharField())).values("key")

    scope = {"programme": programme, "structure": structure}
    return OutboxMessage.objects.filter(
        Q(about_type=ENTRY_ABOUT_TYPE, about_id__in=ids(FollowUpEntry.objects.filter(**scope)))
        | Q(about_type=TASK_ABOUT_TYPE, about_id__in=ids(IntersessionTask.objects.filter(**scope)))
    ).order_by("-created_at", "-pk")


# --------------------------------------------------------------------------- the log


@dataclass(frozen=True)
class LogItem:
    """One line of the log. `kind`: "entry", "session" or "message"; exactly one of
    `entry`, `session`, `message` is set."""

    kind: str
    on: dt.date
    at: dt.datetime
    entry: FollowUpEntry | None = None
    session: SessionParticipation | None = None
    session_start: dt.datetime | None = None
    session_end: dt.datetime | None = None
    message: OutboxMessage | None = None


@dataclass(frozen=True)
class StructureLog:
    items: list[LogItem]
    sessions: list[SessionParticipation] = field(default_factory=list)
    entries: int = 0
    open_questions: int = 0
    last_contact: dt.date | None = None


def local_time(value: dt.datetime | None, zone: str) -> dt.datetime | None:
    """`value` in the session's time zone (the server's if the zone is unknown)."""
    if value is None:
        return None
    try:
        return timezone.localtime(value, ZoneInfo(zone))
    except (KeyError, ValueError):
        return timezone.localtime(value)


def structure_log(*, programme: Programme, structure: Structure) -> StructureLog:
    """The log of one structure in one programme, newest first: the entries, each session
    of the programme its people are enrolled in (dated by its first half-day; hours from
    sealed half-days only) and the messages about the structure. Three queries."""
    entries = list(follow_up_entries(programme=programme, structure=structure))
    sessions = structure_participation(programme=programme, structure=structure)
    messages = list(structure_messages(programme=programme, structure=structure))
    items: list[LogItem] = []
    for entry in entries:
        items.append(
            LogItem(
                kind="entry",
                on=entry.occurred_on,
                at=entry.created_at,
                entry=entry,
            )
        )
    for session in sessions:
        start = local_time(session.first_start, session.timezone)
        end = local_time(session.last_end, session.timezone)
        if start is None:
            continue  # no half-day yet: nothing to date it by
        items.append(
            LogItem(
                kind="session",
                on=start.date(),
                at=session.first_start,
                session=session,
                session_start=start,
                session_end=end,
            )
        )
    for message in messages:
        local = timezone.localtime(message.created_at)
        items.append(
            LogItem(kind="message", on=local.date(), at=message.created_at, message=message)
        )
    items.sort(key=lambda item: (item.on, item.at), reverse=True)
    contacts = [entry.occurred_on for entry in entries if entry.is_contact]
    return StructureLog(
        items=items,
        sessions=sessions,
        entries=len(entries),
        open_questions=sum(1 for entry in entries if entry.is_open_question),
        last_contact=max(contacts) if contacts else None,
    )


# --------------------------------------------------------------------------- overview


def next_session(*, programme: Programme, now: dt.datetime | None = None) -> TrainingSession | None:
    """The programme's next session: not cancelled, whose first half-day starts after
    `now`. One query."""
    now = now or timezone.now()
    first_start = Subquery(
        Slot.objects.filter(session_id=OuterRef("pk")).order_by("starts_at").values("starts_at")[:1]
    )
    return (
        TrainingSession.objects.filter(formation__programme=programme)
        .exclude(status=TrainingSession.Status.CANCELLED)
        .annotate(
            first_start=first_start,
            last_end=Subquery(
                Slot.objects.filter(session_id=OuterRef("pk"))
                .order_by("-ends_at")
                .values("ends_at")[:1]
            ),
        )
        .filter(first_start__gt=now)
        .select_related("formation")
        .order_by("first_start", "pk")
        .first()
    )


@dataclass(frozen=True)
class OverviewRow:
    structure: Structure
    last_contact: dt.date | None
    days_since: int | None
    entries: int
    open_questions: int
    enrolled_next: int | None  # None: there is no next session

    def silent_for(self, days: int) -> bool:
        return self.days_since is None or self.days_since >= days


@dataclass(frozen=True)
class Overview:
    rows: list[OverviewRow]
    next_session: TrainingSession | None
    silence_days: int
    # The day silence is measured at: today, or the programme's end once it has ended.
    as_of: dt.date | None = None
    ended: bool = False

    @property
    def silent(self) -> list[OverviewRow]:
        return [row for row in self.rows if row.silent_for(self.silence_days)]

    @property
    def nobody_next(self) -> list[OverviewRow]:
        if self.next_session is None:
            return []
        return [row for row in self.rows if not row.enrolled_next]


def follow_up_overview(
    *,
    programme: Programme,
    user,
    silence_days: int | None = None,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
) -> Overview:
    """One row per partner structure the user may follow: last contact (the latest entry
    that is an exchange, notes excluded) and days since, entries, open questions, people
    enrolled in the next session. Three queries whatever the number of structures.

    Days since the last contact count up to today, or, for a programme that has ended, up
    to its last day: a finished programme's structures are not « silent » for years."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    as_of = silence_reference_date(programme=programme, today=today)
    silence_days = silence_days_default() if silence_days is None else silence_days
    upcoming = next_session(programme=programme, now=now)
    entries = FollowUpEntry.objects.filter(programme=programme, structure_id=OuterRef("pk"))
    counted = entries.order_by().values("structure_id")
    structures = follow_up_structures(programme=programme, user=user).annotate(
        last_contact=Subquery(
            counted.filter(contact_q()).annotate(last=Max("occurred_on")).values("last")[:1],
            output_field=DateField(),
        ),
        entry_count=Coalesce(
            Subquery(counted.annotate(n=Count("pk")).values("n")[:1], output_field=IntegerField()),
            Value(0),
        ),
        open_questions=Coalesce(
            Subquery(
                counted.filter(open_question_q()).annotate(n=Count("pk")).values("n")[:1],
                output_field=IntegerField(),
            ),
            Value(0),
        ),
    )
    if upcoming is not None:
        structures = structures.annotate(
            enrolled_next=Coalesce(
                Subquery(
                    Enrolment.objects.filter(
                        session_id=upcoming.pk, participant__structure_id=OuterRef("pk")
                    )
                    .order_by()
                    .values("participant__structure_id")
                    .annotate(n=Count("pk"))
                    .values("n")[:1],
                    output_field=IntegerField(),
                ),
                Value(0),
            )
        )
    rows = [
        OverviewRow(
            structure=structure,
            last_contact=structure.last_contact,
            days_since=max(0, (as_of - structure.last_contact).days)
            if structure.last_contact
            else None,
            entries=structure.entry_count,
            open_questions=structure.open_questions,
            enrolled_next=getattr(structure, "enrolled_next", None),
        )
        for structure in structures
    ]
    return Overview(
        rows=rows,
        next_session=upcoming,
        silence_days=silence_days,
        as_of=as_of,
        ended=as_of < today,
    )


def silence_reference_date(*, programme: Programme, today: dt.date) -> dt.date:
    """The day « sans contact depuis N jours » is measured at: min(today, programme's end)."""
    return min(today, programme.end_date) if programme.end_date else today


@dataclass(frozen=True)
class Recipient:
    name: str
    email: str
    participant_id: int | None = None  # a team member's participant record, else an account
    user_id: int | None = None


@dataclass(frozen=True)
class StructureRecipients:
    structure: Structure
    recipients: list[Recipient]
    # "referents": the structure's referent accounts; "team": the project team's agents;
    # "": nobody to write to.
    source: str


def reminder_recipients(
    *, programme: Programme, structures: list[Structure]
) -> list[StructureRecipients]:
    """Whom a reminder about each structure goes to: its referent accounts (its
    administrators are referents too) that have an e-mail address; failing those, the
    agents of its project team (fiche projet) who are participants with an e-mail address;
    failing those, nobody (the page says so). Two queries whatever the number of
    structures."""
    ids = [structure.pk for structure in structures]
    referents: dict[int, list[Recipient]] = {pk: [] for pk in ids}
    for user in (
        User.objects.filter(
            role__in=(User.Role.STRUCTURE_REFERENT, User.Role.STRUCTURE_ADMIN),
            structure_id__in=ids,
            is_active=True,
        )
        .exclude(email="")
        .order_by("last_name", "first_name", "pk")
    ):
        referents[user.structure_id].append(
            Recipient(name=user.get_full_name() or user.username, email=user.email, user_id=user.pk)
        )
    team: dict[int, list[Recipient]] = {pk: [] for pk in ids}
    for member in (
        TeamMember.objects.filter(
            fiche__programme=programme,
            fiche__structure_id__in=ids,
            kind=TeamMember.Kind.AGENT,
            participant__isnull=False,
        )
        .exclude(participant__email="")
        .select_related("participant", "fiche")
        .order_by("position", "pk")
    ):
        team[member.fiche.structure_id].append(
            Recipient(
                name=member.participant.full_name,
                email=member.participant.email,
                participant_id=member.participant_id,
            )
        )
    answer = []
    for structure in structures:
        if referents[structure.pk]:
            answer.append(StructureRecipients(structure, referents[structure.pk], "referents"))
        elif team[structure.pk]:
            answer.append(StructureRecipients(structure, team[structure.pk], "team"))
        else:
            answer.append(StructureRecipients(structure, [], ""))
    return answer


def reminder_draft(*, programme: Programme, author) -> tuple[str, str]:
    """The subject and text the reminder's confirmation page offers, to be edited: the
    programme, its next session (when and where, in the session's time zone) and the
    author's name as signature."""
    upcoming = next_session(programme=programme)
    signature = author.get_full_name() or author.get_username()
    subject = _("%(programme)s : où en êtes-vous ?") % {"programme": programme.title}
    if upcoming is not None:
        start = local_time(upcoming.first_start, upcoming.time_zone)
        end = local_time(upcoming.last_end, upcoming.time_zone)
        if start.date() == end.date():
            when = _("le %(date)s") % {"date": date_format(start, "l j F Y")}
        else:
            when = _("du %(start)s au %(end)s") % {
                "start": date_format(start, "l j F"),
                "end": date_format(end, "l j F Y"),
            }
        place = f" ({upcoming.place})" if upcoming.place else ""
        session_text = _(
            "La prochaine session, %(session)s, aura lieu %(when)s%(place)s. Pensez à y "
            "inscrire les membres de votre équipe projet si ce n'est pas encore fait."
        ) % {"session": upcoming.formation.title, "when": when, "place": place}
    else:
        session_text = _("Nous vous tiendrons informés de la date de la prochaine session.")
    body = _(
        "Bonjour,\n\n"
        "Nous revenons vers vous dans le cadre du programme « %(programme)s ». Où en est "
        "votre projet ? Avez-vous rencontré des difficultés, ou des questions auxquelles "
        "nous pourrions répondre sans attendre la prochaine rencontre ?\n\n"
        "%(session)s\n\n"
        "N'hésitez pas à répondre à ce message ou à nous appeler.\n\n"
        "Bien cordialement,\n"
        "%(signature)s"
    ) % {"programme": programme.title, "session": session_text, "signature": signature}
    return subject, body
