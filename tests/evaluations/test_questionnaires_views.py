import pytest
from django.urls import reverse
from django.utils import timezone

from evaluations import defaults
from evaluations.models import Question, Questionnaire, QuestionnaireVersion
from tests.factories import TrainingSessionFactory
from tests.factories.evaluations import add_response, make_campaign, make_version

pytestmark = pytest.mark.django_db

SCALE = {
    "kind": "scale",
    "text": "Satisfaction",
    "scale_low_label": "Pas du tout",
    "scale_high_label": "Tout à fait",
}


def pages(questionnaire):
    version = questionnaire.versions.order_by("number").first()
    section = version.sections.order_by("position").first()
    question = Question.objects.filter(section=section).first()
    pk = questionnaire.pk
    return [
        ("get", reverse("evaluations:questionnaire_list")),
        ("get", reverse("evaluations:questionnaire_create")),
        ("get", reverse("evaluations:questionnaire_detail", args=[pk])),
        ("get", reverse("evaluations:questionnaire_edit", args=[pk])),
        ("get", reverse("evaluations:questionnaire_versions", args=[pk])),
        ("get", reverse("evaluations:questionnaire_version", args=[pk, version.number])),
        ("get", reverse("evaluations:questionnaire_delete", args=[pk])),
        ("post", reverse("evaluations:questionnaire_archive", args=[pk])),
        ("get", reverse("evaluations:questionnaire_section_add", args=[pk])),
        ("get", reverse("evaluations:questionnaire_section_edit", args=[pk, section.pk])),
        ("get", reverse("evaluations:questionnaire_section_delete", args=[pk, section.pk])),
        ("post", reverse("evaluations:questionnaire_section_move", args=[pk, section.pk])),
        ("get", reverse("evaluations:questionnaire_question_add", args=[pk, section.pk])),
        ("get", reverse("evaluations:questionnaire_question_edit", args=[pk, question.pk])),
        ("get", reverse("evaluations:questionnaire_question_delete", args=[pk, question.pk])),
        ("post", reverse("evaluations:questionnaire_question_move", args=[pk, question.pk])),
    ]


@pytest.mark.parametrize("role", ["trainer", "auditor", "referent"])
def test_other_roles_get_404_everywhere_and_no_menu_link(client, request, role):
    user = request.getfixturevalue(role)
    client.force_login(user)
    questionnaire = Questionnaire.objects.get(code=defaults.HOT)
    for method, url in pages(questionnaire):
        assert getattr(client, method)(url).status_code == 404, url
        assert client.post(url, {"direction": "up", "archived": "1"}).status_code in (404, 405)
    assert not Questionnaire.objects.get(pk=questionnaire.pk).archived
    home = client.get(reverse("dashboard")).content.decode()
    assert reverse("evaluations:questionnaire_list") not in home


def test_coordinators_open_every_page_of_every_default(coordinator_client):
    for questionnaire in Questionnaire.objects.all():
        for method, url in pages(questionnaire):
            if method == "get":
                assert coordinator_client.get(url).status_code == 200, url
    home = coordinator_client.get(reverse("dashboard")).content.decode()
    assert reverse("evaluations:questionnaire_list") in home


def test_the_list_shows_counts(coordinator_client):
    version = make_version(SCALE, title="Satisfaction atelier")
    campaign = make_campaign(TrainingSessionFactory(), version, launched_at=timezone.now())
    question = Question.objects.get(section__version=version)
    add_response(campaign, {question: 5})
    add_response(campaign, {question: 3})
    page = coordinator_client.get(reverse("evaluations:questionnaire_list")).content.decode()
    row = page[page.index("Satisfaction atelier") :].split("</tr>")[0]
    assert ">v1<" in row
    cells = [c.split(">")[-1] for c in row.split("</td>")[-3:-1]]
    assert cells == ["1", "2"]


@pytest.mark.parametrize("extra", [0, 10])
def test_the_list_query_count_does_not_grow(
    coordinator_client, django_assert_max_num_queries, extra
):
    for index in range(extra):
        version = make_version(SCALE, title=f"Questionnaire {index}")
        make_campaign(TrainingSessionFactory(), version)
    with django_assert_max_num_queries(8):
        response = coordinator_client.get(reverse("evaluations:questionnaire_list"))
    assert response.status_code == 200


def test_detail_shows_the_quiz_right_answers(coordinator_client):
    questionnaire = Questionnaire.objects.get(code=defaults.QUIZ)
    page = coordinator_client.get(
        reverse("evaluations:questionnaire_detail", args=[questionnaire.pk])
    ).content.decode()
    assert "Qu&#x27;est-ce que PIX\u00a0?" in page
    assert page.count("bonne réponse") >= 8
    assert "Nominatif" in page


def test_detail_query_count_does_not_grow_with_questions(
    coordinator_client, django_assert_max_num_queries
):
    questionnaire = Questionnaire.objects.get(code=defaults.HOT)
    with django_assert_max_num_queries(14):
        coordinator_client.get(reverse("evaluations:questionnaire_detail", args=[questionnaire.pk]))


def test_create_then_add_a_quiz_question_through_the_pages(coordinator_client):
    response = coordinator_client.post(
        reverse("evaluations:questionnaire_create"),
        {"title": "Quiz PIX", "kind": "quiz", "nominative": "on", "introduction": "Bonjour"},
    )
    questionnaire = Questionnaire.objects.get(title="Quiz PIX")
    assert response.url == reverse("evaluations:questionnaire_detail", args=[questionnaire.pk])
    section = questionnaire.versions.get().sections.get()
    url = reverse("evaluations:questionnaire_question_add", args=[questionnaire.pk, section.pk])
    chooser = coordinator_client.get(url).content.decode()
    assert "?type=quiz" in chooser
    refused = coordinator_client.post(
        url + "?type=quiz",
        {
            "text": "PIX ?",
            "required": "on",
            "choices": "Un réseau\nUn service public",
            "correct": "3",
            "points": "1",
        },
    )
    assert refused.status_code == 200
    assert "ne correspond à aucune option" in refused.content.decode()
    coordinator_client.post(
        url + "?type=quiz",
        {
            "text": "PIX ?",
            "required": "on",
            "choices": "Un réseau\nUn service public",
            "correct": "2",
            "points": "2",
        },
    )
    question = Question.objects.get(section=section)
    assert (question.choices, question.correct_choices, question.points) == (
        ["Un réseau", "Un service public"],
        [1],
        2,
    )


def test_editing_an_answered_question_through_the_page_says_so(coordinator_client):
    version = make_version(SCALE)
    campaign = make_campaign(TrainingSessionFactory(), version, launched_at=timezone.now())
    question = Question.objects.get(section__version=version)
    add_response(campaign, {question: 4})
    pk = version.questionnaire_id
    response = coordinator_client.post(
        reverse("evaluations:questionnaire_question_edit", args=[pk, question.pk]),
        {
            "text": "Note globale",
            "required": "on",
            "scale_low_label": "Mauvais",
            "scale_high_label": "Excellent",
        },
        follow=True,
    )
    assert "Votre modification est dans la version 2" in response.content.decode()
    question.refresh_from_db()
    assert question.text == "Satisfaction"
    v2 = QuestionnaireVersion.objects.get(questionnaire_id=pk, number=2)
    assert Question.objects.get(section__version=v2).text == "Note globale"
    history = coordinator_client.get(
        reverse("evaluations:questionnaire_versions", args=[pk])
    ).content.decode()
    assert "lancée le" in history and "Version 2" in history


def test_a_used_questionnaire_cannot_be_deleted_from_its_page(coordinator_client):
    version = make_version(SCALE)
    make_campaign(TrainingSessionFactory(), version)
    url = reverse("evaluations:questionnaire_delete", args=[version.questionnaire_id])
    response = coordinator_client.post(url)
    assert "Archivez-le" in response.content.decode()
    assert Questionnaire.objects.filter(pk=version.questionnaire_id).exists()
    unused = make_version(SCALE)
    coordinator_client.post(
        reverse("evaluations:questionnaire_delete", args=[unused.questionnaire_id])
    )
    assert not Questionnaire.objects.filter(pk=unused.questionnaire_id).exists()


def test_the_admin_shows_questionnaires_but_changes_nothing(client, django_user_model):
    admin_user = django_user_model.objects.create_superuser("root", "root@example.org", "x")
    client.force_login(admin_user)
    questionnaire = Questionnaire.objects.get(code=defaults.HOT)
    version = questionnaire.versions.get()
    question = Question.objects.filter(section__version=version).first()
    for name, obj in [
        ("questionnaire", questionnaire),
        ("questionnaireversion", version),
        ("section", question.section),
        ("question", question),
    ]:
        assert client.get(reverse(f"admin:evaluations_{name}_changelist")).status_code == 200
        url = reverse(f"admin:evaluations_{name}_change", args=[obj.pk])
        page = client.get(url)
        assert page.status_code == 200
        assert b'type="submit"' not in page.content or b'name="_save"' not in page.content
        assert client.post(url, {"text": "Changé", "title": "Changé"}).status_code == 403
        assert client.get(reverse(f"admin:evaluations_{name}_add")).status_code == 403
    question.refresh_from_db()
    assert question.text != "Changé"


def test_a_quiz_question_without_right_answer_gives_the_rule(coordinator_client):
    version = make_version(SCALE, kind="quiz", nominative=True)
    section = version.sections.get()
    url = reverse(
        "evaluations:questionnaire_question_add", args=[version.questionnaire_id, section.pk]
    )

    refused = coordinator_client.post(
        url + "?type=quiz",
        {"text": "PIX ?", "required": "on", "choices": "Un réseau\nUn service", "points": "1"},
    )

    page = refused.content.decode()
    assert refused.status_code == 200
    assert "Une question de quiz a au moins une bonne réponse parmi ses options." in page
    assert "Ce champ est obligatoire." not in page
    assert not Question.objects.filter(section=section, kind="quiz").exists()


def test_the_edit_page_warns_that_a_reworded_answered_question_counts_apart(
    coordinator_client,
):
    version = make_version(SCALE)
    question = Question.objects.get(section__version=version)
    url = reverse(
        "evaluations:questionnaire_question_edit", args=[version.questionnaire_id, question.pk]
    )
    warning = "Les résultats ne s'additionnent que pour un libellé identique"
    before = coordinator_client.get(url).content.decode()
    campaign = make_campaign(TrainingSessionFactory(), version, launched_at=timezone.now())
    add_response(campaign, {question: 4})

    after = coordinator_client.get(url).content.decode()

    assert warning not in before
    assert warning in after
