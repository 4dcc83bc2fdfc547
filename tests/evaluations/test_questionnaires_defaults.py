import pytest

from evaluations import defaults
from evaluations.defaults import DEFAULTS, install_defaults
from evaluations.models import Question, Questionnaire, QuestionnaireVersion
from evaluations.objectives import formation_objectives
from evaluations.services_questionnaires import check_question, question_update
from tests.factories import FormationFactory

pytestmark = pytest.mark.django_db

EXPECTED = {
    # code: (kind, nominative, kinds of question it must hold)
    defaults.HOT: ("hot", False, {"scale", "objectives", "text", "yes_no"}),
    defaults.COLD: ("cold", False, {"scale", "multiple", "text"}),
    defaults.POSITIONING: ("positioning", True, {"objectives", "single", "text"}),
    defaults.LABO_END: ("labo_end", False, {"scale", "multiple", "text"}),
    defaults.QUIZ: ("quiz", True, {"quiz"}),
    defaults.PEER: ("peer", False, {"scale", "text"}),
    defaults.TRAINER: ("trainer", False, {"scale", "text"}),
    defaults.FUNDER: ("funder", False, {"scale", "text"}),
}


def test_the_migration_installed_every_default_once():
    assert set(Questionnaire.objects.exclude(code="").values_list("code", flat=True)) == set(
        EXPECTED
    )
    assert QuestionnaireVersion.objects.filter(questionnaire__code__in=EXPECTED).count() == 8


def test_installing_twice_adds_nothing():
    questions = Question.objects.count()
    assert install_defaults() == 0
    assert install_defaults() == 0
    assert Questionnaire.objects.count() == 8
    assert Question.objects.count() == questions


def test_installing_on_an_empty_database_creates_them_all_then_nothing():
    Questionnaire.objects.all().delete()
    assert install_defaults() == 8
    assert install_defaults() == 0
    assert Questionnaire.objects.count() == 8


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_each_default_has_its_kind_flag_and_kinds_of_question(code):
    kind, nominative, question_kinds = EXPECTED[code]
    questionnaire = Questionnaire.objects.get(code=code)
    assert (questionnaire.kind, questionnaire.nominative) == (kind, nominative)
    version = questionnaire.versions.get()
    assert version.introduction
    found = set(Question.objects.filter(section__version=version).values_list("kind", flat=True))
    assert question_kinds <= found
    for question in Question.objects.filter(section__version=version):
        # Every shipped question passes the rules a coordinator's question must pass.
        check_question({name: getattr(question, name) for name in EXPECTED_FIELDS})
        question.full_clean()


EXPECTED_FIELDS = (
    "kind",
    "text",
    "help_text",
    "required",
    "scale_low_label",
    "scale_high_label",
    "choices",
    "correct_choices",
    "points",
)


def test_the_quiz_has_right_answers_and_points():
    quiz = Question.objects.filter(section__version__questionnaire__code=defaults.QUIZ, kind="quiz")
    assert quiz.count() >= 5
    assert all(question.correct_choices and question.points >= 1 for question in quiz)
    assert any(len(question.correct_choices) > 1 for question in quiz)


def test_the_hot_questionnaire_asks_about_contents_facilitation_objectives_organisation_use():
    titles = list(
        Questionnaire.objects.get(code=defaults.HOT)
        .versions.get()
        .sections.order_by("position")
        .values_list("title", flat=True)
    )
    assert titles == [
        "Contenus et animation",
        "Objectifs de la formation",
        "Organisation",
        "Utilité pour votre pratique",
        "Vos commentaires",
    ]
    scales = Question.objects.filter(
        section__version__questionnaire__code=defaults.HOT, kind="scale"
    )
    assert all(q.scale_low_label and q.scale_high_label for q in scales)


def test_an_edited_default_is_left_alone_by_a_new_install(coordinator):
    question = Question.objects.filter(section__version__questionnaire__code=defaults.HOT).first()
    question_update(
        actor=coordinator,
        question=question,
        text="Les contenus étaient-ils clairs ?",
        required=True,
        scale_low_label="Non",
        scale_high_label="Oui",
    )
    assert install_defaults() == 0
    question.refresh_from_db()
    assert question.text == "Les contenus étaient-ils clairs ?"
    assert Questionnaire.objects.filter(code=defaults.HOT).count() == 1


def test_codes_are_unique_and_every_kind_is_known():
    codes = [d["code"] for d in DEFAULTS]
    assert len(codes) == len(set(codes))
    assert {d["kind"] for d in DEFAULTS} <= set(Questionnaire.Kind.values)


def test_formation_objectives_one_per_line_without_markers():
    formation = FormationFactory.build(
        objectives="- Comprendre les enjeux de l'inclusion numérique\n\n"
        "• Connaître les acteurs du territoire\n2) Utiliser PIX et Aidants Connect\n"
        "  \n- Comprendre les enjeux de l'inclusion numérique"
    )
    assert formation_objectives(formation) == [
        "Comprendre les enjeux de l'inclusion numérique",
        "Connaître les acteurs du territoire",
        "Utiliser PIX et Aidants Connect",
    ]
    assert formation_objectives(FormationFactory.build(objectives="")) == []
    # As the tenders (and the demo) write them: one line, separated by semicolons.
    assert formation_objectives(
        FormationFactory.build(objectives="Comprendre les enjeux ; connaître les outils (PIX).")
    ) == ["Comprendre les enjeux", "connaître les outils (PIX)"]
