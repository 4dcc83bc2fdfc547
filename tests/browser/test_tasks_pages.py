"""The intersession tasks pages in Chromium at 390 px (phone) and 820 px (tablet portrait):
no sideways scroll, no serious axe violation, no CSP violation; marking a task done with a
document through the real form."""

import datetime as dt
import os

import pytest
from django.urls import reverse

from projects.models import IntersessionTask
from projects.services_tasks import task_create, task_mark_done
from tests.browser.test_accessibility import PHONE, TABLET, axe_problems, describe
from tests.projects.conftest import PDF_BYTES, make_task_world, pdf_upload

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("SUIVI_SCREENSHOTS")  # a folder: keep a screenshot of each page


@pytest.fixture
def tasks_world(transactional_db, documents_dir):
    world = make_task_world()
    today = world.today
    first = task_create(
        actor=world.coordinator,
        programme=world.programme,
        structures=[world.ccas, world.other, world.third],
        kind=IntersessionTask.Kind.DOCUMENT,
        title="Diagnostic territorial partagé avec les partenaires du CCAS",
        instructions="Remplir la trame remise au labo, avec les chiffres de l'analyse des "
        "besoins sociaux.",
        due_on=today + dt.timedelta(days=6),
    )
    task_mark_done(actor=world.other_referent, task=first[1], upload=pdf_upload())
    late = task_create(
        actor=world.coordinator,
        programme=world.programme,
        structures=[world.ccas, world.other],
        kind=IntersessionTask.Kind.OTHER,
        title="Entretiens avec trois usagers",
        due_on=today + dt.timedelta(days=1),
    )
    IntersessionTask.objects.filter(pk__in=[t.pk for t in late]).update(
        due_on=today - dt.timedelta(days=3)
    )
    world.first = first
    return world


def test_tasks_pages_fit_a_phone_and_a_tablet(
    axe, page, live_server, login_as, tasks_world, browser_context, csp_violations, tmp_path
):
    world = tasks_world
    programme = world.programme.pk
    ccas_task = world.first[0]
    pages = {
        world.coordinator: [
            reverse("projects:task_list", args=[programme]),
            reverse("projects:task_add", args=[programme]),
            reverse("projects:task_batch_remove", args=[programme, world.first[0].batch]),
            reverse("dashboard"),
        ],
        world.referent: [
            reverse("projects:structure_tasks", args=[programme, world.ccas.pk]),
            reverse("projects:task_done", args=[programme, world.ccas.pk, ccas_task.pk]),
            reverse("dashboard"),
            reverse("formations:structure_detail", args=[world.ccas.pk]),
        ],
    }
    failures, overflows = [], []
    for user, paths in pages.items():
        browser_context.clear_cookies()
        login_as(user)
        for path in paths:
            page.set_viewport_size(TABLET)
            response = page.goto(live_server.url + path)
            assert response.status == 200, path
            for size in (TABLET, PHONE):
                page.set_viewport_size(size)
                where = f"{path} ({user.role}, {size['width']} px)"
                blocking, _others = axe_problems(axe, page)
                if blocking:
                    failures.append(f"{where}:\n" + "\n".join(map(describe, blocking)))
                width = page.evaluate("document.documentElement.scrollWidth")
                if width > size["width"]:
                    overflows.append(f"{where}: {width} px")
                if SHOTS:
                    name = path.strip("/").replace("/", "_") or "dashboard"
                    page.screenshot(
                        path=os.path.join(SHOTS, f"{user.role}-{name}-{size['width']}.png"),
                        full_page=True,
                    )
    assert not failures, "\n".join(failures)
    assert not overflows, "\n".join(overflows)
    assert csp_violations == []


def test_the_referent_marks_done_with_a_document_in_the_browser(
    page, live_server, login_as, tasks_world, tmp_path
):
    world = tasks_world
    task = world.first[0]
    document = tmp_path / "compte-rendu.pdf"
    document.write_bytes(PDF_BYTES)
    login_as(world.referent)
    page.set_viewport_size(PHONE)
    page.goto(
        live_server.url
        + reverse("projects:task_done", args=[world.programme.pk, world.ccas.pk, task.pk])
    )

    page.get_by_label("Commentaire (facultatif)").fill("Trame remplie en équipe.")
    page.get_by_label("Document (facultatif)").set_input_files(str(document))
    page.get_by_role("button", name="Enregistrer").click()
    page.get_by_role("status").first.wait_for()

    task.refresh_from_db()
    assert task.done_at is not None and task.document_name == "compte-rendu.pdf"
    assert "compte-rendu.pdf" in page.content()
