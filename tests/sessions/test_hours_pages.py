"""Hours on the structure, participant and session pages: realised hours apart from the hours
of half-days still to come, which are not counted as missed."""

import datetime as dt
import re
from html import unescape

import pytest
import time_machine
from django.urls import reverse

from formations.models import User
from tests.factories import (
    EnrolmentFactory,
    ParticipantFactory,
    StructureFactory,
    TrainingSessionFactory,
    UserFactory,
)
from tests.factories.planning import attend, make_slot

pytestmark = pytest.mark.django_db

DAY = dt.date(2021, 10, 4)
MORNING = (dt.time(9, 0), dt.time(12, 30))
AFTERNOON = (dt.time(13, 30), dt.time(17, 0))
HEADERS = ["Prévues", "Réalisées", "Non réalisées", "À venir"]


def row_cells(html: str, name: str) -> list[str]:
    """The text of the cells of the table row whose header cell holds `name`."""
    for row in re.findall(r"<tr>(.*?)</tr>", html, flags=re.S):
        header = re.search(r"<th scope=\"row\">(.*?)</th>", row, flags=re.S)
        if header and name in header.group(1):
            cells = re.findall(r"<td>(.*?)</td>", row, flags=re.S)
            return [unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in cells]
    raise AssertionError(f"no row for {name}")


@pytest.fixture
def world():
    """A session with 2 past half-days (day 1, countersigned) and 2 to come (day 2); two
    people of the referent's structure and one of another structure. `now`: evening of
    day 1."""
    structure = StructureFactory(name="CCAS de Mamoudzou")
    session = TrainingSessionFactory(code="LABO-HEURES")
    past = [make_slot(session, DAY, *MORNING), make_slot(session, DAY, *AFTERNOON)]
    next_day = DAY + dt.timedelta(days=1)
    for start, end in (MORNING, AFTERNOON):
        make_slot(session, next_day, start, end, countersigned=False)
    amina = EnrolmentFactory(
        session=session, participant=ParticipantFactory(structure=structure, last_name="Saindou")
    )
    julien = EnrolmentFactory(
        session=session, participant=ParticipantFactory(structure=structure, last_name="Morel")
    )
    other = EnrolmentFactory(session=session, participant__last_name="Ailleurs")
    attend(amina, past[0])
    attend(amina, past[1])
    attend(julien, past[0], "late", minutes=150)
    attend(julien, past[1], "absent", signed=False, method="trainer")
    attend(other, past[0])
    referent = UserFactory(role=User.Role.STRUCTURE_REFERENT, structure=structure)
    return {
        "session": session,
        "structure": structure,
        "amina": amina,
        "julien": julien,
        "referent": referent,
        "now": past[1].ends_at + dt.timedelta(hours=3),
    }


def _get(client, user, url, now):
    client.force_login(user)
    with time_machine.travel(now, tick=False):
        response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_referent_structure_page_separates_hours_to_come(client, world):
    html = _get(
        client,
        world["referent"],
        reverse("formations:structure_detail", args=[world["structure"].pk]),
        world["now"],
    )

    assert all(f">{h}<" in html for h in HEADERS)
    # Prévues, réalisées, non réalisées, à venir.
    assert row_cells(html, "SAINDOU")[1:5] == ["14 h", "7 h", "0 h", "7 h"]
    assert row_cells(html, "MOREL")[1:5] == ["14 h", "2 h 30", "4 h 30", "7 h"]
    assert row_cells(html, "Total")[1:5] == ["28 h", "9 h 30", "4 h 30", "14 h"]
    assert "AILLEURS" not in html


def test_referent_session_page_rows_separate_hours_to_come(client, world):
    html = _get(
        client,
        world["referent"],
        reverse("sessions:session_detail", args=[world["session"].pk]),
        world["now"],
    )

    assert row_cells(html, "MOREL")[1:5] == ["14 h", "2 h 30", "4 h 30", "7 h"]
    assert row_cells(html, "Total")[1:5] == ["28 h", "9 h 30", "4 h 30", "14 h"]
    assert "AILLEURS" not in html


def test_participant_page_separates_hours_to_come(client, world, coordinator):
    participant = world["julien"].participant
    html = _get(
        client,
        coordinator,
        reverse("formations:participant_detail", args=[participant.pk]),
        world["now"],
    )

    assert row_cells(html, "LABO-HEURES")[2:6] == ["14 h", "2 h 30", "4 h 30", "7 h"]


def test_after_the_last_half_day_nothing_is_to_come_and_unsigned_hours_are_missed(
    client, world, coordinator
):
    later = world["now"] + dt.timedelta(days=2)
    html = _get(
        client,
        coordinator,
        reverse("sessions:session_detail", args=[world["session"].pk]),
        later,
    )

    # Day 2 ended without any countersignature: its hours are no longer "to come".
    assert row_cells(html, "SAINDOU")[1:5] == ["14 h", "7 h", "7 h", "0 h"]
