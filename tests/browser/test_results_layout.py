"""The results of an evaluation on a portrait tablet (820 px) and a phone (390 px): the
charts scale down with their text still readable, nothing scrolls sideways (the trend and
breakdown tables become one card per row on a phone), no content security policy
violation, and axe finds nothing blocking."""

import datetime as dt
import os

import pytest
from django.urls import reverse

from evaluations.models import Invitation, Question, Questionnaire
from tests.browser.test_accessibility import axe_problems
from tests.factories import EnrolmentFactory, SlotFactory, TrainingSessionFactory
from tests.factories.evaluations import add_response, make_campaign, make_version

pytestmark = pytest.mark.browser

SIZES = [{"width": 820, "height": 1180}, {"width": 390, "height": 844}]
IDS = ["tablet-820", "phone-390"]


def _world():
    first = TrainingSessionFactory(code="SSD-2026-01")
    second = TrainingSessionFactory(formation=first.formation, code="SSD-2026-02")
    SlotFactory(session=first, day=dt.date(2026, 3, 2))
    SlotFactory(session=second, day=dt.date(2026, 5, 4))
    hot = make_version(
        {
            "kind": Question.Kind.SCALE,
            "text": "Les contenus répondaient-ils à vos besoins professionnels ?",
            "scale_low_label": "Pas du tout",
            "scale_high_label": "Tout à fait",
        },
        {"kind": Question.Kind.SCALE, "text": "Qualité de l’animation"},
        {"kind": Question.Kind.YES_NO, "text": "Recommanderiez-vous cette formation ?"},
        {
            "kind": Question.Kind.MULTIPLE,
            "text": "Quels outils allez-vous réutiliser ?",
            "choices": ["Fiches repères", "Grille d’entretien motivationnel", "Jeu de rôle"],
        },
        {"kind": Question.Kind.OBJECTIVES, "text": "Où en êtes-vous par objectif ?"},
        {"kind": Question.Kind.TEXT, "text": "Vos commentaires", "required": False},
        title="Satisfaction à chaud",
    )
    scale, animation, yes, multiple, objectives, text = Question.objects.filter(
        section__version=hot
    ).order_by("position")
    for session, count in ((first, 9), (second, 7)):
        campaign = make_campaign(session, hot)
        for i in range(count + 3):
            enrolment = EnrolmentFactory(session=session)
            Invitation.objects.create(
                campaign=campaign,
                participant=enrolment.participant,
                enrolment=enrolment,
                answered_on=dt.date(2026, 5, 5) if i < count else None,
            )
        for i in range(count):
            add_response(
                campaign,
                {
                    scale: 3 + i % 3,
                    animation: 2 + i % 4,
                    yes: i % 4 != 0,
                    multiple: [0, 2] if i % 2 else [1],
                    objectives: {
                        "Accueillir une personne éloignée de l’emploi": (1 + i % 2, 4),
                        "Orienter vers le bon partenaire": (2, 3 + i % 3),
                    },
                    text: f"Des échanges riches entre pairs, une journée de plus ({i}).",
                },
                sex="F" if i % 3 else "M",
                structure_kind="ccas" if i % 2 else "centre_social",
                age_band="26-45",
            )
    cold = make_version(
        {"kind": Question.Kind.SCALE, "text": "Utilité dans votre pratique"},
        title="À froid (3 mois)",
        kind=Questionnaire.Kind.COLD,
    )
    (usefulness,) = Question.objects.filter(section__version=cold)
    campaign = make_campaign(first, cold)
    for value in (4, 5, 3, 4):
        add_response(campaign, {usefulness: value})
    return first, hot.questionnaire


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_results_pages_fit(page, live_server, login_as, coordinator, axe, csp_violations, size):
    session, questionnaire = _world()
    login_as(coordinator)
    page.set_viewport_size(size)
    for name, url in (
        (
            "formation",
            reverse("evaluations:formation_results", args=[session.formation_id, questionnaire.pk]),
        ),
        ("session", reverse("evaluations:session_results", args=[session.pk, questionnaire.pk])),
        ("session-page", reverse("sessions:session_detail", args=[session.pk])),
    ):
        page.goto(f"{live_server.url}{url}")
        if os.environ.get("SUIVI_SCREENSHOTS"):
            page.screenshot(
                path=f"{os.environ['SUIVI_SCREENSHOTS']}/results-{name}-{size['width']}.png",
                full_page=True,
            )
        if name == "session-page":
            panel = page.locator("section.results-panel")
            assert panel.get_by_role("link", name="Satisfaction à chaud").first.is_visible()
            if os.environ.get("SUIVI_SCREENSHOTS"):
                panel.screenshot(
                    path=f"{os.environ['SUIVI_SCREENSHOTS']}/results-panel-{size['width']}.png"
                )
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= page.evaluate("window.innerWidth"), f"{name} {size['width']} px: {width}"
        for chart in page.locator("svg.result-chart").all():
            box = chart.bounding_box()
            assert box["width"] <= size["width"], name
        if name != "session-page":
            blocking, _others = axe_problems(axe, page)
            assert not blocking, blocking
    assert not csp_violations


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_a_table_of_many_questions_stays_in_its_card(
    page, live_server, login_as, coordinator, size
):
    """Eight long scale questions make the trend table (a column each) wider than a
    portrait tablet: it must stay within its card, not widen the page."""
    first = TrainingSessionFactory(code="CD93-2026-01")
    second = TrainingSessionFactory(formation=first.formation, code="CD93-2026-02")
    SlotFactory(session=first, day=dt.date(2026, 3, 2))
    SlotFactory(session=second, day=dt.date(2026, 5, 4))
    version = make_version(
        *(
            {
                "kind": Question.Kind.SCALE,
                "text": f"Question {n} : les contenus répondaient-ils à vos besoins ?",
            }
            for n in range(1, 9)
        ),
        title="Satisfaction à chaud",
    )
    questions = list(Question.objects.filter(section__version=version).order_by("position"))
    for session in (first, second):
        campaign = make_campaign(session, version)
        for i in range(6):
            add_response(campaign, {q: 1 + (i + n) % 5 for n, q in enumerate(questions)}, sex="F")
    login_as(coordinator)
    page.set_viewport_size(size)
    page.goto(
        live_server.url
        + reverse(
            "evaluations:formation_results", args=[first.formation_id, version.questionnaire.pk]
        )
    )
    table = page.get_by_role("table", name="Moyenne de chaque question notée de 1 à 5, par session")
    assert table.is_visible()
    if os.environ.get("SUIVI_SCREENSHOTS"):
        page.screenshot(
            path=f"{os.environ['SUIVI_SCREENSHOTS']}/results-many-{size['width']}.png",
            full_page=True,
        )
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.evaluate("window.innerWidth"), f"{size['width']} px: {width}"
    card = page.locator("section", has=table).first.bounding_box()
    box = table.bounding_box()
    assert box["x"] + box["width"] <= card["x"] + card["width"] + 1
