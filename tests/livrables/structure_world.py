"""A formation seen from one structure (a CCAS), for the structure's certificat
d'assiduité: sealed sessions where it had people, one where it had nobody, one over the
contract's maximum per structure, and one still unsealed."""

import datetime as dt
import itertools
from dataclasses import dataclass, field

from formations.models import Funder, Structure, User
from sessions.models import Seal, Slot, TrainingSession
from tests.factories import (
    EnrolmentFactory,
    FormationFactory,
    FunderFactory,
    ParticipantFactory,
    ProgrammeFactory,
    StructureFactory,
    TrainingSessionFactory,
    UserFactory,
)
from tests.factories.planning import attend, make_slot
from tests.livrables.conftest import FEDER_2014_SENTENCE, PROGRAMME_SENTENCE

MORNING = (dt.time(9), dt.time(12, 30))
AFTERNOON = (dt.time(13, 30), dt.time(17))
_digests = itertools.count(1)


@dataclass
class StructureWorld:
    formation: object
    structure: Structure
    other: Structure
    coordinator: User
    trainer: User
    sessions: dict = field(default_factory=dict)
    people: dict = field(default_factory=dict)
    enrolments: dict = field(default_factory=dict)


def seal(slot: Slot, trainer) -> Seal:
    """Seals a countersigned half-day (written directly: the seal's own services are
    tested in the sessions app)."""
    sequence = Seal.objects.filter(session_id=slot.session_id).count() + 1
    return Seal.objects.create(
        slot=slot,
        session_id=slot.session_id,
        sequence=sequence,
        previous_digest="",
        digest=f"{next(_digests):064x}",
        record_digests={},
        sealed_at=slot.ends_at + dt.timedelta(minutes=5),
        sealed_by=trainer,
    )


def add_session(world, code: str, days: list[dt.date], *, sealed=True) -> TrainingSession:
    session = TrainingSessionFactory(formation=world.formation, code=code)
    session.trainers.add(world.trainer)
    for day in days:
        for start, end in (MORNING, AFTERNOON):
            slot = make_slot(session, day, start, end, countersigned=sealed)
            if sealed:
                seal(slot, world.trainer)
    world.sessions[code] = session
    return session


def enrol(world, key: str, session, *statuses):
    """Enrols person `key` in `session` and records their half-days in order: a status,
    (status, minutes) for a partial presence, or None for no row at all."""
    enrolment = EnrolmentFactory(session=session, participant=world.people[key])
    slots = list(session.slots.order_by("starts_at"))
    for slot, status in zip(slots, statuses, strict=False):
        if status is None:
            continue
        status, minutes = status if isinstance(status, tuple) else (status, None)
        attend(enrolment, slot, status, minutes=minutes)
    world.enrolments[(key, session.code)] = enrolment
    return enrolment


def make_world(*, rule=(1, 2), reference="CSC-MEL-2018", contract="FEDER-2018-AO.3"):
    feder = FunderFactory(
        name="FEDER", kind=Funder.Kind.FEDER, publicity_sentence=FEDER_2014_SENTENCE
    )
    programme = ProgrammeFactory(
        reference=reference,
        title="Centres sociaux connectés",
        publicity_sentence=PROGRAMME_SENTENCE,
    )
    programme.funders.add(feder)
    formation = FormationFactory(
        programme=programme,
        contract_reference=contract,
        title="Accompagner les usages numériques",
        attendees_per_structure_min=rule[0] if rule else None,
        attendees_per_structure_max=rule[1] if rule else None,
    )
    world = StructureWorld(
        formation=formation,
        structure=StructureFactory(name="CCAS de Lille", kind="ccas", commune="Lille"),
        other=StructureFactory(name="Centre social Wazemmes", kind="centre_social"),
        coordinator=UserFactory(role=User.Role.COORDINATOR),
        trainer=UserFactory(role=User.Role.TRAINER),
    )
    for key, last, first in (
        ("nguyen", "Nguyễn", "Thị Hương"),
        ("dvorak", "Dvořák", "Jiří"),
        ("ozturk", "Öztürk", "Ayşe"),
    ):
        world.people[key] = ParticipantFactory(
            last_name=last, first_name=first, structure=world.structure, job_title="Conseillère"
        )
    world.people["martin"] = ParticipantFactory(
        last_name="Martin", first_name="Camille", structure=world.other
    )
    return world


def rich_world(*, rule=(1, 2)) -> StructureWorld:
    """LABO-1 (4 Oct. 2021, sealed): Nguyễn present twice, Dvořák late (180 min) then no
    row; LABO-2 (11 Oct., sealed): nobody of the CCAS; LABO-3 (18 Oct., sealed): the three
    of them present; LABO-4 (8 Nov.): unsealed, Nguyễn enrolled. Martin (another
    structure) everywhere sealed."""
    world = make_world(rule=rule)
    labo1 = add_session(world, "LABO-1", [dt.date(2021, 10, 4)])
    enrol(world, "nguyen", labo1, "present", "present")
    enrol(world, "dvorak", labo1, ("late", 180), None)
    enrol(world, "martin", labo1, "present", "present")
    labo2 = add_session(world, "LABO-2", [dt.date(2021, 10, 11)])
    enrol(world, "martin", labo2, "present", "absent")
    labo3 = add_session(world, "LABO-3", [dt.date(2021, 10, 18)])
    for key in ("nguyen", "dvorak", "ozturk"):
        enrol(world, key, labo3, "present", "present")
    labo4 = add_session(world, "LABO-4", [dt.date(2021, 11, 8)], sealed=False)
    enrol(world, "nguyen", labo4)
    return world


def sized_world(*, sessions: int, people: int, days: int) -> StructureWorld:
    """`sessions` sealed sessions of `days` days (two half-days each), every one with
    `people` of the CCAS, present or late in turn."""
    size = f"{sessions}-{people}-{days}"
    world = make_world(rule=(1, 3), reference=f"CSC-{size}", contract=f"FEDER-{size}")
    keys = []
    for index in range(people):
        key = f"p{index}"
        world.people[key] = ParticipantFactory(
            last_name=f"Personne{index}", first_name="Dominique", structure=world.structure
        )
        keys.append(key)
    start = dt.date(2021, 1, 4)
    for number in range(sessions):
        first = start + dt.timedelta(weeks=number)
        session = add_session(
            world,
            f"LABO-{number + 1:02d}",
            [first + dt.timedelta(days=d) for d in range(days)],
        )
        statuses = ["present" if (i % 3) else ("late", 150) for i in range(2 * days)]
        for key in keys:
            enrol(world, key, session, *statuses)
    return world
