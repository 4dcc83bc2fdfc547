"""Late arrivals and early departures: what the trainer enters (a time, or minutes missed),
what is stored (times, minutes attended) and the one sentence every page and document
uses (« Retard : arrivée 09:20, 20 min manquées »)."""

import datetime as dt
import html
import io
import json
import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from sessions.exceptions import AttendanceError
from sessions.models import Attendance
from sessions.presence import presence_text, resolve_presence, values_text
from sessions.selectors.hours import realised_minutes
from sessions.services import attendance_mark, attendance_rectify
from tests.factories import EnrolmentFactory, ParticipantFactory, SlotFactory, UserFactory
from tests.factories.sessions import sign

pytestmark = pytest.mark.django_db

SIGNATURE = {
    "width": 320,
    "height": 120,
    "strokes": [[[20, 60, 0], [40, 40, 16], [70, 80, 32], [100, 50, 48]]],
}


@pytest.fixture
def slot(trainer):
    slot = SlotFactory()  # 04/10/2021 09:00–12:30 Europe/Paris: 210 minutes
    slot.session.trainers.add(trainer)
    return slot


@pytest.fixture
def enrolment(slot):
    return EnrolmentFactory(
        session=slot.session, participant=ParticipantFactory(last_name="Nguyễn", first_name="Thị")
    )


def local(slot, hour, minute=0):
    """`hour:minute` on the half-day's date, in the session's time zone."""
    day = slot.starts_at.astimezone(slot.session.tzinfo).date()
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)), slot.session.tzinfo)


def text_of(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(response.content.decode()))


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text() or "" for page in reader.pages).split())


# --- resolve_presence ------------------------------------------------------------------


def test_late_arrival_time_gives_minutes_attended(slot):
    presence = resolve_presence(slot=slot, status="late", arrived_at=local(slot, 9, 20))
    assert presence.arrived_at == local(slot, 9, 20)
    assert presence.left_at is None
    assert presence.minutes_attended == 190


def test_minutes_missed_stand_for_the_time(slot):
    late = resolve_presence(slot=slot, status="late", minutes_missed=20)
    early = resolve_presence(slot=slot, status="left_early", minutes_missed=45)
    assert (late.arrived_at, late.minutes_attended) == (local(slot, 9, 20), 190)
    assert (early.left_at, early.minutes_attended) == (local(slot, 11, 45), 165)


def test_late_and_left_early_needs_both_times(slot):
    presence = resolve_presence(
        slot=slot,
        status="late_left_early",
        arrived_at=local(slot, 9, 20),
        left_at=local(slot, 12, 0),
    )
    assert presence.minutes_attended == 210 - 20 - 30
    with pytest.raises(AttendanceError) as excinfo:
        resolve_presence(slot=slot, status="late_left_early", minutes_missed=50)
    assert excinfo.value.code == "time_required"


def test_minutes_attended_of_old_files_still_read(slot):
    presence = resolve_presence(slot=slot, status="late", minutes_attended=190)
    assert presence.arrived_at == local(slot, 9, 20)


@pytest.mark.parametrize(
    ("status", "kwargs"),
    [
        ("late", {"arrived_at": "start"}),
        ("late", {"arrived_at": "end"}),
        ("late", {"arrived_at": "before"}),
        ("left_early", {"left_at": "end"}),
        ("left_early", {"left_at": "start"}),
        ("late_left_early", {"arrived_at": "11:00", "left_at": "10:00"}),
    ],
)
def test_times_must_lie_strictly_inside_the_half_day(slot, status, kwargs):
    moments = {
        "start": slot.starts_at,
        "end": slot.ends_at,
        "before": slot.starts_at - dt.timedelta(minutes=5),
        "11:00": local(slot, 11),
        "10:00": local(slot, 10),
    }
    if status == "late_left_early":
        kwargs = {**kwargs}
    with pytest.raises(AttendanceError) as excinfo:
        resolve_presence(slot=slot, status=status, **{k: moments[v] for k, v in kwargs.items()})
    assert excinfo.value.code == "invalid_time"


@pytest.mark.parametrize("missed", [0, 210, 500, -3])
def test_minutes_missed_out_of_range_refused(slot, missed):
    with pytest.raises(AttendanceError) as excinfo:
        resolve_presence(slot=slot, status="late", minutes_missed=missed)
    assert excinfo.value.code == "invalid_minutes"


def test_a_departure_time_with_a_late_status_is_refused(slot):
    with pytest.raises(AttendanceError) as excinfo:
        resolve_presence(slot=slot, status="late", left_at=local(slot, 12))
    assert excinfo.value.code == "invalid_time"
    assert "Retard et départ anticipé" in excinfo.value.message


def test_present_and_absent_carry_no_time(slot):
    assert resolve_presence(slot=slot, status="present").minutes_attended is None
    with pytest.raises(AttendanceError):
        resolve_presence(slot=slot, status="absent", arrived_at=local(slot, 10))


# --- words ------------------------------------------------------------------------------


def test_presence_text_says_minutes_missed():
    assert (
        presence_text(status="late", planned_minutes=210, minutes_attended=190, arrival="09:20")
        == "Retard : arrivée 09:20, 20 min manquées"
    )
    assert (
        presence_text(
            status="left_early", planned_minutes=210, minutes_attended=209, departure="12:29"
        )
        == "Départ anticipé : départ 12:29, 1 min manquée"
    )
    assert (
        presence_text(
            status="late_left_early",
            planned_minutes=210,
            minutes_attended=160,
            arrival="09:20",
            departure="12:00",
        )
        == "Retard et départ anticipé : arrivée 09:20, départ 12:00, 50 min manquées"
    )
    assert presence_text(status="absent_excused", planned_minutes=210) == "Absent·e excusé·e"


def test_values_text_reads_old_and_new_rectifications(slot):
    assert values_text({"status": "late", "minutes_attended": 180}, slot) == (
        "Retard : 30 min manquées"
    )
    assert values_text(
        {
            "status": "left_early",
            "minutes_attended": 165,
            "arrived_at": None,
            "left_at": local(slot, 11, 45).isoformat(),
        },
        slot,
    ) == ("Départ anticipé : départ 11:45, 45 min manquées")


# --- services ---------------------------------------------------------------------------


def test_mark_by_someone_who_does_not_run_the_session_refused(slot, enrolment):
    outsider = UserFactory(role="trainer")
    with pytest.raises(AttendanceError) as excinfo:
        attendance_mark(enrolment=enrolment, slot=slot, status="present", actor=outsider)
    assert excinfo.value.code == "not_trainer"
    assert not Attendance.objects.exists()


def test_rectify_by_someone_who_does_not_run_the_session_refused(slot, enrolment, trainer):
    from sessions.services import slot_close, slot_countersign

    row = attendance_mark(enrolment=enrolment, slot=slot, status="absent", actor=trainer)
    slot_countersign(slot=slot, trainer=trainer, signature=SIGNATURE, now=slot.ends_at)
    slot_close(slot=slot, actor=trainer, now=slot.ends_at)
    with pytest.raises(AttendanceError) as excinfo:
        attendance_rectify(
            attendance=row,
            status="absent_excused",
            reason="certificat",
            author=UserFactory(role="funder_auditor"),
        )
    assert excinfo.value.code == "not_trainer"
    assert not row.rectifications.exists()


# --- end to end: the trainer's page, the hours and the sheet agree ------------------------


def test_twenty_minutes_late_end_to_end(client, trainer, coordinator, slot, enrolment):
    """20 minutes late on a 210-minute half-day → realised 190; the page, the flash message
    and the sheet PDF all say « Retard : arrivée 09:20, 20 min manquées »."""
    client.force_login(trainer)
    page = reverse("sessions:slot_detail", args=[slot.pk])
    words = "Retard : arrivée 09:20, 20 min manquées"
    with time_machine.travel(local(slot, 9, 25), tick=False):
        sign(enrolment, slot, now=local(slot, 9, 22))  # on the trainer's tablet
        opened = client.get(page + f"?relever={enrolment.pk}")
        assert 'min="09:01"' in opened.content.decode()
        assert 'max="12:29"' in opened.content.decode()
        prefix = f"mark-{enrolment.pk}"
        marked = client.post(
            page,
            {
                "action": "mark",
                "enrolment": enrolment.pk,
                f"{prefix}-status": "late",
                f"{prefix}-arrival": "09:20",
            },
            follow=True,
        )
    assert f"NGUYỄN Thị : {words} — enregistré." in [str(m) for m in marked.context["messages"]]
    assert words in text_of(marked)

    with time_machine.travel(local(slot, 12, 35), tick=False):
        client.post(
            page,
            {
                "action": "countersign",
                "contresignature-signature": json.dumps(SIGNATURE),
                "contresignature-nonce": "",
                "contresignature-device_time": "",
            },
        )
        client.post(page, {"action": "close", "cloture-confirm": "on"})

    attendance = Attendance.objects.get()
    assert attendance.minutes_attended == 190
    assert attendance.is_signed
    assert realised_minutes(enrolment=enrolment) == 190

    client.force_login(coordinator)
    client.post(reverse("livrables:session_sheet_issue", args=[slot.session.pk]))
    pdf = client.get(reverse("livrables:session_sheet", args=[slot.session.pk]))
    assert pdf.status_code == 200
    assert words in pdf_text(pdf.content)


def test_a_former_trainer_now_auditor_can_no_longer_run_their_old_sessions(
    slot, enrolment, trainer
):
    from sessions.services import slot_countersign

    trainer.role = "funder_auditor"
    trainer.save()
    with pytest.raises(AttendanceError) as marked:
        attendance_mark(enrolment=enrolment, slot=slot, status="present", actor=trainer)
    with pytest.raises(AttendanceError) as countersigned:
        slot_countersign(slot=slot, trainer=trainer, signature=SIGNATURE, now=slot.ends_at)
    assert (marked.value.code, countersigned.value.code) == ("not_trainer", "not_trainer")


def test_values_text_shows_tampered_values_as_found(slot):
    """A rectification edited behind the app's back must not break the pages that show it
    (the control page, the sheet): verify_seals names the anomaly."""
    assert "pas-une-date" in values_text(
        {"status": "left_early", "minutes_attended": 150, "left_at": "pas-une-date"}, slot
    )
    assert "minutes_attended : cent" in values_text(
        {"status": "late", "minutes_attended": "cent"}, slot
    )


def test_a_time_and_minutes_missed_that_disagree_are_refused(slot):
    with pytest.raises(AttendanceError) as excinfo:
        resolve_presence(slot=slot, status="late", arrived_at=local(slot, 9, 20), minutes_missed=30)
    assert excinfo.value.code == "invalid_minutes"
    assert "(30)" in excinfo.value.message and "20 min manquées" in excinfo.value.message
    agree = resolve_presence(
        slot=slot, status="late", arrived_at=local(slot, 9, 20), minutes_missed=20
    )
    assert agree.minutes_attended == 190


def test_late_and_left_early_one_time_and_minutes_missed_give_the_other(slot):
    presence = resolve_presence(
        slot=slot, status="late_left_early", arrived_at=local(slot, 9, 20), minutes_missed=50
    )
    assert presence.left_at == local(slot, 12, 0)
    assert presence.minutes_attended == 160


def test_a_half_day_past_midnight_takes_times_of_the_next_day(trainer):
    start = timezone.make_aware(dt.datetime(2026, 11, 29, 22, 50), timezone.get_default_timezone())
    slot = SlotFactory(starts_at=start, ends_at=start + dt.timedelta(hours=3, minutes=30))
    from sessions.presence import local_moment

    arrival = local_moment(slot, dt.time(0, 15))
    assert arrival == start + dt.timedelta(minutes=85)
    assert resolve_presence(slot=slot, status="late", arrived_at=arrival).minutes_attended == 125
