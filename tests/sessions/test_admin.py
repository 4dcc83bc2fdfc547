"""The Django admin refuses what the services refuse: a signed sheet cannot be recast
there (time zone, formation, half-day times) nor its evidence deleted."""

import datetime as dt

import pytest
from django.utils import timezone

from sessions.models import (
    Attendance,
    Enrolment,
    PaperSheetScan,
    Rectification,
    Seal,
    Slot,
    TrainingSession,
)
from tests.admin_helpers import admin_form_data
from tests.factories import (
    EnrolmentFactory,
    FormationFactory,
    TrainingSessionFactory,
    UserFactory,
)
from tests.factories.planning import attend, countersign, make_slot, paper_scan

pytestmark = pytest.mark.django_db

DAY = dt.date(2021, 10, 4)
MORNING = (dt.time(9, 0), dt.time(12, 30))
AFTERNOON = (dt.time(13, 30), dt.time(17, 0))


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def _url(model, pk, action="change"):
    return f"/admin/training_sessions/{model}/{pk}/{action}/"


def _seal(slot, user):
    return Seal.objects.create(
        slot=slot,
        session=slot.session,
        sequence=1,
        digest="a" * 64,
        sealed_at=timezone.now(),
        sealed_by=user,
    )


def _locked_session(lock, *, user=None):
    """A Paris session with a morning locked by `lock` and a free afternoon."""
    session = TrainingSessionFactory(time_zone="Europe/Paris", place="Mamoudzou")
    morning = make_slot(session, DAY, *MORNING, countersigned=lock in ("countersignature", "seal"))
    make_slot(session, DAY, *AFTERNOON, countersigned=False)
    if lock == "attendance":
        attend(EnrolmentFactory(session=session), morning)
    elif lock == "scan":
        paper_scan(morning)
    elif lock == "seal":
        _seal(morning, user or UserFactory())
    return session, morning


def _post_session_change(admin_client, session, **changes):
    url = _url("trainingsession", session.pk)
    data = admin_form_data(admin_client.get(url), "trainingsession_form")
    for name, value in changes.items():
        data[name] = [value]
    return admin_client.post(url, data)


# --- sessions ---------------------------------------------------------------------------


@pytest.mark.parametrize("lock", ["attendance", "scan", "countersignature", "seal"])
def test_admin_cannot_change_time_zone_or_formation_of_a_locked_session(admin_client, lock):
    session, _morning = _locked_session(lock)
    formation = session.formation
    page = admin_client.get(_url("trainingsession", session.pk))
    assert b'name="time_zone"' not in page.content
    assert b'name="formation"' not in page.content

    response = _post_session_change(
        admin_client,
        session,
        time_zone="Indian/Mayotte",
        formation=str(FormationFactory().pk),
        place="Ailleurs",
    )

    assert response.status_code == 302
    session.refresh_from_db()
    assert (session.time_zone, session.formation, session.place) == (
        "Europe/Paris",
        formation,
        "Ailleurs",
    )


def test_admin_changes_time_zone_of_a_session_without_evidence(admin_client):
    session, _morning = _locked_session(None)
    page = admin_client.get(_url("trainingsession", session.pk))
    # Changed from the QR page only, locked or not.
    assert b'name="allow_shared_devices"' not in page.content

    response = _post_session_change(admin_client, session, time_zone="Indian/Mayotte")

    assert response.status_code == 302
    session.refresh_from_db()
    assert session.time_zone == "Indian/Mayotte"


@pytest.mark.parametrize("lock", ["attendance", "countersignature", "seal"])
def test_admin_cannot_delete_a_locked_session(admin_client, lock):
    session, _morning = _locked_session(lock)

    page = admin_client.get(_url("trainingsession", session.pk))
    response = admin_client.post(_url("trainingsession", session.pk, "delete"), {"post": "yes"})

    assert _url("trainingsession", session.pk, "delete").encode() not in page.content
    assert response.status_code == 403
    assert TrainingSession.objects.filter(pk=session.pk).exists()
    assert Slot.objects.filter(session=session).count() == 2


def test_admin_bulk_delete_keeps_a_countersigned_session(admin_client):
    # A countersigned half-day has no PROTECT foreign key pointing at it: only the lock
    # stops the cascade from session to slot.
    locked, _morning = _locked_session("countersignature")
    free, _ = _locked_session(None)
    data = {"action": "delete_selected", "_selected_action": [locked.pk, free.pk], "post": "yes"}

    response = admin_client.post("/admin/training_sessions/trainingsession/", data)

    assert response.status_code == 200
    assert "a des demi-journées émargées, contresignées ou scellées" in response.content.decode()
    assert TrainingSession.objects.filter(pk__in=[locked.pk, free.pk]).count() == 2
    assert Slot.objects.filter(session=locked).count() == 2


def test_admin_deletes_a_session_without_evidence(admin_client):
    session, _morning = _locked_session(None)

    response = admin_client.post(_url("trainingsession", session.pk, "delete"), {"post": "yes"})

    assert response.status_code == 302
    assert not TrainingSession.objects.filter(pk=session.pk).exists()


# --- half-days --------------------------------------------------------------------------


def _post_slot_change(admin_client, slot, *, start="10:00"):
    url = _url("slot", slot.pk)
    data = admin_form_data(admin_client.get(url), "slot_form")
    if "starts_at_1" in data:
        data["starts_at_1"] = [start]
    return admin_client.post(url, data)


@pytest.mark.parametrize("lock", ["attendance", "scan", "countersignature", "seal"])
def test_admin_cannot_move_a_locked_half_day(admin_client, lock):
    _session, morning = _locked_session(lock)
    before = (morning.starts_at, morning.ends_at, morning.session_id)

    page = admin_client.get(_url("slot", morning.pk))
    response = _post_slot_change(admin_client, morning)
    # Even posted by hand, the fields are not part of the form.
    forged = admin_client.post(
        _url("slot", morning.pk),
        {
            "session": TrainingSessionFactory().pk,
            "starts_at_0": "04/10/2021",
            "starts_at_1": "10:00",
        },
    )

    assert b'name="starts_at_0"' not in page.content
    assert response.status_code == 302
    assert forged.status_code == 302
    morning.refresh_from_db()
    assert (morning.starts_at, morning.ends_at, morning.session_id) == before


@pytest.mark.parametrize("lock", ["attendance", "scan", "countersignature", "seal"])
def test_admin_cannot_delete_a_locked_half_day(admin_client, lock):
    _session, morning = _locked_session(lock)

    response = admin_client.post(_url("slot", morning.pk, "delete"), {"post": "yes"})
    bulk = admin_client.post(
        "/admin/training_sessions/slot/",
        {"action": "delete_selected", "_selected_action": [morning.pk], "post": "yes"},
    )

    assert response.status_code == 403
    assert bulk.status_code == 200
    assert Slot.objects.filter(pk=morning.pk).exists()


def test_admin_moves_a_free_half_day(admin_client):
    session, _morning = _locked_session("attendance")
    afternoon = session.slots.order_by("starts_at").last()

    response = _post_slot_change(admin_client, afternoon, start="14:00")

    assert response.status_code == 302
    afternoon.refresh_from_db()
    assert afternoon.local_start.strftime("%H:%M") == "14:00"


# --- enrolments -------------------------------------------------------------------------


def test_admin_cannot_delete_an_enrolment_with_attendance(admin_client):
    session, morning = _locked_session(None)
    enrolment = EnrolmentFactory(session=session)
    attend(enrolment, morning)
    free = EnrolmentFactory(session=session)

    response = admin_client.post(_url("enrolment", enrolment.pk, "delete"), {"post": "yes"})
    deleted = admin_client.post(_url("enrolment", free.pk, "delete"), {"post": "yes"})

    assert response.status_code == 403
    assert Enrolment.objects.filter(pk=enrolment.pk).exists()
    assert deleted.status_code == 302
    assert not Enrolment.objects.filter(pk=free.pk).exists()


# --- evidence ---------------------------------------------------------------------------


def test_admin_evidence_is_read_only_and_never_deleted(admin_client):
    session, morning = _locked_session("seal")
    enrolment = EnrolmentFactory(session=session)
    attendance = attend(enrolment, morning)
    scan = paper_scan(morning)
    author = UserFactory()
    rectification = Rectification.objects.create(
        attendance=attendance,
        old_values={"status": "present"},
        new_values={"status": "late"},
        reason="erreur de saisie",
        author=author,
        created_at=timezone.now(),
        previous_digest="a" * 64,
        digest="b" * 64,
    )

    for model, obj in (
        ("attendance", attendance),
        ("seal", morning.seal),
        ("rectification", rectification),
        ("papersheetscan", scan),
    ):
        page = admin_client.get(_url(model, obj.pk))
        assert page.status_code == 200, model
        assert b'name="_save"' not in page.content, model
        assert admin_client.post(_url(model, obj.pk), {}).status_code == 403, model
        delete = admin_client.post(_url(model, obj.pk, "delete"), {"post": "yes"})
        assert delete.status_code == 403, model
        assert admin_client.get(f"/admin/training_sessions/{model}/add/").status_code == 403

    assert Attendance.objects.filter(pk=attendance.pk, status="present").exists()
    assert Seal.objects.filter(pk=morning.seal.pk).exists()
    assert Rectification.objects.filter(pk=rectification.pk).exists()
    assert PaperSheetScan.objects.filter(pk=scan.pk).exists()


def test_admin_shows_the_reason_a_slot_is_locked_in_bulk_delete(admin_client):
    _session, morning = _locked_session("seal")
    countersign(morning)

    response = admin_client.post(
        "/admin/training_sessions/slot/",
        {"action": "delete_selected", "_selected_action": [morning.pk]},
    )

    assert "demi-journée : scellée" in response.content.decode()
