import datetime as dt

import pytest
import time_machine
from django.db import transaction

from formations.models import AuditEntry, User
from sessions.exceptions import AttendanceError
from sessions.models import Attendance, Rectification, Seal
from sessions.sealing import iso_utc
from sessions.services.attendance import (
    attendance_key_in,
    attendance_mark,
    attendance_rectify,
    attendance_sign,
    signing_window,
    slot_close,
    slot_countersign,
)
from tests.factories import (
    AttendanceFactory,
    EnrolmentFactory,
    ParticipantFactory,
    SlotFactory,
    TrainingSessionFactory,
    UserFactory,
)
from tests.factories.sessions import (
    PaperSheetScanFactory,
    at_local,
    close,
    during,
    sign,
    signature,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def session(trainer):
    session = TrainingSessionFactory(code="LABO-2021-1", time_zone="Indian/Mayotte")
    session.trainers.add(trainer)
    return session


@pytest.fixture
def slot(session):
    return SlotFactory(session=session)  # 09:00–12:30 Mayotte time, 4 October 2021


@pytest.fixture
def enrolment(session):
    return EnrolmentFactory(
        session=session, participant=ParticipantFactory(last_name="Nguyễn", first_name="Thị Hoa")
    )


@pytest.fixture
def other(session):
    return EnrolmentFactory(session=session, participant=ParticipantFactory(last_name="Dvořák"))


@pytest.fixture
def scan(slot, trainer):
    return PaperSheetScanFactory(slot=slot, uploaded_by=trainer)


def _code(excinfo) -> str:
    return excinfo.value.code


def key_in(enrolment, slot, *, status, scan, actor, minutes=None, now=None):
    return attendance_key_in(
        enrolment=enrolment,
        slot=slot,
        status=status,
        minutes_attended=minutes,
        scan=scan,
        actor=actor,
        now=now,
    )


# --- attendance_sign ------------------------------------------------------------------


def test_sign_creates_present_row_with_evidence(enrolment, slot):
    now = during(slot)
    attendance = attendance_sign(
        enrolment=enrolment,
        slot=slot,
        signature=signature(),
        method=Attendance.Method.QR_CODE,
        ip="2001:db8::1",
        user_agent="x" * 800,
        nonce="n-1",
        device_signed_at=now - dt.timedelta(seconds=4),
        now=now,
    )

    attendance.refresh_from_db()
    assert attendance.status == Attendance.Status.PRESENT
    assert attendance.minutes_attended is None
    assert attendance.method == Attendance.Method.QR_CODE
    assert attendance.signature == signature()
    assert attendance.signed_at == now
    assert attendance.device_signed_at == now - dt.timedelta(seconds=4)
    assert attendance.ip_address == "2001:db8::1"
    assert len(attendance.user_agent) == 500
    assert attendance.nonce == "n-1"
    assert attendance.is_signed
    entry = AuditEntry.objects.get(action="attendance.sign")
    assert entry.object_id == str(attendance.pk)
    assert "NGUYỄN Thị Hoa" in entry.summary


def test_sign_unreadable_device_time_and_ip_are_dropped(enrolment, slot):
    attendance = attendance_sign(
        enrolment=enrolment,
        slot=slot,
        signature=signature(),
        method="tablet",
        ip="not-an-ip",
        user_agent="",
        device_signed_at="hier",
        now=during(slot),
    )
    assert attendance.ip_address is None
    assert attendance.device_signed_at is None


def test_sign_user_agent_with_nul_byte_stored_without_it(enrolment, slot):
    # The header comes from anyone (public QR and link pages); PostgreSQL refuses NUL in text.
    attendance = attendance_sign(
        enrolment=enrolment,
        slot=slot,
        signature=signature(),
        method="qr_code",
        ip=None,
        user_agent="Mozilla\x00/5.0",
        now=during(slot),
    )

    attendance.refresh_from_db()
    assert attendance.user_agent == "Mozilla/5.0"


def test_sign_device_time_as_js_milliseconds(enrolment, slot):
    now = during(slot)
    attendance = attendance_sign(
        enrolment=enrolment,
        slot=slot,
        signature=signature(),
        method="tablet",
        ip=None,
        user_agent="",
        device_signed_at=int(now.timestamp() * 1000),
        now=now,
    )
    assert attendance.device_signed_at == now


def test_sign_uses_current_time_by_default(enrolment, slot):
    with time_machine.travel(during(slot), tick=False):
        attendance = sign(enrolment, slot, now=None)
    assert attendance.signed_at == during(slot)


def test_sign_other_session_wrong_session(slot):
    stranger = EnrolmentFactory()
    with pytest.raises(AttendanceError) as excinfo:
        sign(stranger, slot)
    assert _code(excinfo) == "wrong_session"
    assert not Attendance.objects.exists()


def test_sign_sealed_slot_refused(enrolment, other, slot, trainer):
    close(slot, trainer)
    with pytest.raises(AttendanceError) as excinfo:
        sign(enrolment, slot, now=slot.ends_at)
    assert _code(excinfo) == "slot_sealed"


@pytest.mark.parametrize(
    ("hour", "minute", "state"),
    [(8, 29, "n'est pas encore ouvert"), (13, 1, "est clos")],
)
def test_sign_outside_window_names_local_window(enrolment, slot, hour, minute, state):
    with pytest.raises(AttendanceError) as excinfo:
        sign(enrolment, slot, now=at_local(slot, hour, minute))
    assert _code(excinfo) == "outside_window"
    message = excinfo.value.message
    assert state in message
    # Mayotte is UTC+3: the window is given in the session's local time, not UTC.
    assert "le 04/10/2021 de 08:30 à 13:00" in message
    assert "(heure de Mayotte)" in message


@pytest.mark.parametrize(("hour", "minute"), [(8, 30), (12, 59), (13, 0)])
def test_sign_at_window_edges_accepted(enrolment, slot, hour, minute):
    attendance = sign(enrolment, slot, now=at_local(slot, hour, minute))
    assert attendance.pk


def test_signing_window_follows_margin_setting(slot, settings):
    settings.SUIVI_SIGNING_MARGIN_MINUTES = 5
    opens, closes = signing_window(slot=slot)
    assert opens == at_local(slot, 8, 55)
    assert closes == at_local(slot, 12, 35)


def _long_signature(points: int) -> dict:
    return {
        "width": 320,
        "height": 120,
        "strokes": [[[i % 300, i % 100, i] for i in range(points)]],
    }


@pytest.mark.parametrize(
    "bad",
    [
        None,
        "pas du json",
        [],
        {},
        {"width": 320, "height": 120, "strokes": []},
        {"width": 320, "height": 120, "strokes": [[[10, 10, 0]]]},  # one point
        {"width": 320, "height": 120, "strokes": [[[10, 10, 0], [11, 11, 5]]]},  # a tap
        {"width": 320, "height": 120, "strokes": [[[10, 10, 0], [900, 40, 5]]]},  # off the pad
        {"width": 320, "height": 120, "strokes": [[[10, 10, 0], [float("nan"), 40, 5]]]},
        {"width": 320, "height": 120, "strokes": [[[10, 10, 0], [True, 40, 5]]]},
        {"width": 320, "height": 120, "strokes": [[[10, 10, 0], ["50", 40, 5]]]},
        {"width": 320, "height": 120, "strokes": [[[10, 10, 0], [50, 40]]]},
        {"width": 320, "height": 120, "strokes": [[[10, 10, -1], [50, 40, 5]]]},
        {"width": "320", "height": 120, "strokes": [[[10, 10, 0], [50, 40, 5]]]},
        {"width": 100_000, "height": 120, "strokes": [[[10, 10, 0], [50, 40, 5]]]},
        {"width": 320, "height": 0, "strokes": [[[10, 10, 0], [50, 40, 5]]]},
        _long_signature(10_001),
        {"width": 320, "height": 120, "strokes": [[[10, 10, 0], [10**400, 40, 5]]]},
        "[" * 100_000,
    ],
)
def test_sign_invalid_signature_refused(enrolment, slot, bad):
    with pytest.raises(AttendanceError) as excinfo:
        attendance_sign(
            enrolment=enrolment,
            slot=slot,
            signature=bad,
            method="tablet",
            ip=None,
            user_agent="",
            now=during(slot),
        )
    assert _code(excinfo) == "invalid_signature"
    assert not Attendance.objects.exists()


def test_sign_small_overshoot_and_json_string_accepted(enrolment, slot):
    posted = '{"width": 320, "height": 120, "strokes": [[[-4, 10, 0], [325.456, 124, 16.4]]]}'
    attendance = attendance_sign(
        enrolment=enrolment,
        slot=slot,
        signature=posted,
        method="tablet",
        ip=None,
        user_agent="",
        now=during(slot),
    )
    attendance.refresh_from_db()
    assert attendance.signature == {
        "width": 320,
        "height": 120,
        "strokes": [[[-4, 10, 0], [325.46, 124, 16.4]]],
    }


def test_sign_ten_thousand_points_accepted(enrolment, slot):
    attendance = attendance_sign(
        enrolment=enrolment,
        slot=slot,
        signature=_long_signature(10_000),
        method="tablet",
        ip=None,
        user_agent="",
        now=during(slot),
    )
    assert attendance.pk


def test_sign_twice_already_signed(enrolment, slot):
    first = sign(enrolment, slot, nonce="a")
    with pytest.raises(AttendanceError) as excinfo:
        sign(enrolment, slot, nonce="b")
    assert _code(excinfo) == "already_signed"
    assert list(Attendance.objects.all()) == [first]


def test_sign_same_nonce_returns_first_row(enrolment, slot, trainer):
    first = sign(enrolment, slot, nonce="retry-1")

    again = sign(enrolment, slot, nonce="retry-1", now=during(slot) + dt.timedelta(seconds=3))

    assert again.pk == first.pk
    assert again.signed_at == first.signed_at
    assert Attendance.objects.count() == 1
    assert AuditEntry.objects.filter(action="attendance.sign").count() == 1


def test_sign_same_nonce_after_seal_still_idempotent(enrolment, slot, trainer):
    first = sign(enrolment, slot, nonce="offline-retry")
    close(slot, trainer)
    # A tablet that lost the answer retries after the close and the window: same row.
    again = sign(enrolment, slot, nonce="offline-retry", now=slot.ends_at + dt.timedelta(hours=3))
    assert again.pk == first.pk


def test_sign_nonce_reused_for_someone_else_refused(enrolment, other, slot):
    sign(enrolment, slot, nonce="same")
    with pytest.raises(AttendanceError) as excinfo:
        sign(other, slot, nonce="same")
    assert _code(excinfo) == "nonce_reused"


def test_sign_long_nonce_is_hashed_to_fit(enrolment, slot):
    first = sign(enrolment, slot, nonce="n" * 200)
    assert len(first.nonce) == 64
    assert sign(enrolment, slot, nonce="n" * 200).pk == first.pk


def test_sign_attaches_signature_to_trainer_late_row(enrolment, slot, trainer):
    marked = attendance_mark(
        enrolment=enrolment,
        slot=slot,
        status="late",
        minutes_attended=150,  # arrived at 10:00
        actor=trainer,
        now=slot.starts_at + dt.timedelta(minutes=61),
    )

    signed = sign(enrolment, slot, method="qr_code", now=during(slot) + dt.timedelta(minutes=55))

    assert signed.pk == marked.pk
    signed.refresh_from_db()
    assert signed.status == Attendance.Status.LATE
    assert signed.minutes_attended == 150
    assert signed.method == Attendance.Method.QR_CODE
    assert signed.signature == signature()
    assert signed.recorded_by == trainer


def test_sign_after_trainer_marked_absent_refused(enrolment, slot, trainer):
    attendance_mark(
        enrolment=enrolment, slot=slot, status="absent", minutes_attended=None, actor=trainer
    )
    with pytest.raises(AttendanceError) as excinfo:
        sign(enrolment, slot)
    assert _code(excinfo) == "already_signed"
    assert "absent" in excinfo.value.message


def test_sign_lost_race_integrity_error_becomes_already_signed(enrolment, slot, monkeypatch):
    """Where the lock is not enough (a row written by other code between the check and
    the insert), the unique constraint fires and the answer is the same as if the row
    had been there before."""
    AttendanceFactory(enrolment=enrolment, slot=slot)
    real_filter = Attendance.objects.filter
    lookups = []

    def blind_first_lookup(*args, **kwargs):
        queryset = real_filter(*args, **kwargs)
        if "enrolment" in kwargs:
            lookups.append(kwargs)
            if len(lookups) == 1:
                return queryset.none()
        return queryset

    monkeypatch.setattr(Attendance.objects, "filter", blind_first_lookup)
    with transaction.atomic():
        with pytest.raises(AttendanceError) as excinfo:
            sign(enrolment, slot, nonce="late-racer")
        # The savepoint kept the outer transaction usable.
        assert Attendance.objects.count() == 1
    assert _code(excinfo) == "already_signed"
    # The patch fired: the check was blinded, the insert hit the constraint, and the winner
    # was looked up after it.
    assert lookups == [{"enrolment": enrolment, "slot": slot}] * 2


def test_sign_unknown_method_is_a_programming_error(enrolment, slot):
    with pytest.raises(ValueError):
        sign(enrolment, slot, method="paper")


# --- attendance_mark ------------------------------------------------------------------


def test_mark_creates_trainer_row_without_signature(enrolment, slot, trainer):
    attendance = attendance_mark(
        enrolment=enrolment, slot=slot, status="absent_excused", minutes_attended=0, actor=trainer
    )
    assert attendance.method == Attendance.Method.TRAINER
    assert attendance.recorded_by == trainer
    assert attendance.signature is None
    assert attendance.minutes_attended is None
    assert not attendance.is_signed
    entry = AuditEntry.objects.get(action="attendance.mark")
    assert entry.data["old"] is None
    assert entry.data["new"] == {
        "status": "absent_excused",
        "minutes_attended": None,
        "arrived_at": None,
        "left_at": None,
    }


@pytest.mark.parametrize("status", ["late", "left_early"])
@pytest.mark.parametrize("minutes", [None, 0, 210, 500, -5])
def test_mark_partial_needs_minutes_within_slot(enrolment, slot, trainer, status, minutes):
    assert slot.planned_minutes == 210
    with pytest.raises(AttendanceError) as excinfo:
        attendance_mark(
            enrolment=enrolment, slot=slot, status=status, minutes_attended=minutes, actor=trainer
        )
    assert _code(excinfo) == ("time_required" if minutes is None else "invalid_minutes")
    assert not Attendance.objects.exists()


@pytest.mark.parametrize("minutes", [1, 120, 209])
def test_mark_late_minutes_kept(enrolment, slot, trainer, minutes):
    attendance = attendance_mark(
        enrolment=enrolment, slot=slot, status="late", minutes_attended=minutes, actor=trainer
    )
    attendance.refresh_from_db()
    assert (attendance.status, attendance.minutes_attended) == ("late", minutes)


def test_mark_present_with_full_minutes_stores_none(enrolment, slot, trainer):
    attendance = attendance_mark(
        enrolment=enrolment, slot=slot, status="present", minutes_attended=210, actor=trainer
    )
    assert attendance.minutes_attended is None


@pytest.mark.parametrize(
    ("status", "minutes"), [("present", 100), ("absent", 30), ("absent_excused", 1)]
)
def test_mark_minutes_inconsistent_with_status_refused(enrolment, slot, trainer, status, minutes):
    with pytest.raises(AttendanceError) as excinfo:
        attendance_mark(
            enrolment=enrolment, slot=slot, status=status, minutes_attended=minutes, actor=trainer
        )
    assert _code(excinfo) == "invalid_minutes"


@pytest.mark.parametrize("minutes", ["30", 30.5, True])
def test_mark_minutes_not_an_integer_refused(enrolment, slot, trainer, minutes):
    with pytest.raises(AttendanceError) as excinfo:
        attendance_mark(
            enrolment=enrolment, slot=slot, status="late", minutes_attended=minutes, actor=trainer
        )
    assert _code(excinfo) == "invalid_minutes"


def test_mark_unknown_status_refused(enrolment, slot, trainer):
    with pytest.raises(AttendanceError) as excinfo:
        attendance_mark(
            enrolment=enrolment, slot=slot, status="sick", minutes_attended=None, actor=trainer
        )
    assert _code(excinfo) == "invalid_status"


def test_mark_signed_row_late_keeps_signature_and_logs_old_values(enrolment, slot, trainer):
    signed = sign(enrolment, slot)
    attendance = attendance_mark(
        enrolment=enrolment, slot=slot, status="left_early", minutes_attended=180, actor=trainer
    )
    assert attendance.pk == signed.pk
    attendance.refresh_from_db()
    assert attendance.signature == signature()
    assert attendance.method == Attendance.Method.TABLET
    assert (attendance.status, attendance.minutes_attended) == ("left_early", 180)
    # 180 of 210 minutes attended: left 30 minutes before the 12:30 end.
    assert attendance.left_at == slot.ends_at - dt.timedelta(minutes=30)
    entry = AuditEntry.objects.get(action="attendance.mark")
    assert entry.data["old"] == {
        "status": "present",
        "minutes_attended": None,
        "arrived_at": None,
        "left_at": None,
    }
    assert entry.data["new"]["status"] == "left_early"
    assert entry.data["new"]["minutes_attended"] == 180
    assert entry.data["new"]["left_at"] == iso_utc(slot.ends_at - dt.timedelta(minutes=30))


@pytest.mark.parametrize("status", ["absent", "absent_excused"])
def test_mark_signed_participant_absent_refused(enrolment, slot, trainer, status):
    sign(enrolment, slot)
    with pytest.raises(AttendanceError) as excinfo:
        attendance_mark(
            enrolment=enrolment, slot=slot, status=status, minutes_attended=None, actor=trainer
        )
    assert _code(excinfo) == "signed_cannot_be_absent"
    assert Attendance.objects.get().status == "present"


def test_mark_wrong_session(slot, trainer):
    with pytest.raises(AttendanceError) as excinfo:
        attendance_mark(
            enrolment=EnrolmentFactory(),
            slot=slot,
            status="present",
            minutes_attended=None,
            actor=trainer,
        )
    assert _code(excinfo) == "wrong_session"


def test_mark_sealed_slot_refused(enrolment, slot, trainer):
    close(slot, trainer)
    with pytest.raises(AttendanceError) as excinfo:
        attendance_mark(
            enrolment=enrolment, slot=slot, status="present", minutes_attended=None, actor=trainer
        )
    assert _code(excinfo) == "slot_sealed"


# --- attendance_key_in ----------------------------------------------------------------


def test_key_in_creates_paper_row_with_scan(enrolment, slot, trainer, scan):
    attendance = key_in(enrolment, slot, status="late", minutes=180, scan=scan, actor=trainer)
    attendance.refresh_from_db()
    assert attendance.method == Attendance.Method.PAPER
    assert attendance.paper_scan == scan
    assert attendance.recorded_by == trainer
    assert attendance.is_signed
    assert AuditEntry.objects.filter(action="attendance.key_in").count() == 1


def test_key_in_updates_trainer_row(enrolment, slot, trainer, scan):
    marked = attendance_mark(
        enrolment=enrolment, slot=slot, status="absent", minutes_attended=None, actor=trainer
    )
    keyed = key_in(enrolment, slot, status="present", scan=scan, actor=trainer)
    assert keyed.pk == marked.pk
    assert (keyed.status, keyed.method, keyed.paper_scan_id) == ("present", "paper", scan.pk)


def test_key_in_without_scan_refused(enrolment, slot, trainer):
    with pytest.raises(AttendanceError) as excinfo:
        key_in(enrolment, slot, status="present", scan=None, actor=trainer)
    assert _code(excinfo) == "scan_missing"


def test_key_in_scan_of_other_slot_refused(enrolment, slot, session, trainer):
    other_slot = SlotFactory(session=session, day=dt.date(2021, 10, 5))
    foreign_scan = PaperSheetScanFactory(slot=other_slot)
    with pytest.raises(AttendanceError) as excinfo:
        key_in(enrolment, slot, status="present", scan=foreign_scan, actor=trainer)
    assert _code(excinfo) == "scan_missing"


def test_key_in_electronically_signed_refused(enrolment, slot, trainer, scan):
    sign(enrolment, slot)
    with pytest.raises(AttendanceError) as excinfo:
        key_in(enrolment, slot, status="absent", scan=scan, actor=trainer)
    assert _code(excinfo) == "already_signed"
    assert Attendance.objects.get().method == Attendance.Method.TABLET


def test_key_in_late_without_time_nor_minutes(enrolment, slot, trainer, scan):
    with pytest.raises(AttendanceError) as excinfo:
        key_in(enrolment, slot, status="late", scan=scan, actor=trainer)
    assert _code(excinfo) == "time_required"


def test_key_in_wrong_session(slot, trainer, scan):
    with pytest.raises(AttendanceError) as excinfo:
        key_in(EnrolmentFactory(), slot, status="present", scan=scan, actor=trainer)
    assert _code(excinfo) == "wrong_session"


def test_key_in_sealed_slot_refused(enrolment, slot, trainer, scan):
    close(slot, trainer)
    with pytest.raises(AttendanceError) as excinfo:
        key_in(enrolment, slot, status="present", scan=scan, actor=trainer)
    assert _code(excinfo) == "slot_sealed"


def test_key_in_before_the_half_day_starts_refused(enrolment, slot, trainer, scan):
    with pytest.raises(AttendanceError) as excinfo:
        key_in(
            enrolment,
            slot,
            status="present",
            scan=scan,
            actor=trainer,
            now=slot.starts_at - dt.timedelta(minutes=1),
        )
    assert _code(excinfo) == "slot_not_started"
    assert "04/10/2021 à 09:00" in excinfo.value.message
    assert not Attendance.objects.exists()


# --- slot_countersign -----------------------------------------------------------------


def test_countersign_stores_signature_author_and_time(slot, trainer):
    now = slot.ends_at
    returned = slot_countersign(slot=slot, trainer=trainer, signature=signature(), now=now)
    slot.refresh_from_db()
    assert returned.pk == slot.pk
    assert slot.countersignature == signature()
    assert slot.countersigned_by == trainer
    assert slot.countersigned_at == now
    assert slot.is_countersigned
    assert AuditEntry.objects.filter(action="slot.countersign", actor=trainer).exists()


def test_countersign_by_coordinator_refused(slot, coordinator):
    with pytest.raises(AttendanceError) as excinfo:
        slot_countersign(slot=slot, trainer=coordinator, signature=signature())
    assert _code(excinfo) == "not_trainer"
    slot.refresh_from_db()
    assert not slot.is_countersigned


@pytest.mark.parametrize("hours_before_end", [4, 1])
def test_countersign_before_the_end_of_the_half_day_refused(slot, trainer, hours_before_end):
    with pytest.raises(AttendanceError) as excinfo:
        slot_countersign(
            slot=slot,
            trainer=trainer,
            signature=signature(),
            now=slot.ends_at - dt.timedelta(hours=hours_before_end),
        )
    assert _code(excinfo) == "slot_not_ended"
    slot.refresh_from_db()
    assert not slot.is_countersigned


@pytest.mark.parametrize("role", [User.Role.TRAINER, User.Role.FUNDER_AUDITOR])
def test_countersign_by_someone_not_running_the_session_refused(slot, role):
    with pytest.raises(AttendanceError) as excinfo:
        slot_countersign(slot=slot, trainer=UserFactory(role=role), signature=signature())
    assert _code(excinfo) == "not_trainer"
    slot.refresh_from_db()
    assert not slot.is_countersigned


def test_countersign_invalid_signature_refused(slot, trainer):
    with pytest.raises(AttendanceError) as excinfo:
        slot_countersign(
            slot=slot, trainer=trainer, signature={"width": 320, "height": 120, "strokes": []}
        )
    assert _code(excinfo) == "invalid_signature"


def test_countersign_sealed_slot_refused(slot, trainer):
    close(slot, trainer)
    with pytest.raises(AttendanceError) as excinfo:
        slot_countersign(slot=slot, trainer=trainer, signature=signature())
    assert _code(excinfo) == "slot_sealed"


# --- slot_close -----------------------------------------------------------------------


def test_close_without_countersignature_refused(enrolment, slot, trainer):
    with pytest.raises(AttendanceError) as excinfo:
        slot_close(slot=slot, actor=trainer)
    assert _code(excinfo) == "not_countersigned"
    assert not Seal.objects.exists()
    assert not Attendance.objects.exists()


def test_close_strikes_out_empty_cells_and_seals(enrolment, other, slot, trainer):
    signed = sign(enrolment, slot)
    slot_countersign(slot=slot, trainer=trainer, signature=signature(), now=slot.ends_at)
    sealed_at = slot.ends_at + dt.timedelta(minutes=2)

    seal = slot_close(slot=slot, actor=trainer, now=sealed_at)

    absent = Attendance.objects.get(enrolment=other, slot=slot)
    assert (absent.status, absent.method, absent.signature) == ("absent", "closing", None)
    assert absent.recorded_by == trainer
    assert Attendance.objects.get(pk=signed.pk).status == "present"
    assert seal.slot == slot
    assert seal.session == slot.session
    assert seal.sequence == 1
    assert seal.previous_digest == ""
    assert len(seal.digest) == 64
    assert set(seal.record_digests) == {str(signed.pk), str(absent.pk)}
    assert seal.sealed_at == sealed_at
    assert seal.sealed_by == trainer
    entry = AuditEntry.objects.get(action="slot.close")
    assert entry.data["absent_added"] == [other.pk]


def test_close_chains_seals_of_a_session(enrolment, slot, session, trainer):
    afternoon = SlotFactory(
        session=session, starts_at=at_local(slot, 13, 30), ends_at=at_local(slot, 17, 0)
    )
    first = close(slot, trainer)
    second = close(afternoon, trainer)
    assert (first.sequence, second.sequence) == (1, 2)
    assert second.previous_digest == first.digest
    assert second.digest != first.digest


def test_close_twice_already_sealed(enrolment, slot, trainer):
    close(slot, trainer)
    with pytest.raises(AttendanceError) as excinfo:
        slot_close(slot=slot, actor=trainer)
    assert _code(excinfo) == "already_sealed"
    assert Seal.objects.count() == 1


def test_close_by_trainer_of_another_session_refused(slot, trainer):
    slot_countersign(slot=slot, trainer=trainer, signature=signature())
    with pytest.raises(AttendanceError) as excinfo:
        slot_close(slot=slot, actor=UserFactory(role=User.Role.TRAINER))
    assert _code(excinfo) == "not_trainer"


# --- attendance_rectify ---------------------------------------------------------------


def test_rectify_unsealed_slot_refused(enrolment, slot, trainer):
    attendance = sign(enrolment, slot)
    with pytest.raises(AttendanceError) as excinfo:
        attendance_rectify(
            attendance=attendance,
            status="late",
            minutes_attended=60,
            reason="Oubli",
            author=trainer,
        )
    assert _code(excinfo) == "not_sealed"


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_rectify_without_reason_refused(enrolment, slot, trainer, reason):
    attendance = sign(enrolment, slot)
    close(slot, trainer)
    with pytest.raises(AttendanceError) as excinfo:
        attendance_rectify(
            attendance=attendance, status="late", minutes_attended=60, reason=reason, author=trainer
        )
    assert _code(excinfo) == "reason_required"
    assert not Rectification.objects.exists()


def test_rectify_invalid_minutes_refused(enrolment, slot, trainer):
    attendance = sign(enrolment, slot)
    close(slot, trainer)
    with pytest.raises(AttendanceError) as excinfo:
        attendance_rectify(
            attendance=attendance,
            status="late",
            minutes_attended=210,
            reason="Oubli",
            author=trainer,
        )
    assert _code(excinfo) == "invalid_minutes"


def test_rectify_no_change_refused(enrolment, slot, trainer):
    attendance = sign(enrolment, slot)
    close(slot, trainer)
    with pytest.raises(AttendanceError) as excinfo:
        attendance_rectify(
            attendance=attendance,
            status="present",
            minutes_attended=None,
            reason="Rien",
            author=trainer,
        )
    assert _code(excinfo) == "no_change"


def test_rectify_updates_row_and_appends_chained_record(enrolment, slot, trainer, coordinator):
    attendance = sign(enrolment, slot)
    seal = close(slot, trainer)
    when = slot.ends_at + dt.timedelta(days=2)

    first = attendance_rectify(
        attendance=attendance,
        status="left_early",
        minutes_attended=165,
        reason="  Départ à 11 h 45 signalé par la structure.  ",
        author=coordinator,
        now=when,
    )
    second = attendance_rectify(
        attendance=attendance,
        status="left_early",
        minutes_attended=150,
        reason="Heure de départ vérifiée : 11 h 30.",
        author=coordinator,
        now=when + dt.timedelta(hours=1),
    )

    attendance.refresh_from_db()
    assert (attendance.status, attendance.minutes_attended) == ("left_early", 150)
    left_1145 = iso_utc(slot.ends_at - dt.timedelta(minutes=45))
    left_1130 = iso_utc(slot.ends_at - dt.timedelta(minutes=60))
    assert first.old_values == {
        "status": "present",
        "minutes_attended": None,
        "arrived_at": None,
        "left_at": None,
    }
    assert first.new_values == {
        "status": "left_early",
        "minutes_attended": 165,
        "arrived_at": None,
        "left_at": left_1145,
    }
    assert first.reason == "Départ à 11 h 45 signalé par la structure."
    assert (first.author, first.created_at) == (coordinator, when)
    assert first.previous_digest == seal.digest
    assert second.old_values == first.new_values
    assert second.new_values == {
        "status": "left_early",
        "minutes_attended": 150,
        "arrived_at": None,
        "left_at": left_1130,
    }
    assert second.previous_digest == first.digest
    assert len({seal.digest, first.digest, second.digest}) == 3
    # The seal itself is untouched: the correction lives beside it.
    assert Seal.objects.get(pk=seal.pk).digest == seal.digest
    assert AuditEntry.objects.filter(action="attendance.rectify").count() == 2


def test_rectify_chain_spans_rows_of_the_slot(enrolment, other, slot, trainer):
    mine = sign(enrolment, slot)
    theirs = sign(other, slot)
    close(slot, trainer)
    first = attendance_rectify(
        attendance=mine, status="late", minutes_attended=200, reason="a", author=trainer
    )
    second = attendance_rectify(
        attendance=theirs, status="late", minutes_attended=100, reason="b", author=trainer
    )
    assert second.previous_digest == first.digest


# --- admin ----------------------------------------------------------------------------


def test_admin_shows_evidence_read_only(client, enrolment, slot, trainer):
    attendance = sign(enrolment, slot)
    seal = close(slot, trainer)
    admin_user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin_user)

    for model, pk in (("attendance", attendance.pk), ("seal", seal.pk)):
        url = f"/admin/training_sessions/{model}/{pk}/change/"
        page = client.get(url)
        assert page.status_code == 200
        assert b'name="_save"' not in page.content
        assert client.post(url, {}).status_code == 403
        assert (
            client.post(
                f"/admin/training_sessions/{model}/{pk}/delete/", {"post": "yes"}
            ).status_code
            == 403
        )
    assert Attendance.objects.get(pk=attendance.pk).status == "present"

    slot_page = client.get(f"/admin/training_sessions/slot/{slot.pk}/change/")
    assert b'name="starts_at' not in slot_page.content  # sealed: read-only


def test_countersign_allowed_in_the_last_half_hour_but_close_only_after_the_end(slot, trainer):
    slot_countersign(
        slot=slot,
        trainer=trainer,
        signature=signature(),
        now=slot.ends_at - dt.timedelta(minutes=25),
    )
    with pytest.raises(AttendanceError) as excinfo:
        slot_close(slot=slot, actor=trainer, now=slot.ends_at - dt.timedelta(minutes=5))
    assert _code(excinfo) == "slot_not_ended"
    assert "peuvent encore arriver" in excinfo.value.message
    assert slot_close(slot=slot, actor=trainer, now=slot.ends_at).sequence == 1


def test_marks_wait_for_the_half_day_and_times_for_the_clock(enrolment, slot, trainer):
    with pytest.raises(AttendanceError) as early:
        attendance_mark(
            enrolment=enrolment,
            slot=slot,
            status="present",
            actor=trainer,
            now=slot.starts_at - dt.timedelta(days=1),
        )
    with pytest.raises(AttendanceError) as future:
        attendance_mark(
            enrolment=enrolment,
            slot=slot,
            status="late",
            arrived_at=slot.starts_at + dt.timedelta(minutes=40),
            actor=trainer,
            now=slot.starts_at + dt.timedelta(minutes=20),
        )
    assert (early.value.code, future.value.code) == ("slot_not_started", "time_in_future")
    assert not Attendance.objects.exists()
