"""The programme's list of themes (coordinators) and the entry points to the fiches on the
programme page, the structure page and a referent's dashboard."""

import pytest
from django.urls import reverse

from formations.models import AuditEntry, User
from projects.exceptions import ProjectsError
from projects.models import Theme
from projects.services_fiches import fiche_lessons_save, fiche_themes_save, theme_add
from tests.factories import ProgrammeFactory, TrainingSessionFactory, UserFactory
from tests.factories.projects import make_themes, project_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return project_world()


def _labels(world):
    return list(
        Theme.objects.filter(programme=world.programme)
        .order_by("position", "pk")
        .values_list("label", flat=True)
    )


def test_a_coordinator_adds_renames_and_reorders_themes(client, world):
    client.force_login(world.coordinator)
    url = reverse("projects:theme_list", args=[world.programme.pk])
    assert client.post(url, {"label": "  Mobilité   solidaire "}).status_code == 302
    assert _labels(world)[-1] == "Mobilité solidaire"
    mobility = Theme.objects.get(label="Mobilité solidaire")
    response = client.post(
        reverse("projects:theme_move", args=[world.programme.pk, mobility.pk]),
        {"direction": "up"},
    )
    assert response.status_code == 302
    assert _labels(world) == [
        "Accès aux droits",
        "Inclusion numérique",
        "Mobilité solidaire",
        "Lutte contre l'isolement",
    ]
    first = world.themes[0]
    client.post(
        reverse("projects:theme_move", args=[world.programme.pk, first.pk]), {"direction": "up"}
    )
    assert _labels(world)[0] == "Accès aux droits"  # nothing above the first
    response = client.post(
        reverse("projects:theme_edit", args=[world.programme.pk, first.pk]),
        {"label": "Accès aux droits sociaux"},
    )
    assert response.status_code == 302
    assert _labels(world)[0] == "Accès aux droits sociaux"
    page = client.get(url).content.decode()
    assert "Accès aux droits sociaux" in page and "Monter" in page and "Descendre" in page
    assert AuditEntry.objects.filter(action__startswith="projects.theme_").count() == 3


def test_a_theme_label_is_unique_in_the_programme(client, world):
    client.force_login(world.coordinator)
    response = client.post(
        reverse("projects:theme_list", args=[world.programme.pk]), {"label": "accès aux DROITS"}
    )
    assert response.status_code == 200
    assert "existe déjà dans ce programme" in response.content.decode()
    with pytest.raises(ProjectsError) as error:
        theme_add(actor=world.coordinator, programme=world.programme, label="   ")
    assert error.value.code == "theme_empty"


def test_a_theme_chosen_by_a_fiche_cannot_be_deleted(client, world):
    fiche_themes_save(
        actor=world.referent,
        programme=world.programme,
        structure=world.ccas,
        expected_revision=0,
        priority_theme=world.themes[0],
        secondary_theme=None,
    )
    client.force_login(world.coordinator)
    url = reverse("projects:theme_delete", args=[world.programme.pk, world.themes[0].pk])
    page = client.get(url).content.decode()
    assert "est choisie dans 1 fiche projet : elle ne peut pas être supprimée" in page
    response = client.post(url)
    assert response.status_code == 200
    assert "ne peut pas être supprimée" in response.content.decode()
    assert Theme.objects.filter(pk=world.themes[0].pk).exists()

    unused = world.themes[2]
    url = reverse("projects:theme_delete", args=[world.programme.pk, unused.pk])
    assert "Supprimer la thématique" in client.get(url).content.decode()
    assert client.post(url).status_code == 302
    assert not Theme.objects.filter(pk=unused.pk).exists()


def test_only_coordinators_manage_themes(client, world):
    trainer = UserFactory(role=User.Role.TRAINER)
    TrainingSessionFactory(formation=world.programme.formations.get()).trainers.add(trainer)
    theme = world.themes[0]
    for user in (world.referent, trainer):
        client.force_login(user)
        for name, kwargs in (
            ("theme_list", {}),
            ("theme_edit", {"theme": theme.pk}),
            ("theme_move", {"theme": theme.pk}),
            ("theme_delete", {"theme": theme.pk}),
        ):
            url = reverse(f"projects:{name}", kwargs={"programme": world.programme.pk, **kwargs})
            assert client.post(url, {"label": "X", "direction": "down"}).status_code in (403, 404)
    assert Theme.objects.filter(programme=world.programme).count() == 3
    assert _labels(world)[0] == "Accès aux droits"


def test_a_theme_of_another_programme_is_404_here(client, world):
    elsewhere = make_themes(ProgrammeFactory(title="Autre"), "Mobilité")[0]
    client.force_login(world.coordinator)
    url = reverse("projects:theme_edit", args=[world.programme.pk, elsewhere.pk])
    assert client.get(url).status_code == 404
    url = reverse("projects:theme_list", args=[world.programme.pk + 999])
    assert client.get(url).status_code == 404


# --- Entry points -------------------------------------------------------------------------------


def test_the_programme_page_counts_fiches_and_links_to_them(client, world):
    fiche_lessons_save(
        actor=world.referent,
        programme=world.programme,
        structure=world.ccas,
        expected_revision=0,
        lessons_learned="x",
    )
    client.force_login(world.coordinator)
    page = client.get(reverse("formations:programme_detail", args=[world.programme.pk]))
    text = page.content.decode()
    assert "Fiches projet" in text
    assert "Structures partenaires : <strong>2</strong>" in text
    assert "Fiches commencées : <strong>1</strong>" in text
    assert "Fiches complètes : <strong>0</strong>" in text
    assert reverse("projects:fiche_list", args=[world.programme.pk]) in text
    assert reverse("projects:theme_list", args=[world.programme.pk]) in text

    client.force_login(world.referent)
    text = client.get(
        reverse("formations:programme_detail", args=[world.programme.pk])
    ).content.decode()
    assert reverse("projects:fiche_detail", args=[world.programme.pk, world.ccas.pk]) in text
    assert reverse("projects:theme_list", args=[world.programme.pk]) not in text


def test_the_structure_page_and_the_referent_dashboard_link_to_the_fiche(client, world):
    fiche_url = reverse("projects:fiche_detail", args=[world.programme.pk, world.ccas.pk])
    client.force_login(world.referent)
    structure_page = client.get(reverse("formations:structure_detail", args=[world.ccas.pk]))
    assert fiche_url in structure_page.content.decode()
    assert "pas commencée" in structure_page.content.decode()
    dashboard = client.get(reverse("dashboard")).content.decode()
    assert "La fiche projet de votre structure" in dashboard
    assert fiche_url in dashboard
    client.force_login(world.coordinator)
    assert (
        "La fiche projet de votre structure"
        not in client.get(reverse("dashboard")).content.decode()
    )
