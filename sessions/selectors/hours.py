"""Planned and realised hours, computed in SQL.

The rule (DESIGN.md, « service fait »):

* planned minutes of a slot = ``ends_at − starts_at`` (a 09:00–12:30 half-day is 210 minutes);
* realised minutes of one participant in one slot:
  present → all the planned minutes; late, left early or both → ``minutes_attended``;
  absent / absent excused → 0;
* only an attendance that is **signed** (a signature trace is stored, or it was keyed in
  from a paper sheet — method ``paper`` — with the scan attached) **and** whose slot is
  **countersigned** by the trainer counts. Anything else counts 0, whatever its status.

Every selector here returns a queryset annotated with integer minutes
(``planned_minutes``, ``realised_minutes`` …) built from correlated subqueries, so a page
or an export issues the same number of queries for 10 rows or 10,000 and joins never
multiply sums (a slot joined to several attendances would be counted several times).

Edge cases, on purpose:

* ``minutes_attended`` is taken as recorded for partial presence, even when it exceeds the
  slot (the services refuse that, see ``invalid_minutes``); it is never capped here so an
  auditor sees what was written.
* a present row that carries ``minutes_attended`` still counts the whole slot: the
  minutes only matter for the partial statuses;
* a signed attendance on a slot not yet countersigned counts 0 until the trainer
  countersigns; rectifications update the attendance row itself (the original values
  live in the rectification), so the current row is what counts;
* an empty JSON object in ``signature`` is treated as a signature (the test is SQL
  ``IS NOT NULL``); the signing service refuses empty traces before they are stored;
* minutes are whole minutes: seconds in slot bounds are dropped (slots are entered to the
  minute).

Hours to come (``planned_future_minutes``) are the planned minutes of the half-days **not
yet ended and not yet countersigned**: they cannot have been realised yet, so they are
shown apart rather than mixed with the hours missed. A half-day that has ended but is not
countersigned is past: its minutes count as missed until the trainer countersigns (then
the signed rows become realised). A half-day countersigned before its end is past too:
its figures are final. Because only countersigned half-days yield realised minutes,
``realised ≤ planned_past`` always holds, and ``missed = planned_past − realised``.
"""

from django.db import models
from django.db.models import (
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from formations.models import Formation, Participant, Structure
from sessions.models import Attendance, Enrolment, Slot, TrainingSession


class MinutesBetween(Func):
    """Whole minutes between two datetime expressions, as an integer, in SQL.

    Django's ``F("ends_at") - F("starts_at")`` is a duration (an ``interval`` on PostgreSQL,
    microseconds on SQLite) that cannot be mixed with the integer ``minutes_attended`` in one
    ``CASE``; this function yields plain integers on both backends instead.
    """

    arity = 2
    output_field = IntegerField()

    def as_sql(self, compiler, connection, **extra_context):
        # PostgreSQL (and any backend that subtracts timestamps into an interval).
        return super().as_sql(
            compiler,
            connection,
            template="CAST(FLOOR(EXTRACT(EPOCH FROM (%(expressions)s)) / 60) AS integer)",
            arg_joiner=" - ",
            **extra_context,
        )

    def as_sqlite(self, compiler, connection, **extra_context):
        # Django stores datetimes as UTC text 'YYYY-MM-DD HH:MM:SS[.ffffff]'; strftime('%s')
        # reads it as seconds since the epoch.
        end_sql, end_params = compiler.compile(self.source_expressions[0])
        start_sql, start_params = compiler.compile(self.source_expressions[1])
        sql = (
            f"((CAST(strftime('%%s', {end_sql}) AS INTEGER)"
            f" - CAST(strftime('%%s', {start_sql}) AS INTEGER)) / 60)"
        )
        return sql, (*end_params, *start_params)


def slot_minutes(prefix: str = "") -> MinutesBetween:
    """Planned minutes of the slot reached through ``prefix`` (e.g. ``"slot__"``)."""
    return MinutesBetween(F(f"{prefix}ends_at"), F(f"{prefix}starts_at"))


def signed_q(prefix: str = "") -> Q:
    """An attendance is signed by its participant, or keyed in from a scanned paper sheet.
    ``prefix`` reaches the attendance from another model (``"attendances__"`` from a slot)."""
    return Q(**{f"{prefix}signature__isnull": False}) | Q(
        **{f"{prefix}method": Attendance.Method.PAPER, f"{prefix}paper_scan__isnull": False}
    )


SIGNED = signed_q()
# …and it counts only once the trainer has countersigned the half-day.
COUNTED = SIGNED & Q(slot__countersigned_at__isnull=False)


def realised_expression() -> models.Case:
    """Realised minutes of one attendance row, assuming it is counted (see ``COUNTED``)."""
    return models.Case(
        models.When(status=Attendance.Status.PRESENT, then=slot_minutes("slot__")),
        models.When(
            # Late, left early, or both: the minutes attended derived from the times.
            status__in=sorted(Attendance.PARTIAL_STATUSES),
            then=Coalesce(F("minutes_attended"), Value(0)),
        ),
        default=Value(0),
        output_field=IntegerField(),
    )


def sum_subquery(queryset: QuerySet, expression) -> Coalesce:
    """``SUM(expression)`` over a correlated queryset, 0 when it has no row.

    The aggregate is written as a bare ``SUM()`` (no ``GROUP BY``): the queryset is already
    filtered on the outer row, so the subquery yields exactly one value.
    """
    total = (
        queryset.order_by()
        .annotate(_total=Func(expression, function="SUM", output_field=IntegerField()))
        .values("_total")
    )
    return Coalesce(Subquery(total, output_field=IntegerField()), Value(0))


def count_subquery(queryset: QuerySet) -> Coalesce:
    total = (
        queryset.order_by()
        .annotate(_count=Func(F("pk"), function="COUNT", output_field=IntegerField()))
        .values("_count")
    )
    return Coalesce(Subquery(total, output_field=IntegerField()), Value(0))


def upcoming_slot_q(*, now, prefix: str = "") -> Q:
    """A half-day still to come at ``now``: not ended and not countersigned (see the module
    docstring). ``prefix`` reaches the slot from another model."""
    return Q(**{f"{prefix}ends_at__gt": now, f"{prefix}countersigned_at__isnull": True})


def annotate_schedule(queryset: QuerySet, *, upcoming_slots: QuerySet[Slot]) -> QuerySet:
    """Adds ``planned_future_minutes`` (the sum over ``upcoming_slots``, a correlated slot
    queryset already filtered with ``upcoming_slot_q``), ``planned_past_minutes`` and
    ``missed_minutes`` to a queryset already annotated with ``planned_minutes`` and
    ``realised_minutes``. ``missed`` never goes below 0, even if a row records more
    minutes than its slot (never capped elsewhere, see the module docstring)."""
    return queryset.annotate(
        planned_future_minutes=sum_subquery(upcoming_slots, slot_minutes())
    ).annotate(
        planned_past_minutes=F("planned_minutes") - F("planned_future_minutes"),
        missed_minutes=Greatest(
            F("planned_minutes") - F("planned_future_minutes") - F("realised_minutes"),
            Value(0),
            output_field=IntegerField(),
        ),
    )


def counted_attendances() -> QuerySet[Attendance]:
    """Attendance rows that count toward realised hours (signed and countersigned)."""
    return Attendance.objects.filter(COUNTED)


# --- per enrolment ------------------------------------------------------------------------


def planned_and_realised_by_enrolment(*, session: TrainingSession, now=None) -> QuerySet[Enrolment]:
    """The session's enrolments, each annotated with ``planned_minutes`` (the sum of the
    session's slots: everyone enrolled is expected at every half-day),
    ``realised_minutes`` (see the module docstring), and the split of planned minutes at
    ``now`` (see ``annotate_enrolment_hours``). Participant and structure are selected
    along. One query whatever the size: none per row."""
    return annotate_enrolment_hours(
        Enrolment.objects.filter(session=session).select_related("participant__structure"),
        now=now,
    )


def annotate_enrolment_hours(queryset: QuerySet[Enrolment], *, now=None) -> QuerySet[Enrolment]:
    """Adds to any enrolment queryset ``planned_minutes``, ``realised_minutes`` and, at
    ``now`` (default: the current time), ``planned_future_minutes`` (half-days still to
    come), ``planned_past_minutes`` and ``missed_minutes`` (past planned − realised)."""
    now = now or timezone.now()
    slots = Slot.objects.filter(session_id=OuterRef("session_id"))
    return annotate_schedule(
        queryset.annotate(
            planned_minutes=sum_subquery(slots, slot_minutes()),
            realised_minutes=sum_subquery(
                counted_attendances().filter(enrolment_id=OuterRef("pk")), realised_expression()
            ),
        ),
        upcoming_slots=slots.filter(upcoming_slot_q(now=now)),
    )


def realised_minutes(*, enrolment: Enrolment) -> int:
    """Realised minutes of one enrolment across its session (one query)."""
    total = (
        counted_attendances()
        .filter(enrolment=enrolment)
        .aggregate(total=Sum(realised_expression()))["total"]
    )
    return total or 0


def planned_minutes(*, session: TrainingSession) -> int:
    """Planned minutes of a session: the sum of its slots (one query)."""
    total = Slot.objects.filter(session=session).aggregate(total=Sum(slot_minutes()))["total"]
    return total or 0


# --- per participant ----------------------------------------------------------------------


def hours_by_participant(
    *,
    participants_qs: QuerySet[Participant] | None = None,
    formation: Formation | None = None,
    sessions_qs: QuerySet[TrainingSession] | None = None,
    now=None,
) -> QuerySet[Participant]:
    """Participants annotated with ``session_count``, ``planned_minutes`` (the slots of
    every session they are enrolled in), ``realised_minutes``, and at ``now`` (default: the
    current time) ``planned_future_minutes``, ``planned_past_minutes`` and
    ``missed_minutes`` (see ``annotate_schedule``).

    ``participants_qs`` limits the people (default: every participant enrolled in the
    scope); ``formation`` and/or ``sessions_qs`` limit the sessions counted (pass the
    user's ``sessions_visible_to`` so an auditor never adds hours from another funder's
    programmes). Cancelled sessions are left out of planned hours (nobody was expected),
    but their counted attendances, if any, still count as realised.
    """
    slots = Slot.objects.filter(session__enrolments__participant_id=OuterRef("pk")).exclude(
        session__status=TrainingSession.Status.CANCELLED
    )
    attendances = counted_attendances().filter(enrolment__participant_id=OuterRef("pk"))
    enrolments = Enrolment.objects.filter(participant_id=OuterRef("pk"))
    if formation is not None:
        slots = slots.filter(session__formation=formation)
        attendances = attendances.filter(slot__session__formation=formation)
        enrolments = enrolments.filter(session__formation=formation)
    if sessions_qs is not None:
        session_ids = sessions_qs.order_by().values("pk")
        slots = slots.filter(session_id__in=session_ids)
        attendances = attendances.filter(slot__session_id__in=session_ids)
        enrolments = enrolments.filter(session_id__in=session_ids)

    qs = participants_qs if participants_qs is not None else Participant.objects.all()
    return annotate_schedule(
        qs.select_related("structure")
        .filter(Exists(enrolments))
        .annotate(
            session_count=count_subquery(enrolments),
            planned_minutes=sum_subquery(slots, slot_minutes()),
            realised_minutes=sum_subquery(attendances, realised_expression()),
        ),
        upcoming_slots=slots.filter(upcoming_slot_q(now=now or timezone.now())),
    )


# --- per session --------------------------------------------------------------------------


def hours_by_session(
    *, sessions_qs: QuerySet[TrainingSession], structure: Structure | int | None = None
) -> QuerySet[TrainingSession]:
    """Sessions annotated with:

    * ``slot_count``, ``planned_minutes`` (the session's length: sum of its slots),
      ``first_start`` and ``last_end`` (aware datetimes; show them in ``session.tzinfo``);
    * ``enrolled_count``;
    * ``planned_trainee_minutes`` = ``planned_minutes × enrolled_count`` (every enrolled
      person expected at every half-day) and ``realised_trainee_minutes`` (sum of the
      counted attendances): the pair to compare.

    ``structure`` restricts the enrolments and attendances to one structure's people (a
    referent sees figures of their own people only).
    """
    slots = Slot.objects.filter(session_id=OuterRef("pk"))
    enrolments = Enrolment.objects.filter(session_id=OuterRef("pk"))
    attendances = counted_attendances().filter(slot__session_id=OuterRef("pk"))
    if structure is not None:
        enrolments = enrolments.filter(participant__structure=structure)
        attendances = attendances.filter(enrolment__participant__structure=structure)
    first_start = slots.order_by("starts_at").values("starts_at")[:1]
    last_end = slots.order_by("-ends_at").values("ends_at")[:1]
    return sessions_qs.annotate(
        slot_count=count_subquery(slots),
        planned_minutes=sum_subquery(slots, slot_minutes()),
        first_start=Subquery(first_start, output_field=models.DateTimeField()),
        last_end=Subquery(last_end, output_field=models.DateTimeField()),
        enrolled_count=count_subquery(enrolments),
        realised_trainee_minutes=sum_subquery(attendances, realised_expression()),
    ).annotate(planned_trainee_minutes=F("planned_minutes") * F("enrolled_count"))


# --- per structure ------------------------------------------------------------------------


def hours_by_structure(
    *,
    formation: Formation | None = None,
    sessions_qs: QuerySet[TrainingSession] | None = None,
    structures_qs: QuerySet[Structure] | None = None,
) -> QuerySet[Structure]:
    """Structures with people enrolled in the scope, annotated with ``participant_count``
    (distinct people), ``enrolment_count``, ``planned_minutes`` (trainee-minutes: each
    enrolment × the slots of its session, cancelled sessions left out) and
    ``realised_minutes``.

    Scope: ``formation`` and/or ``sessions_qs`` (default: every session);
    ``structures_qs`` limits the structures (e.g. ``structures_visible_to``).
    """
    enrolments = Enrolment.objects.filter(participant__structure_id=OuterRef("pk"))
    slots = Slot.objects.filter(
        session__enrolments__participant__structure_id=OuterRef("pk")
    ).exclude(session__status=TrainingSession.Status.CANCELLED)
    attendances = counted_attendances().filter(enrolment__participant__structure_id=OuterRef("pk"))
    if formation is not None:
        enrolments = enrolments.filter(session__formation=formation)
        slots = slots.filter(session__formation=formation)
        attendances = attendances.filter(slot__session__formation=formation)
    if sessions_qs is not None:
        session_ids = sessions_qs.order_by().values("pk")
        enrolments = enrolments.filter(session_id__in=session_ids)
        slots = slots.filter(session_id__in=session_ids)
        attendances = attendances.filter(slot__session_id__in=session_ids)
    distinct_people = (
        enrolments.order_by()
        .annotate(_n=Func(F("participant_id"), template="COUNT(DISTINCT %(expressions)s)"))
        .values("_n")
    )
    qs = structures_qs if structures_qs is not None else Structure.objects.all()
    return qs.filter(Exists(enrolments)).annotate(
        participant_count=Coalesce(
            Subquery(distinct_people, output_field=IntegerField()), Value(0)
        ),
        enrolment_count=count_subquery(enrolments),
        planned_minutes=sum_subquery(slots, slot_minutes()),
        realised_minutes=sum_subquery(attendances, realised_expression()),
    )


# --- per formation ------------------------------------------------------------------------


def hours_by_formation(
    *, formations_qs: QuerySet[Formation], sessions_qs: QuerySet[TrainingSession] | None = None
) -> QuerySet[Formation]:
    """Formations annotated with ``session_count`` (not cancelled), ``planned_minutes``
    (trainee-minutes: enrolments × their session's slots) and ``realised_minutes``, for
    the dashboard chart. ``sessions_qs`` limits the sessions (the user's scope)."""
    sessions = TrainingSession.objects.filter(formation_id=OuterRef("pk")).exclude(
        status=TrainingSession.Status.CANCELLED
    )
    slots = Slot.objects.filter(session__formation_id=OuterRef("pk")).exclude(
        session__status=TrainingSession.Status.CANCELLED
    )
    # One row per (slot, enrolment) pair: the join through the session's enrolments
    # turns slot minutes into trainee-minutes.
    trainee_slots = slots.filter(session__enrolments__isnull=False)
    attendances = counted_attendances().filter(slot__session__formation_id=OuterRef("pk"))
    if sessions_qs is not None:
        session_ids = sessions_qs.order_by().values("pk")
        sessions = sessions.filter(pk__in=session_ids)
        trainee_slots = trainee_slots.filter(session_id__in=session_ids)
        attendances = attendances.filter(slot__session_id__in=session_ids)
    return formations_qs.annotate(
        session_count=count_subquery(sessions),
        planned_minutes=sum_subquery(trainee_slots, slot_minutes()),
        realised_minutes=sum_subquery(attendances, realised_expression()),
    )


__all__ = [
    "COUNTED",
    "SIGNED",
    "MinutesBetween",
    "annotate_enrolment_hours",
    "annotate_schedule",
    "count_subquery",
    "counted_attendances",
    "hours_by_formation",
    "hours_by_participant",
    "hours_by_session",
    "hours_by_structure",
    "planned_and_realised_by_enrolment",
    "planned_minutes",
    "realised_minutes",
    "realised_expression",
    "signed_q",
    "slot_minutes",
    "sum_subquery",
    "upcoming_slot_q",
]
