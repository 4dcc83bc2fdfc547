import datetime as dt
from decimal import Decimal

import pytest

from evaluations.models import (
    Campaign,
    Invitation,
    Question,
    QuestionnaireVersion,
    Response,
    Section,
)
from evaluations.selectors_results import (
    breakdowns_for,
    named_responses,
    non_respondents,
    response_rates,
    results_for,
    trends_for,
)
from tests.factories import (
    EnrolmentFactory,
    ParticipantFactory,
    SlotFactory,
    TrainingSessionFactory,
)
from tests.factories.evaluations import add_response, make_campaign, make_version

pytestmark = pytest.mark.django_db

SCALE = {"kind": Question.Kind.SCALE, "text": "Contenu de la formation"}
YES = {"kind": Question.Kind.YES_NO, "text": "Recommanderiez-vous ?"}
SINGLE = {"kind": Question.Kind.SINGLE, "text": "Rythme", "choices": ["Lent", "Bon", "Rapide"]}
MULTI = {"kind": Question.Kind.MULTIPLE, "text": "Outils", "choices": ["Fiches", "Vidéo", "Jeu"]}
TEXT = {"kind": Question.Kind.TEXT, "text": "Commentaires", "required": False}


def _questions(version):
    return list(Question.objects.filter(section__version=version).order_by("position"))


def _invite(campaign, n, answered):
    for i in range(n):
        Invitation.objects.create(
            campaign=campaign,
            participant=ParticipantFactory(),
            answered_on=dt.date(2026, 6, 1) if i < answered else None,
        )


@pytest.fixture
def session():
    session = TrainingSessionFactory(code="S-LILLE-1")
    SlotFactory(session=session, day=dt.date(2026, 5, 4))
    SlotFactory(session=session, day=dt.date(2026, 5, 6))
    return session


def test_known_answers_give_exact_means_counts_and_rate(session):
    version = make_version(SCALE, YES, SINGLE, MULTI, TEXT)
    scale, yes, single, multi, text = _questions(version)
    campaign = make_campaign(session, version)
    _invite(campaign, 8, 3)
    add_response(campaign, {scale: 5, yes: True, single: 1, multi: [0, 2], text: "Bien"})
    add_response(campaign, {scale: 4, yes: True, single: 1, multi: [0]})
    add_response(campaign, {scale: 2, yes: False, single: 2, multi: [], text: "Trop court"})

    results = results_for(campaigns=Campaign.objects.all())

    assert (results.invited, results.answered, results.responses) == (8, 3, 3)
    assert results.response_rate == Decimal("37.5")
    assert results.questionnaire.title == "Satisfaction à chaud"
    assert [s.code for s in results.sessions] == ["S-LILLE-1"]
    assert (results.first_day, results.last_day) == (dt.date(2026, 5, 4), dt.date(2026, 5, 6))
    q_scale, q_yes, q_single, q_multi, q_text = results.questions
    assert q_scale.answered_count == 3
    assert q_scale.mean == Decimal("3.67")
    assert [t.count for t in q_scale.distribution] == [0, 1, 0, 1, 1]
    assert [(t.label, t.count) for t in q_yes.distribution] == [("Oui", 2), ("Non", 1)]
    assert q_yes.yes_rate == Decimal("66.7")
    assert [(t.label, t.count) for t in q_single.options] == [
        ("Lent", 0),
        ("Bon", 2),
        ("Rapide", 1),
    ]
    assert q_multi.answered_count == 2
    assert [(t.label, t.count, t.percent) for t in q_multi.options] == [
        ("Fiches", 2, Decimal("100.0")),
        ("Vidéo", 0, Decimal("0.0")),
        ("Jeu", 1, Decimal("50.0")),
    ]
    assert [c.text for c in q_text.comments] == ["Bien", "Trop court"]
    assert q_text.comments[0].session_code == "S-LILLE-1"


def test_no_invitation_has_no_rate(session):
    version = make_version(SCALE)
    make_campaign(session, version)
    results = results_for(campaigns=Campaign.objects.all())
    assert results.response_rate is None
    assert results.questions[0].mean is None


def test_quiz_success_rate_and_mean_points(session):
    version = make_version(
        {
            "kind": Question.Kind.QUIZ,
            "text": "2 + 2 ?",
            "choices": ["3", "4"],
            "correct_choices": [1],
            "points": 2,
        },
        kind="quiz",
        nominative=True,
    )
    (quiz,) = _questions(version)
    campaign = make_campaign(session, version)
    for value in ([1], [1], [0], [0, 1]):
        add_response(campaign, {quiz: value}, participant=ParticipantFactory())

    (result,) = results_for(campaigns=Campaign.objects.all()).questions

    assert result.answered_count == 4
    assert result.success_count == 2
    assert result.success_rate == Decimal("50.0")
    assert result.mean_points == Decimal("1.00")
    assert result.correct_labels == ("4",)


def test_objectives_progress(session):
    version = make_version({"kind": Question.Kind.OBJECTIVES, "text": "Où en êtes-vous ?"})
    (question,) = _questions(version)
    campaign = make_campaign(session, version)
    add_response(campaign, {question: {"Accueillir": (1, 4), "Orienter": (2, 3)}})
    add_response(campaign, {question: {"Accueillir": (2, 4)}})

    (result,) = results_for(campaigns=Campaign.objects.all()).questions

    accueillir, orienter = result.objectives
    assert (accueillir.objective, accueillir.count) == ("Accueillir", 2)
    assert (accueillir.mean_before, accueillir.mean_after) == (Decimal("1.50"), Decimal("4.00"))
    assert accueillir.progress == Decimal("2.50")
    assert (orienter.count, orienter.progress) == (1, Decimal("1.00"))


def test_questions_matched_across_versions(session):
    first = make_version(SCALE, {"kind": Question.Kind.SCALE, "text": "Ancienne question"})
    old_scale, old_only = _questions(first)
    second = QuestionnaireVersion.objects.create(questionnaire=first.questionnaire, number=2)
    section = Section.objects.create(version=second, position=1, title="Nouvelle partie")
    new_only = Question.objects.create(section=section, position=1, kind="scale", text="Nouveauté")
    new_scale = Question.objects.create(section=section, position=2, **SCALE)
    other = TrainingSessionFactory(formation=session.formation, code="S-LILLE-2")
    add_response(make_campaign(session, first), {old_scale: 2, old_only: 3})
    add_response(make_campaign(other, second), {new_scale: 5, new_only: 4})

    results = results_for(campaigns=Campaign.objects.all())

    assert [s.title for s in results.sections] == ["Nouvelle partie", "Questions"]
    texts = [(q.text, q.answered_count, q.mean) for q in results.questions]
    assert texts == [
        ("Nouveauté", 1, Decimal("4.00")),
        ("Contenu de la formation", 2, Decimal("3.50")),
        ("Ancienne question", 1, Decimal("3.00")),
    ]
    trends = trends_for(campaigns=Campaign.objects.all())
    assert [p.session.code for p in trends.points] == ["S-LILLE-1", "S-LILLE-2"]
    index = [text for _key, text in trends.questions].index("Contenu de la formation")
    assert [p.means[index] for p in trends.points] == [Decimal("2.00"), Decimal("5.00")]


def test_trends_rate_per_session_of_a_formation_wide_campaign(session):
    version = make_version(SCALE)
    (scale,) = _questions(version)
    other = TrainingSessionFactory(formation=session.formation, code="S-LILLE-2")
    SlotFactory(session=other, day=dt.date(2026, 9, 1))
    campaign = Campaign.objects.create(
        version=version,
        formation=session.formation,
        opens_at=dt.datetime(2026, 6, 1, tzinfo=dt.UTC),
    )
    for target, answered in ((session, True), (session, False), (other, True)):
        enrolment = EnrolmentFactory(session=target)
        Invitation.objects.create(
            campaign=campaign,
            participant=enrolment.participant,
            enrolment=enrolment,
            answered_on=dt.date(2026, 9, 2) if answered else None,
        )
    for target, value in ((session, 4), (other, 2)):
        response = add_response(campaign, {scale: value})
        Response.objects.filter(pk=response.pk).update(session=target)

    trends = trends_for(campaigns=Campaign.objects.all())
    assert [
        (p.session.code, p.invited, p.answered, p.response_rate, p.means) for p in trends.points
    ] == [
        ("S-LILLE-1", 2, 1, Decimal("50.0"), (Decimal("4.00"),)),
        ("S-LILLE-2", 1, 1, Decimal("100.0"), (Decimal("2.00"),)),
    ]
    # One session only (a trainer's): its invitations and answers.
    only = results_for(
        campaigns=Campaign.objects.all(), sessions=type(session).objects.filter(pk=other.pk)
    )
    assert (only.invited, only.answered, only.questions[0].mean) == (1, 1, Decimal("2.00"))
    assert [s.code for s in only.sessions] == ["S-LILLE-2"]


def test_response_rates_per_campaign(session):
    version = make_version(SCALE)
    first, second = make_campaign(session, version), make_campaign(session, version)
    _invite(first, 4, 1)
    rates = response_rates(campaigns=Campaign.objects.all())
    assert rates[first.pk].response_rate == Decimal("25.0")
    assert (rates[second.pk].invited, rates[second.pk].response_rate) == (0, None)


def test_breakdown_groups_under_five_are_masked(session):
    version = make_version(SCALE)
    (scale,) = _questions(version)
    campaign = make_campaign(session, version)
    for _ in range(6):
        add_response(campaign, {scale: 4}, sex="F", structure_kind="ccas", age_band="26-45")
    for _ in range(5):
        add_response(campaign, {scale: 2}, sex="M", structure_kind="ccas", age_band="46+")
    for _ in range(2):
        add_response(campaign, {scale: 1}, sex="", structure_kind="siae", age_band="46+")

    by = {b.dimension: b for b in breakdowns_for(campaigns=Campaign.objects.all())}

    # One small group alone would be worked out from the total: the next smallest goes too
    # (here, the only other one).
    assert [(g.label, g.responses, g.means, g.masked) for g in by["structure_kind"].groups] == [
        ("CCAS / CIAS", None, (), True),
        ("SIAE", None, (), True),
    ]
    assert [(g.label, g.masked) for g in by["sex"].groups] == [
        ("Femmes", False),
        ("Hommes", True),
        ("Non renseigné", True),
    ]
    assert [(g.label, g.responses, g.means) for g in by["age_band"].groups] == [
        ("26-45", 6, (Decimal("4.00"),)),
        ("46+", 7, (Decimal("1.71"),)),
    ]


def test_non_respondents_and_named_responses(session):
    version = make_version(SCALE, kind="positioning", nominative=True)
    (scale,) = _questions(version)
    campaign = make_campaign(session, version)
    done, late = ParticipantFactory(last_name="Durand"), ParticipantFactory(last_name="Martin")
    Invitation.objects.create(campaign=campaign, participant=done, answered_on=dt.date(2026, 6, 1))
    Invitation.objects.create(campaign=campaign, participant=late)
    add_response(campaign, {scale: 3}, participant=done)

    assert [n.name for n in non_respondents(campaigns=Campaign.objects.all()).shown] == [
        "MARTIN Camille"
    ]
    named = named_responses(campaigns=Campaign.objects.all())
    assert named.questions == ("Contenu de la formation",)
    assert [(r.name, r.values) for r in named.rows] == [("DURAND Camille", ("3",))]


def test_named_responses_empty_for_an_anonymous_questionnaire(session):
    version = make_version(SCALE)
    (scale,) = _questions(version)
    add_response(make_campaign(session, version), {scale: 3})
    assert named_responses(campaigns=Campaign.objects.all()).rows == ()


@pytest.mark.parametrize("count", [5, 50])
def test_query_count_does_not_grow_with_answers(session, count, django_assert_max_num_queries):
    version = make_version(SCALE, YES, SINGLE, MULTI, TEXT)
    scale, yes, single, multi, text = _questions(version)
    campaign = make_campaign(session, version)
    _invite(campaign, count, count)
    for i in range(count):
        add_response(
            campaign,
            {scale: i % 5 + 1, yes: i % 2 == 0, single: i % 3, multi: [0, 1], text: f"c{i}"},
            sex="F" if i % 2 else "M",
        )
    campaigns = Campaign.objects.all()
    with django_assert_max_num_queries(11):
        results_for(campaigns=campaigns)
    with django_assert_max_num_queries(6):
        trends_for(campaigns=campaigns)
    with django_assert_max_num_queries(8):
        breakdowns_for(campaigns=campaigns)


def test_comments_are_not_in_the_order_people_answered(session):
    version = make_version(TEXT)
    (text,) = _questions(version)
    campaign = make_campaign(session, version)
    for comment in ("Super", "Accueil chaleureux", "Merci"):
        add_response(campaign, {text: comment}, on_tablet=True)
    (result,) = results_for(campaigns=Campaign.objects.all()).questions
    assert [c.text for c in result.comments] == ["Accueil chaleureux", "Merci", "Super"]


def test_the_same_question_twice_in_a_version_stays_two_lines(session):
    version = make_version(TEXT, SCALE, TEXT)
    first, scale, second = _questions(version)
    campaign = make_campaign(session, version)
    add_response(campaign, {first: "Sur le contenu", scale: 4, second: "Sur l'organisation"})
    comments = [
        [c.text for c in q.comments]
        for q in results_for(campaigns=Campaign.objects.all()).questions
        if q.kind == Question.Kind.TEXT
    ]
    assert comments == [["Sur le contenu"], ["Sur l'organisation"]]


def _second_version(first, *question_dicts):
    second = QuestionnaireVersion.objects.create(questionnaire=first.questionnaire, number=2)
    section = Section.objects.create(version=second, position=1, title="Questions")
    return second, [
        Question.objects.create(section=section, position=i, **fields)
        for i, fields in enumerate(question_dicts, start=1)
    ]


def test_a_campaign_moved_to_a_new_version_after_answers_still_shows_them(session):
    """Answers taken on version 1, then the campaign moved to version 2 (an older copy of
    the editor did so): every page reads the questions of the responses' version too."""
    first = make_version(SCALE, {"kind": Question.Kind.SCALE, "text": "Supprimée ensuite"})
    scale, dropped = _questions(first)
    campaign = make_campaign(session, first)
    add_response(campaign, {scale: 4, dropped: 2}, sex="F")
    second, _new = _second_version(first, SCALE)
    Campaign.objects.filter(pk=campaign.pk).update(version=second)

    results = results_for(campaigns=Campaign.objects.all())
    assert [(q.text, q.answered_count, q.mean) for q in results.questions] == [
        ("Contenu de la formation", 1, Decimal("4.00")),
        ("Supprimée ensuite", 1, Decimal("2.00")),
    ]
    trends = trends_for(campaigns=Campaign.objects.all())
    assert trends.points[0].means == (Decimal("4.00"), Decimal("2.00"))
    by = {b.dimension: b for b in breakdowns_for(campaigns=Campaign.objects.all())}
    assert len(by["sex"].groups) == 1


def test_choice_answers_stay_with_their_option_when_the_options_change(session):
    first = make_version(SINGLE)
    (single,) = _questions(first)
    add_response(make_campaign(session, first), {single: 2})  # « Rapide »
    reordered = {**SINGLE, "choices": ["Rapide", "Bon", "Lent"]}
    second, (new_single,) = _second_version(first, reordered)
    other = TrainingSessionFactory(formation=session.formation, code="S-LILLE-2")
    add_response(make_campaign(other, second), {new_single: 0})  # « Rapide » too

    results = results_for(campaigns=Campaign.objects.all())

    counted = [
        {t.label: t.count for t in q.options} for q in results.questions if q.kind == "single"
    ]
    assert sorted(counted, key=lambda c: list(c)) == [
        {"Lent": 0, "Bon": 0, "Rapide": 1},
        {"Rapide": 1, "Bon": 0, "Lent": 0},
    ]


def test_quiz_right_answers_come_from_each_version(session):
    quiz = {
        "kind": Question.Kind.QUIZ,
        "text": "Capitale ?",
        "choices": ["Paris", "Lyon"],
        "correct_choices": [0],
        "points": 1,
    }
    first = make_version(quiz)
    (q1,) = _questions(first)
    add_response(make_campaign(session, first), {q1: [0]})
    second, (q2,) = _second_version(first, {**quiz, "correct_choices": [1], "points": 2})
    add_response(make_campaign(session, second), {q2: [1]})

    results = results_for(campaigns=Campaign.objects.all())

    lines = sorted(
        (q.correct_labels, q.points, q.success_count, q.answered_count) for q in results.questions
    )
    assert lines == [(("Lyon",), 2, 1, 1), (("Paris",), 1, 1, 1)]


def test_small_groups_are_masked_until_they_hide_five_answers_together(session):
    version = make_version(SCALE)
    (scale,) = _questions(version)
    campaign = make_campaign(session, version)
    for sex, n in (("F", 8), ("M", 6), ("X", 2), ("", 1)):
        for _ in range(n):
            add_response(campaign, {scale: 3}, sex=sex)

    by = {b.dimension: b for b in breakdowns_for(campaigns=Campaign.objects.all())}

    # « Autre » (2) and « Non renseigné » (1) hide 3 answers only: « Hommes » (6), the
    # next smallest, goes with them.
    assert [(g.label, g.masked) for g in by["sex"].groups] == [
        ("Femmes", False),
        ("Hommes", True),
        ("Autre", True),
        ("Non renseigné", True),
    ]


def test_trends_mask_small_sessions_on_request(session):
    version = make_version(SCALE)
    (scale,) = _questions(version)
    add_response(make_campaign(session, version), {scale: 2})
    big = TrainingSessionFactory(formation=session.formation, code="S-LILLE-2")
    for _ in range(5):
        add_response(make_campaign(big, version), {scale: 4})
    big2 = TrainingSessionFactory(formation=session.formation, code="S-LILLE-3")
    for _ in range(7):
        add_response(make_campaign(big2, version), {scale: 5})

    shown = trends_for(campaigns=Campaign.objects.all())
    assert [(p.session.code, p.small, p.masked, p.means) for p in shown.points][0] == (
        "S-LILLE-1",
        True,
        False,
        (Decimal("2.00"),),
    )
    masked = {
        p.session.code: p
        for p in trends_for(campaigns=Campaign.objects.all(), mask_small=True).points
    }
    assert masked["S-LILLE-1"].masked and masked["S-LILLE-1"].means == (None,)
    assert masked["S-LILLE-2"].masked  # with it, so that it cannot be worked out
    assert not masked["S-LILLE-3"].masked
    assert masked["S-LILLE-3"].means == (Decimal("5.00"),)


def test_sessions_covered_are_those_with_invitations_or_responses(session):
    version = make_version(SCALE)
    (scale,) = _questions(version)
    add_response(make_campaign(session, version), {scale: 3})
    invited = TrainingSessionFactory(formation=session.formation, code="S-LILLE-2")
    _invite(make_campaign(invited, version), 2, 0)
    silent = TrainingSessionFactory(formation=session.formation, code="S-LILLE-3")
    make_campaign(silent, version)  # due, nobody invited yet
    wide = Campaign.objects.create(
        version=version,
        formation=session.formation,
        opens_at=dt.datetime(2026, 6, 1, tzinfo=dt.UTC),
    )
    Invitation.objects.create(
        campaign=wide,
        participant=ParticipantFactory(),
        enrolment=EnrolmentFactory(
            session=TrainingSessionFactory(formation=session.formation, code="S-LILLE-4")
        ),
    )

    results = results_for(campaigns=Campaign.objects.all())

    assert [s.code for s in results.sessions] == ["S-LILLE-1", "S-LILLE-2", "S-LILLE-4"]
