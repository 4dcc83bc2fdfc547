import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from evaluations.models import Campaign, Question, Questionnaire, QuestionnaireVersion, Section
from evaluations.services_questionnaires import (
    DOWN,
    UP,
    EvaluationsError,
    check_version_for_formation,
    editable_version,
    question_add,
    question_delete,
    question_move,
    question_update,
    questionnaire_create,
    questionnaire_delete,
    questionnaire_set_archived,
    questionnaire_update,
    section_add,
    section_delete,
    section_move,
)
from formations.models import AuditEntry
from tests.factories import FormationFactory, TrainingSessionFactory, UserFactory
from tests.factories.evaluations import add_response, make_campaign, make_version

pytestmark = pytest.mark.django_db

SCALE = {
    "kind": "scale",
    "text": "Satisfaction",
    "scale_low_label": "Pas du tout",
    "scale_high_label": "Tout à fait",
}
CHOICE = {"kind": "single", "text": "Votre poste", "choices": ["Agent", "Cadre"]}


def snapshot(version):
    """Everything a participant read in ``version``."""
    return (
        version.introduction,
        list(version.sections.order_by("position").values_list("pk", "position", "title")),
        list(
            Question.objects.filter(section__version=version)
            .order_by("section__position", "position")
            .values_list(
                "pk",
                "section_id",
                "position",
                "kind",
                "text",
                "choices",
                "correct_choices",
                "points",
                "scale_low_label",
                "scale_high_label",
                "required",
            )
        ),
    )


@pytest.fixture
def answered():
    """A version with a scale and a choice question, answered once in a launched
    campaign; a second campaign on it not launched yet."""
    version = make_version(SCALE, CHOICE)
    session = TrainingSessionFactory()
    launched = make_campaign(session, version, launched_at=timezone.now())
    waiting = make_campaign(session, version)
    scale, choice = Question.objects.filter(section__version=version).order_by("position")
    add_response(launched, {scale: 4, choice: 1})
    return version, launched, waiting, scale, choice


def test_create_makes_version_one_with_a_section(coordinator):
    questionnaire = questionnaire_create(
        actor=coordinator, title="Satisfaction atelier", kind="other", introduction="Bonjour"
    )
    version = questionnaire.versions.get()
    assert (version.number, version.introduction, version.created_by) == (1, "Bonjour", coordinator)
    assert version.sections.count() == 1
    assert AuditEntry.objects.filter(action="questionnaire_created").count() == 1


def test_only_coordinators_write(trainer, auditor, referent):
    version = make_version(SCALE)
    question = Question.objects.get(section__version=version)
    for actor in (trainer, auditor, referent):
        with pytest.raises(PermissionDenied):
            questionnaire_create(actor=actor, title="X", kind="other")
        with pytest.raises(PermissionDenied):
            question_update(actor=actor, question=question, text="Changé", **_labels())
        with pytest.raises(PermissionDenied):
            editable_version(version.questionnaire, actor=actor)
    question.refresh_from_db()
    assert question.text == "Satisfaction"
    assert not Questionnaire.objects.filter(title="X").exists()


def _labels():
    return {"scale_low_label": "Pas du tout", "scale_high_label": "Tout à fait"}


def test_editing_an_unanswered_version_changes_it_in_place(coordinator):
    version = make_version(SCALE)
    question = Question.objects.get(section__version=version)
    question_update(
        actor=coordinator, question=question, text="Êtes-vous satisfait·e ?", **_labels()
    )
    question.refresh_from_db()
    assert question.text == "Êtes-vous satisfait·e ?"
    assert version.questionnaire.versions.count() == 1


def test_editing_an_answered_version_makes_v2_and_leaves_v1_untouched(coordinator, answered):
    version, launched, waiting, scale, choice = answered
    before = snapshot(version)

    changed = question_update(
        actor=coordinator,
        question=choice,
        text="Votre fonction",
        choices=["Agent", "Cadre", "Élu·e"],
    )

    version.refresh_from_db()
    assert snapshot(version) == before
    v2 = QuestionnaireVersion.objects.get(questionnaire=version.questionnaire, number=2)
    assert changed.section.version == v2
    assert list(
        Question.objects.filter(section__version=v2)
        .order_by("position")
        .values_list("text", "choices")
    ) == [("Satisfaction", []), ("Votre fonction", ["Agent", "Cadre", "Élu·e"])]
    launched.refresh_from_db()
    waiting.refresh_from_db()
    assert launched.version == version  # launched: keeps the version its people answer
    assert waiting.version == v2  # not launched yet: follows the change
    entry = AuditEntry.objects.get(action="questionnaire_version_created")
    assert entry.data == {"version": 2, "from": 1, "campaigns_moved": [waiting.pk]}


def test_a_second_edit_goes_to_the_same_new_version(coordinator, answered):
    version, _launched, _waiting, scale, choice = answered
    question_update(actor=coordinator, question=choice, text="Votre fonction", choices=["A", "B"])
    v2_scale = Question.objects.get(section__version__number=2, kind="scale")
    question_update(actor=coordinator, question=v2_scale, text="Note globale", **_labels())
    assert version.questionnaire.versions.count() == 2
    with pytest.raises(EvaluationsError) as caught:
        question_update(actor=coordinator, question=scale, text="Ancienne", **_labels())
    assert caught.value.code == "not_latest"


@pytest.mark.parametrize(
    "act",
    [
        "add_question",
        "delete_question",
        "move_question",
        "add_section",
        "delete_section",
        "move_section",
        "introduction",
    ],
)
def test_every_edit_of_an_answered_version_makes_a_new_one(coordinator, answered, act):
    version, _launched, waiting, scale, choice = answered
    before = snapshot(version)
    section = version.sections.get()
    if act == "add_question":
        question_add(actor=coordinator, section=section, kind="text", text="Un commentaire ?")
    elif act == "delete_question":
        question_delete(actor=coordinator, question=choice)
    elif act == "move_question":
        question_move(actor=coordinator, question=choice, direction=UP)
    elif act == "add_section":
        section_add(actor=coordinator, questionnaire=version.questionnaire, title="Suite")
    elif act == "delete_section":
        section_add(actor=coordinator, questionnaire=version.questionnaire, title="Suite")
        section_delete(
            actor=coordinator, section=Section.objects.get(version__number=2, position=1)
        )
    elif act == "move_section":
        section_add(actor=coordinator, questionnaire=version.questionnaire, title="Suite")
        section_move(
            actor=coordinator,
            section=Section.objects.get(version__number=2, title="Suite"),
            direction=UP,
        )
    else:
        q = version.questionnaire
        questionnaire_update(
            actor=coordinator,
            questionnaire=q,
            title=q.title,
            kind=q.kind,
            description="",
            nominative=False,
            introduction="Nouvelle introduction",
        )
    version.refresh_from_db()
    assert snapshot(version) == before
    assert version.questionnaire.versions.count() == 2
    waiting.refresh_from_db()
    assert waiting.version.number == 2


def test_an_opened_invitation_freezes_the_version_too(coordinator):
    from evaluations.models import Invitation
    from tests.factories import ParticipantFactory

    version = make_version(SCALE)
    campaign = make_campaign(TrainingSessionFactory(), version, launched_at=timezone.now())
    Invitation.objects.create(
        campaign=campaign, participant=ParticipantFactory(), opened_at=timezone.now()
    )
    assert editable_version(version.questionnaire, actor=coordinator).version.number == 2


def test_moves_within_and_across_sections(coordinator):
    version = make_version(SCALE, CHOICE, {"kind": "text", "text": "Commentaire"})
    q = version.questionnaire
    second = section_add(actor=coordinator, questionnaire=q, title="Deuxième partie")
    mine = Question.objects.filter(section__version__questionnaire=q)
    text = mine.get(kind="text")
    question_move(actor=coordinator, question=text, direction=DOWN)  # to the next section
    text.refresh_from_db()
    assert (text.section, text.position) == (second, 1)
    question_move(actor=coordinator, question=text, direction=UP)  # back, at the end
    text.refresh_from_db()
    assert text.section.position == 1 and text.position == 3
    choice = mine.get(kind="single")
    question_move(actor=coordinator, question=choice, direction=UP)
    assert list(
        mine.filter(section__position=1).order_by("position").values_list("kind", flat=True)
    ) == ["single", "scale", "text"]
    section_move(actor=coordinator, section=second, direction=UP)
    second.refresh_from_db()
    assert second.position == 1
    # Nothing above the first: nothing moves, nothing journaled.
    entries = AuditEntry.objects.count()
    section_move(actor=coordinator, section=second, direction=UP)
    assert AuditEntry.objects.count() == entries


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"kind": "single", "text": "Poste", "choices": ["Agent"]}, "too_few_choices"),
        ({"kind": "multiple", "text": "Outils", "choices": ["PIX", " "]}, "too_few_choices"),
        (
            {"kind": "multiple", "text": "Outils", "choices": ["PIX", "pix", "Aidants"]},
            "duplicate_choices",
        ),
        (
            {"kind": "quiz", "text": "PIX ?", "choices": ["A", "B"], "correct_choices": []},
            "no_correct_choice",
        ),
        (
            {"kind": "quiz", "text": "PIX ?", "choices": ["A", "B"], "correct_choices": [2]},
            "bad_correct_choice",
        ),
        (
            {
                "kind": "quiz",
                "text": "PIX ?",
                "choices": ["A", "B"],
                "correct_choices": [0],
                "points": 0,
            },
            "points",
        ),
        ({"kind": "scale", "text": "Note", "scale_low_label": "Faible"}, "scale_labels"),
        ({"kind": "text", "text": ""}, "invalid"),
    ],
)
def test_invalid_questions_are_refused_with_their_reason(coordinator, fields, code):
    version = make_version(SCALE)
    with pytest.raises(EvaluationsError) as caught:
        question_add(actor=coordinator, section=version.sections.get(), **fields)
    assert caught.value.code == code
    assert caught.value.message
    assert Question.objects.filter(section__version=version).count() == 1


def test_a_valid_quiz_question_keeps_its_right_answers(coordinator):
    version = make_version(SCALE, kind="quiz", nominative=True)
    question = question_add(
        actor=coordinator,
        section=version.sections.get(),
        kind="quiz",
        text="PIX ?",
        choices=["Un réseau social", "Un service public", "Une aide"],
        correct_choices=[1],
        points=2,
        scale_low_label="ignored",
    )
    assert (question.correct_choices, question.points, question.scale_low_label) == ([1], 2, "")


def test_objectives_questions_need_a_formation_with_objectives():
    version = make_version({"kind": "objectives", "text": "Avant / après"})
    with pytest.raises(EvaluationsError) as caught:
        check_version_for_formation(version=version, formation=FormationFactory(objectives=" \n"))
    assert caught.value.code == "no_objectives"
    check_version_for_formation(
        version=version, formation=FormationFactory(objectives="Comprendre\nAgir")
    )
    check_version_for_formation(version=make_version(SCALE), formation=FormationFactory())


def test_kind_and_nominative_lock_once_used(coordinator, answered):
    version = answered[0]
    q = version.questionnaire
    common = {"title": q.title, "description": "", "introduction": version.introduction}
    with pytest.raises(EvaluationsError) as nominative:
        questionnaire_update(
            actor=coordinator, questionnaire=q, kind=q.kind, nominative=True, **common
        )
    with pytest.raises(EvaluationsError) as kind:
        questionnaire_update(
            actor=coordinator, questionnaire=q, kind="cold", nominative=False, **common
        )
    assert (nominative.value.code, kind.value.code) == ("nominative_locked", "kind_locked")
    questionnaire_update(
        actor=coordinator,
        questionnaire=q,
        kind=q.kind,
        nominative=False,
        **{**common, "title": "Satisfaction (2026)"},
    )
    q.refresh_from_db()
    assert q.title == "Satisfaction (2026)" and q.versions.count() == 1


def test_delete_only_when_never_used_else_archive(coordinator, answered):
    version = answered[0]
    with pytest.raises(EvaluationsError) as caught:
        questionnaire_delete(actor=coordinator, questionnaire=version.questionnaire)
    assert caught.value.code == "has_campaigns"
    questionnaire_set_archived(
        actor=coordinator, questionnaire=version.questionnaire, archived=True
    )
    with pytest.raises(EvaluationsError) as edit:
        section_add(actor=coordinator, questionnaire=version.questionnaire, title="Encore")
    assert edit.value.code == "archived"
    unused = make_version(SCALE)
    questionnaire_delete(actor=coordinator, questionnaire=unused.questionnaire)
    assert not Questionnaire.objects.filter(pk=unused.questionnaire_id).exists()
    assert Campaign.objects.count() == 2


def test_the_last_section_stays(coordinator):
    version = make_version(SCALE)
    with pytest.raises(EvaluationsError) as caught:
        section_delete(actor=coordinator, section=version.sections.get())
    assert caught.value.code == "last_section"


def test_a_command_may_write_without_a_user():
    questionnaire = questionnaire_create(actor=None, title="Import", kind="other")
    assert questionnaire.versions.get().created_by is None
    assert UserFactory  # keeps the factory import used across the module


def test_update_changes_only_the_fields_given_and_never_the_kind(coordinator):
    version = make_version(
        {"kind": "quiz", "text": "PIX ?", "choices": ["A", "B"], "correct_choices": [1]}
    )
    question = Question.objects.get(section__version=version)
    question_update(actor=coordinator, question=question, points=3, kind="text")
    question.refresh_from_db()
    assert (question.kind, question.choices, question.correct_choices, question.points) == (
        "quiz",
        ["A", "B"],
        [1],
        3,
    )


def test_an_unlaunched_campaign_already_answered_on_the_tablet_keeps_its_version(
    coordinator, answered
):
    """An à chaud campaign stays unlaunched until the last half-day ends, but people may
    already answer it on the tablet: an edit must not move it under their answers."""
    from evaluations.models import Invitation
    from tests.factories import ParticipantFactory

    version, launched, waiting, scale, choice = answered
    tablet = make_campaign(TrainingSessionFactory(), version)
    add_response(tablet, {scale: 5, choice: 0}, on_tablet=True)
    drafted = make_campaign(TrainingSessionFactory(), version)
    Invitation.objects.create(campaign=drafted, participant=ParticipantFactory(), draft={"1": 4})

    question_update(actor=coordinator, question=choice, text="Votre fonction")

    for campaign in (tablet, drafted):
        campaign.refresh_from_db()
        assert campaign.version == version
    waiting.refresh_from_db()
    assert waiting.version.number == 2
    entry = AuditEntry.objects.get(action="questionnaire_version_created")
    assert entry.data["campaigns_moved"] == [waiting.pk]
