"""The fiche projet pages on a portrait tablet (820 px) and a phone (390 px): the list of
fiches, a filled fiche with long texts, its history, an earlier state and the themes never
scroll sideways nor break axe-core's serious rules; a referent edits the lessons learned
with the keyboard."""

import os

import pytest
from django.urls import reverse

from projects.models import ProjectFiche, RoadmapAxis, TeamMember
from projects.services_fiches import (
    fiche_data_sheet_save,
    fiche_lessons_save,
    fiche_project_save,
    fiche_themes_save,
)
from tests.browser.test_accessibility import axe_problems, describe
from tests.factories.projects import make_themes, project_world

pytestmark = pytest.mark.browser

SIZES = [{"width": 820, "height": 1180}, {"width": 390, "height": 844}]
LONG = (
    "Aller vers les familles qui ne viennent plus au guichet : permanences dans les "
    "villages, partenariat avec l'association Mlezi Maore et la CAF, "
) * 4


@pytest.fixture
def world(db):
    world = project_world()
    make_themes(world.programme, "Accompagnement des personnes âgées isolées et de leurs aidant·es")
    common = {"programme": world.programme, "structure": world.ccas, "expected_revision": None}
    fiche_data_sheet_save(
        actor=world.referent,
        territory="Mamoudzou — Kawéni, Passamaïnty, Tsoundzou",
        staff_size=48,
        public_served=LONG,
        partners="CAF de Mayotte, Département, ARS, UDCCAS",
        **common,
    )
    fiche_themes_save(
        actor=world.coordinator,
        priority_theme=world.themes[0],
        secondary_theme=world.programme.project_themes.last(),
        **common,
    )
    fiche_project_save(
        actor=world.referent,
        kind="experimented",
        title="Guichet mobile d'accès aux droits dans les villages de Mamoudzou",
        problem=LONG,
        public="Familles",
        partners="CAF",
        means="Un véhicule aménagé",
        stage="prototype",
        **common,
    )
    fiche_lessons_save(actor=world.coordinator, lessons_learned=LONG, **common)
    fiche = ProjectFiche.objects.get(structure=world.ccas)
    TeamMember.objects.create(
        fiche=fiche,
        kind="agent",
        full_name="ALI Zaïnaba-Mariama",
        role="Directrice du centre communal d'action sociale",
        is_referent=True,
    )
    axis = RoadmapAxis.objects.create(
        fiche=fiche, position=1, title="Faire connaître le guichet mobile dans chaque village"
    )
    axis.actions.create(
        position=1, title="Réunir les chefs de village", owner="ALI Zaïnaba-Mariama"
    )
    return world


@pytest.mark.parametrize("size", SIZES, ids=["tablet-820", "phone-390"])
def test_fiche_pages_never_scroll_sideways(
    page, live_server, login_as, world, size, axe, csp_violations
):
    login_as(world.coordinator)
    page.set_viewport_size(size)
    programme, structure = world.programme.pk, world.ccas.pk
    urls = {
        "list": reverse("projects:fiche_list", args=[programme]),
        "detail": reverse("projects:fiche_detail", args=[programme, structure]),
        "history": reverse("projects:fiche_history", args=[programme, structure]),
        "revision": reverse("projects:fiche_revision", args=[programme, structure, 2]),
        "themes": reverse("projects:theme_list", args=[programme]),
        "edit": reverse("projects:fiche_edit_project", args=[programme, structure, "experimente"]),
    }
    for name, url in urls.items():
        page.goto(live_server.url + url)
        assert page.locator("h1").count() == 1
        width = page.evaluate("document.documentElement.scrollWidth")
        inner = page.evaluate("window.innerWidth")
        if os.environ.get("SUIVI_SCREENSHOTS"):
            page.screenshot(
                path=f"{os.environ['SUIVI_SCREENSHOTS']}/fiche-{name}-{size['width']}.png",
                full_page=True,
            )
        assert width <= inner, f"{name} at {size['width']} px: {width} > {inner}"
        blocking, _others = axe_problems(axe, page)
        assert not blocking, f"{name}:\n" + "\n".join(map(describe, blocking))
    assert csp_violations == []


def test_a_referent_edits_the_lessons_with_the_keyboard(page, live_server, login_as, world):
    login_as(world.referent)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(
        live_server.url + reverse("projects:fiche_detail", args=[world.programme.pk, world.ccas.pk])
    )
    link = page.get_by_role("link", name="Modifier : enseignements")
    link.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    field = page.get_by_label("Enseignements")
    field.fill("Commencer petit, avec un village.")
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer").press("Enter")
    assert page.get_by_text("Commencer petit, avec un village.").count() == 1
    assert ProjectFiche.objects.get(structure=world.ccas).lessons_learned == (
        "Commencer petit, avec un village."
    )
