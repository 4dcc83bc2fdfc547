"""Participation of a structure's people in a programme's sessions, read from the sealed
émargements: the follow-up log, the fiche individuelle and the livret all show this, never
a figure recomputed apart.

Realised minutes are those of `sessions.selectors.hours` (signed and countersigned rows),
counted only on sealed half-days: a half-day still open can change, and the log reports
what the sealed sheets prove. Planned minutes are the session's half-days (everyone
enrolled is expected at each). Cancelled sessions are left out.
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import DateTimeField, OuterRef, Subquery

from formations.models import Programme
from sessions.models import Enrolment, Slot, TrainingSession
from sessions.selectors.hours import (
    counted_attendances,
    realised_expression,
    slot_minutes,
    sum_subquery,
)
from sessions.selectors.locks import seal_exists


@dataclass(frozen=True)
class PersonParticipation:
    participant_id: int
    name: str
    planned_minutes: int
    realised_minutes: int

    @property
    def came(self) -> bool:
        return self.realised_minutes > 0


@dataclass(frozen=True)
class SessionParticipation:
    session_id: int
    code: str
    formation: str
    first_start: dt.datetime | None
    last_end: dt.datetime | None
    timezone: str
    people: tuple[PersonParticipation, ...]

    @property
    def planned_minutes(self) -> int:
        return sum(person.planned_minutes for person in self.people)

    @property
    def realised_minutes(self) -> int:
        return sum(person.realised_minutes for person in self.people)

    @property
    def attendees(self) -> int:
        return sum(1 for person in self.people if person.came)


def participation_by_structure(
    *, programme: Programme | int, structure_ids
) -> dict[int, list[SessionParticipation]]:
    """For each structure id: its people's sessions of the programme, in date order, each
    with who was enrolled and their planned and realised minutes. One query whatever the
    number of structures, sessions and people."""
    programme_id = getattr(programme, "pk", programme)
    structure_ids = list(structure_ids)
    slots = Slot.objects.filter(session_id=OuterRef("session_id"))
    enrolments = (
        Enrolment.objects.filter(
            session__formation__programme_id=programme_id,
            participant__structure_id__in=structure_ids,
        )
        .exclude(session__status=TrainingSession.Status.CANCELLED)
        .select_related("participant", "session__formation")
        .annotate(
            planned=sum_subquery(slots, slot_minutes()),
            realised=sum_subquery(
                counted_attendances().filter(seal_exists("slot_id"), enrolment_id=OuterRef("pk")),
                realised_expression(),
            ),
            first_start=Subquery(
                slots.order_by("starts_at").values("starts_at")[:1], output_field=DateTimeField()
            ),
            last_end=Subquery(
                slots.order_by("-ends_at").values("ends_at")[:1], output_field=DateTimeField()
            ),
        )
        .order_by("first_start", "session__code", "participant__sort_key", "participant_id")
    )
    sessions: dict[int, dict[int, dict]] = {pk: {} for pk in structure_ids}
    for enrolment in enrolments:
        session = enrolment.session
        by_session = sessions[enrolment.participant.structure_id]
        entry = by_session.setdefault(
            session.pk,
            {
                "session_id": session.pk,
                "code": session.code,
                "formation": session.formation.title,
                "first_start": enrolment.first_start,
                "last_end": enrolment.last_end,
                "timezone": session.time_zone,
                "people": [],
            },
        )
        entry["people"].append(
            PersonParticipation(
                participant_id=enrolment.participant_id,
                name=enrolment.participant.full_name,
                planned_minutes=enrolment.planned or 0,
                realised_minutes=enrolment.realised or 0,
            )
        )
    return {
        structure_id: [
            SessionParticipation(**{**entry, "people": tuple(entry["people"])})
            for entry in by_session.values()
        ]
        for structure_id, by_session in sessions.items()
    }


def structure_participation(*, programme: Programme | int, structure) -> list[SessionParticipation]:
    structure_id = getattr(structure, "pk", structure)
    return participation_by_structure(programme=programme, structure_ids=[structure_id])[
        structure_id
    ]
