import datetime as dt
import re

import pytest
from django.urls import reverse

from evaluations.models import Answer, Campaign, Invitation, Question, Questionnaire
from formations.models import User
from tests.factories import (
    EnrolmentFactory,
    FunderFactory,
    ParticipantFactory,
    SlotFactory,
    StructureFactory,
    TrainingSessionFactory,
    UserFactory,
)
from tests.factories.evaluations import add_response, make_campaign, make_version

pytestmark = pytest.mark.django_db

SCALE = {"kind": Question.Kind.SCALE, "text": "Qualité de l'animation"}
TEXT = {"kind": Question.Kind.TEXT, "text": "Vos commentaires", "required": False}


def _questions(version):
    return list(Question.objects.filter(section__version=version).order_by("position"))


@pytest.fixture
def world(trainer, auditor):
    session = TrainingSessionFactory(code="S-93-01")
    session.trainers.add(trainer)
    session.formation.programme.funders.add(auditor.funders.get())
    SlotFactory(session=session, day=dt.date(2026, 5, 4))
    version = make_version(SCALE, TEXT)
    scale, text = _questions(version)
    campaign = make_campaign(session, version)
    for name, answered in (("Durand", True), ("Martin", True), ("Oubli", False)):
        enrolment = EnrolmentFactory(session=session, participant__last_name=name)
        Invitation.objects.create(
            campaign=campaign,
            participant=enrolment.participant,
            enrolment=enrolment,
            answered_on=dt.date(2026, 5, 5) if answered else None,
        )
    add_response(campaign, {scale: 5, text: "Très vivant, merci"})
    response = add_response(campaign, {scale: 2, text: "Mme Lebrun de la CAF m'a aidée"})
    Answer.objects.filter(response=response, question=text).update(
        hidden_at=dt.datetime(2026, 5, 6, tzinfo=dt.UTC), hidden_reason="Nomme une personne"
    )
    return {
        "session": session,
        "campaign": campaign,
        "questionnaire": version.questionnaire,
        "session_url": reverse(
            "evaluations:session_results", args=[session.pk, version.questionnaire.pk]
        ),
        "formation_url": reverse(
            "evaluations:formation_results", args=[session.formation_id, version.questionnaire.pk]
        ),
    }


def _page(client, user, url):
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_coordinator_sees_everything_with_hidden_comment_marked(client, world, coordinator):
    page = _page(client, coordinator, world["session_url"])
    assert "3,50" in page  # mean of 5 and 2
    assert "2 personnes sur 3 invitées ont répondu (66,7 %)" in page
    assert "Très vivant, merci" in page
    assert "Mme Lebrun de la CAF" in page
    assert "masqué dans la synthèse du financeur" in page
    assert "Nomme une personne" in page
    assert "OUBLI Camille" in page  # who has not answered
    assert "DURAND" not in page  # an anonymous questionnaire names no respondent


@pytest.mark.parametrize("url", ["session_url", "formation_url"])
def test_trainer_sees_aggregates_and_comments_never_names(client, world, trainer, url):
    page = _page(client, trainer, world[url])
    assert "3,50" in page
    assert "Très vivant, merci" in page
    assert "Mme Lebrun" not in page
    assert "OUBLI" not in page
    assert "pas encore répondu" not in page


def test_auditor_of_the_funder_sees_aggregates_without_names(client, world, auditor):
    page = _page(client, auditor, world["formation_url"])
    assert "3,50" in page
    assert "Très vivant, merci" in page
    assert "Mme Lebrun" not in page
    assert "masqué" not in page.split("Selon le profil")[0]
    assert "OUBLI" not in page


@pytest.mark.parametrize("url", ["session_url", "formation_url"])
def test_outsiders_get_404(client, world, url):
    other_auditor = UserFactory(role=User.Role.FUNDER_AUDITOR)
    other_auditor.funders.add(FunderFactory(name="Autre financeur"))
    structure = StructureFactory()
    referent = UserFactory(role=User.Role.STRUCTURE_REFERENT, structure=structure)
    # Even the referent of a structure whose people answered.
    EnrolmentFactory(session=world["session"], participant=ParticipantFactory(structure=structure))
    other_trainer = UserFactory(role=User.Role.TRAINER)
    for user in (other_auditor, referent, other_trainer):
        client.force_login(user)
        assert client.get(world[url]).status_code == 404, user.role


def test_a_questionnaire_without_campaign_here_is_404(client, world, coordinator):
    other = make_version(SCALE, title="Autre").questionnaire
    client.force_login(coordinator)
    url = reverse("evaluations:session_results", args=[world["session"].pk, other.pk])
    assert client.get(url).status_code == 404


def test_trainer_on_the_formation_page_sees_only_their_sessions(client, world, trainer):
    other_session = TrainingSessionFactory(formation=world["session"].formation, code="S-93-02")
    version = world["campaign"].version
    (scale, _text) = _questions(version)
    other_campaign = make_campaign(other_session, version)
    for _ in range(3):
        add_response(other_campaign, {scale: 1})
    page = _page(client, trainer, world["formation_url"])
    assert "3,50" in page
    assert "S-93-02" not in page
    client.force_login(UserFactory(role=User.Role.COORDINATOR))
    page = client.get(world["formation_url"]).content.decode()
    assert "S-93-02" in page
    assert "2,00" in page  # (5 + 2 + 1 + 1 + 1) / 5


def test_nominative_answers_named_for_trainers_not_for_auditors(client, world, trainer, auditor):
    version = make_version(
        {
            "kind": Question.Kind.QUIZ,
            "text": "Quel délai ?",
            "choices": ["8 jours", "15 jours"],
            "correct_choices": [1],
        },
        title="Quiz 1",
        kind=Questionnaire.Kind.QUIZ,
        nominative=True,
    )
    (quiz,) = _questions(version)
    campaign = make_campaign(world["session"], version)
    add_response(campaign, {quiz: [1]}, participant=ParticipantFactory(last_name="Aubert"))
    add_response(campaign, {quiz: [0]}, participant=ParticipantFactory(last_name="Bami"))
    url = reverse(
        "evaluations:session_results", args=[world["session"].pk, version.questionnaire.pk]
    )
    page = _page(client, trainer, url)
    assert "AUBERT Camille" in page and "BAMI Camille" in page
    assert "réussie par <strong>1</strong> sur 2 (50,0 %)" in page
    page = _page(client, auditor, url)
    assert "AUBERT" not in page
    assert "réussie par <strong>1</strong> sur 2 (50,0 %)" in page


def test_charts_are_accessible_svg_without_style(client, world, coordinator):
    page = _page(client, coordinator, world["session_url"])
    svgs = re.findall(r"<svg class=\"chart.*?</svg>", page, re.S)
    assert len(svgs) == 2  # the response rate, the scale's distribution
    for svg in svgs:
        assert "style" not in svg
        assert 'role="img"' in svg
        assert re.search(r"<title id=\"[^\"]+\">[^<]+</title>", svg)
        assert "<desc" in svg
    assert "1 réponse (50,0 %)" in svgs[1]
    assert "<style" not in page and " style=" not in page


def test_panels_on_session_and_formation_pages(client, world, coordinator, referent):
    client.force_login(coordinator)
    for url in (
        reverse("sessions:session_detail", args=[world["session"].pk]),
        reverse("formations:formation_detail", args=[world["session"].formation_id]),
    ):
        page = client.get(url).content.decode()
        assert "Résultats des évaluations" in page
        assert "taux de réponse <strong>66,7 %</strong> (2 sur 3)" in page
        assert "animation — <strong>3,50 / 5</strong>" in page
    assert (
        world["session_url"]
        in client.get(
            reverse("sessions:session_detail", args=[world["session"].pk])
        ).content.decode()
    )


def test_hot_and_cold_side_by_side_on_the_formation_page(client, world, coordinator):
    cold = make_version(
        {"kind": Question.Kind.SCALE, "text": "Utilité dans votre pratique"},
        title="À froid",
        kind=Questionnaire.Kind.COLD,
    )
    (usefulness,) = _questions(cold)
    campaign = make_campaign(world["session"], cold)
    add_response(campaign, {usefulness: 4})
    page = _page(client, coordinator, world["formation_url"])
    assert "À chaud et à froid" in page
    assert "Utilité dans votre pratique — <strong>4,00 / 5</strong>" in page


def test_trends_across_sessions(client, world, coordinator):
    other = TrainingSessionFactory(formation=world["session"].formation, code="S-93-02")
    SlotFactory(session=other, day=dt.date(2026, 9, 1))
    scale, _text = _questions(world["campaign"].version)
    add_response(make_campaign(other, world["campaign"].version), {scale: 4})
    page = _page(client, coordinator, world["formation_url"])
    trend = page.split('id="trends-title"')[1].split("</section>")[0]
    assert "Taux de réponse par session" in trend
    assert "S-93-01" in trend and "S-93-02" in trend


@pytest.mark.parametrize("count", [5, 50])
def test_page_queries_do_not_grow_with_answers(
    client, world, coordinator, count, django_assert_max_num_queries
):
    scale, text = _questions(world["campaign"].version)
    for i in range(count):
        add_response(world["campaign"], {scale: i % 5 + 1, text: f"c{i}"}, sex="F")
    client.force_login(coordinator)
    with django_assert_max_num_queries(30):
        assert client.get(world["formation_url"]).status_code == 200
    with django_assert_max_num_queries(30):
        assert client.get(world["session_url"]).status_code == 200


def test_campaign_cancelled_shows_no_results(client, world, coordinator):
    Campaign.objects.update(cancelled_at=dt.datetime(2026, 5, 1, tzinfo=dt.UTC))
    client.force_login(coordinator)
    assert client.get(world["session_url"]).status_code == 404


def test_no_results_panel_for_a_structure_referent(client, world):
    structure = StructureFactory()
    referent = UserFactory(role=User.Role.STRUCTURE_REFERENT, structure=structure)
    EnrolmentFactory(session=world["session"], participant=ParticipantFactory(structure=structure))
    client.force_login(referent)
    response = client.get(reverse("sessions:session_detail", args=[world["session"].pk]))
    assert response.status_code == 200
    assert "Résultats des évaluations" not in response.content.decode()


def test_results_panel_for_a_trainer_without_names(client, world, trainer):
    client.force_login(trainer)
    page = client.get(reverse("sessions:session_detail", args=[world["session"].pk])).content
    page = page.decode()
    assert "animation — <strong>3,50 / 5</strong>" in page
    assert "OUBLI" not in page.split("Résultats des évaluations")[1].split("</section>")[0]


def test_small_sessions_trend_means_masked_for_trainer_and_auditor_marked_for_coordinator(
    client, world, coordinator, trainer, auditor
):
    """World's session has 2 responses; another has 6: the small one's means would point
    at its two people, and the other's could be worked out from the total with it."""
    other = TrainingSessionFactory(formation=world["session"].formation, code="S-93-02")
    other.trainers.add(trainer)
    SlotFactory(session=other, day=dt.date(2026, 9, 1))
    scale, _text = _questions(world["campaign"].version)
    campaign = make_campaign(other, world["campaign"].version)
    for value in (4, 4, 4, 4, 4, 4):
        add_response(campaign, {scale: value})

    coordinator_page = _page(client, coordinator, world["formation_url"])
    trend = coordinator_page.split('id="trends-title"')[1].split("</section>")[0]
    assert "3,50" in trend and "4,00" in trend
    assert "moins de 5 réponses</span>" in trend

    for user in (trainer, auditor):
        trend = _page(client, user, world["formation_url"])
        trend = trend.split('id="trends-title"')[1].split("</section>")[0]
        assert "3,50" not in trend and "4,00" not in trend
        assert "masqué (moins de 5 réponses" in trend


@pytest.mark.parametrize("user", ["trainer", "auditor"])
def test_a_withheld_comment_is_counted_not_shown(client, world, user, request):
    """« Vos commentaires : 2 réponses » and one comment listed: say why the other is not."""
    page = _page(client, request.getfixturevalue(user), world["formation_url"])
    assert "Mme Lebrun" not in page
    assert "1 commentaire non reproduit : il permettait d'identifier une personne." in page


def test_the_coordinator_sees_the_hidden_comment_not_a_count(client, world, coordinator):
    page = _page(client, coordinator, world["session_url"])
    assert "Mme Lebrun" in page
    assert "non reproduit" not in page


def test_percentages_have_one_decimal_everywhere(client, world, coordinator):
    """2 of 19 is 10,5 %, a whole rate is 75,0 %: the page, the panel and the charts write
    them as the synthesis PDF does."""
    yes_no = make_version(
        {"kind": Question.Kind.YES_NO, "text": "Utile ?"},
        title="À froid",
        kind=Questionnaire.Kind.COLD,
    )
    (useful,) = _questions(yes_no)
    campaign = make_campaign(world["session"], yes_no)
    for i in range(4):
        Invitation.objects.create(
            campaign=campaign,
            participant=ParticipantFactory(),
            answered_on=dt.date(2026, 5, 5) if i < 3 else None,
        )
    for i in range(19):
        add_response(campaign, {useful: i >= 2})
    results_url = reverse(
        "evaluations:session_results", args=[world["session"].pk, yes_no.questionnaire.pk]
    )
    page = _page(client, coordinator, results_url)
    assert "3 personnes sur 4 invitées ont répondu (75,0 %)" in page
    assert "3 sur 4 (75,0 %)" in page  # the rate's chart
    assert "2 réponses (10,5 %)" in page and "17 réponses (89,5 %)" in page
    formation = _page(client, coordinator, world["formation_url"])
    assert "89,5 % de oui" in formation
    panel = _page(
        client, coordinator, reverse("sessions:session_detail", args=[world["session"].pk])
    )
    assert "taux de réponse <strong>75,0 %</strong> (3 sur 4)" in panel


def test_option_bars_are_drawn_against_all_the_answers(world):
    from evaluations import charts
    from evaluations.selectors_results import results_for

    results = results_for(campaigns=Campaign.objects.filter(pk=world["campaign"].pk))
    chart = charts.question_chart(results.questions[0], chart_id="q1")
    widths = [bar.width for row in chart.rows for bar in row.bars]
    # One answer of two on 2 and on 5: half the track each, not the whole of it.
    assert max(widths) == charts.BAR_SPACE / 2
    assert "100 % des personnes qui ont répondu" in chart.desc


def test_long_lists_are_cut_and_say_how_many_more(client, world, coordinator, monkeypatch):
    """A formation of a national programme has thousands of comments and people not
    answering: the page shows the first ones and counts the rest."""
    monkeypatch.setattr("evaluations.views_results.COMMENTS_SHOWN", 1)
    monkeypatch.setattr("evaluations.views_results.NON_RESPONDENTS_SHOWN", 0)

    page = _page(client, coordinator, world["session_url"])

    assert "Mme Lebrun de la CAF" in page  # alphabetical: « Mme » before « Très »
    assert "Très vivant, merci" not in page
    assert "Et 1 autre commentaire, dans l'export des réponses." in page
    assert "1 personne n'a pas encore répondu" in page
    assert "OUBLI Camille" not in page
    assert "Et 1 autre personne" in page
