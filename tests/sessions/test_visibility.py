import datetime as dt

import pytest

from formations.models import Funder, User
from sessions.selectors import (
    enrolments_visible_to,
    sessions_run_by,
    sessions_visible_to,
    slots_run_by,
    slots_visible_to,
)
from tests.factories import (
    EnrolmentFactory,
    FormationFactory,
    FunderFactory,
    ParticipantFactory,
    ProgrammeFactory,
    SlotFactory,
    StructureFactory,
    TrainingSessionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(auditor, referent, trainer):
    """Two programmes: one the auditor's funder pays for (with a second funder of theirs, so
    that a join would list its rows twice), one paid by someone else."""
    feder = auditor.funders.get()
    region = FunderFactory(name="Région", kind=Funder.Kind.REGION)
    auditor.funders.add(region)
    audited = ProgrammeFactory()
    audited.funders.add(feder, region)
    other = ProgrammeFactory()
    other.funders.add(FunderFactory(name="CAF du Nord", kind=Funder.Kind.CAF))

    taught = TrainingSessionFactory(formation=FormationFactory(programme=audited))
    taught.trainers.add(trainer, UserFactory(role=User.Role.TRAINER))
    elsewhere = TrainingSessionFactory(formation=FormationFactory(programme=other))
    colleague_session = TrainingSessionFactory(formation=FormationFactory(programme=other))

    own = ParticipantFactory(structure=referent.structure)
    colleague = ParticipantFactory(structure=referent.structure)
    outsider = ParticipantFactory(structure=StructureFactory())
    enrolments = {
        "own@taught": EnrolmentFactory(session=taught, participant=own),
        "outsider@taught": EnrolmentFactory(session=taught, participant=outsider),
        "outsider@elsewhere": EnrolmentFactory(session=elsewhere, participant=outsider),
        "colleague@colleague_session": EnrolmentFactory(
            session=colleague_session, participant=colleague
        ),
    }
    slots = {
        session: [SlotFactory(session=session, day=dt.date(2021, 10, day)) for day in (4, 5)]
        for session in (taught, elsewhere, colleague_session)
    }
    return {
        "taught": taught,
        "elsewhere": elsewhere,
        "colleague_session": colleague_session,
        "enrolments": enrolments,
        "slots": slots,
    }


def _slots_of(world, *sessions):
    return sorted(slot.pk for session in sessions for slot in world["slots"][session])


def _enrolments(world, *names):
    return sorted(world["enrolments"][name].pk for name in names)


def pks(qs):
    # A list, not a set: a duplicated row must show.
    return sorted(qs.values_list("pk", flat=True))


def test_coordinator_sees_and_runs_everything(coordinator, world):
    every_session = sorted(s.pk for s in world["slots"])
    assert pks(sessions_visible_to(user=coordinator)) == every_session
    assert pks(sessions_run_by(user=coordinator)) == every_session
    assert pks(slots_visible_to(user=coordinator)) == _slots_of(world, *world["slots"])
    assert pks(slots_run_by(user=coordinator)) == _slots_of(world, *world["slots"])
    assert pks(enrolments_visible_to(user=coordinator)) == _enrolments(world, *world["enrolments"])


def test_trainer_sees_and_runs_own_sessions_once(trainer, world):
    taught = world["taught"]
    assert pks(sessions_visible_to(user=trainer)) == [taught.pk]
    assert pks(sessions_run_by(user=trainer)) == [taught.pk]
    assert pks(slots_visible_to(user=trainer)) == _slots_of(world, taught)
    assert pks(slots_run_by(user=trainer)) == _slots_of(world, taught)
    assert pks(enrolments_visible_to(user=trainer)) == _enrolments(
        world, "own@taught", "outsider@taught"
    )


def test_auditor_sees_sessions_of_funded_programmes_once_and_runs_none(auditor, world):
    taught = world["taught"]
    assert pks(sessions_visible_to(user=auditor)) == [taught.pk]
    assert pks(slots_visible_to(user=auditor)) == _slots_of(world, taught)
    assert pks(enrolments_visible_to(user=auditor)) == _enrolments(
        world, "own@taught", "outsider@taught"
    )
    assert pks(sessions_run_by(user=auditor)) == []
    assert pks(slots_run_by(user=auditor)) == []


def test_referent_sees_sessions_with_own_people_and_only_them(referent, world):
    sessions = sorted([world["taught"].pk, world["colleague_session"].pk])
    assert pks(sessions_visible_to(user=referent)) == sessions
    assert pks(slots_visible_to(user=referent)) == _slots_of(
        world, world["taught"], world["colleague_session"]
    )
    assert pks(enrolments_visible_to(user=referent)) == _enrolments(
        world, "own@taught", "colleague@colleague_session"
    )
    assert pks(sessions_run_by(user=referent)) == []
    assert pks(slots_run_by(user=referent)) == []


def test_auditor_without_funder_sees_nothing(world):
    auditor = UserFactory(role=User.Role.FUNDER_AUDITOR)
    assert pks(sessions_visible_to(user=auditor)) == []
    assert pks(slots_visible_to(user=auditor)) == []
    assert pks(enrolments_visible_to(user=auditor)) == []


@pytest.mark.parametrize("role", ["coordinator", "trainer", "auditor", "referent"])
@pytest.mark.parametrize(
    "selector",
    [sessions_visible_to, sessions_run_by, slots_visible_to, slots_run_by, enrolments_visible_to],
)
def test_scoping_nests_no_in_subquery(request, role, selector):
    # Nested `IN (SELECT …)` made PostgreSQL plan nested loops of sequential scans.
    user = request.getfixturevalue(role)
    query = selector(user=user).query
    if query.is_empty():  # qs.none(): no SQL at all
        return
    sql = str(query)
    assert "IN (SELECT" not in sql.upper()
