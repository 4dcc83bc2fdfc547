"""Concurrent signatures: the rule "one attendance per person and half-day" must hold when
20 requests arrive at the same instant (a double tap on a slow network, a QR code
scanned by a whole room). Real threads, real transactions, each with its own connection.
"""

import threading
from collections import Counter

import pytest
from django.db import close_old_connections, connection, connections

from formations.models import User
from sessions.exceptions import AttendanceError
from sessions.models import Attendance, Seal
from sessions.services.attendance import attendance_sign, slot_close, slot_countersign
from tests.factories import EnrolmentFactory, SlotFactory, TrainingSessionFactory, UserFactory
from tests.factories.sessions import at_local, during, signature

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 20


@pytest.fixture(autouse=True)
def real_database_only():
    # Django's SQLite test database lives in memory with a shared cache: there a
    # concurrent writer gets "database table is locked" at once instead of waiting for
    # the busy timeout, so the test would measure SQLite's shared-cache mode, not our
    # code. The file database used in production (WAL, BEGIN IMMEDIATE, 20 s timeout)
    # and PostgreSQL (CI with DATABASE_URL) serialise writers for real.
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("needs a real database file or PostgreSQL (set DATABASE_URL)")


def _run_concurrently(calls):
    """Runs each callable in its own thread, all released at once by a barrier.
    Returns the list of (result or exception)."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def worker(index, call):
        try:
            barrier.wait(timeout=30)
            results[index] = call()
        except Exception as exc:  # collected and asserted by the test
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    close_old_connections()
    return results


def _sign(enrolment, slot, nonce):
    return lambda: attendance_sign(
        enrolment=enrolment,
        slot=slot,
        signature=signature(),
        method="qr_code",
        ip="192.0.2.1",
        user_agent="test",
        nonce=nonce,
        now=during(slot),
    )


def test_same_person_twenty_times_at_once_one_row():
    slot = SlotFactory()
    enrolment = EnrolmentFactory(session=slot.session)

    results = _run_concurrently([_sign(enrolment, slot, f"nonce-{i}") for i in range(THREADS)])

    rows = [r for r in results if isinstance(r, Attendance)]
    errors = [r for r in results if not isinstance(r, Attendance)]
    assert len(rows) == 1
    assert all(isinstance(e, AttendanceError) and e.code == "already_signed" for e in errors), (
        errors
    )
    assert Attendance.objects.filter(enrolment=enrolment, slot=slot).count() == 1


def test_same_nonce_retried_twenty_times_at_once_same_row():
    slot = SlotFactory()
    enrolment = EnrolmentFactory(session=slot.session)

    results = _run_concurrently([_sign(enrolment, slot, "one-nonce") for _ in range(THREADS)])

    assert all(isinstance(r, Attendance) for r in results), results
    assert len({r.pk for r in results}) == 1
    assert Attendance.objects.count() == 1


def test_twenty_people_signing_one_slot_at_once_twenty_rows():
    slot = SlotFactory()
    enrolments = [EnrolmentFactory(session=slot.session) for _ in range(THREADS)]

    results = _run_concurrently([_sign(e, slot, f"n-{e.pk}") for e in enrolments])

    assert all(isinstance(r, Attendance) for r in results), results
    assert Attendance.objects.filter(slot=slot).count() == THREADS


def test_ten_people_from_one_phone_at_once_one_row():
    slot = SlotFactory()
    enrolments = [EnrolmentFactory(session=slot.session) for _ in range(10)]

    def sign_from_phone(enrolment):
        return lambda: attendance_sign(
            enrolment=enrolment,
            slot=slot,
            signature=signature(),
            method="qr_code",
            ip="192.0.2.1",
            user_agent="test",
            nonce=f"n-{enrolment.pk}",
            device_ticket=f"ticket-{enrolment.pk}",
            device_id="d" * 32,
            now=during(slot),
        )

    results = _run_concurrently([sign_from_phone(e) for e in enrolments])

    rows = [r for r in results if isinstance(r, Attendance)]
    errors = [r for r in results if not isinstance(r, Attendance)]
    assert len(rows) == 1
    assert Counter(getattr(e, "code", repr(e)) for e in errors) == {"device_already_used": 9}
    assert Attendance.objects.filter(slot=slot).count() == 1


def test_two_half_days_closed_at_once_chain_stays_linear():
    trainer = UserFactory(role=User.Role.TRAINER)
    session = TrainingSessionFactory()
    session.trainers.add(trainer)
    morning = SlotFactory(session=session)
    afternoon = SlotFactory(
        session=session, starts_at=at_local(morning, 13, 30), ends_at=at_local(morning, 17, 0)
    )
    EnrolmentFactory(session=session)
    for slot in (morning, afternoon):
        slot_countersign(slot=slot, trainer=trainer, signature=signature(), now=slot.ends_at)

    results = _run_concurrently(
        [lambda s=s: slot_close(slot=s, actor=trainer, now=s.ends_at) for s in (morning, afternoon)]
    )

    assert all(isinstance(r, Seal) for r in results), results
    seals = list(Seal.objects.filter(session=session).order_by("sequence"))
    assert [s.sequence for s in seals] == [1, 2]
    assert seals[1].previous_digest == seals[0].digest


def test_signers_racing_the_close_are_either_sealed_in_or_refused():
    trainer = UserFactory(role=User.Role.TRAINER)
    slot = SlotFactory()
    slot.session.trainers.add(trainer)
    enrolments = [EnrolmentFactory(session=slot.session) for _ in range(10)]
    slot_countersign(slot=slot, trainer=trainer, signature=signature(), now=slot.ends_at)
    calls = [_sign(e, slot, f"n-{e.pk}") for e in enrolments]
    calls.append(lambda: slot_close(slot=slot, actor=trainer, now=slot.ends_at))

    results = _run_concurrently(calls)

    outcomes = Counter(
        "signed" if isinstance(r, Attendance) else getattr(r, "code", repr(r)) for r in results[:-1]
    )
    assert set(outcomes) <= {"signed", "slot_sealed"}, outcomes
    seal = Seal.objects.get(slot=slot)
    # Every row of the slot is in the seal: signed before it, or struck out by it.
    assert set(seal.record_digests) == {
        str(pk) for pk in Attendance.objects.filter(slot=slot).values_list("pk", flat=True)
    }
    assert Attendance.objects.filter(slot=slot).count() == 10
    assert Attendance.objects.filter(slot=slot, status="absent").count() == outcomes["slot_sealed"]
