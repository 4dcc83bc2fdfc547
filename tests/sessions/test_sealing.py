import datetime as dt
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sessions.models import Attendance, Rectification, Seal
from sessions.sealing import (
    attendance_record,
    canonical_json,
    record_digest,
    verify_all,
    verify_session,
)
from sessions.services.attendance import attendance_mark, attendance_rectify
from tests.factories import (
    EnrolmentFactory,
    ParticipantFactory,
    SlotFactory,
    TrainingSessionFactory,
)
from tests.factories.sessions import at_local, close, sign

pytestmark = pytest.mark.django_db


def _sealed_session(
    trainer, *, code="LABO-2021-1", people=(("Nguyễn", "Thị Hoa"), ("Dvořák", "Jan"))
):
    session = TrainingSessionFactory(code=code, time_zone="Indian/Mayotte")
    session.trainers.add(trainer)
    morning = SlotFactory(session=session)
    afternoon = SlotFactory(
        session=session, starts_at=at_local(morning, 13, 30), ends_at=at_local(morning, 17, 0)
    )
    enrolments = [
        EnrolmentFactory(
            session=session, participant=ParticipantFactory(last_name=last, first_name=first)
        )
        for last, first in people
    ]
    rows = {}
    for slot in (morning, afternoon):
        for enrolment in enrolments[:-1]:
            rows[(enrolment.pk, slot.pk)] = sign(enrolment, slot)
        attendance_mark(
            enrolment=enrolments[0], slot=slot, status="late", minutes_attended=180, actor=trainer
        )
    seals = [close(morning, trainer), close(afternoon, trainer)]
    return SimpleNamespace(
        session=session,
        morning=morning,
        afternoon=afternoon,
        enrolments=enrolments,
        seals=seals,
        hoa=Attendance.objects.get(enrolment=enrolments[0], slot=morning),
        jan=Attendance.objects.get(enrolment=enrolments[-1], slot=morning),
    )


@pytest.fixture
def sealed(trainer):
    return _sealed_session(trainer)


def _codes(problems):
    return sorted(problem.code for problem in problems)


def _raw(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


ATTENDANCE = Attendance._meta.db_table
SEAL = Seal._meta.db_table
RECTIFICATION = Rectification._meta.db_table


def test_canonical_json_sorted_compact_utf8_and_number_stable():
    assert canonical_json({"b": 1, "a": [12.0, 1.5, None], "é": "Dvořák"}) == (
        '{"a":[12,1.5,null],"b":1,"é":"Dvořák"}'
    )


def test_attendance_record_lists_sealed_fields(sealed):
    record = attendance_record(
        Attendance.objects.select_related("enrolment", "paper_scan").get(pk=sealed.hoa.pk)
    )
    assert set(record) == {
        "attendance",
        "enrolment",
        "participant",
        "slot",
        "status",
        "minutes_attended",
        "method",
        "signature",
        "signed_at",
        "device_signed_at",
        "ip_address",
        "user_agent",
        "paper_scan_sha256",
        "recorded_by",
        "arrived_at",
        "left_at",
        "signer_name",
        "signer_structure",
        "device_ticket",
        "device_id",
    }
    assert record["participant"] == sealed.enrolments[0].participant_id
    assert record["signed_at"].endswith("+00:00")
    assert record["status"] == "late"
    assert record["minutes_attended"] == 180


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("status", "absent"),
        ("minutes_attended", 179),
        ("method", "paper"),
        ("signature", {"width": 320, "height": 120, "strokes": [[[0, 0, 0], [99, 99, 9]]]}),
        ("signed_at", dt.datetime(2021, 10, 4, 6, 0, tzinfo=dt.UTC)),
        ("ip_address", "192.0.2.99"),
        ("user_agent", "autre"),
    ],
)
def test_record_digest_covers_each_field(sealed, field, value):
    row = Attendance.objects.select_related("enrolment", "paper_scan").get(pk=sealed.hoa.pk)
    before = record_digest(row)
    setattr(row, field, value)
    assert record_digest(row) != before


def test_verify_clean_chain_passes(sealed):
    assert verify_session(sealed.session) == []
    assert verify_all() == []


def test_verify_after_legitimate_rectifications_passes(sealed, coordinator):
    attendance_rectify(
        attendance=sealed.hoa,
        status="left_early",
        minutes_attended=150,
        reason="Départ signalé",
        author=coordinator,
    )
    attendance_rectify(
        attendance=sealed.jan,
        status="absent_excused",
        minutes_attended=None,
        reason="Justificatif reçu",
        author=coordinator,
    )
    attendance_rectify(
        attendance=sealed.hoa,
        status="present",
        minutes_attended=None,
        reason="Erreur de saisie",
        author=coordinator,
    )
    assert verify_session(sealed.session) == []


def test_verify_orm_update_behind_app_names_record(sealed):
    Attendance.objects.filter(pk=sealed.jan.pk).update(status="present")

    problems = verify_session(sealed.session)

    assert _codes(problems) == ["record_altered"]
    problem = problems[0]
    assert problem.attendance_id == sealed.jan.pk
    assert problem.participant == "DVOŘÁK Jan"
    assert problem.slot_id == sealed.morning.pk
    assert f"n°{sealed.jan.pk} de DVOŘÁK Jan" in problem.message
    assert "LABO-2021-1 04/10/2021 09:00" in problem.message  # the half-day in Mayotte time
    assert str(problem).startswith("[LABO-2021-1]")


def test_verify_raw_sql_signature_edit_detected(sealed):
    _raw(
        f"UPDATE {ATTENDANCE} SET signature = %s WHERE id = %s",
        ['{"width": 320, "height": 120, "strokes": [[[1, 1, 0], [80, 80, 9]]]}', sealed.hoa.pk],
    )
    problems = verify_session(sealed.session)
    assert _codes(problems) == ["record_altered"]
    assert problems[0].participant == "NGUYỄN Thị Hoa"


def test_verify_minutes_edited_after_rectification_detected(sealed, coordinator):
    attendance_rectify(
        attendance=sealed.hoa,
        status="left_early",
        minutes_attended=150,
        reason="Départ",
        author=coordinator,
    )
    Attendance.objects.filter(pk=sealed.hoa.pk).update(minutes_attended=200)

    problems = verify_session(sealed.session)

    assert _codes(problems) == ["record_altered"]
    assert "après la rectification" in problems[0].message
    assert "NGUYỄN Thị Hoa" in problems[0].message


def test_verify_row_deleted_behind_app_detected(sealed):
    _raw(f"DELETE FROM {ATTENDANCE} WHERE id = %s", [sealed.jan.pk])
    problems = verify_session(sealed.session)
    assert _codes(problems) == ["record_removed"]
    assert f"n°{sealed.jan.pk}" in problems[0].message


def test_verify_row_added_after_seal_detected(sealed):
    newcomer = EnrolmentFactory(
        session=sealed.session, participant=ParticipantFactory(last_name="Yılmaz")
    )
    added = Attendance.objects.create(
        enrolment=newcomer,
        slot=sealed.morning,
        status="present",
        method="tablet",
        signature={"width": 320, "height": 120, "strokes": [[[1, 1, 0], [80, 80, 9]]]},
    )
    problems = verify_session(sealed.session)
    assert _codes(problems) == ["record_added"]
    assert problems[0].attendance_id == added.pk
    assert "YILMAZ" in problems[0].message


def test_verify_seal_digest_edited_breaks_seal_and_link(sealed):
    Seal.objects.filter(pk=sealed.seals[0].pk).update(digest="0" * 64)
    problems = verify_session(sealed.session)
    assert _codes(problems) == ["chain_broken", "seal_altered"]
    by_code = {problem.code: problem for problem in problems}
    assert by_code["seal_altered"].slot_id == sealed.morning.pk
    assert by_code["chain_broken"].slot_id == sealed.afternoon.pk


def test_verify_record_digests_rewritten_detected(sealed):
    """Someone edits a row and recomputes its record digest: the seal digest no longer matches."""
    Attendance.objects.filter(pk=sealed.jan.pk).update(status="present")
    row = Attendance.objects.select_related("enrolment", "paper_scan").get(pk=sealed.jan.pk)
    seal = sealed.seals[0]
    digests = dict(seal.record_digests, **{str(row.pk): record_digest(row)})
    Seal.objects.filter(pk=seal.pk).update(record_digests=digests)
    assert _codes(verify_session(sealed.session)) == ["seal_altered"]


def test_verify_countersignature_edited_detected(sealed):
    later = sealed.morning.ends_at + dt.timedelta(days=1)
    type(sealed.morning).objects.filter(pk=sealed.morning.pk).update(countersigned_at=later)
    problems = verify_session(sealed.session)
    assert _codes(problems) == ["slot_changed"]
    assert "date de la contre-signature" in problems[0].message


def test_verify_seal_removed_from_middle_of_chain_detected(sealed):
    _raw(f"DELETE FROM {SEAL} WHERE id = %s", [sealed.seals[0].pk])
    problems = verify_session(sealed.session)
    assert _codes(problems) == ["chain_broken", "chain_gap", "seal_missing"]
    missing = next(p for p in problems if p.code == "seal_missing")
    assert "LABO-2021-1 04/10/2021 09:00" in missing.message


def test_verify_last_seal_removed_detected_from_journal(sealed):
    """The chain alone cannot miss its newest link; the close noted in the journal can."""
    _raw(f"DELETE FROM {SEAL} WHERE id = %s", [sealed.seals[1].pk])
    Attendance.objects.filter(slot=sealed.afternoon, status="absent").update(status="present")
    problems = verify_all()
    assert _codes(problems) == ["seal_missing"]
    assert "13:30" in problems[0].message


def test_verify_last_seal_rewritten_consistently_detected_from_journal(sealed):
    """Edit a row, recompute its record digest and the seal digest: the chain looks whole,
    the journal does not agree."""
    from sessions.sealing import seal_digest, slot_record

    row = Attendance.objects.select_related("enrolment", "paper_scan").get(
        enrolment=sealed.enrolments[-1], slot=sealed.afternoon
    )
    Attendance.objects.filter(pk=row.pk).update(status="present")
    row.status = "present"
    seal = Seal.objects.select_related("slot").get(pk=sealed.seals[1].pk)
    seal.record_digests[str(row.pk)] = record_digest(row)
    seal.digest = seal_digest(
        previous_digest=seal.previous_digest,
        slot_part=slot_record(seal.slot, seal),
        record_digests=seal.record_digests,
    )
    Seal.objects.filter(pk=seal.pk).update(record_digests=seal.record_digests, digest=seal.digest)

    problems = verify_session(sealed.session)

    assert _codes(problems) == ["seal_altered"]
    assert "journal" in problems[0].message


def test_verify_rectification_edited_detected(sealed, coordinator):
    rect = attendance_rectify(
        attendance=sealed.hoa,
        status="left_early",
        minutes_attended=150,
        reason="Départ",
        author=coordinator,
    )
    _raw(f"UPDATE {RECTIFICATION} SET reason = %s WHERE id = %s", ["Autre motif", rect.pk])
    problems = verify_session(sealed.session)
    assert _codes(problems) == ["rectification_altered"]
    assert problems[0].participant == "NGUYỄN Thị Hoa"


def test_verify_rectification_deleted_detected(sealed, coordinator):
    rect = attendance_rectify(
        attendance=sealed.hoa,
        status="left_early",
        minutes_attended=150,
        reason="Départ",
        author=coordinator,
    )
    _raw(f"DELETE FROM {RECTIFICATION} WHERE id = %s", [rect.pk])
    assert _codes(verify_session(sealed.session)) == ["record_altered"]


def test_verify_rectification_on_unsealed_slot_detected(trainer, coordinator):
    session = TrainingSessionFactory()
    slot = SlotFactory(session=session)
    attendance = sign(EnrolmentFactory(session=session), slot)
    Rectification.objects.create(
        attendance=attendance,
        old_values={"status": "present"},
        new_values={"status": "absent"},
        reason="x",
        author=coordinator,
        created_at=slot.ends_at,
        previous_digest="",
        digest="",
    )
    assert _codes(verify_all()) == ["rectification_without_seal"]


def test_verify_all_covers_every_sealed_session_only(trainer):
    first = _sealed_session(trainer, code="AO3-2018-03")
    second = _sealed_session(trainer, code="AO3-2018-04")
    open_session = TrainingSessionFactory(code="OPEN")
    sign(EnrolmentFactory(session=open_session), SlotFactory(session=open_session))
    Attendance.objects.filter(pk=second.hoa.pk).update(minutes_attended=10)

    problems = verify_all()

    assert [(p.session_code, p.attendance_id) for p in problems] == [("AO3-2018-04", second.hoa.pk)]
    assert verify_session(first.session) == []


def test_verify_session_queries_do_not_grow_with_rows(trainer):
    small = _sealed_session(trainer, code="SMALL", people=[("A", "a"), ("B", "b")])
    big = _sealed_session(trainer, code="BIG", people=[(f"P{i}", "x") for i in range(12)])
    for sealed in (small, big):
        attendance_rectify(
            attendance=sealed.hoa,
            status="left_early",
            minutes_attended=100,
            reason="r",
            author=trainer,
        )

    with CaptureQueriesContext(connection) as small_queries:
        assert verify_session(small.session) == []
    with CaptureQueriesContext(connection) as big_queries:
        assert verify_session(big.session) == []

    # The session as stored, its journal entries, seals, rows, rectifications.
    assert len(big_queries) == len(small_queries) <= 5


# --- version 2: what the sheet shows is sealed ---------------------------------------------


def test_new_seals_are_version_2_and_keep_the_sealed_half_day(sealed):
    seal = Seal.objects.get(pk=sealed.seals[0].pk)
    assert seal.version == 2
    assert seal.sealed_slot["time_zone"] == "Indian/Mayotte"
    assert seal.sealed_slot["contract_reference"] == sealed.session.formation.contract_reference
    assert sealed.hoa.signer_name == "NGUYỄN Thị Hoa"


def test_renaming_a_signer_keeps_the_sealed_name_and_verifies(sealed):
    participant = sealed.enrolments[0].participant
    participant.last_name, participant.first_name = "Martin", "Hoa"
    participant.save()

    assert verify_session(sealed.session) == []
    row = Attendance.objects.get(pk=sealed.hoa.pk)
    assert row.signer_name == "NGUYỄN Thị Hoa"


def test_verify_names_a_signer_name_edited_behind_the_app(sealed):
    Attendance.objects.filter(pk=sealed.hoa.pk).update(signer_name="AUTRE Nom")
    problems = verify_session(sealed.session)
    assert _codes(problems) == ["record_altered"]
    assert "NGUYỄN" in problems[0].participant or "Nguy" in problems[0].message


def test_verify_names_a_time_zone_changed_after_sealing(sealed):
    type(sealed.session).objects.filter(pk=sealed.session.pk).update(time_zone="Europe/Paris")
    problems = verify_session(sealed.session)
    assert _codes(problems) == ["slot_changed", "slot_changed"]
    assert "fuseau horaire de la session : Indian/Mayotte → Europe/Paris" in problems[0].message


def test_verify_names_half_day_times_moved_after_sealing(sealed):
    later = sealed.morning.starts_at + dt.timedelta(hours=1)
    type(sealed.morning).objects.filter(pk=sealed.morning.pk).update(starts_at=later)
    problems = verify_session(sealed.session)
    assert _codes(problems) == ["slot_changed"]
    assert "début" in problems[0].message


def test_version_1_seals_still_verify(trainer):
    """A seal made before version 2 (its digest over the old canonical form) verifies in
    its own format, even once rows carry the fields version 2 added."""
    from sessions.sealing import seal_digest, slot_record

    world = _sealed_session(trainer, code="OLD-1")
    for seal in Seal.objects.filter(session=world.session).select_related("slot__session"):
        rows = Attendance.objects.filter(slot=seal.slot).select_related("enrolment", "paper_scan")
        seal.version = 1
        seal.sealed_slot = None
        seal.previous_digest = (
            Seal.objects.get(session=world.session, sequence=seal.sequence - 1).digest
            if seal.sequence > 1
            else ""
        )
        seal.record_digests = {str(r.pk): record_digest(r, 1) for r in rows}
        seal.digest = seal_digest(
            previous_digest=seal.previous_digest,
            slot_part=slot_record(seal.slot, seal),
            record_digests=seal.record_digests,
        )
        Seal.objects.filter(pk=seal.pk).update(
            version=1,
            sealed_slot=None,
            previous_digest=seal.previous_digest,
            record_digests=seal.record_digests,
            digest=seal.digest,
        )
    from formations.models import AuditEntry

    AuditEntry.objects.filter(action="slot.close").delete()

    assert verify_session(world.session) == []
    # A version 1 seal never covered the signer's name: renaming it is not an anomaly…
    Attendance.objects.filter(pk=world.hoa.pk).update(signer_name="AUTRE Nom")
    assert verify_session(world.session) == []
    # …but its status still is.
    Attendance.objects.filter(pk=world.hoa.pk).update(status="present", arrived_at=None)
    assert _codes(verify_session(world.session)) == ["record_altered"]


def test_a_formation_with_sealed_sheets_keeps_its_reference_title_and_programme(
    sealed, coordinator, client
):
    """The sheet prints them and the seal covers them: the app's form, its service and the
    admin all refuse to change them, so verify_seals never flags a legitimate edit."""
    from django.urls import reverse

    from formations.forms import FormationForm
    from formations.services import RecordConflict, record_save

    formation = sealed.session.formation
    form = FormationForm(instance=formation, user=coordinator)
    assert all(form.fields[name].disabled for name in ("contract_reference", "title"))

    client.force_login(coordinator)
    data = {
        name: getattr(formation, name)
        for name in ("contract_reference", "title", "amount", "pricing_mode")
    }
    data.update(programme=formation.programme_id, contract_reference="NOUVELLE-REF")
    client.post(reverse("formations:formation_edit", args=[formation.pk]), data)
    formation.refresh_from_db()
    assert formation.contract_reference != "NOUVELLE-REF"

    bound = FormationForm({**data, "title": "Autre titre"}, instance=formation, user=coordinator)
    bound.fields["title"].disabled = False  # as if a page forgot the lock
    assert bound.is_valid(), bound.errors
    with pytest.raises(RecordConflict):
        record_save(form=bound, actor=coordinator)
    formation.refresh_from_db()
    assert formation.title != "Autre titre"
    assert verify_session(sealed.session) == []


def test_the_admin_shows_a_locked_formation_read_only(sealed, rf, django_user_model):
    from django.contrib import admin

    from formations.models import Formation

    model_admin = admin.site._registry[Formation]
    request = rf.get("/")
    request.user = django_user_model.objects.create_superuser("tech", "t@example.org", "x")
    readonly = model_admin.get_readonly_fields(request, sealed.session.formation)
    assert {"programme", "contract_reference", "title"} <= set(readonly)
