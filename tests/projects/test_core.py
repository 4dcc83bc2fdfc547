"""The foundation every fiche page builds on: who may edit, the revision of each edit, the
contract's team limits and participation read from the sealed émargements."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from formations.models import User
from projects.exceptions import ProjectsError
from projects.models import FicheRevision, ProjectFiche
from projects.rules import team_limits
from projects.selectors import can_edit_fiche, fiche_structures
from projects.selectors_participation import structure_participation
from projects.services import fiche_edit
from tests.factories import (
    EnrolmentFactory,
    FormationFactory,
    ParticipantFactory,
    StructureFactory,
    TrainingSessionFactory,
    UserFactory,
)
from tests.factories.planning import make_slot
from tests.factories.projects import project_world
from tests.factories.sessions import close, sign

pytestmark = pytest.mark.django_db


def test_an_edit_records_who_changed_what():
    world = project_world()
    with fiche_edit(
        actor=world.referent,
        programme=world.programme,
        structure=world.ccas,
        part="Thématiques",
        expected_revision=0,
    ) as fiche:
        fiche.priority_theme = world.themes[0]
        fiche.save()
    revision = FicheRevision.objects.get()
    assert revision.number == 1
    assert revision.author == world.referent
    assert revision.author_name == "Zaïnaba Ali"
    assert revision.changes == [
        {"field": "Thématiques › Thématique prioritaire", "before": "", "after": "Accès aux droits"}
    ]
    assert ProjectFiche.objects.get().revision == 1


def test_an_edit_that_changes_nothing_records_nothing():
    world = project_world()
    with fiche_edit(
        actor=world.coordinator, programme=world.programme, structure=world.ccas, part="x"
    ):
        pass
    assert not FicheRevision.objects.exists()


def test_an_edit_from_an_older_state_is_refused():
    world = project_world()
    with fiche_edit(
        actor=world.coordinator, programme=world.programme, structure=world.ccas, part="x"
    ) as fiche:
        fiche.lessons_learned = "Premier"
        fiche.save()
    with pytest.raises(ProjectsError) as error:
        with fiche_edit(
            actor=world.referent,
            programme=world.programme,
            structure=world.ccas,
            part="x",
            expected_revision=0,
        ) as fiche:
            fiche.lessons_learned = "Écrase"
            fiche.save()
    assert error.value.code == "stale"
    assert ProjectFiche.objects.get().lessons_learned == "Premier"


def test_a_referent_may_edit_only_their_own_structure():
    world = project_world()
    assert can_edit_fiche(user=world.referent, programme=world.programme, structure=world.ccas)
    assert not can_edit_fiche(user=world.referent, programme=world.programme, structure=world.other)
    with pytest.raises(PermissionDenied):
        with fiche_edit(
            actor=world.referent, programme=world.programme, structure=world.other, part="x"
        ):
            pass
    assert list(fiche_structures(programme=world.programme, user=world.referent)) == [world.ccas]


def test_trainers_of_the_programme_edit_and_auditors_only_read():
    world = project_world()
    trainer = UserFactory(role=User.Role.TRAINER)
    stranger = UserFactory(role=User.Role.TRAINER)
    session = TrainingSessionFactory(formation=world.programme.formations.get())
    session.trainers.add(trainer)
    assert can_edit_fiche(user=trainer, programme=world.programme, structure=world.other)
    assert not can_edit_fiche(user=stranger, programme=world.programme, structure=world.other)
    assert not fiche_structures(programme=world.programme, user=stranger).exists()


def test_a_structure_outside_the_programme_has_no_fiche():
    world = project_world()
    outsider = StructureFactory()
    with pytest.raises(PermissionDenied):
        with fiche_edit(
            actor=world.coordinator, programme=world.programme, structure=outsider, part="x"
        ):
            pass


def test_the_strictest_formation_sets_the_team_limits():
    world = project_world(team_max=3, team_min=1)
    FormationFactory(programme=world.programme, attendees_per_structure_max=2)
    limits = team_limits(programme=world.programme)
    assert (limits.minimum, limits.maximum) == (1, 2)
    assert limits.text == "1 à 2 agents de la structure"


def test_participation_counts_sealed_half_days_only():
    world = project_world()
    trainer = UserFactory(role=User.Role.TRAINER)
    session = TrainingSessionFactory(formation=world.programme.formations.get(), code="LABO-1")
    session.trainers.add(trainer)
    morning = make_slot(
        session, dt.date(2021, 6, 7), dt.time(9), dt.time(12, 30), countersigned=False
    )
    afternoon = make_slot(
        session, dt.date(2021, 6, 7), dt.time(13, 30), dt.time(17), countersigned=False
    )
    came = EnrolmentFactory(session=session, participant=ParticipantFactory(structure=world.ccas))
    EnrolmentFactory(session=session, participant=ParticipantFactory(structure=world.ccas))
    EnrolmentFactory(session=session, participant=ParticipantFactory(structure=world.other))
    sign(came, morning)
    sign(came, afternoon)
    close(morning, trainer)  # the afternoon is signed but not sealed yet
    [labo] = structure_participation(programme=world.programme, structure=world.ccas)
    assert labo.code == "LABO-1"
    assert len(labo.people) == 2
    assert labo.planned_minutes == 2 * 420
    assert labo.realised_minutes == 210
    assert labo.attendees == 1
