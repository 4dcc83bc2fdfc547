"""The questionnaire pages on a portrait tablet (820 px) and a phone (390 px): the list, a
shipped questionnaire as people read it (a quiz with its right answers), the choice of a
question's kind, a quiz question refused with its reason, and the history of versions
after an answered version was edited: no sideways scroll, no serious axe violation, no
content security policy violation."""

import os

import pytest
from django.urls import reverse
from django.utils import timezone

from evaluations import defaults
from evaluations.defaults import install_defaults
from evaluations.models import Question, Questionnaire
from evaluations.services_questionnaires import question_update
from tests.browser.test_accessibility import axe_problems, describe
from tests.factories import TrainingSessionFactory
from tests.factories.evaluations import add_response, make_campaign

pytestmark = pytest.mark.browser

SIZES = [{"width": 820, "height": 1180}, {"width": 390, "height": 844}]
IDS = ["tablet-820", "phone-390"]


def check(page, axe, size, name):
    if os.environ.get("SUIVI_SCREENSHOTS"):
        page.screenshot(path=f"{os.environ['SUIVI_SCREENSHOTS']}/{name}.png", full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.evaluate("window.innerWidth"), f"{name}: {width} px"
    blocking, _others = axe_problems(axe, page)
    assert not blocking, f"{name}:\n" + "\n".join(map(describe, blocking))


@pytest.fixture
def world(transactional_db, coordinator):
    install_defaults()  # a transactional test starts from an emptied database
    hot = Questionnaire.objects.get(code=defaults.HOT)
    version = hot.versions.get()
    campaign = make_campaign(
        TrainingSessionFactory(code="SSD-2022-03"), version, launched_at=timezone.now()
    )
    first = Question.objects.filter(section__version=version).order_by(
        "section__position", "position"
    )[0]
    add_response(campaign, {first: 4})
    question_update(
        actor=coordinator,
        question=first,
        text="Les contenus correspondaient-ils à vos attentes ?",
        scale_low_label="Pas du tout",
        scale_high_label="Tout à fait",
    )
    return {"hot": hot, "quiz": Questionnaire.objects.get(code=defaults.QUIZ)}


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_questionnaire_pages_fit_and_read_well(
    page, live_server, login_as, coordinator, world, axe, csp_violations, size
):
    login_as(coordinator)
    page.set_viewport_size(size)
    width = size["width"]
    page.goto(live_server.url + reverse("evaluations:questionnaire_list"))
    assert "Quiz d'intersession" in page.inner_text("main")
    check(page, axe, size, f"questionnaires-list-{width}")

    quiz = world["quiz"]
    page.goto(live_server.url + reverse("evaluations:questionnaire_detail", args=[quiz.pk]))
    assert "bonne réponse" in page.inner_text("main")
    check(page, axe, size, f"questionnaires-quiz-{width}")

    hot = world["hot"]
    page.goto(live_server.url + reverse("evaluations:questionnaire_detail", args=[hot.pk]))
    assert "Version 2" in page.inner_text("main")
    check(page, axe, size, f"questionnaires-hot-{width}")

    section = quiz.versions.get().sections.order_by("position").first()
    add = reverse("evaluations:questionnaire_question_add", args=[quiz.pk, section.pk])
    page.goto(live_server.url + add)
    check(page, axe, size, f"questionnaires-kind-{width}")
    page.get_by_role("link", name="Question de quiz").click()
    page.locator("#id_text").fill("Que signifie PIX ?")
    page.get_by_label("Options, une par ligne").fill("Un réseau social\nUn service public")
    page.get_by_label("Numéro des bonnes réponses").fill("3")
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_load_state()
    assert "ne correspond à aucune option" in page.inner_text("main")
    check(page, axe, size, f"questionnaires-quiz-refused-{width}")

    page.goto(live_server.url + reverse("evaluations:questionnaire_versions", args=[hot.pk]))
    assert "lancée le" in page.inner_text("main")
    check(page, axe, size, f"questionnaires-versions-{width}")
    assert not csp_violations
