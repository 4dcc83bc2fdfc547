"""One QR scan, one phone, one person per half-day: `attendance_sign`, the shared-phones
setting and the selector of flagged signatures."""

import datetime as dt

import pytest

from formations.models import AuditEntry, User
from sessions.exceptions import AttendanceError, SessionsError
from sessions.models import Attendance
from sessions.selectors.risks import device_signed_in_slot, shared_device_signatures
from sessions.services.attendance import attendance_mark, attendance_sign
from sessions.services.devices import session_set_shared_devices
from tests.factories import (
    EnrolmentFactory,
    ParticipantFactory,
    SlotFactory,
    TrainingSessionFactory,
    UserFactory,
)
from tests.factories.sessions import signature

pytestmark = pytest.mark.django_db

DEVICE_MESSAGE = (
    "Ce téléphone a déjà servi à émarger pour une autre personne pendant cette demi-journée. "
    "Chaque personne signe sur son propre téléphone, ou sur la tablette du formateur."
)
PHONE_A = "a" * 32
PHONE_B = "b" * 32


@pytest.fixture
def slot(trainer):
    session = TrainingSessionFactory()
    session.trainers.add(trainer)
    return SlotFactory(session=session)


@pytest.fixture
def alice(slot):
    return EnrolmentFactory(
        session=slot.session, participant=ParticipantFactory(last_name="Martin", first_name="Alice")
    )


@pytest.fixture
def bruno(slot):
    return EnrolmentFactory(
        session=slot.session, participant=ParticipantFactory(last_name="Petit", first_name="Bruno")
    )


def qr_sign(enrolment, slot, *, ticket, device, nonce=None, method="qr_code", minutes=10):
    return attendance_sign(
        enrolment=enrolment,
        slot=slot,
        signature=signature(),
        method=method,
        ip="192.0.2.7",
        user_agent="Mozilla/5.0 (téléphone de test)",
        nonce=nonce,
        device_ticket=ticket,
        device_id=device,
        now=slot.starts_at + dt.timedelta(minutes=minutes),
    )


def allow_shared(slot, trainer, allowed=True):
    session_set_shared_devices(session=slot.session, allowed=allowed, actor=trainer)
    slot.session.refresh_from_db()


# --------------------------------------------------------------------------- the rule


def test_sign_stores_ticket_and_phone(slot, alice):
    attendance = qr_sign(alice, slot, ticket="ticket-1", device=PHONE_A)

    attendance.refresh_from_db()
    assert (attendance.device_ticket, attendance.device_id) == ("ticket-1", PHONE_A)
    entry = AuditEntry.objects.get(action="attendance.sign")
    assert entry.data["device_ticket"] == "ticket-1"
    assert entry.data["device_id"] == PHONE_A
    assert entry.data["shared_device_with"] == []


def test_second_person_same_ticket_refused_and_nothing_written(slot, alice, bruno):
    qr_sign(alice, slot, ticket="ticket-1", device=PHONE_A, nonce="nonce-alice-01")
    audit_before = AuditEntry.objects.count()

    with pytest.raises(AttendanceError) as caught:
        qr_sign(bruno, slot, ticket="ticket-1", device=None, nonce="nonce-bruno-01", minutes=11)

    assert caught.value.code == "device_already_used"
    assert caught.value.message == DEVICE_MESSAGE
    assert not Attendance.objects.filter(enrolment=bruno).exists()
    assert AuditEntry.objects.count() == audit_before


def test_same_phone_with_new_ticket_refused(slot, alice, bruno):
    qr_sign(alice, slot, ticket="ticket-1", device=PHONE_A)

    with pytest.raises(AttendanceError) as caught:
        qr_sign(bruno, slot, ticket="ticket-2", device=PHONE_A, minutes=12)

    assert caught.value.code == "device_already_used"
    assert Attendance.objects.filter(slot=slot).count() == 1


def test_other_phones_and_other_half_days_are_not_refused(slot, alice, bruno):
    afternoon = SlotFactory(
        session=slot.session,
        starts_at=slot.starts_at + dt.timedelta(hours=4, minutes=30),
        ends_at=slot.ends_at + dt.timedelta(hours=4, minutes=30),
    )
    qr_sign(alice, slot, ticket="ticket-1", device=PHONE_A)

    qr_sign(bruno, slot, ticket="ticket-2", device=PHONE_B)
    # Alice's phone, the same afternoon, for Alice: another half-day.
    qr_sign(alice, afternoon, ticket="ticket-3", device=PHONE_A)

    assert Attendance.objects.count() == 3
    assert shared_device_signatures(session=slot.session) == []


def test_first_person_retry_with_same_nonce_returns_same_row(slot, alice):
    first = qr_sign(alice, slot, ticket="ticket-1", device=PHONE_A, nonce="nonce-alice-01")

    again = qr_sign(alice, slot, ticket="ticket-1", device=PHONE_A, nonce="nonce-alice-01")

    assert again.pk == first.pk
    assert Attendance.objects.count() == 1


def test_same_person_again_from_her_phone_is_already_signed_not_device(slot, alice):
    qr_sign(alice, slot, ticket="ticket-1", device=PHONE_A, nonce="nonce-alice-01")

    with pytest.raises(AttendanceError) as caught:
        qr_sign(alice, slot, ticket="ticket-2", device=PHONE_A, nonce="nonce-alice-02")

    assert caught.value.code == "already_signed"


def test_trainer_row_not_completed_from_someone_elses_phone(slot, trainer, alice, bruno):
    qr_sign(alice, slot, ticket="ticket-1", device=PHONE_A)
    attendance_mark(
        enrolment=bruno,
        slot=slot,
        status=Attendance.Status.LATE,
        minutes_attended=150,
        actor=trainer,
        now=slot.starts_at + dt.timedelta(minutes=61),
    )

    with pytest.raises(AttendanceError) as caught:
        qr_sign(bruno, slot, ticket="ticket-2", device=PHONE_A, minutes=15)

    assert caught.value.code == "device_already_used"
    row = Attendance.objects.get(enrolment=bruno)
    assert row.signature is None and row.device_id is None


def test_tablet_signatures_are_not_checked(slot, alice, bruno):
    # The trainer's tablet is one device for everybody, by design.
    qr_sign(alice, slot, ticket=None, device=PHONE_A, method="tablet")
    qr_sign(bruno, slot, ticket=None, device=PHONE_A, method="tablet")

    assert Attendance.objects.filter(method="tablet").count() == 2


# --------------------------------------------------------------------------- shared phones allowed


def test_shared_phones_allowed_recorded_flagged_and_audited(slot, trainer, alice, bruno):
    allow_shared(slot, trainer)
    first = qr_sign(alice, slot, ticket="ticket-1", device=PHONE_A)

    second = qr_sign(bruno, slot, ticket="ticket-1", device=PHONE_A, minutes=11)

    assert Attendance.objects.filter(slot=slot, signature__isnull=False).count() == 2
    entry = AuditEntry.objects.filter(action="attendance.sign").order_by("pk").last()
    assert entry.data["shared_device_with"] == [first.pk]
    assert "même téléphone qu'une autre signature" in entry.summary
    flagged = {s.attendance.pk: s for s in shared_device_signatures(session=slot.session)}
    assert set(flagged) == {first.pk, second.pk}
    assert flagged[second.pk].shared_with_names == ["MARTIN Alice"]
    assert flagged[first.pk].shared_with_names == ["PETIT Bruno"]
    assert flagged[second.pk].same_ticket is True


def test_flag_stays_when_setting_withdrawn_and_new_sharing_refused_again(
    slot, trainer, alice, bruno
):
    carla = EnrolmentFactory(session=slot.session)
    allow_shared(slot, trainer)
    qr_sign(alice, slot, ticket="ticket-1", device=PHONE_A)
    qr_sign(bruno, slot, ticket="ticket-2", device=PHONE_A, minutes=11)

    allow_shared(slot, trainer, allowed=False)

    with pytest.raises(AttendanceError) as caught:
        qr_sign(carla, slot, ticket="ticket-3", device=PHONE_A, minutes=12)
    assert caught.value.code == "device_already_used"
    flagged = shared_device_signatures(session=slot.session)
    assert len(flagged) == 2
    assert flagged[0].same_ticket is False  # same phone, two visits of the QR page


def test_shared_device_signatures_one_query_whatever_the_rows(
    slot, trainer, django_assert_num_queries
):
    allow_shared(slot, trainer)
    for index in range(6):
        qr_sign(
            EnrolmentFactory(session=slot.session),
            slot,
            ticket=f"ticket-{index // 3}",
            device=None,
            minutes=10 + index,
        )

    with django_assert_num_queries(1):
        flagged = shared_device_signatures(session=slot.session, slot=slot)
        names = [s.shared_with_names for s in flagged]

    assert len(flagged) == 6
    assert all(len(group) == 2 for group in names)


def test_device_signed_in_slot(slot, alice):
    qr_sign(alice, slot, ticket="ticket-1", device=PHONE_A)

    assert device_signed_in_slot(slot=slot, device_id=PHONE_A) is True
    assert device_signed_in_slot(slot=slot, device_id=PHONE_B) is False
    assert device_signed_in_slot(slot=slot, device_id=None) is False


# --------------------------------------------------------------------------- the setting


def test_setting_change_logged_once_with_old_and_new(slot, trainer):
    allow_shared(slot, trainer)
    allow_shared(slot, trainer)  # unchanged: no second entry

    entries = AuditEntry.objects.filter(action="session.shared_devices_allowed")
    assert slot.session.allow_shared_devices is True
    assert entries.count() == 1
    assert entries.get().data == {"old": False, "new": True}
    assert entries.get().actor == trainer


def test_setting_refused_to_trainer_of_another_session(slot):
    stranger = UserFactory(role=User.Role.TRAINER)

    with pytest.raises(SessionsError) as caught:
        session_set_shared_devices(session=slot.session, allowed=True, actor=stranger)

    assert caught.value.code == "not_trainer"
    slot.session.refresh_from_db()
    assert slot.session.allow_shared_devices is False
    assert not AuditEntry.objects.filter(action="session.shared_devices_allowed").exists()
