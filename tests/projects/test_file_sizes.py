"""Sizes read as French writes them: « 10 Mo », not Django's « 10,0 Mio »; the task
document's limit on its page and in its refusal, and every page's `file_size`."""

import pytest
from django.template import Context, Template
from django.test import override_settings

from formations.french import size_label
from formations.tabular import format_size
from projects.exceptions import ProjectsError
from projects.models import IntersessionTask
from projects.services_tasks import task_mark_done
from tests.projects.conftest import PDF_BYTES, pdf_upload
from tests.projects.test_tasks_views import _set, _structure_url

NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("size", "label"),
    [
        (0, "0 octet"),
        (1, "1 octet"),
        (500, "500 octets"),
        (1024, "1 Ko"),
        (1536, "1,5 Ko"),
        (10 * 1024 * 1024, "10 Mo"),
        (12_345_678, "11,8 Mo"),
        (1024 * 1024 - 10, "1 Mo"),
        (3 * 1024**3, "3 Go"),
    ],
)
def test_size_label(size, label):
    assert size_label(size) == label.replace(" ", NBSP)
    assert format_size(size) == label
    rendered = Template("{% load french %}{{ size|file_size }}").render(Context({"size": size}))
    assert rendered == label.replace(" ", NBSP)


@pytest.mark.django_db
@override_settings(SUIVI_MAX_UPLOAD_BYTES=10 * 1024 * 1024)
def test_the_task_document_limit_reads_10_mo(client, task_world, documents_dir):
    _set(task_world)
    task = IntersessionTask.objects.get(structure=task_world.ccas)
    client.force_login(task_world.referent)
    page = client.get(
        _structure_url(task_world, task_world.ccas, "projects:task_done", task)
    ).content.decode()
    assert f"10{NBSP}Mo au maximum" in page and "Mio" not in page
    with (
        override_settings(SUIVI_MAX_UPLOAD_BYTES=1024),
        pytest.raises(ProjectsError) as error,
    ):
        task_mark_done(
            actor=task_world.referent, task=task, upload=pdf_upload(content=PDF_BYTES + b" " * 2048)
        )
    assert f"1{NBSP}Ko" in error.value.message and "Kio" not in error.value.message
