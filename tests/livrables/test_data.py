import datetime as dt

import pytest
from django.conf import settings
from django.urls import reverse

from livrables.data import build_sheet_data, parse_signature
from sessions.models import Attendance
from tests.livrables.conftest import (
    AFTERNOON_SEAL_DIGEST,
    FEDER_2014_SENTENCE,
    RECTIFICATION_REASON,
    SEAL_DIGEST,
    add_participants,
)

NOW = dt.datetime(2021, 10, 6, 16, 0, tzinfo=dt.UTC)


def test_build_sheet_data_holds_references_and_local_times(sheet_world):
    data = build_sheet_data(session=sheet_world.session, now=NOW)

    assert data.programme_reference == "CSC-MEL-2018"
    assert data.contract_reference == "FEDER-2018-AO.3"
    assert data.session_code == "LABO-2021-1"
    assert data.time_zone == "Europe/Paris"
    assert data.generated_at.utcoffset() == dt.timedelta(hours=2)
    assert data.trainers == ("Théo Formateur",)
    morning, afternoon = data.slots
    assert (morning.date, morning.start, morning.end) == (
        dt.date(2021, 10, 4),
        dt.time(9),
        dt.time(12, 30),
    )
    assert morning.planned_minutes == 210
    assert morning.countersigned_by == "Théo Formateur"
    assert morning.countersignature is not None
    assert morning.seal_digest == SEAL_DIGEST
    assert afternoon.seal_digest == AFTERNOON_SEAL_DIGEST
    assert afternoon.countersigned_at.strftime("%H:%M") == "17:05"
    assert morning.paper_url == settings.SUIVI_BASE_URL + reverse(
        "sessions:slot_paper", args=[morning.pk]
    )


def test_build_sheet_data_funders_flag_eu_funds(sheet_world):
    data = build_sheet_data(session=sheet_world.session, now=NOW)

    by_name = {f.name: f for f in data.funders}
    assert by_name["FEDER"].is_eu and by_name["FEDER"].sentence == FEDER_2014_SENTENCE
    assert not by_name["Région Hauts-de-France"].is_eu
    assert data.has_eu_funder


def test_build_sheet_data_cells_follow_attendance(sheet_world):
    data = build_sheet_data(session=sheet_world.session, now=NOW)

    rows = {row.participant_name: row for row in data.rows}
    assert list(rows) == ["DVOŘÁK Jiří", "MARTIN Camille", "NGUYỄN Thị Hương", "ÖZTÜRK Ayşe"]
    late, absent = rows["DVOŘÁK Jiří"].cells
    assert late.status == Attendance.Status.LATE
    assert late.status_label == "Retard : arrivée 09:30, 30 min manquées"
    assert late.minutes_attended == 180 and late.signature is not None
    assert late.rectification_refs == ("R1",)
    assert absent.status_label == "Absent·e" and absent.signature is None
    excused, empty = rows["ÖZTÜRK Ayşe"].cells
    assert excused.status_label == "Absent·e excusé·e"
    assert empty.is_empty
    assert (
        rows["MARTIN Camille"].cells[1].status_label
        == "Départ anticipé : départ 16:00, 60 min manquées"
    )
    signed = rows["NGUYỄN Thị Hương"].cells[1]
    assert signed.method == Attendance.Method.QR_CODE
    assert signed.signed_at.strftime("%H:%M") == "13:32"
    assert signed.signature.point_count == 200


def test_build_sheet_data_describes_rectifications_and_seals(sheet_world):
    data = build_sheet_data(session=sheet_world.session, now=NOW)

    (rect,) = data.rectifications
    assert rect.ref == "R1"
    assert rect.participant_name == "DVOŘÁK Jiří"
    assert rect.slot_label == "04/10/2021 09:00–12:30"
    assert rect.old == "Absent·e"
    # Written before times existed: the minutes attended still read as minutes missed.
    assert rect.new == "Retard : 30 min manquées"
    assert rect.reason == RECTIFICATION_REASON
    assert rect.author == "Claire Coordo"
    assert data.seal_digests == (SEAL_DIGEST, AFTERNOON_SEAL_DIGEST)
    assert data.seals[0].slot_index == 1


def test_build_sheet_data_number_is_unique_per_content_and_time(sheet_world):
    first = build_sheet_data(session=sheet_world.session, now=NOW)
    later = build_sheet_data(session=sheet_world.session, now=NOW + dt.timedelta(seconds=1))
    add_participants(sheet_world.session, 1)
    changed = build_sheet_data(session=sheet_world.session, now=NOW)

    assert len({first.number, later.number, changed.number}) == 3
    assert first.verification_url == f"{settings.SUIVI_BASE_URL}/verifier/{first.number}/"


def test_build_sheet_data_blank_has_names_but_no_attendance(sheet_world):
    data = build_sheet_data(session=sheet_world.session, blank=True, now=NOW)

    assert len(data.rows) == 4
    assert all(cell.is_empty for row in data.rows for cell in row.cells)
    assert data.rectifications == ()
    assert all(slot.countersignature is None for slot in data.slots)


@pytest.mark.parametrize("participants", [3, 30])
def test_build_sheet_data_query_count_is_constant(
    sheet_world, participants, django_assert_num_queries
):
    add_participants(sheet_world.session, participants)
    with django_assert_num_queries(7):
        data = build_sheet_data(session=sheet_world.session, now=NOW)
    assert len(data.rows) == 4 + participants


@pytest.mark.parametrize(
    "value",
    [
        None,
        "x",
        {},
        {"strokes": []},
        {"strokes": [["bad"]]},
        {"width": "a", "strokes": [[[1, 2, 0]]]},
    ],
)
def test_parse_signature_tolerates_malformed_json(value):
    result = parse_signature(value)
    assert result is None or result.point_count == 1
