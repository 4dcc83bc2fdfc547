"""A form posted twice (double click, reload) creates once: intersession tasks, follow-up
entries and journal entries carry a token checked by the service (`projects.once`)."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from projects.models import FollowUpEntry, IntersessionTask, JournalEntry
from tests.factories import EnrolmentFactory, TrainingSessionFactory
from tests.factories.projects import project_world
from tests.projects.test_journal import sign_in

pytestmark = pytest.mark.django_db


def _token(page) -> str:
    match = re.search(r'name="token" value="([0-9a-f]{32})"', page.content.decode())
    assert match, "the form carries a token"
    return match.group(1)


def _twice(client, url, data):
    first = client.post(url, data)
    second = client.post(url, data, follow=True)
    return first, second


def test_a_double_submit_sets_the_intersession_work_once(client, task_world):
    client.force_login(task_world.coordinator)
    url = reverse("projects:task_add", args=[task_world.programme.pk])
    data = {
        "token": _token(client.get(url)),
        "kind": "document",
        "title": "Trame de diagnostic",
        "due_on": (task_world.today + dt.timedelta(days=5)).isoformat(),
        "structures": [task_world.ccas.pk, task_world.other.pk],
    }
    first, second = _twice(client, url, data)
    assert first.status_code == 302
    assert second.status_code == 200
    assert "déjà été enregistré" in second.content.decode()
    assert IntersessionTask.objects.count() == 2
    # A new form (a new token) sets new work.
    data["token"] = _token(client.get(url))
    assert client.post(url, data).status_code == 302
    assert IntersessionTask.objects.count() == 4


def test_a_double_submit_adds_one_follow_up_entry(client):
    world = project_world()
    client.force_login(world.coordinator)
    url = reverse("projects:follow_up_log", args=[world.programme.pk, world.ccas.pk])
    data = {
        "token": _token(client.get(url)),
        "occurred_on": timezone.localdate().isoformat(),
        "kind": "note",
        "channel": "phone",
        "summary": "Appel à la directrice",
    }
    first, second = _twice(client, url, data)
    assert first.status_code == 302
    assert "déjà été enregistré" in second.content.decode()
    assert FollowUpEntry.objects.count() == 1


def test_a_double_submit_writes_one_journal_entry(client):
    session = TrainingSessionFactory(formation__programme__logbook_enabled=True)
    author = EnrolmentFactory(session=session).participant
    sign_in(client, author)
    url = reverse("projects:journal")
    data = {
        "token": _token(client.get(url)),
        "programme": session.formation.programme.pk,
        "written_on": "2021-10-05",
        "title": "Atelier courriers",
        "body": "Trois personnes sont venues.",
    }
    first, second = _twice(client, url, data)
    assert first.status_code == 302
    assert "déjà été enregistré" in second.content.decode()
    assert JournalEntry.objects.count() == 1
