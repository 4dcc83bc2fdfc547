import datetime as dt
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from formations.models import Formation, Participant, Programme, Structure, User
from sessions.models import Attendance, Rectification, Seal, Slot, TrainingSession

ROOT = Path(__file__).resolve().parent.parent


def test_check_deploy_is_clean_with_production_settings():
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": "x" * 60 + "-production-like-secret-for-the-check",
        "DJANGO_ALLOWED_HOSTS": "suivi.example.org",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_refuse_to_start_without_secret():
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS")
    }
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.production"
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


@pytest.mark.django_db
def test_load_demo_builds_the_tenders_and_is_idempotent():
    call_command("load_demo", stdout=open(os.devnull, "w"))
    counts = (
        Programme.objects.count(),
        Formation.objects.count(),
        Structure.objects.count(),
        Participant.objects.count(),
        User.objects.count(),
    )
    call_command("load_demo", stdout=open(os.devnull, "w"))
    assert (
        Programme.objects.count(),
        Formation.objects.count(),
        Structure.objects.count(),
        Participant.objects.count(),
        User.objects.count(),
    ) == counts
    # The real structures of the tenders.
    assert Structure.objects.filter(territory="Mayotte", kind=Structure.Kind.CCAS).count() == 17
    assert Structure.objects.filter(name="UDCCAS de Mayotte").exists()
    assert Programme.objects.get(reference="CSC-BM-2021").structures.count() == 19
    assert Programme.objects.get(reference="CSC-MEL-2018").structures.count() == 4
    assert Formation.objects.get(contract_reference="CD93-DEIAT-2021-NI").min_hours_per_day == 7
    assert set(User.objects.values_list("role", flat=True)) == set(User.Role.values)


@pytest.mark.django_db
def test_demo_coordinator_is_an_ordinary_coordinator(client):
    # An older demo database made her a superuser: loading again takes it back.
    User.objects.create_user("coordination", is_staff=True, is_superuser=True)
    call_command("load_demo", stdout=open(os.devnull, "w"))

    assert not User.objects.filter(is_superuser=True).exists()
    assert not User.objects.filter(is_staff=True).exists()
    assert client.login(username="coordination", password="demo-suivi")
    assert client.get(reverse("formations:account_list")).status_code == 200
    assert client.get(reverse("formations:account_create")).status_code == 200
    assert client.get("/admin/").status_code == 302  # the admin's own login page


@pytest.mark.django_db
def test_load_demo_sessions_are_signed_sealed_and_verifiable():
    call_command("load_demo", stdout=open(os.devnull, "w"))
    sealed = Seal.objects.count()
    attendances = Attendance.objects.count()
    call_command("load_demo", stdout=open(os.devnull, "w"))
    assert (Seal.objects.count(), Attendance.objects.count()) == (sealed, attendances)
    assert sealed > 0
    assert Rectification.objects.exists()
    assert Attendance.objects.filter(status=Attendance.Status.LATE).exists()
    assert Attendance.objects.filter(status=Attendance.Status.ABSENT).exists()
    assert TrainingSession.objects.filter(time_zone="Indian/Mayotte", seals__isnull=False).exists()
    today = timezone.localdate()
    assert Slot.objects.filter(starts_at__date__gte=today, seal__isnull=True).exists()
    out = io.StringIO()
    call_command("verify_seals", stdout=out)
    assert "OK" in out.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "moment",
    [
        dt.datetime(2026, 11, 29, 3, 17),  # a Sunday, in the night
        dt.datetime(2026, 12, 25, 22, 50),  # Christmas, late evening
        dt.datetime(2026, 11, 30, 10, 0),  # a Monday morning
    ],
)
def test_load_demo_has_a_live_half_day_open_for_three_hours_at_any_hour(moment):
    from formations import demo as formations_demo
    from sessions import demo as sessions_demo
    from sessions.public_holidays import public_holiday
    from sessions.selectors.contract import contract_status
    from sessions.services.attendance import ensure_signing_window

    now = timezone.make_aware(moment, timezone.get_default_timezone())
    with time_machine.travel(now, tick=False):
        call_command("load_demo", stdout=open(os.devnull, "w"))
        live = TrainingSession.objects.get(code=sessions_demo.LIVE_SESSION)
        (slot,) = live.slots.all()
        for later in (now, now + dt.timedelta(hours=3)):
            ensure_signing_window(slot=slot, now=later)  # raises when closed
        assert live.enrolments.count() >= 10
        # Its formation's execution period covers today: no contract flag for it.
        status = contract_status(formation=live.formation)
        assert status.rule("execution_period").state == "ok"
        # Every other demo half-day is on a working day of its place.
        for other in Slot.objects.exclude(session=live).select_related("session"):
            day = other.local_start.date()
            assert other.local_start.weekday() < 6, other
            assert public_holiday(day, other.session.time_zone) is None, other

    # Loaded again three hours later: still nobody signed, so it is planned again.
    with time_machine.travel(now + dt.timedelta(hours=3, minutes=30), tick=False):
        formations_demo.load()
        accounts = {u.username: u for u in User.objects.all()}
        sessions_demo.load(accounts=accounts, coordinator=accounts["coordination"])
        (again,) = live.slots.all()
        ensure_signing_window(slot=again, now=timezone.now() + dt.timedelta(hours=3))


@pytest.mark.django_db
def test_load_demo_keeps_a_signed_live_half_day_and_adds_a_new_one():
    from sessions import demo as sessions_demo
    from sessions.services.attendance import ensure_signing_window
    from tests.factories.sessions import sign

    start = timezone.make_aware(dt.datetime(2026, 11, 30, 10, 0))
    with time_machine.travel(start, tick=False):
        call_command("load_demo", stdout=open(os.devnull, "w"))
        live = TrainingSession.objects.get(code=sessions_demo.LIVE_SESSION)
        signed_slot = live.slots.get()
        sign(live.enrolments.first(), signed_slot, now=start)
    later = start + dt.timedelta(days=1)
    with time_machine.travel(later, tick=False):
        call_command("load_demo", stdout=open(os.devnull, "w"))
    slots = list(live.slots.order_by("starts_at"))
    assert slots[0].pk == signed_slot.pk and slots[0].attendances.count() == 1
    ensure_signing_window(slot=slots[-1], now=later + dt.timedelta(hours=3))
