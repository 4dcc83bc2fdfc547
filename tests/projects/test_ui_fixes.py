"""Fixes found by the hands-on testers of issue 11 (pages of the fiches, team, road map,
follow-up, intersession tasks)."""

import pytest
from django.urls import reverse

from projects.models import FicheRevision, Project
from tests.factories.projects import project_world

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


def test_the_untouched_project_form_creates_neither_project_nor_version(client, world):
    client.force_login(world.referent)
    url = _url("fiche_edit_project", world, kind="experimente")
    empty = {
        "revision": 0,
        "title": "",
        "problem": "",
        "public": "",
        "partners": "",
        "means": "",
        "stage": "idea",
    }
    assert client.post(url, empty).status_code == 302
    assert not Project.objects.exists()
    assert not FicheRevision.objects.exists()
    # Saying something creates it, once.
    assert client.post(url, {**empty, "title": "Guichet mobile"}).status_code == 302
    assert Project.objects.get().title == "Guichet mobile"
    assert FicheRevision.objects.count() == 1
