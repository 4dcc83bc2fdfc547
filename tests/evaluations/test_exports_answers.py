import csv
import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from evaluations.services_synthesis import comment_hide
from formations.models import User
from tests.evaluations.synthesis_world import (
    HIDDEN_COMMENT,
    PARTICIPANT_EMAIL,
    SHOWN_COMMENT,
    build_world,
)
from tests.factories import FunderFactory, UserFactory

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")


def rows_of(response) -> list[list[str]]:
    content = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(content), delimiter=";"))


def export_url(world, fmt="csv", **params):
    query = {"questionnaire": world.version.questionnaire_id, **params}
    url = reverse("evaluations:answers_export", args=[world.formation.pk, fmt])
    return url + "?" + "&".join(f"{k}={v}" for k, v in query.items())


@pytest.fixture
def world(db, trainer):
    return build_world(trainer=trainer)


def test_coordinator_export_one_row_per_response_and_question(client, world, coordinator):
    client.force_login(coordinator)
    rows = rows_of(client.get(export_url(world)))

    header, body = rows[0], rows[1:]
    assert header == [
        "Réponse n°",
        "Session",
        "Répondu le",
        "Type de structure",
        "Partie",
        "Question",
        "Réponse",
    ]
    # 4 responses: 5 + 5 + 4 + 3 questions answered (text and tools optional).
    assert len(body) == 17
    scale = [r for r in body if r[5] == "Contenus de la formation"]
    assert [r[6] for r in scale] == ["5", "4", "4", "2"]
    tools = {r[0]: r[6] for r in body if r[5] == "Outils utilisés"}
    assert tools["1"] == "Pix, France Connect"
    assert body[0][1] == "LILLE-2026-01" and body[0][2] == "2026-06-02"
    assert body[0][3] == "CCAS / CIAS"
    objectives = [r[6] for r in body if r[5] == "Progrès par objectif"]
    assert objectives[0] == "Accompagner une démarche : 2 → 4"
    # The coordination's copy keeps a hidden comment as written.
    comment_hide(answer=world.hidden, actor=coordinator, reason="Nomme une élue")
    texts = [r[6] for r in rows_of(client.get(export_url(world))) if r[5] == "Commentaires"]
    assert texts == [SHOWN_COMMENT, HIDDEN_COMMENT]


def test_funder_export_has_no_name_no_email_no_phone_and_masks_hidden(
    client, world, coordinator, auditor
):
    world.shown.text = f"Écrivez-moi à {PARTICIPANT_EMAIL} ou au 06 12 34 56 78"
    world.shown.save()
    comment_hide(answer=world.hidden, actor=coordinator, reason="Nomme une élue")
    client.force_login(auditor)

    response = client.get(export_url(world))
    rows = rows_of(response)
    content = "\n".join(";".join(r) for r in rows)

    assert "financeur" in response["Content-Disposition"]
    assert not EMAIL.search(content)
    assert "06 12 34 56 78" not in content and "+33612345678" not in content
    assert "MARTIN" not in content.upper() and "Alice" not in content
    assert HIDDEN_COMMENT not in content
    assert "(commentaire masqué par la coordination)" in content
    assert "[adresse e-mail retirée]" in content


def test_funder_export_of_a_nominative_questionnaire_names_nobody(
    client, db, trainer, coordinator, auditor
):
    world = build_world(trainer=trainer, nominative=True)
    client.force_login(coordinator)
    named = rows_of(client.get(export_url(world)))
    assert "Participant·e" in named[0]
    assert "MARTIN Alice" in {r[4] for r in named[1:]}

    client.force_login(auditor)
    anonymous = rows_of(client.get(export_url(world)))
    assert "Participant·e" not in anonymous[0]
    content = "\n".join(";".join(r) for r in anonymous)
    assert "MARTIN" not in content.upper() and not EMAIL.search(content)


def test_xlsx_export_is_neutralised_and_readable(client, world, coordinator):
    world.shown.text = '=HYPERLINK("http://evil")'
    world.shown.save()
    client.force_login(coordinator)
    response = client.get(export_url(world, "xlsx"))
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    values = [row[6].value for row in sheet.iter_rows(min_row=2)]
    assert '=HYPERLINK("http://evil")' in values
    cell = next(row[6] for row in sheet.iter_rows(min_row=2) if str(row[6].value).startswith("="))
    assert cell.data_type == "s"


def test_export_scope_by_session_and_period(client, world, coordinator):
    client.force_login(coordinator)
    assert len(rows_of(client.get(export_url(world, du="2026-07-01")))) == 1  # header only
    assert len(rows_of(client.get(export_url(world, session=world.session.pk)))) == 18


def test_export_access(client, world, trainer):
    client.force_login(trainer)
    assert client.get(export_url(world)).status_code == 404
    outsider = UserFactory(role=User.Role.FUNDER_AUDITOR)
    outsider.funders.add(FunderFactory(name="CAF du Nord", kind="caf"))
    client.force_login(outsider)
    assert client.get(export_url(world)).status_code == 404
    coordinator = UserFactory(role=User.Role.COORDINATOR)
    client.force_login(coordinator)
    assert client.get(export_url(world, "pdf")).status_code == 404
    bad = reverse("evaluations:answers_export", args=[world.formation.pk, "csv"]) + "?du=x"
    assert client.get(bad).status_code == 302


def test_export_streams_with_constant_queries(
    client, world, coordinator, django_assert_max_num_queries
):
    client.force_login(coordinator)
    with django_assert_max_num_queries(12):
        rows_of(client.get(export_url(world)))
