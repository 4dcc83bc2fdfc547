"""projects.permissions: the shared checks (partner structure, who follows a programme)."""

import pytest

from formations.models import User
from projects.permissions import is_partner, may_follow
from projects.selectors import partner_structures
from tests.factories import (
    FunderFactory,
    StructureFactory,
    TrainingSessionFactory,
    UserFactory,
)
from tests.factories.projects import project_world

pytestmark = pytest.mark.django_db


def test_partner_structures_and_is_partner_agree():
    world = project_world()
    outsider = StructureFactory(name="CCAS d'ailleurs")
    assert list(partner_structures(programme=world.programme)) == sorted(
        [world.ccas, world.other], key=lambda s: (s.sort_key, s.pk)
    )
    assert is_partner(programme=world.programme, structure=world.ccas)
    assert is_partner(programme=world.programme.pk, structure=world.other.pk)
    assert not is_partner(programme=world.programme, structure=outsider)


def test_coordinators_and_the_programme_trainers_follow_it():
    world = project_world()
    trainer, stranger = UserFactory(role=User.Role.TRAINER), UserFactory(role=User.Role.TRAINER)
    TrainingSessionFactory(formation__programme=world.programme).trainers.add(trainer)
    auditor = UserFactory(role=User.Role.FUNDER_AUDITOR)
    funder = FunderFactory()
    world.programme.funders.add(funder)
    auditor.funders.add(funder)
    assert may_follow(user=world.coordinator, programme=world.programme)
    assert may_follow(user=trainer, programme=world.programme.pk)
    for user in (stranger, auditor, world.referent):
        assert not may_follow(user=user, programme=world.programme), user.role
