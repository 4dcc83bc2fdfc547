import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from formations.models import Formation, Participant, Programme, Structure, User
from sessions.models import Attendance, Rectification, Seal, Slot, TrainingSession

ROOT = Path(__file__).resolve().parent.parent


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        # A data folder of its own: a fresh clone has no data/ until `make` creates it.
        "SUIVI_DATA_DIR": str(tmp_path),
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
def test_postgresql_test_tables_are_kept_from_autovacuum():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("autovacuum is a PostgreSQL matter (DATABASE_URL)")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables t JOIN pg_class c ON c.relname = t.tablename "
            "AND c.relnamespace = t.schemaname::regnamespace "
            "WHERE t.schemaname = current_schema() "
            "AND NOT coalesce(c.reloptions, '{}') @> '{autovacuum_enabled=off}'"
        )
        vacuumed = [row[0] for row in cursor.fetchall()]
    assert vacuumed == []
