import csv
import datetime as dt
import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from evaluations.models import Question
from evaluations.services_synthesis import comment_hide
from formations.models import User
from tests.evaluations.synthesis_world import (
    HIDDEN_COMMENT,
    PARTICIPANT_EMAIL,
    SHOWN_COMMENT,
    build_world,
)
from tests.factories import FunderFactory, UserFactory
from tests.factories.evaluations import add_response, make_campaign, make_version

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
    # An anonymous questionnaire: no day of answer (it dates a person on the tablet).
    assert header == [
        "Réponse n°",
        "Session",
        "Type de structure",
        "Partie",
        "Question",
        "Réponse",
    ]
    # 4 responses: 5 + 5 + 4 + 3 questions answered (text and tools optional).
    assert len(body) == 17
    scale = [r for r in body if r[4] == "Contenus de la formation"]
    assert sorted(r[5] for r in scale) == ["2", "4", "4", "5"]
    assert {r[5] for r in body if r[4] == "Outils utilisés"} >= {"Pix, France Connect"}
    assert body[0][1] == "LILLE-2026-01"
    # Four CCAS respondents in the session: fewer than five, the type is not shown.
    assert {r[2] for r in body} == {"— (moins de 5 réponses)"}
    objectives = [r[5] for r in body if r[4] == "Progrès par objectif"]
    assert "Accompagner une démarche : 2 → 4" in objectives
    # The coordination's copy keeps a hidden comment as written.
    comment_hide(answer=world.hidden, actor=coordinator, reason="Nomme une élue")
    rows = rows_of(client.get(export_url(world)))
    comments = [r for r in rows if r[4] == "Commentaires"]
    assert [r[5] for r in comments] == [SHOWN_COMMENT, HIDDEN_COMMENT]
    # The hidden comment comes last, with neither a response number nor a structure type.
    assert rows[-1][5] == HIDDEN_COMMENT
    assert rows[-1][0] == "—" and rows[-1][2] == "—"


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
    values = [row[5].value for row in sheet.iter_rows(min_row=2)]
    assert '=HYPERLINK("http://evil")' in values
    cell = next(row[5] for row in sheet.iter_rows(min_row=2) if str(row[5].value).startswith("="))
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


def test_anonymous_export_does_not_point_at_a_lone_respondent(client, world, coordinator, auditor):
    """Six CCAS respondents and one from a centre social in the session: the CCAS type is
    shown, the centre social is not (it would be that person's whole response); the
    numbers do not follow the order of submission; no day anywhere."""
    q = world.questions
    submitted = []
    for index in range(2):
        add_response(
            world.campaign,
            {q["scale"]: 3, q["text"]: f"Réponse CCAS {index}"},
            structure_kind="ccas",
            submitted_on=dt.date(2026, 6, 3 + index),
        )
        submitted.append(f"Réponse CCAS {index}")
    add_response(
        world.campaign,
        {q["scale"]: 1, q["text"]: "Seul du centre social"},
        structure_kind="centre_social",
        submitted_on=dt.date(2026, 6, 5),
    )
    submitted.append("Seul du centre social")
    for index in range(4):
        add_response(
            world.campaign,
            {q["scale"]: 4, q["text"]: f"Plus tard {index}"},
            structure_kind="ccas",
            submitted_on=dt.date(2026, 6, 6 + index),
        )
        submitted.append(f"Plus tard {index}")
    for user in (coordinator, auditor):
        client.force_login(user)
        rows = rows_of(client.get(export_url(world)))
        assert "Répondu le" not in rows[0]
        content = "\n".join(";".join(r) for r in rows)
        assert "2026-06" not in content and "/06/2026" not in content
        assert "Centre social" not in content
        kinds = {r[5]: r[2] for r in rows[1:] if r[4] == "Commentaires"}
        assert kinds["Seul du centre social"] == "— (moins de 5 réponses)"
        assert kinds["Réponse CCAS 0"] == "CCAS / CIAS"
        numbers = {r[5]: int(r[0]) for r in rows[1:] if r[4] == "Commentaires"}
        in_submission_order = [numbers[text] for text in submitted]
        assert in_submission_order != sorted(in_submission_order)
        # Each response keeps one number on all its rows; the numbers run 1 to 11.
        assert {int(r[0]) for r in rows[1:]} == set(range(1, 12))


def test_export_filename_names_the_questionnaire(client, world, coordinator):
    client.force_login(coordinator)
    other = make_version({"kind": Question.Kind.SCALE, "text": "Utilité"})
    make_campaign(world.session, other)
    first = client.get(export_url(world))["Content-Disposition"]
    url = reverse("evaluations:answers_export", args=[world.formation.pk, "csv"])
    second = client.get(f"{url}?questionnaire={other.questionnaire_id}")["Content-Disposition"]
    assert first != second
    assert str(world.version.questionnaire.pk) in first
