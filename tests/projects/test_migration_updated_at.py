"""projects 0002: the follow-up entries and intersession tasks written before it keep their
creation as their last change (not the migration's time: every fiche individuelle issued
would read « à rééditer »)."""

import datetime as dt
import importlib

import pytest
from django.apps import apps

from projects.models import FollowUpEntry, IntersessionTask
from tests.factories.projects import project_world

pytestmark = pytest.mark.django_db

migration = importlib.import_module("projects.migrations.0002_updated_at")


def test_existing_rows_take_their_created_at():
    world = project_world()
    entry = FollowUpEntry.objects.create(
        programme=world.programme,
        structure=world.ccas,
        occurred_on=dt.date(2021, 7, 1),
        kind=FollowUpEntry.Kind.CONTACT,
        channel=FollowUpEntry.Channel.PHONE,
        summary="Point",
    )
    task = IntersessionTask.objects.create(
        programme=world.programme,
        structure=world.ccas,
        kind=IntersessionTask.Kind.OTHER,
        title="Carte",
        due_on=dt.date(2021, 10, 1),
    )
    later = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)  # as the column's default would set
    FollowUpEntry.objects.update(updated_at=later)
    IntersessionTask.objects.update(updated_at=later)
    migration.from_created_at(apps, None)
    for row in (entry, task):
        row.refresh_from_db()
        assert row.updated_at == row.created_at
