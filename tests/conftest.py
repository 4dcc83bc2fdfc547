import pytest
from django.conf import settings

from formations.models import User
from formations.translations import compile_catalogues, forget_loaded_catalogues
from tests.factories import FunderFactory, StructureFactory, UserFactory


def pytest_configure(config):
    """Compile the French catalogue (locale/*.po → .mo, not committed) when its .mo is
    missing or older: French plurals (« 0 ligne ») depend on it. Django is already set
    up by now, with its translations loaded, hence the reload when something changed."""
    if compile_catalogues(settings.LOCALE_PATHS):
        forget_loaded_catalogues()


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
