"""Code review of issue 11: theme moves through the shared ordering, dates of the
follow-up log checked by the service, a task marked done twice says so."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from projects.exceptions import ProjectsError
from projects.models import FollowUpEntry, Theme
from projects.services_fiches import theme_move
from projects.services_followup import follow_up_add, follow_up_answer
from projects.services_tasks import task_create, task_mark_done
from tests.factories.projects import project_world

pytestmark = pytest.mark.django_db


def _labels(world):
    return list(
        Theme.objects.filter(programme=world.programme)
        .order_by("position")
        .values_list("label", flat=True)
    )


def test_themes_move_up_and_down_and_stay_at_either_end():
    world = project_world()
    first, second, third = world.themes
    theme_move(actor=world.coordinator, theme=third, direction="up")
    assert _labels(world) == [first.label, third.label, second.label]
    moved = theme_move(actor=world.coordinator, theme=first, direction="up")
    assert moved.position == 1
    assert list(
        Theme.objects.filter(programme=world.programme)
        .order_by("position")
        .values_list("position", flat=True)
    ) == [1, 2, 3]
    with pytest.raises(ProjectsError) as refused:
        theme_move(actor=world.coordinator, theme=first, direction="sideways")
    assert refused.value.message == "Déplacement inconnu."


def _question(world, **fields):
    return follow_up_add(
        actor=world.coordinator,
        programme=world.programme,
        structure=world.ccas,
        kind="question",
        channel="phone",
        summary="Quand a lieu la prochaine session ?",
        **fields,
    )


def test_the_service_refuses_a_log_entry_dated_to_come():
    world = project_world()
    with pytest.raises(ProjectsError) as refused:
        _question(world, occurred_on=timezone.localdate() + dt.timedelta(days=10))
    assert (refused.value.code, refused.value.field) == ("future", "occurred_on")
    assert not FollowUpEntry.objects.exists()


def test_an_answer_dated_before_its_question_is_refused():
    world = project_world()
    today = timezone.localdate()
    with pytest.raises(ProjectsError) as refused:
        _question(
            world, occurred_on=today, answer="Le 12 mars", answered_on=today - dt.timedelta(2)
        )
    assert (refused.value.code, refused.value.field) == ("answer_before_question", "answered_on")
    entry = _question(world, occurred_on=today)
    with pytest.raises(ProjectsError):
        follow_up_answer(
            actor=world.coordinator,
            entry=entry,
            answer="Le 12 mars",
            answered_on=today - dt.timedelta(days=1),
        )
    follow_up_answer(actor=world.coordinator, entry=entry, answer="Le 12 mars", answered_on=today)


def test_marking_done_a_task_already_done_says_so(client, task_world):
    (task,) = task_create(
        actor=task_world.coordinator,
        programme=task_world.programme,
        structures=[task_world.ccas],
        kind="other",
        title="Lire le guide",
        due_on=task_world.today + dt.timedelta(days=5),
    )
    task_mark_done(actor=task_world.coordinator, task=task)
    client.force_login(task_world.referent)
    url = reverse("projects:task_done", args=[task_world.programme.pk, task_world.ccas.pk, task.pk])
    response = client.post(url, {"note": "Fait"}, follow=True)
    # Back to the structure's page, with the message (not the form again).
    assert response.redirect_chain
    assert response.redirect_chain[-1][0].startswith(
        reverse("projects:structure_tasks", args=[task_world.programme.pk, task_world.ccas.pk])
    )
    assert "Ce travail est déjà marqué fait" in response.content.decode()
