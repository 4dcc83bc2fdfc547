"""Reads of the participant's own space: only the signed-in participant's enrolments.

Every read here starts from `Enrolment.objects.filter(participant=participant)`: a session
the person is not enrolled in does not exist for them (404). Hours come from the
émargement selectors (`annotate_enrolment_hours`), never recomputed apart."""

from collections import OrderedDict
from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from formations.models import Participant
from sessions.models import Attendance, Enrolment, Slot, TrainingSession
from sessions.presence import attendance_text
from sessions.selectors.hours import annotate_enrolment_hours


def participant_sessions(*, participant: Participant) -> QuerySet[TrainingSession]:
    """The sessions `participant` is enrolled in (cancelled ones included: they say so)."""
    return TrainingSession.objects.filter(enrolments__participant=participant).distinct()


def participant_session(*, participant: Participant, pk: int) -> TrainingSession:
    """One of the participant's sessions with its formation and half-days; 404 otherwise."""
    return get_object_or_404(
        participant_sessions(participant=participant)
        .select_related("formation")
        .prefetch_related("slots"),
        pk=pk,
    )


@dataclass
class HalfDay:
    slot: Slot
    start: object  # aware datetime in the session's zone
    end: object
    presence: str  # the one sentence of sessions.presence, "" when nothing recorded


@dataclass
class SpaceSession:
    enrolment: Enrolment
    session: TrainingSession
    first_start: object
    last_end: object
    half_days: list[HalfDay]
    planned_minutes: int
    realised_minutes: int

    @property
    def is_upcoming(self) -> bool:
        return self.last_end is not None and self.last_end > timezone.now()

    @property
    def is_cancelled(self) -> bool:
        return self.session.status == TrainingSession.Status.CANCELLED


@dataclass
class FormationHours:
    formation: object
    planned_minutes: int = 0
    realised_minutes: int = 0
    sessions: list = field(default_factory=list)


def space_sessions(*, participant: Participant, now=None) -> list[SpaceSession]:
    """The participant's sessions, each with its half-days (local times, the person's own
    status per half-day) and the enrolment's planned and realised minutes. A fixed number
    of queries whatever the count."""
    now = now or timezone.now()
    enrolments = (
        annotate_enrolment_hours(Enrolment.objects.filter(participant=participant), now=now)
        .select_related("session__formation")
        .prefetch_related(
            Prefetch("session__slots", queryset=Slot.objects.order_by("starts_at")),
            Prefetch("attendances", queryset=Attendance.objects.all()),
        )
        .order_by("session__code")
    )
    rows = []
    for enrolment in enrolments:
        session = enrolment.session
        by_slot = {a.slot_id: a for a in enrolment.attendances.all()}
        half_days = []
        slots = list(session.slots.all())
        for slot in slots:
            attendance = by_slot.get(slot.pk)
            half_days.append(
                HalfDay(
                    slot=slot,
                    start=timezone.localtime(slot.starts_at, session.tzinfo),
                    end=timezone.localtime(slot.ends_at, session.tzinfo),
                    presence=attendance_text(attendance, slot) if attendance else "",
                )
            )
        rows.append(
            SpaceSession(
                enrolment=enrolment,
                session=session,
                first_start=slots[0].starts_at if slots else None,
                last_end=slots[-1].ends_at if slots else None,
                half_days=half_days,
                planned_minutes=enrolment.planned_minutes or 0,
                realised_minutes=enrolment.realised_minutes or 0,
            )
        )
    # Chronological; sessions without half-days yet come last.
    rows.sort(key=lambda r: (r.first_start is None, r.first_start or now, r.session.code))
    return rows


def hours_per_formation(rows: list[SpaceSession]) -> list[FormationHours]:
    """The enrolments' planned and realised minutes (from `annotate_enrolment_hours`)
    added up per formation, in the order the sessions come."""
    totals: OrderedDict[int, FormationHours] = OrderedDict()
    for row in rows:
        formation = row.session.formation
        entry = totals.setdefault(formation.pk, FormationHours(formation=formation))
        entry.planned_minutes += row.planned_minutes
        entry.realised_minutes += row.realised_minutes
        entry.sessions.append(row.session)
    return list(totals.values())
