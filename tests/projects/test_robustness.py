"""Absurd input on the projects pages and services is refused with a message, never a
server error (code review of issue 11)."""

from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from projects.exceptions import ProjectsError
from projects.models import ProjectFiche, Theme
from projects.services_fiches import fiche_data_sheet_save, theme_rename
from projects.services_followup import follow_up_add
from projects.services_team import member_add
from tests.factories.projects import project_world

pytestmark = pytest.mark.django_db

HUGE = "9" * 25


@pytest.fixture
def world():
    return project_world()


def _url(name, world, **extra):
    return reverse(
        f"projects:{name}",
        kwargs={"programme": world.programme.pk, "structure": world.ccas.pk, **extra},
    )


@pytest.mark.parametrize("staff_size", [HUGE, "99999999999", "-1"])
def test_an_absurd_staff_size_is_a_form_error(client, world, staff_size):
    client.force_login(world.referent)
    response = client.post(
        _url("fiche_edit_data", world),
        {"revision": 0, "territory": "Mamoudzou", "staff_size": staff_size},
    )
    assert response.status_code == 200
    assert "staff_size" in response.context["form"].errors
    assert not ProjectFiche.objects.exists()


@pytest.mark.parametrize(
    ("name", "extra", "data"),
    [
        ("fiche_edit_data", {}, {"revision": HUGE, "staff_size": 3}),
        ("fiche_edit_lessons", {}, {"revision": HUGE, "lessons_learned": "x"}),
        ("fiche_team_add", {}, {"revision": HUGE, "kind": "partner", "full_name": "SOULA Ali"}),
    ],
)
def test_an_absurd_revision_is_a_form_error(client, world, name, extra, data):
    client.force_login(world.referent)
    response = client.post(_url(name, world, **extra), data)
    assert response.status_code == 200
    assert "revision" in response.context["form"].errors


def test_the_service_refuses_what_the_database_cannot_store(world):
    with pytest.raises(ProjectsError) as refused:
        fiche_data_sheet_save(
            actor=world.referent,
            programme=world.programme,
            structure=world.ccas,
            expected_revision=0,
            territory="Mamoudzou",
            staff_size=int(HUGE),
            public_served="",
            partners="",
        )
    assert refused.value.code == "invalid"
    assert refused.value.field == "staff_size"
    assert "Taille de l'équipe de la structure" in refused.value.message


def test_the_services_refuse_too_long_text_with_the_field_named(world):
    with pytest.raises(ProjectsError) as refused:
        member_add(
            actor=world.referent,
            programme=world.programme,
            structure=world.ccas,
            expected_revision=0,
            kind="partner",
            full_name="A" * 300,
        )
    assert (refused.value.code, refused.value.field) == ("invalid", "full_name")
    with pytest.raises(ProjectsError) as refused:
        follow_up_add(
            actor=world.coordinator,
            programme=world.programme,
            structure=world.ccas,
            occurred_on=timezone.localdate(),
            kind="absurd",
            channel="other",
            summary="Appel",
        )
    assert (refused.value.code, refused.value.field) == ("invalid", "kind")


def test_a_rename_that_meets_a_duplicate_is_refused_not_a_crash(world):
    second, first = world.themes[0], world.themes[2]  # « Lutte contre l'isolement »: ASCII
    # As if another rename had taken the label between the check and the save.
    with mock.patch("projects.services_fiches._ensure_label_free"):
        with pytest.raises(ProjectsError) as refused:
            theme_rename(actor=world.coordinator, theme=second, label=first.label.upper())
    assert refused.value.field == "label"
    assert Theme.objects.get(pk=second.pk).label == second.label


def test_a_refusal_about_a_field_the_form_lacks_goes_on_top_of_it():
    from projects.forms_followup import AnswerForm
    from projects.validation import show_refusal

    form = AnswerForm({"answer": "Oui", "answered_on": "2021-06-08"})
    assert form.is_valid()
    show_refusal(form, ProjectsError("Le suivi a changé.", code="invalid", field="outbox_message"))
    show_refusal(form, ProjectsError("Trop tôt.", code="invalid", field="answered_on"))
    assert form.non_field_errors() == ["Le suivi a changé."]
    assert form.errors["answered_on"] == ["Trop tôt."]
