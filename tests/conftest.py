import pytest
from django.conf import settings
from django.db import connection

from formations.models import User
from formations.translations import compile_catalogues, forget_loaded_catalogues
from tests.factories import FunderFactory, StructureFactory, UserFactory


def pytest_configure(config):
    """Compile the French catalogue (locale/*.po → .mo, not committed) when its .mo is
    missing or older: French plurals (« 0 ligne ») depend on it. Django is already set
    up by now, with its translations loaded, hence the reload when something changed."""
    if compile_catalogues(settings.LOCALE_PATHS):
        forget_loaded_catalogues()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """On PostgreSQL, keep autovacuum off the test database's tables.

    Every test rolls its rows back, so the tables fill with dead rows; an autovacuum run in
    the middle of the suite then records « 0 rows » for tables whose pages it cannot give
    back, and from then on the planner estimates one row whatever a test inserts. With 200
    rows per table it chose nested loops of sequential scans, and one auditor list test
    stalled the suite for minutes. Never vacuumed, a table is estimated from its size on
    disk, which is close enough. Production databases are vacuumed with real rows in them.
    """
    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT format('ALTER TABLE %I.%I SET (autovacuum_enabled = off)', schemaname, "
            "tablename) FROM pg_tables WHERE schemaname = current_schema()"
        )
        for (statement,) in cursor.fetchall():
            cursor.execute(statement)


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


@pytest.fixture
def documents_dir(settings, tmp_path_factory):
    """A private documents storage of this test's own (STORAGES["documents"] in a temporary
    folder): what a test keeps or finds there is only its own doing."""
    location = tmp_path_factory.mktemp("documents")
    settings.STORAGES = {
        **settings.STORAGES,
        "documents": {
            "BACKEND": "formations.storage.PrivateFileSystemStorage",
            "OPTIONS": {"location": str(location)},
        },
    }
    return location


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """``committed(act, *args, **kwargs)`` runs ``act`` and then what it left for after the
    commit, as a real request would once its transaction commits: the outbox's delivery
    task (immediate in tests), so e-mails land in ``mail.outbox``."""

    def run(act, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return act(*args, **kwargs)

    return run


@pytest.fixture(autouse=True)
def _empty_sms_outbox():
    """Like Django's mail.outbox: the memory SMS backend starts every test empty."""
    from formations import sms

    sms.outbox.clear()
    yield
    sms.outbox.clear()
