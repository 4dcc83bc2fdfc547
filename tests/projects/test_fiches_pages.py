"""The fiche projet pages: who reads and edits which fiche, the edits of each part through
`fiche_edit` (one version per save, stale forms refused), the history and an earlier
state, and the programme's list of fiches."""

import datetime as dt

import pytest
from django.urls import reverse

from formations.models import User
from projects.exceptions import ProjectsError
from projects.models import FicheRevision, Project, ProjectFiche, RoadmapAxis, TeamMember
from projects.selectors import programme_time_zone, time_zone_plain_label
from projects.services_fiches import fiche_lessons_save, fiche_themes_save
from tests.factories import (
    FunderFactory,
    ProgrammeFactory,
    StructureFactory,
    TrainingSessionFactory,
    UserFactory,
)
from tests.factories.projects import make_themes, project_world

pytestmark = pytest.mark.django_db


def _url(name, world, structure=None, **extra):
    structure = structure or world.ccas
    return reverse(
        f"projects:{name}",
        kwargs={"programme": world.programme.pk, "structure": structure.pk, **extra},
    )


@pytest.fixture
def world():
    return project_world()


@pytest.fixture
def auditor_of(world):
    funder = FunderFactory()
    world.programme.funders.add(funder)
    user = UserFactory(role=User.Role.FUNDER_AUDITOR, first_name="Audrey", last_name="Audit")
    user.funders.add(funder)
    return user


def _themes_post(world, priority, secondary, revision=0):
    return {
        "revision": revision,
        "priority_theme": priority.pk if priority else "",
        "secondary_theme": secondary.pk if secondary else "",
    }


# --- Reading and editing, by role ------------------------------------------------------------


def test_before_the_first_edit_the_page_shows_an_empty_fiche(client, world):
    client.force_login(world.referent)
    response = client.get(_url("fiche_detail", world))
    assert response.status_code == 200
    text = response.content.decode()
    assert "Fiche projet — CCAS de Mamoudzou" in text
    assert "Fiche vide" in text
    assert "Mayotte" in text  # the structure's territory, until the fiche says otherwise
    assert not ProjectFiche.objects.exists()


def test_a_referent_edits_their_own_fiche_and_gets_404_on_another(client, world):
    client.force_login(world.referent)
    response = client.post(
        _url("fiche_edit_themes", world), _themes_post(world, world.themes[0], world.themes[1])
    )
    assert response.status_code == 302
    assert response.url == _url("fiche_detail", world) + "#fiche-thematiques"
    fiche = ProjectFiche.objects.get(structure=world.ccas)
    assert (fiche.priority_theme, fiche.secondary_theme) == (world.themes[0], world.themes[1])
    page = client.get(_url("fiche_detail", world)).content.decode()
    assert "Accès aux droits" in page and "Modifier" in page

    other = world.other
    for name in ("fiche_detail", "fiche_history", "fiche_edit_themes", "fiche_edit_lessons"):
        assert client.get(_url(name, world, other)).status_code == 404, name
    response = client.post(
        _url("fiche_edit_lessons", world, other), {"revision": 0, "lessons_learned": "Intrus"}
    )
    assert response.status_code == 404
    response = client.post(
        _url("fiche_edit_project", world, other, kind="experimente"),
        {"revision": 0, "title": "Intrus", "stage": "idea"},
    )
    assert response.status_code == 404
    assert not ProjectFiche.objects.filter(structure=other).exists()


def test_an_auditor_reads_but_cannot_edit(client, world, auditor_of):
    fiche_lessons_save(
        actor=world.coordinator,
        programme=world.programme,
        structure=world.ccas,
        expected_revision=0,
        lessons_learned="Aller vers les familles.",
    )
    client.force_login(auditor_of)
    page = client.get(_url("fiche_detail", world))
    assert page.status_code == 200
    assert "Aller vers les familles." in page.content.decode()
    assert reverse("projects:fiche_edit_lessons", args=[world.programme.pk, world.ccas.pk]) not in (
        page.content.decode()
    )
    assert client.get(_url("fiche_history", world)).status_code == 200
    for name, kwargs in (
        ("fiche_edit_data", {}),
        ("fiche_edit_themes", {}),
        ("fiche_edit_lessons", {}),
        ("fiche_edit_project", {"kind": "propose"}),
    ):
        url = _url(name, world, **kwargs)
        assert client.get(url).status_code in (403, 404), name
        assert client.post(url, {"revision": 1, "lessons_learned": "x"}).status_code in (403, 404)
    assert ProjectFiche.objects.get().lessons_learned == "Aller vers les familles."
    assert client.get(reverse("projects:theme_list", args=[world.programme.pk])).status_code in (
        403,
        404,
    )


def test_an_auditor_of_another_funder_sees_nothing(client, world):
    stranger = UserFactory(role=User.Role.FUNDER_AUDITOR)
    stranger.funders.add(FunderFactory(name="CAF du Nord", kind="caf"))
    client.force_login(stranger)
    assert client.get(_url("fiche_detail", world)).status_code == 404
    assert client.get(reverse("projects:fiche_list", args=[world.programme.pk])).status_code == 404


def test_a_structure_outside_the_programme_is_404(client, world):
    client.force_login(world.coordinator)
    outsider = StructureFactory()
    assert client.get(_url("fiche_detail", world, outsider)).status_code == 404


# --- Themes of a fiche ---------------------------------------------------------------------


def test_a_theme_of_another_programme_is_refused(client, world):
    elsewhere = make_themes(ProgrammeFactory(title="Autre programme"), "Mobilité")[0]
    client.force_login(world.coordinator)
    response = client.post(
        _url("fiche_edit_themes", world), _themes_post(world, elsewhere, world.themes[1])
    )
    assert response.status_code == 200
    assert response.context["form"].has_error("priority_theme")
    assert not FicheRevision.objects.exists()
    # The service refuses it too, whatever calls it.
    with pytest.raises(ProjectsError) as error:
        fiche_themes_save(
            actor=world.coordinator,
            programme=world.programme,
            structure=world.ccas,
            expected_revision=0,
            priority_theme=elsewhere,
            secondary_theme=None,
        )
    assert error.value.code == "theme_not_in_programme"
    assert ProjectFiche.objects.filter(priority_theme=elsewhere).count() == 0


def test_the_same_theme_twice_is_refused(client, world):
    client.force_login(world.referent)
    response = client.post(
        _url("fiche_edit_themes", world), _themes_post(world, world.themes[0], world.themes[0])
    )
    assert response.status_code == 200
    assert "La thématique secondaire doit différer de la thématique prioritaire." in (
        response.content.decode()
    )
    with pytest.raises(ProjectsError) as error:
        fiche_themes_save(
            actor=world.referent,
            programme=world.programme,
            structure=world.ccas,
            expected_revision=0,
            priority_theme=world.themes[0],
            secondary_theme=world.themes[0],
        )
    assert error.value.code == "same_theme"
    assert not FicheRevision.objects.exists()


# --- Stale forms ------------------------------------------------------------------------------


def test_a_form_drawn_from_an_older_state_is_refused_and_kept(client, world):
    fiche_lessons_save(
        actor=world.coordinator,
        programme=world.programme,
        structure=world.ccas,
        expected_revision=0,
        lessons_learned="Version de la coordinatrice",
    )
    client.force_login(world.referent)
    response = client.post(
        _url("fiche_edit_lessons", world),
        {"revision": 0, "lessons_learned": "Ma version, tapée sur l'ancienne"},
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "La fiche a été modifiée entre-temps (version 1)" in text
    assert "Ma version, tapée sur l&#x27;ancienne" in text  # the form keeps what was typed
    fiche = ProjectFiche.objects.get()
    assert fiche.lessons_learned == "Version de la coordinatrice"
    assert fiche.revision == 1
    assert FicheRevision.objects.count() == 1


# --- Each part, one version per save ----------------------------------------------------------


def test_each_part_saves_one_version(client, world):
    client.force_login(world.referent)
    steps = [
        (
            _url("fiche_edit_data", world),
            {
                "revision": 0,
                "territory": "Mamoudzou",
                "staff_size": 42,
                "public_served": "Familles",
                "partners": "CAF",
            },
        ),
        (
            _url("fiche_edit_project", world, kind="experimente"),
            {
                "revision": 1,
                "title": "Guichet mobile",
                "problem": "Non-recours",
                "public": "Familles",
                "partners": "CAF",
                "means": "Un véhicule",
                "stage": "prototype",
            },
        ),
        (
            _url("fiche_edit_project", world, kind="propose"),
            {"revision": 2, "title": "Café des aidants", "stage": "idea"},
        ),
        (_url("fiche_edit_lessons", world), {"revision": 3, "lessons_learned": "Écouter."}),
    ]
    for url, data in steps:
        response = client.post(url, data)
        assert response.status_code == 302, (
            url,
            response.context and response.context["form"].errors,
        )
    fiche = ProjectFiche.objects.get()
    assert fiche.revision == 4
    assert fiche.staff_size == 42
    experimented = fiche.projects.get(kind=Project.Kind.EXPERIMENTED)
    assert (experimented.title, experimented.stage) == ("Guichet mobile", "prototype")
    assert fiche.projects.get(kind=Project.Kind.PROPOSED).title == "Café des aidants"
    assert list(FicheRevision.objects.order_by("number").values_list("part", flat=True)) == [
        "Fiche de données",
        "Projet expérimenté",
        "Projet proposé",
        "Enseignements",
    ]
    page = client.get(_url("fiche_detail", world)).content.decode()
    for text in ("Guichet mobile", "Prototype", "Café des aidants", "Écouter.", "Version 4"):
        assert text in page
    assert client.get(_url("fiche_edit_project", world, kind="autre")).status_code == 404


def test_the_page_shows_team_and_road_map_in_priority_order(client, world):
    fiche_lessons_save(
        actor=None,
        programme=world.programme,
        structure=world.ccas,
        expected_revision=None,
        lessons_learned="x",
    )
    fiche = ProjectFiche.objects.get()
    TeamMember.objects.create(
        fiche=fiche, kind="agent", full_name="Ali Zaïnaba", role="directrice", is_referent=True
    )
    TeamMember.objects.create(fiche=fiche, kind="elected", full_name="Madi Ahmed", position=2)
    second = RoadmapAxis.objects.create(fiche=fiche, position=2, title="Axe second")
    first = RoadmapAxis.objects.create(fiche=fiche, position=1, title="Axe premier")
    first.actions.create(position=1, title="Réunir les partenaires", owner="Ali", status="done")
    second.actions.create(position=1, title="Former les agents")
    client.force_login(world.coordinator)
    page = client.get(_url("fiche_detail", world)).content.decode()
    assert page.index("Axe 1 : Axe premier") < page.index("Axe 2 : Axe second")
    assert "Réunir les partenaires" in page and "Faite" in page
    assert "Ali Zaïnaba" in page and "référent·e du projet" in page
    assert "Élu·e" in page


# --- History -----------------------------------------------------------------------------------


def test_the_history_shows_who_changed_what_and_an_earlier_state(client, world):
    fiche_themes_save(
        actor=world.referent,
        programme=world.programme,
        structure=world.ccas,
        expected_revision=0,
        priority_theme=world.themes[0],
        secondary_theme=None,
    )
    fiche_themes_save(
        actor=world.coordinator,
        programme=world.programme,
        structure=world.ccas,
        expected_revision=1,
        priority_theme=world.themes[2],
        secondary_theme=world.themes[0],
    )
    world.coordinator.first_name, world.coordinator.last_name = "Claire", "Coordo"
    client.force_login(world.coordinator)
    response = client.get(_url("fiche_history", world))
    assert response.status_code == 200
    revisions = response.context["revisions"]
    assert [r.number for r in revisions] == [2, 1]  # newest first
    assert revisions[1].author_name == "Zaïnaba Ali"
    assert revisions[0].rows[0] == {
        "field": "Thématiques › Thématique prioritaire",
        "before": "Accès aux droits",
        "after": "Lutte contre l'isolement",
        "before_short": "",
        "after_short": "",
    }
    text = response.content.decode()
    assert "Zaïnaba Ali" in text
    assert "Thématiques › Thématique prioritaire" in text

    earlier = client.get(_url("fiche_revision", world, number=1))
    assert earlier.status_code == 200
    text = earlier.content.decode()
    assert "version 1" in text
    assert "Accès aux droits" in text
    assert "Lutte contre l&#x27;isolement" not in text
    assert client.get(_url("fiche_revision", world, number=9)).status_code == 404


def test_long_texts_are_shortened_in_the_history(client, world):
    long_text = "Nous avons appris " + "beaucoup de choses " * 40
    fiche_lessons_save(
        actor=world.referent,
        programme=world.programme,
        structure=world.ccas,
        expected_revision=0,
        lessons_learned=long_text,
    )
    client.force_login(world.referent)
    response = client.get(_url("fiche_history", world))
    row = response.context["revisions"][0].rows[0]
    assert row["after_short"].endswith("…")
    assert len(row["after_short"]) <= 160
    assert "<details" in response.content.decode()


def test_the_history_is_paginated(client, world):
    for n in range(23):
        fiche_lessons_save(
            actor=world.coordinator,
            programme=world.programme,
            structure=world.ccas,
            expected_revision=n,
            lessons_learned=f"Texte {n}",
        )
    client.force_login(world.coordinator)
    first = client.get(_url("fiche_history", world))
    assert [r.number for r in first.context["revisions"]][:2] == [23, 22]
    assert len(first.context["revisions"]) == 20
    second = client.get(_url("fiche_history", world) + "?page=2")
    assert [r.number for r in second.context["revisions"]] == [3, 2, 1]


# --- The list of fiches ---------------------------------------------------------------------


def _fill(world, structure, n):
    fiche_themes_save(
        actor=None,
        programme=world.programme,
        structure=structure,
        expected_revision=None,
        priority_theme=world.themes[0],
        secondary_theme=world.themes[1],
    )
    fiche = ProjectFiche.objects.get(programme=world.programme, structure=structure)
    fiche.projects.create(kind="experimented", title=f"Projet {n}", stage="idea")
    TeamMember.objects.create(fiche=fiche, kind="agent", full_name=f"Agent {n}", is_referent=True)
    RoadmapAxis.objects.create(fiche=fiche, position=1, title="Axe")


@pytest.mark.parametrize("extra", [0, 6])
def test_the_list_query_count_does_not_grow_with_structures(
    client, world, extra, django_assert_max_num_queries
):
    for n in range(extra):
        structure = StructureFactory(name=f"CCAS {n:02d}")
        world.programme.structures.add(structure)
        _fill(world, structure, n)
    _fill(world, world.ccas, 99)
    client.force_login(world.coordinator)
    # 9 for the list, 3 for the livret panel (livrables).
    with django_assert_max_num_queries(12):
        response = client.get(reverse("projects:fiche_list", args=[world.programme.pk]))
    assert response.status_code == 200
    assert len(response.context["rows"]) == extra + 2


def test_the_list_shows_each_fiche_at_a_glance(client, world):
    _fill(world, world.ccas, 1)
    client.force_login(world.coordinator)
    response = client.get(reverse("projects:fiche_list", args=[world.programme.pk]))
    text = response.content.decode()
    assert "Accès aux droits" in text and "Projet 1" in text and "Agent 1" in text
    assert "1 agent" in text and "1 axe" in text
    assert "manquant·e" in text  # Dzaoudzi has no referent
    assert "1 à 3 agents de la structure" in text
    assert reverse("projects:theme_list", args=[world.programme.pk]) in text


def test_a_referent_goes_straight_to_their_own_fiche(client, world):
    client.force_login(world.referent)
    response = client.get(reverse("projects:fiche_list", args=[world.programme.pk]))
    assert response.status_code == 302
    assert response.url == _url("fiche_detail", world)


def test_the_history_shows_times_in_the_programmes_time_zone(client, world):
    """Mayotte is two hours ahead of Paris: a version written at 08:00 UTC reads 11:00."""
    assert programme_time_zone(world.programme) == "Europe/Paris"  # no session yet
    formation = world.programme.formations.get()
    TrainingSessionFactory(formation=formation, time_zone="Indian/Mayotte")
    TrainingSessionFactory(formation=formation, time_zone="Indian/Mayotte")
    TrainingSessionFactory(formation=formation, time_zone="Europe/Paris")
    assert programme_time_zone(world.programme) == "Indian/Mayotte"
    assert time_zone_plain_label("America/Sao_Paulo") == "heure de Sao Paulo"
    fiche_lessons_save(
        actor=world.coordinator,
        programme=world.programme,
        structure=world.ccas,
        expected_revision=0,
        lessons_learned="Associer l'élue dès le premier labo.",
    )
    FicheRevision.objects.update(at=dt.datetime(2022, 1, 10, 8, 0, tzinfo=dt.UTC))
    client.force_login(world.coordinator)
    text = client.get(_url("fiche_history", world)).content.decode()
    assert "(heure de Mayotte)" in text and "11:00" in text
    assert "heures en" not in text
    earlier = client.get(_url("fiche_revision", world, number=1)).content.decode()
    assert "à 11:00 (heure de Mayotte)" in earlier
