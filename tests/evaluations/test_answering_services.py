import datetime as dt

import pytest
from django.utils import timezone

from evaluations.models import Answer, Invitation, Question, Response
from evaluations.objectives import formation_objectives
from evaluations.services_answers import (
    TEXT_MAX_LENGTH,
    EvaluationsError,
    answer_value_check,
    draft_save,
    response_submit,
)
from formations.models import Formation
from tests.evaluations import answering_world
from tests.evaluations.answering_world import fill
from tests.factories.evaluations import make_campaign, make_version

world = answering_world.world  # the fixture, under its name

OBJECTIVES = ["Accompagner un usager", "Sécuriser ses données"]


def test_objectives_are_the_formation_s_lines_without_bullets():
    formation = Formation(objectives="- Un\n\n  • Deux \n3. Trois\n* Quatre\nCinq-six\n")
    assert formation_objectives(formation) == ["Un", "Deux", "Trois", "Quatre", "Cinq-six"]
    assert formation_objectives(Formation(objectives="")) == []


@pytest.mark.parametrize(
    ("index", "raw", "expected"),
    [
        (0, "4", 4),
        (0, " 1 ", 1),
        (1, "yes", True),
        (1, "no", False),
        (2, "2", 2),
        (3, ["2", "0", "2"], [0, 2]),
        (4, ["1"], [1]),
        (5, {0: ("2", "4"), 1: ("1", "5")}, {OBJECTIVES[0]: [2, 4], OBJECTIVES[1]: [1, 5]}),
        (6, "  Bien\r\nmerci ", "Bien\nmerci"),
        (0, "", None),
        (3, [], None),
        (5, {0: ("", ""), 1: ("", "")}, None),
    ],
)
def test_each_kind_is_normalised(world, index, raw, expected):
    assert answer_value_check(world["questions"][index], raw, OBJECTIVES) == expected


@pytest.mark.parametrize(
    ("index", "raw", "message"),
    [
        (0, "6", "Choisissez une note de 1 à 5."),
        (0, "0", "Choisissez une note de 1 à 5."),
        (0, "trois", "Choisissez une note de 1 à 5."),
        (1, "peut-être", "Répondez par oui ou par non."),
        (2, "3", "Choisissez l'une des options proposées."),
        (2, "-1", "Choisissez l'une des options proposées."),
        (3, ["0", "7"], "Cochez une ou plusieurs des options proposées."),
        (4, ["x"], "Cochez une ou plusieurs des options proposées."),
        (5, {0: ("2", ""), 1: ("1", "5")}, "Objectif « Accompagner un usager »"),
        (5, {0: ("2", "9"), 1: ("1", "5")}, "note de 1 à 5 avant et après"),
        (5, {0: ("2", "3"), 1: ("", "")}, "pour chaque objectif"),
        (6, "x" * (TEXT_MAX_LENGTH + 1), "dépasse 5000 caractères"),
    ],
)
def test_bad_values_are_refused_with_a_message(world, index, raw, message):
    with pytest.raises(EvaluationsError) as refused:
        answer_value_check(world["questions"][index], raw, OBJECTIVES)
    assert refused.value.code == "invalid_value"
    assert message in refused.value.message


def test_draft_keeps_values_and_the_screen_reached(world):
    invitation = world["invitation"]
    scale, yes_no = world["questions"][:2]
    draft_save(invitation=invitation, question=scale, value=4, step=2)
    draft_save(invitation=invitation, question=yes_no, value=False, step=3)
    draft_save(invitation=invitation, question=scale, value=None, step=1)
    invitation.refresh_from_db()
    assert invitation.draft == {str(yes_no.pk): False}
    assert invitation.draft_step == 1
    assert not Response.objects.exists()


def test_submit_writes_the_rows_as_the_model_stores_them(world):
    invitation, questions = world["invitation"], world["questions"]
    fill(invitation, questions)

    response = response_submit(invitation=invitation)

    rows = {
        (
            a.question_id,
            a.number,
            tuple(a.choices),
            a.correct,
            a.text,
            a.objective,
            a.before,
            a.after,
        )
        for a in Answer.objects.filter(response=response)
    }
    scale, yes_no, single, multiple, quiz, objectives, text = questions
    assert rows == {
        (scale.pk, 4, (), None, "", "", None, None),
        (yes_no.pk, 1, (), None, "", "", None, None),
        (single.pk, 1, (), None, "", "", None, None),
        (multiple.pk, 0, (), None, "", "", None, None),
        (multiple.pk, 2, (), None, "", "", None, None),
        (quiz.pk, 2, (1,), True, "", "", None, None),
        (objectives.pk, None, (), None, "", "Accompagner un usager", 2, 4),
        (objectives.pk, None, (), None, "", "Sécuriser ses données", 1, 3),
        (text.pk, None, (), None, "Très utile", "", None, None),
    }
    invitation.refresh_from_db()
    assert invitation.answered_on == timezone.localdate()
    assert invitation.draft == {} and invitation.draft_step == 0


def test_anonymous_response_names_nobody_and_keeps_coarse_facts(world):
    fill(world["invitation"], world["questions"])
    response = response_submit(invitation=world["invitation"])
    assert response.participant is None and response.user is None
    assert response.respondent_role == "participants"
    assert response.structure_kind == "ccas"
    assert response.sex == "" and response.age_band == ""
    assert response.submitted_on == timezone.localdate()
    assert response.session == world["session"]
    assert not response.on_tablet
    # Nothing leads from the response back to the invitation.
    assert {f.name for f in Response._meta.get_fields()} & {"invitation", "invitations"} == set()


def test_nominative_response_names_the_participant(world):
    questionnaire = world["version"].questionnaire
    questionnaire.nominative = True
    questionnaire.save()
    fill(world["invitation"], world["questions"])
    response = response_submit(invitation=world["invitation"])
    assert response.participant == world["participant"]


def test_second_submission_writes_nothing(world):
    invitation = world["invitation"]
    fill(invitation, world["questions"])
    response_submit(invitation=invitation)
    stale = Invitation.objects.get(pk=invitation.pk)
    stale.answered_on = None  # a copy read before the first submission committed
    with pytest.raises(EvaluationsError) as refused:
        response_submit(invitation=stale)
    assert refused.value.code == "already_answered"
    assert Response.objects.count() == 1
    assert Answer.objects.count() == 9
    with pytest.raises(EvaluationsError):
        draft_save(invitation=stale, question=world["questions"][0], value=1, step=1)


def test_required_question_missing_is_named(world):
    invitation, questions = world["invitation"], world["questions"]
    fill(invitation, questions)
    del invitation.draft[str(questions[2].pk)]
    invitation.save()
    with pytest.raises(EvaluationsError) as refused:
        response_submit(invitation=invitation)
    assert refused.value.code == "required_missing"
    assert "« Durée »" in refused.value.message
    assert not Response.objects.exists() and not Answer.objects.exists()


def test_optional_questions_may_stay_empty(world):
    invitation, questions = world["invitation"], world["questions"]
    fill(invitation, questions)
    for optional in (questions[3], questions[6]):
        del invitation.draft[str(optional.pk)]
    invitation.save()
    response = response_submit(invitation=invitation)
    assert response.answers.count() == 6


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"cancelled_at": dt.timedelta(hours=-1)}, "cancelled"),
        ({"closes_at": dt.timedelta(hours=-1)}, "closed"),
        ({"opens_at": dt.timedelta(days=2)}, "not_open"),
    ],
)
def test_campaign_cancelled_closed_or_not_open_refuses(world, fields, code):
    campaign = world["campaign"]
    for name, delta in fields.items():
        setattr(campaign, name, timezone.now() + delta)
    campaign.save()
    fill(world["invitation"], world["questions"])
    with pytest.raises(EvaluationsError) as refused:
        response_submit(invitation=world["invitation"])
    assert refused.value.code == code
    assert not Response.objects.exists()


def test_objectives_question_skipped_when_the_formation_lists_none(world):
    formation = world["campaign"].formation
    formation.objectives = ""
    formation.save()
    invitation, questions = world["invitation"], world["questions"]
    fill(invitation, questions)
    response = response_submit(invitation=invitation)
    assert not response.answers.filter(question__kind=Question.Kind.OBJECTIVES).exists()


def test_factory_writes_the_same_rows(world):
    """The tests' factory goes through the same mapping as the pages."""
    from tests.factories.evaluations import add_response

    version = make_version({"kind": "multiple", "text": "Outils", "choices": ["a", "b"]})
    campaign = make_campaign(world["session"], version)
    question = version.sections.get().questions.get()
    response = add_response(campaign, {question: [0, 1]})
    assert sorted(response.answers.values_list("number", flat=True)) == [0, 1]


def test_a_long_objective_is_cut_to_what_an_answer_keeps_and_submits(world):
    long = "Comprendre " + "très " * 200 + "longuement"
    formation = world["session"].formation
    formation.objectives = f"{long}\nSécuriser ses données"
    formation.save()
    objectives = formation_objectives(formation)
    assert len(objectives[0]) == 500 and objectives[0] == long[:500].rstrip()
    question = world["questions"][5]
    value = answer_value_check(question, {0: ("2", "4"), 1: ("1", "3")}, objectives)
    invitation = world["invitation"]
    draft_save(invitation=invitation, question=question, value=value, step=6)
    for other, raw in zip(world["questions"][:5], (4, True, 1, [0], [1]), strict=True):
        draft_save(invitation=invitation, question=other, value=raw, step=7)
    response = response_submit(invitation=invitation)
    assert set(response.answers.exclude(objective="").values_list("objective", flat=True)) == {
        objectives[0],
        "Sécuriser ses données",
    }


def test_a_nul_character_in_a_text_answer_is_dropped(world):
    question = world["questions"][6]
    assert answer_value_check(question, "Très\x00 utile\x00", OBJECTIVES) == "Très utile"
    assert answer_value_check(question, "\x00", OBJECTIVES) is None
    invitation = world["invitation"]
    fill(invitation, world["questions"])
    draft_save(
        invitation=invitation,
        question=question,
        value=answer_value_check(question, "Bien\x00", OBJECTIVES),
        step=8,
    )
    response_submit(invitation=invitation)
    assert Answer.objects.get(question=question).text == "Bien"


def test_a_none_option_is_ticked_alone():
    """« Aucun changement pour l'instant » with « Accueil » contradicts itself."""
    question = Question(
        kind=Question.Kind.MULTIPLE,
        text="Dans quels domaines ?",
        choices=["Accueil", "Orientation", "Aucun changement pour l'instant"],
    )
    assert answer_value_check(question, ["2"], []) == [2]
    assert answer_value_check(question, ["0", "1"], []) == [0, 1]
    with pytest.raises(EvaluationsError) as error:
        answer_value_check(question, ["0", "2"], [])
    assert error.value.code == "invalid_value"
    assert "« Aucun changement pour l'instant » ne se coche pas avec une autre option." in str(
        error.value
    )
