"""The team and road map pages of a fiche projet on a portrait tablet (820 px) and a phone
(390 px): nothing scrolls sideways, axe finds nothing serious, and the keyboard alone
moves an axis up and changes an action's status (plain forms, no script)."""

import datetime as dt
import os

import pytest
from django.urls import reverse

from projects.models import RoadmapAxis, TeamMember
from projects.services_roadmap import action_add, axis_add
from projects.services_team import member_add, referent_set
from tests.browser.test_accessibility import axe_problems, describe
from tests.factories import ParticipantFactory
from tests.factories.projects import project_world

pytestmark = pytest.mark.browser

SIZES = [{"width": 820, "height": 1180}, {"width": 390, "height": 844}]
IDS = ["tablet-820", "phone-390"]


def screenshot(page, name):
    if os.environ.get("SUIVI_SCREENSHOTS"):
        page.screenshot(path=f"{os.environ['SUIVI_SCREENSHOTS']}/{name}.png", full_page=True)


def no_sideways_scroll(page, size):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.evaluate("window.innerWidth"), f"{size['width']} px: {width}"


@pytest.fixture
def world(transactional_db):
    world = project_world(team_max=3)
    where = {"actor": None, "programme": world.programme, "structure": world.ccas}
    agent = member_add(
        **where,
        expected_revision=None,
        kind="agent",
        participant=ParticipantFactory(
            structure=world.ccas,
            last_name="Abdallah-Soilihi-Madi",
            first_name="Nafissata",
            job_title="Directrice du centre communal d'action sociale",
        ),
    )
    referent_set(**where, member=agent, expected_revision=None)
    member_add(**where, expected_revision=None, kind="agent", full_name="NGUYỄN Thị Lan")
    member_add(
        **where,
        expected_revision=None,
        kind="partner",
        full_name="SOULA Ali",
        role="Association départementale d'insertion par l'activité économique",
    )
    first = axis_add(**where, expected_revision=None, title="Améliorer l'accueil des publics")
    axis_add(
        **where,
        expected_revision=None,
        title="Développer les partenariats avec les associations du territoire",
    )
    for title in ("Former les agents d'accueil à l'accès aux droits", "Affiche multilingue"):
        action_add(
            **where,
            expected_revision=None,
            axis=first,
            title=title,
            owner="Nafissata ABDALLAH-SOILIHI-MADI",
            due_on=dt.date(2022, 3, 15),
        )
    return world


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_team_page_on_a_phone_or_tablet(page, live_server, login_as, axe, world, size):
    login_as(world.referent)
    page.set_viewport_size(size)
    page.goto(
        live_server.url + reverse("projects:fiche_team", args=[world.programme.pk, world.ccas.pk])
    )
    assert "1 à 3 agents de la structure" in page.inner_text("main")
    no_sideways_scroll(page, size)
    blocking, _others = axe_problems(axe, page)
    assert not blocking, "\n".join(describe(v) for v in blocking)
    screenshot(page, f"fiche-team-{size['width']}")

    page.get_by_role("button", name="Descendre ABDALLAH-SOILIHI-MADI Nafissata").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert list(TeamMember.objects.order_by("position").values_list("full_name", flat=True))[1] == (
        "ABDALLAH-SOILIHI-MADI Nafissata"
    )
    no_sideways_scroll(page, size)

    for name, refused in (("MADI Fatima", False), ("ATTOUMANI Said", True)):
        page.get_by_role("link", name="Ajouter un membre").click()
        no_sideways_scroll(page, size)
        page.get_by_label("Agent de la structure").check()
        page.get_by_label("Nom et prénom").fill(name)
        with page.expect_navigation():
            page.get_by_role("button", name="Enregistrer").click()
        assert ("le marché en prévoit au plus 3" in page.inner_text("main")) is refused
    no_sideways_scroll(page, size)
    screenshot(page, f"fiche-team-refused-{size['width']}")


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_road_map_page_on_a_phone_or_tablet(page, live_server, login_as, axe, world, size):
    login_as(world.coordinator)
    page.set_viewport_size(size)
    page.goto(
        live_server.url
        + reverse("projects:fiche_roadmap", args=[world.programme.pk, world.ccas.pk])
    )
    no_sideways_scroll(page, size)
    blocking, _others = axe_problems(axe, page)
    assert not blocking, "\n".join(describe(v) for v in blocking)
    screenshot(page, f"fiche-roadmap-{size['width']}")

    page.get_by_role(
        "button",
        name="Monter l'axe : Développer les partenariats avec les associations du territoire",
    ).focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert RoadmapAxis.objects.get(position=1).title.startswith("Développer")

    select = page.get_by_label("État : Affiche multilingue")
    select.select_option("in_progress")
    select.press("Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "« Affiche multilingue » : en cours." in page.inner_text("main")
    no_sideways_scroll(page, size)
