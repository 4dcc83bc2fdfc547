import datetime as dt

import pytest
import time_machine
from django.core import signing

from sessions.exceptions import AttendanceError
from sessions.tokens import (
    REMOTE_LINK_SALT,
    check_qr_token,
    check_remote_link_token,
    qr_seconds_until_rotation,
    qr_token,
    remote_link_token,
)
from tests.factories import EnrolmentFactory, SlotFactory, TrainingSessionFactory
from tests.factories.sessions import at_local, close, sign

pytestmark = pytest.mark.django_db


@pytest.fixture
def session(trainer):
    session = TrainingSessionFactory(code="CD93-2022-03", time_zone="Europe/Paris")
    session.trainers.add(trainer)
    return session


@pytest.fixture
def slot(session):
    return SlotFactory(session=session)  # 09:00–12:30 Paris time, 4 October 2021


@pytest.fixture
def enrolment(session):
    return EnrolmentFactory(session=session)


def _window_start(slot):
    """10:00:00 local: a period boundary for any rotation dividing an hour."""
    return at_local(slot, 10, 0)


def _qr_code(token, slot, now):
    with pytest.raises(AttendanceError) as excinfo:
        check_qr_token(token=token, slot=slot, now=now)
    return excinfo.value.code


# --- QR code --------------------------------------------------------------------------


def test_qr_token_rotates_every_period(slot, settings):
    settings.SUIVI_QR_ROTATION_SECONDS = 60
    start = _window_start(slot)
    token = qr_token(slot=slot, at=start)
    assert qr_token(slot=slot, at=start + dt.timedelta(seconds=59)) == token
    assert qr_token(slot=slot, at=start + dt.timedelta(seconds=60)) != token
    assert len(token.rsplit(".", 1)[1]) == 22


def test_qr_token_valid_now_and_one_period_later(slot):
    start = _window_start(slot)
    token = qr_token(slot=slot, at=start)
    check_qr_token(token=token, slot=slot, now=start)
    check_qr_token(token=token, slot=slot, now=start + dt.timedelta(seconds=119))


def test_qr_token_expired_two_periods_later(slot):
    start = _window_start(slot)
    token = qr_token(slot=slot, at=start)
    assert _qr_code(token, slot, start + dt.timedelta(seconds=120)) == "qr_expired"


def test_qr_rotation_follows_setting(slot, settings):
    settings.SUIVI_QR_ROTATION_SECONDS = 300
    start = _window_start(slot)
    token = qr_token(slot=slot, at=start)
    check_qr_token(token=token, slot=slot, now=start + dt.timedelta(seconds=599))
    assert _qr_code(token, slot, start + dt.timedelta(seconds=600)) == "qr_expired"
    assert qr_seconds_until_rotation(at=start + dt.timedelta(seconds=10)) == 290


def test_qr_token_defaults_to_current_time(slot):
    with time_machine.travel(_window_start(slot), tick=False):
        token = qr_token(slot=slot)
        check_qr_token(token=token, slot=slot)
    with time_machine.travel(_window_start(slot) + dt.timedelta(minutes=5), tick=False):
        with pytest.raises(AttendanceError) as excinfo:
            check_qr_token(token=token, slot=slot)
    assert excinfo.value.code == "qr_expired"


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # one character of the MAC
        lambda t: (
            t.split(".")[0] + "." + str(int(t.split(".")[1]) + 5) + "." + t.split(".")[2]
        ),  # window
        lambda t: "",
        lambda t: "n'importe quoi",
        lambda t: t + "\n",
        lambda t: None,
    ],
)
def test_qr_token_forged_or_malformed_invalid(slot, mangle):
    start = _window_start(slot)
    assert _qr_code(mangle(qr_token(slot=slot, at=start)), slot, start) == "qr_invalid"


def test_qr_token_of_another_slot_wrong_slot(slot, session):
    afternoon = SlotFactory(
        session=session, starts_at=at_local(slot, 13, 30), ends_at=at_local(slot, 17, 0)
    )
    start = _window_start(slot)
    assert _qr_code(qr_token(slot=afternoon, at=start), slot, start) == "qr_wrong_slot"


def test_qr_token_slot_id_swapped_invalid(slot, session):
    """Changing the slot id in a token breaks its MAC: a forgery, not a wrong room."""
    afternoon = SlotFactory(
        session=session, starts_at=at_local(slot, 13, 30), ends_at=at_local(slot, 17, 0)
    )
    start = _window_start(slot)
    _, window, mac = qr_token(slot=afternoon, at=start).split(".")
    assert _qr_code(f"{slot.pk}.{window}.{mac}", slot, start) == "qr_invalid"


def test_qr_token_from_the_future_invalid(slot):
    start = _window_start(slot)
    token = qr_token(slot=slot, at=start + dt.timedelta(minutes=10))
    assert _qr_code(token, slot, start) == "qr_invalid"


def test_qr_token_outside_slot_window(slot):
    late = at_local(slot, 13, 5)
    assert _qr_code(qr_token(slot=slot, at=late), slot, late) == "outside_window"


# --- Remote link ----------------------------------------------------------------------


def test_remote_link_valid_during_slot_returns_enrolment_and_slot(enrolment, slot):
    token = remote_link_token(enrolment=enrolment, slot=slot)
    found_enrolment, found_slot = check_remote_link_token(token=token, now=at_local(slot, 8, 30))
    assert (found_enrolment, found_slot) == (enrolment, slot)


@pytest.mark.parametrize(("hour", "minute"), [(8, 29), (13, 1), (20, 0)])
def test_remote_link_outside_window(enrolment, slot, hour, minute):
    token = remote_link_token(enrolment=enrolment, slot=slot)
    with pytest.raises(AttendanceError) as excinfo:
        check_remote_link_token(token=token, now=at_local(slot, hour, minute))
    assert excinfo.value.code == "outside_window"
    assert "08:30 à 13:00" in excinfo.value.message


def test_remote_link_default_now(enrolment, slot):
    token = remote_link_token(enrolment=enrolment, slot=slot)
    with time_machine.travel(at_local(slot, 11, 0), tick=False):
        assert check_remote_link_token(token=token) == (enrolment, slot)


@pytest.mark.parametrize(
    "forge",
    [
        lambda token, e, s: token[:-2] + ("xx" if not token.endswith("xx") else "yy"),
        lambda token, e, s: signing.dumps(
            {"e": e.pk, "s": s.pk}, salt="autre-usage", compress=True
        ),
        lambda token, e, s: signing.dumps(
            {"e": e.pk, "s": s.pk}, key="pas-la-bonne-cle", salt=REMOTE_LINK_SALT
        ),
        lambda token, e, s: signing.dumps({"e": str(e.pk), "s": s.pk}, salt=REMOTE_LINK_SALT),
        lambda token, e, s: signing.dumps([e.pk, s.pk], salt=REMOTE_LINK_SALT),
        lambda token, e, s: "",
        lambda token, e, s: "a" * 5000,
    ],
)
def test_remote_link_forged_invalid(enrolment, slot, forge):
    token = forge(remote_link_token(enrolment=enrolment, slot=slot), enrolment, slot)
    with pytest.raises(AttendanceError) as excinfo:
        check_remote_link_token(token=token, now=at_local(slot, 10, 0))
    assert excinfo.value.code == "link_invalid"


def test_remote_link_mismatched_session_invalid(slot):
    stranger = EnrolmentFactory()
    token = remote_link_token(enrolment=stranger, slot=slot)
    with pytest.raises(AttendanceError) as excinfo:
        check_remote_link_token(token=token, now=at_local(slot, 10, 0))
    assert excinfo.value.code == "link_invalid"


def test_remote_link_deleted_enrolment_invalid(enrolment, slot):
    token = remote_link_token(enrolment=enrolment, slot=slot)
    enrolment.delete()
    with pytest.raises(AttendanceError) as excinfo:
        check_remote_link_token(token=token, now=at_local(slot, 10, 0))
    assert excinfo.value.code == "link_invalid"


def test_remote_link_second_use_already_signed(enrolment, slot):
    now = at_local(slot, 10, 0)
    token = remote_link_token(enrolment=enrolment, slot=slot)
    found_enrolment, found_slot = check_remote_link_token(token=token, now=now)
    sign(found_enrolment, found_slot, method="remote_link", now=now)

    found_enrolment, found_slot = check_remote_link_token(token=token, now=now)
    with pytest.raises(AttendanceError) as excinfo:
        sign(found_enrolment, found_slot, method="remote_link", now=now)
    assert excinfo.value.code == "already_signed"


def test_remote_link_on_sealed_slot_refused_when_signing(enrolment, slot, trainer):
    token = remote_link_token(enrolment=enrolment, slot=slot)
    close(slot, trainer)
    found_enrolment, found_slot = check_remote_link_token(token=token, now=slot.ends_at)
    with pytest.raises(AttendanceError) as excinfo:
        sign(found_enrolment, found_slot, method="remote_link", now=slot.ends_at)
    assert excinfo.value.code == "slot_sealed"
