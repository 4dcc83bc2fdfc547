"""Shared pieces of the intersession tasks tests (tests/projects/test_tasks*.py)."""

import datetime as dt
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from formations.models import Structure, User
from tests.factories import StructureFactory, UserFactory
from tests.factories.projects import project_world

PDF_BYTES = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def pdf_upload(name="bilan.pdf", content=PDF_BYTES):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def xlsx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
    return buffer.getvalue()


@pytest.fixture
def task_world(db):
    return make_task_world()


def make_task_world():
    """`project_world()` with a programme running (ending in a year), a third partner
    CCAS without any referent account, and a trainer of the programme."""
    from tests.factories import TrainingSessionFactory

    world = project_world()
    today = timezone.localdate()
    world.programme.start_date = today - dt.timedelta(days=200)
    world.programme.end_date = today + dt.timedelta(days=365)
    world.programme.save()
    world.third = StructureFactory(name="CCAS de Sada", kind=Structure.Kind.CCAS)
    world.programme.structures.add(world.third)
    world.trainer = UserFactory(role=User.Role.TRAINER)
    session = TrainingSessionFactory(formation=world.programme.formations.get())
    session.trainers.add(world.trainer)
    world.session = session
    world.today = today
    return world
