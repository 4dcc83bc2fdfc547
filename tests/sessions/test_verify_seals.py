import io

import pytest
from django.core.management import call_command, execute_from_command_line
from django.core.management.base import CommandError

from sessions.models import Attendance
from sessions.services.attendance import attendance_rectify
from tests.factories import (
    EnrolmentFactory,
    ParticipantFactory,
    SlotFactory,
    TrainingSessionFactory,
)
from tests.factories.sessions import close, sign

pytestmark = pytest.mark.django_db


def _sealed(trainer, code, last_name):
    session = TrainingSessionFactory(code=code)
    session.trainers.add(trainer)
    slot = SlotFactory(session=session)
    enrolment = EnrolmentFactory(
        session=session, participant=ParticipantFactory(last_name=last_name, first_name="Ana")
    )
    attendance = sign(enrolment, slot)
    EnrolmentFactory(session=session)  # struck out as absent on close
    close(slot, trainer)
    return attendance


def _run(*args):
    out = io.StringIO()
    call_command("verify_seals", *args, stdout=out)
    return out.getvalue()


def test_verify_seals_clean_chain_prints_summary_and_ok(trainer, coordinator):
    attendance = _sealed(trainer, "CD93-2022-01", "Moreau")
    attendance_rectify(
        attendance=attendance,
        status="late",
        minutes_attended=100,
        reason="Arrivée 10 h 10",
        author=coordinator,
    )

    output = _run()

    assert "Vérifié : 1 session, 1 demi-journée scellée, 2 émargements, 1 rectification." in output
    assert "OK" in output


def test_verify_seals_tampered_row_fails_naming_participant(trainer):
    attendance = _sealed(trainer, "CD93-2022-01", "Şahin")
    Attendance.objects.filter(pk=attendance.pk).update(status="absent")
    out = io.StringIO()

    with pytest.raises(CommandError) as excinfo:
        call_command("verify_seals", stdout=out)

    assert excinfo.value.returncode == 1
    assert "ŞAHIN Ana" in out.getvalue()
    assert f"n°{attendance.pk}" in out.getvalue()
    assert "ŞAHIN Ana" in str(excinfo.value)
    assert "1 anomalie : des données scellées ont été modifiées" in str(excinfo.value)


def test_verify_seals_exit_status_is_one_from_the_command_line(trainer, capsys):
    attendance = _sealed(trainer, "CD93-2022-01", "Leroy")
    Attendance.objects.filter(pk=attendance.pk).update(minutes_attended=12)

    with pytest.raises(SystemExit) as excinfo:
        execute_from_command_line(["manage.py", "verify_seals"])

    assert excinfo.value.code == 1
    captured = capsys.readouterr()
    assert "LEROY Ana" in captured.out
    assert "LEROY Ana" in captured.err


def test_verify_seals_session_option_checks_that_session_only(trainer):
    _sealed(trainer, "CLEAN", "Martin")
    tampered = _sealed(trainer, "TAMPERED", "Bernard")
    Attendance.objects.filter(pk=tampered.pk).update(status="absent")

    assert "OK" in _run("--session", "CLEAN")
    with pytest.raises(CommandError):
        _run("--session", "TAMPERED")


def test_verify_seals_unknown_session_exit_two(db):
    with pytest.raises(CommandError) as excinfo:
        _run("--session", "NOPE")
    assert excinfo.value.returncode == 2
    assert "NOPE" in str(excinfo.value)


def test_verify_seals_nothing_sealed_is_ok(db):
    # French: zero takes the singular.
    assert "Vérifié : 0 session, 0 demi-journée scellée, 0 émargement" in _run()
