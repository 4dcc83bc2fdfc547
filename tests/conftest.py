import pytest

from formations.models import User
from tests.factories import FunderFactory, StructureFactory, UserFactory


@pytest.fixture
def coordinator(db):
    return UserFactory(role=User.Role.COORDINATOR, first_name="Claire", last_name="Coordo")


@pytest.fixture
def trainer(db):
    return UserFactory(role=User.Role.TRAINER, first_name="Théo", last_name="Formateur")


@pytest.fixture
def auditor(db):
    user = UserFactory(role=User.Role.FUNDER_AUDITOR)
    user.funders.add(FunderFactory())
    return user


@pytest.fixture
def referent(db):
    return UserFactory(role=User.Role.STRUCTURE_REFERENT, structure=StructureFactory())


@pytest.fixture
def coordinator_client(client, coordinator):
    client.force_login(coordinator)
    return client
