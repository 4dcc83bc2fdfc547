"""The results panel of the session and formation pages reads aggregates only."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evaluations.models import Campaign, Invitation, Question
from evaluations.selectors_results import results_for
from evaluations.selectors_results_access import formation_scope
from evaluations.selectors_results_panel import panel_summaries
from tests.factories import FormationFactory, ParticipantFactory, TrainingSessionFactory
from tests.factories.evaluations import add_response, make_campaign, make_version

pytestmark = pytest.mark.django_db

SCALE = {"kind": Question.Kind.SCALE, "text": "Qualité de l'animation"}
YES = {"kind": Question.Kind.YES_NO, "text": "Recommanderiez-vous ?"}
TEXT = {"kind": Question.Kind.TEXT, "text": "Vos commentaires", "required": False}


def _formation_with(sessions: int):
    formation = FormationFactory()
    version = make_version(SCALE, YES, TEXT)
    scale, yes, text = Question.objects.filter(section__version=version).order_by("position")
    for i in range(sessions):
        session = TrainingSessionFactory(formation=formation, code=f"S-{formation.pk}-{i:03}")
        campaign = make_campaign(session, version)
        for answered in (True, True, False):
            Invitation.objects.create(
                campaign=campaign,
                participant=ParticipantFactory(),
                answered_on=dt.date(2026, 5, 5) if answered else None,
            )
        add_response(campaign, {scale: 1 + i % 5, yes: True, text: f"commentaire {i}"})
        add_response(campaign, {scale: 4, yes: False})
    return formation


def test_panel_figures_are_the_results_page_s(coordinator, trainer):
    formation = _formation_with(3)
    formation.sessions.get(code=f"S-{formation.pk}-001").trainers.add(trainer)
    for user in (coordinator, trainer):
        scope = formation_scope(user=user, formation=formation)
        [summary] = panel_summaries(scope=scope, means_shown=6)
        full = results_for(
            campaigns=scope.for_questionnaire(summary.questionnaire.pk), sessions=scope.sessions
        )
        assert (summary.invited, summary.answered, summary.responses) == (
            full.invited,
            full.answered,
            full.responses,
        )
        assert summary.response_rate == full.response_rate
        assert [(m.text, m.mean) for m in summary.means] == [
            (q.text, q.mean) for q in full.scale_questions
        ]


def _panel_queries(client, user, formation):
    client.force_login(user)
    url = reverse("formations:formation_detail", args=[formation.pk])
    with CaptureQueriesContext(connection) as captured:
        page = client.get(url).content.decode()
    assert "Résultats des évaluations" in page
    return [q["sql"] for q in captured.captured_queries if "evaluations_" in q["sql"]]


def test_formation_page_panel_reads_no_comment_and_no_list_of_sessions(client, coordinator):
    small = _panel_queries(client, coordinator, _formation_with(2))
    large = _panel_queries(client, coordinator, _formation_with(12))

    assert len(small) == len(large)
    # Same statements whatever the sessions: no IN list of their pks grows with them.
    assert [re.sub(r"\d+", "0", sql) for sql in small] == [
        re.sub(r"\d+", "0", sql) for sql in large
    ]
    assert not any('"evaluations_answer"."text"' in sql for sql in large)
    assert Campaign.objects.count() == 14
