"""The road map of a fiche: axes in priority order with their actions, reordered with
« Monter » / « Descendre », positions 1..n after every change, one revision per act."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from projects.exceptions import ProjectsError
from projects.models import FicheRevision, ProjectFiche, RoadmapAction, RoadmapAxis
from projects.services_roadmap import (
    action_add,
    action_delete,
    action_move,
    action_set_status,
    axis_add,
    axis_delete,
    axis_move,
)
from tests.factories.projects import project_world

pytestmark = pytest.mark.django_db


def _revision(world) -> int:
    fiche = ProjectFiche.objects.filter(programme=world.programme, structure=world.ccas).first()
    return fiche.revision if fiche else 0


def _where(world, actor=None):
    return {
        "actor": actor or world.coordinator,
        "programme": world.programme,
        "structure": world.ccas,
        "expected_revision": _revision(world),
    }


def _axis(world, title):
    return axis_add(**_where(world), title=title)


def _action(world, axis, title, **fields):
    return action_add(**_where(world), axis=axis, title=title, **fields)


def _axis_order():
    return list(RoadmapAxis.objects.order_by("position").values_list("title", "position"))


def test_axes_are_added_last_and_moved_up_with_the_new_order_in_the_revision():
    world = project_world()
    _axis(world, "Accueil")
    _axis(world, "Partenariats")
    third = _axis(world, "Numérique")

    axis_move(**_where(world), axis=third, direction="up")

    assert _axis_order() == [("Accueil", 1), ("Numérique", 2), ("Partenariats", 3)]
    revision = FicheRevision.objects.order_by("-number").first()
    assert revision.part == "Feuille de route"
    # Only the two axes that changed places: their rows are keyed by title.
    assert revision.changes == [
        {"field": "Feuille de route › Numérique", "before": "Priorité 3", "after": "Priorité 2"},
        {"field": "Feuille de route › Partenariats", "before": "Priorité 2", "after": "Priorité 3"},
    ]
    rows = revision.snapshot["sections"][-1]["rows"]
    assert [label for label, _value in rows] == ["Accueil", "Numérique", "Partenariats"]


def test_the_first_axis_going_up_stays_first_and_records_nothing():
    world = project_world()
    first = _axis(world, "Accueil")
    _axis(world, "Partenariats")
    before = FicheRevision.objects.count()
    axis_move(**_where(world), axis=first, direction="up")
    assert _axis_order() == [("Accueil", 1), ("Partenariats", 2)]
    assert FicheRevision.objects.count() == before


def test_deleting_an_axis_removes_its_actions_and_closes_the_gap():
    world = project_world()
    _axis(world, "Accueil")
    middle = _axis(world, "Partenariats")
    _axis(world, "Numérique")
    _action(world, middle, "Réunir les partenaires")
    axis_delete(**_where(world), axis=middle)
    assert _axis_order() == [("Accueil", 1), ("Numérique", 2)]
    assert not RoadmapAction.objects.exists()


def test_actions_keep_contiguous_positions_within_their_axis():
    world = project_world()
    axis = _axis(world, "Accueil")
    a = _action(world, axis, "Former l'accueil")
    b = _action(world, axis, "Affiche")
    c = _action(world, axis, "Permanence", owner="MADI Awa", due_on=dt.date(2022, 3, 15))
    action_move(**_where(world), action=c, direction="up")
    action_delete(**_where(world), action=a)
    assert list(RoadmapAction.objects.order_by("position").values_list("pk", "position")) == [
        (c.pk, 1),
        (b.pk, 2),
    ]
    changes = FicheRevision.objects.order_by("-number")[1].changes
    assert changes == [
        {
            "field": "Feuille de route › Accueil › Permanence",
            "before": "3. MADI Awa — 15/03/2022 — À faire",
            "after": "2. MADI Awa — 15/03/2022 — À faire",
        },
        {
            "field": "Feuille de route › Accueil › Affiche",
            "before": "2. À faire",
            "after": "3. À faire",
        },
    ]


def test_a_status_change_is_one_revision():
    world = project_world()
    axis = _axis(world, "Accueil")
    action = _action(world, axis, "Affiche")
    before = FicheRevision.objects.count()
    action_set_status(**_where(world), action=action, status="in_progress")
    assert RoadmapAction.objects.get().status == "in_progress"
    assert FicheRevision.objects.count() == before + 1
    assert FicheRevision.objects.order_by("-number").first().changes[0]["after"] == ("1. En cours")


def test_an_action_of_another_fiche_is_not_reached():
    world = project_world()
    mine = _axis(world, "Accueil")
    action = _action(world, mine, "Affiche")
    with pytest.raises(ProjectsError) as error:
        action_set_status(
            actor=world.coordinator,
            programme=world.programme,
            structure=world.other,
            action=action,
            expected_revision=None,
            status="done",
        )
    assert error.value.code == "gone"


def test_a_referent_of_another_structure_may_not_write():
    world = project_world()
    with pytest.raises(PermissionDenied):
        axis_add(**_where(world, actor=world.other_referent), title="Intrus")
    assert not RoadmapAxis.objects.exists()


# --- Pages ---------------------------------------------------------------------------------


def _url(world, name="fiche_roadmap", *args):
    return reverse(f"projects:{name}", args=[world.programme.pk, world.ccas.pk, *args])


def test_the_referent_builds_and_reorders_the_road_map_from_the_page(client):
    world = project_world()
    client.force_login(world.referent)
    for title in ("Accueil", "Partenariats"):
        response = client.post(
            _url(world, "roadmap_axis_add"), {"revision": _revision(world), "title": title}
        )
        assert response.status_code == 302
    second = RoadmapAxis.objects.get(title="Partenariats")
    client.post(
        _url(world, "roadmap_axis_move", second.pk),
        {"revision": _revision(world), "direction": "up"},
    )
    client.post(
        _url(world, "roadmap_action_add", second.pk),
        {
            "revision": _revision(world),
            "title": "Réunir les partenaires",
            "owner": "ALI Zaïnaba",
            "due_on": "2022-03-15",
            "status": "todo",
        },
    )
    action = RoadmapAction.objects.get()
    client.post(
        _url(world, "roadmap_action_status", action.pk),
        {"revision": _revision(world), "status": "done"},
    )
    page = client.get(_url(world)).content.decode()
    assert page.index("Partenariats") < page.index("Accueil")
    assert "Priorité 1" in page
    assert "Réunir les partenaires" in page
    assert "Faite" in page  # une action
    assert RoadmapAction.objects.get().status == "done"


def test_deleting_an_axis_with_actions_says_so(client):
    world = project_world()
    axis = _axis(world, "Accueil")
    _action(world, axis, "Affiche")
    _action(world, axis, "Permanence")
    client.force_login(world.coordinator)
    page = client.get(_url(world, "roadmap_axis_delete", axis.pk)).content.decode()
    assert "ses 2 actions seront supprimés" in page
    response = client.post(
        _url(world, "roadmap_axis_delete", axis.pk), {"revision": _revision(world)}
    )
    assert response.status_code == 302
    assert not RoadmapAxis.objects.exists()


def test_a_referent_of_another_structure_gets_404_on_get_and_post(client):
    world = project_world()
    axis = _axis(world, "Accueil")
    action = _action(world, axis, "Affiche")
    client.force_login(world.other_referent)
    assert client.get(_url(world)).status_code == 404
    for url in (
        _url(world, "roadmap_axis_add"),
        _url(world, "roadmap_axis_edit", axis.pk),
        _url(world, "roadmap_axis_delete", axis.pk),
        _url(world, "roadmap_axis_move", axis.pk),
        _url(world, "roadmap_action_add", axis.pk),
        _url(world, "roadmap_action_edit", action.pk),
        _url(world, "roadmap_action_delete", action.pk),
        _url(world, "roadmap_action_move", action.pk),
        _url(world, "roadmap_action_status", action.pk),
    ):
        assert client.get(url).status_code in (404, 405), url
        data = {"revision": _revision(world), "direction": "up", "status": "done", "title": "X"}
        assert client.post(url, data).status_code == 404, url
    assert RoadmapAction.objects.get().status == "todo"
    assert RoadmapAxis.objects.count() == 1


def test_a_stale_status_change_is_refused_with_a_message(client):
    world = project_world()
    axis = _axis(world, "Accueil")
    action = _action(world, axis, "Affiche")
    client.force_login(world.coordinator)
    response = client.post(
        _url(world, "roadmap_action_status", action.pk),
        {"revision": 0, "status": "done"},
        follow=True,
    )
    assert "La fiche a été modifiée entre-temps" in response.content.decode()
    assert RoadmapAction.objects.get().status == "todo"


@pytest.mark.parametrize("size", [1, 5])
def test_the_road_map_page_query_count_does_not_grow(client, django_assert_max_num_queries, size):
    world = project_world()
    for index in range(size):
        axis = _axis(world, f"Axe {index}")
        for number in range(size):
            _action(world, axis, f"Action {index}.{number}")
    client.force_login(world.coordinator)
    with django_assert_max_num_queries(9):
        response = client.get(_url(world))
    assert response.content.decode().count('class="roadmap-action"') == size * size
