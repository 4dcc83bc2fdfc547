"""Row locks of the money and mission writes, read from the SQL sent to PostgreSQL (SQLite
has no row locks: these tests run with DATABASE_URL set to a PostgreSQL database).

* a payment recorded or corrected for a claim locks the claim, as `claim_cancel` does:
  otherwise both check at once and a payment settles a cancelled claim;
* a row read with `select_related` is locked alone (`FOR UPDATE OF`): a bare
  `FOR UPDATE` would lock the formation joined to it and stall every other write on it."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from formations.models import Formation
from livrables.services_claims import payment_update, record_claim, record_payment
from livrables.services_expenses import mission_create, mission_delete, mission_update
from tests.livrables.test_service_fait import build_world

D = dt.date
CLAIM_LOCK = 'FOR UPDATE OF "livrables_servicefaitclaim"'


@pytest.fixture(autouse=True)
def postgresql_only(db):
    if connection.vendor != "postgresql":
        pytest.skip("row locks exist on PostgreSQL only (set DATABASE_URL)")


@pytest.fixture
def world(db):
    return build_world(
        pricing_mode=Formation.PricingMode.PER_TRAINEE_HOUR,
        unit_price=Decimal("30"),
        amount=Decimal("1000"),
        start_date=D(2021, 9, 1),
        end_date=D(2022, 6, 30),
    )


def _locks(queries) -> list[str]:
    return [q["sql"] for q in queries if "FOR UPDATE" in q["sql"]]


def _assert_no_joined_row_locked(locks):
    for sql in locks:
        assert " JOIN " not in sql or "FOR UPDATE OF" in sql, sql


def test_payment_for_a_claim_locks_the_claim(world):
    claim = record_claim(
        formation=world.formation,
        period_start=D(2021, 10, 1),
        period_end=D(2021, 10, 31),
        amount=Decimal("300"),
        sent_on=D(2021, 11, 2),
        actor=world.coordinator,
    )
    with CaptureQueriesContext(connection) as recorded:
        payment = record_payment(
            formation=world.formation,
            received_on=D(2021, 12, 1),
            amount=Decimal("300"),
            funder=world.funder,
            claim=claim,
            actor=world.coordinator,
        )
    assert any(CLAIM_LOCK in sql for sql in _locks(recorded.captured_queries))

    with CaptureQueriesContext(connection) as recorded:
        payment_update(
            payment=payment,
            received_on=D(2021, 12, 2),
            amount=Decimal("300"),
            funder=world.funder,
            claim=claim,
            actor=world.coordinator,
        )
    locks = _locks(recorded.captured_queries)
    assert any(CLAIM_LOCK in sql for sql in locks)
    assert any('FOR UPDATE OF "livrables_payment"' in sql for sql in locks)
    _assert_no_joined_row_locked(locks)


def test_mission_writes_lock_the_mission_only(world):
    mission = mission_create(
        actor=world.coordinator,
        formation=world.formation,
        name="Comité",
        start_date=D(2021, 10, 1),
        end_date=D(2021, 10, 1),
    )
    with CaptureQueriesContext(connection) as recorded:
        mission_update(
            actor=world.coordinator,
            mission=mission,
            name="Comité de pilotage",
            start_date=D(2021, 10, 1),
            end_date=D(2021, 10, 1),
        )
        mission_delete(actor=world.coordinator, mission=mission)
    locks = _locks(recorded.captured_queries)
    assert len([sql for sql in locks if 'FOR UPDATE OF "livrables_mission"' in sql]) == 2
    _assert_no_joined_row_locked(locks)
