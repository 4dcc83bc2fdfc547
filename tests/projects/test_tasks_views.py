"""The intersession tasks pages: who opens them, what they show, and the uploads."""

import datetime as dt

import pytest
from django.urls import reverse

from formations.models import User
from projects.models import IntersessionTask, ProjectFiche, TeamMember
from projects.services_tasks import task_create, task_mark_done
from tests.factories import ParticipantFactory, StructureFactory, UserFactory
from tests.projects.conftest import pdf_upload

pytestmark = pytest.mark.django_db

Kind = IntersessionTask.Kind


def _set(world, *, structures=None, due_in=10, title="Diagnostic territorial"):
    return task_create(
        actor=world.coordinator,
        programme=world.programme,
        structures=structures or [world.ccas, world.other, world.third],
        kind=Kind.DOCUMENT,
        title=title,
        due_on=world.today + dt.timedelta(days=due_in),
    )


def _overdue(world, days=4, **kwargs):
    tasks = _set(world, **kwargs)
    IntersessionTask.objects.filter(pk__in=[t.pk for t in tasks]).update(
        due_on=world.today - dt.timedelta(days=days)
    )
    return tasks


def _structure_url(world, structure, name="projects:structure_tasks", task=None):
    args = [world.programme.pk, structure.pk] + ([task.pk] if task else [])
    return reverse(name, args=args)


def test_creating_from_the_form_with_every_structure_ticked(client, task_world):
    client.force_login(task_world.coordinator)
    url = reverse("projects:task_add", args=[task_world.programme.pk])
    page = client.get(url)
    assert page.status_code == 200
    # Every partner structure is ticked by default.
    assert page.content.decode().count("checked") >= 3

    response = client.post(
        url,
        {
            "kind": "document",
            "title": "Trame de diagnostic",
            "instructions": "",
            "due_on": (task_world.today + dt.timedelta(days=5)).isoformat(),
            "structures": [task_world.ccas.pk, task_world.other.pk, task_world.third.pk],
        },
    )

    assert response.status_code == 302
    assert IntersessionTask.objects.filter(title="Trame de diagnostic").count() == 3


def test_a_past_due_date_gets_a_message_beside_the_field(client, task_world):
    client.force_login(task_world.coordinator)
    response = client.post(
        reverse("projects:task_add", args=[task_world.programme.pk]),
        {
            "kind": "document",
            "title": "Trame",
            "due_on": (task_world.today - dt.timedelta(days=1)).isoformat(),
            "structures": [task_world.ccas.pk],
        },
    )
    assert response.status_code == 200
    assert "est passée" in response.content.decode()
    assert not IntersessionTask.objects.exists()


def test_the_list_groups_by_batch_with_counts_and_says_who_cannot_be_reminded(
    client, task_world, documents_dir
):
    tasks = _set(task_world)
    task_mark_done(actor=task_world.referent, task=tasks[0], upload=pdf_upload())
    client.force_login(task_world.trainer)

    page = client.get(
        reverse("projects:task_list", args=[task_world.programme.pk])
    ).content.decode()

    assert page.count("Diagnostic territorial") >= 1
    assert "1 fait" in page and "2 à faire" in page
    assert "bilan.pdf" in page
    # CCAS de Sada has no referent account.
    assert "Personne ne peut être relancé·e pour 1 structure" in page
    assert "personne à relancer" in page


def test_the_warning_about_who_cannot_be_reminded_comes_once_and_follows_the_team_rule(
    client, task_world
):
    _set(task_world)
    _set(task_world, title="Quiz")
    client.force_login(task_world.coordinator)
    url = reverse("projects:task_list", args=[task_world.programme.pk])
    page = client.get(url).content.decode()
    assert page.count("Personne ne peut être relancé·e") == 1
    assert "Personne ne peut être relancé·e pour 1 structure" in page
    # An agent of CCAS de Sada's project team with an e-mail address: the follow-up's
    # reminder would reach them, so the tasks' reminder does too.
    fiche = ProjectFiche.objects.create(programme=task_world.programme, structure=task_world.third)
    agent = ParticipantFactory(structure=task_world.third, email="agent@ccas-sada.yt")
    TeamMember.objects.create(
        fiche=fiche, kind="agent", participant=agent, full_name=agent.full_name, is_referent=True
    )
    assert "Personne ne peut être relancé·e" not in client.get(url).content.decode()


def test_the_referent_marks_their_own_task_done_with_a_pdf(client, task_world, documents_dir):
    _set(task_world)
    task = IntersessionTask.objects.get(structure=task_world.ccas)
    client.force_login(task_world.referent)

    page = client.get(_structure_url(task_world, task_world.ccas))
    assert page.status_code == 200
    response = client.post(
        _structure_url(task_world, task_world.ccas, "projects:task_done", task),
        {"note": "Voir la trame", "document": pdf_upload()},
    )

    assert response.status_code == 302
    task.refresh_from_db()
    assert task.done_at and task.document_name == "bilan.pdf"
    download = client.get(
        _structure_url(task_world, task_world.ccas, "projects:task_document", task)
    )
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF-")
    assert "no-store" in download["Cache-Control"]


def test_another_structure_s_task_is_404_to_a_referent(client, task_world, documents_dir):
    _set(task_world)
    theirs = IntersessionTask.objects.get(structure=task_world.other)
    task_mark_done(actor=task_world.other_referent, task=theirs, upload=pdf_upload())
    client.force_login(task_world.referent)

    # The form (GET and POST), the download (GET), undoing (POST): through the other
    # structure's URL, and through one's own structure's URL with the other's task.
    for name, methods in (
        ("projects:task_done", (client.get, client.post)),
        ("projects:task_document", (client.get,)),
        ("projects:task_undo", (client.post,)),
    ):
        for structure in (task_world.other, task_world.ccas):
            url = _structure_url(task_world, structure, name, theirs)
            for method in methods:
                assert method(url, {"note": "x"}).status_code == 404, (name, method)
    assert client.get(_structure_url(task_world, task_world.other)).status_code == 404
    assert (
        client.get(reverse("projects:task_list", args=[task_world.programme.pk])).status_code == 404
    )
    theirs.refresh_from_db()
    assert theirs.done_note == "" and theirs.done_by == task_world.other_referent


def test_a_fake_pdf_is_refused_with_a_clear_message(client, task_world, documents_dir):
    _set(task_world)
    task = IntersessionTask.objects.get(structure=task_world.ccas)
    client.force_login(task_world.referent)

    response = client.post(
        _structure_url(task_world, task_world.ccas, "projects:task_done", task),
        {"note": "Voici", "document": pdf_upload("compte-rendu.pdf", b"juste du texte\n")},
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "compte-rendu.pdf" in page and "rien n&#x27;a été enregistré" in page
    task.refresh_from_db()
    assert task.done_at is None and not task.document
    assert not any(documents_dir.rglob("*.*"))


def test_the_referent_undoes_done(client, task_world):
    _set(task_world)
    task = IntersessionTask.objects.get(structure=task_world.ccas)
    task_mark_done(actor=task_world.referent, task=task)
    client.force_login(task_world.referent)

    response = client.post(_structure_url(task_world, task_world.ccas, "projects:task_undo", task))

    assert response.status_code == 302
    task.refresh_from_db()
    assert task.done_at is None


def test_open_tasks_come_first_and_overdue_is_said_in_words(client, task_world):
    _set(task_world, title="Plus tard", due_in=20)
    _overdue(task_world, title="Déjà dû", days=2)
    done = _set(task_world, title="Fini", due_in=1)
    task_mark_done(actor=task_world.referent, task=done[0])
    client.force_login(task_world.referent)

    page = client.get(_structure_url(task_world, task_world.ccas)).content.decode()

    assert page.index("Déjà dû") < page.index("Plus tard") < page.index("Fini")
    assert "En retard de 2 jours" in page


def test_deleting_a_batch_with_a_document_asks_to_confirm(client, task_world, documents_dir):
    tasks = _set(task_world)
    task_mark_done(actor=task_world.referent, task=tasks[0], upload=pdf_upload())
    client.force_login(task_world.coordinator)
    url = reverse("projects:task_batch_remove", args=[task_world.programme.pk, tasks[0].batch])

    page = client.get(url).content.decode()
    assert "bilan.pdf" in page and "sera supprimé lui aussi" in page
    refused = client.post(url, {})
    assert refused.status_code == 200
    assert IntersessionTask.objects.count() == 3
    assert client.post(url, {"confirm_documents": "on"}).status_code == 302
    assert not IntersessionTask.objects.exists()


def test_the_coordinator_dashboard_shows_overdue_tasks(client, task_world):
    _overdue(task_world, days=4)
    client.force_login(task_world.coordinator)

    page = client.get(reverse("dashboard")).content.decode()

    assert "Travaux d'intersession en retard (3)" in page
    assert "CCAS de Mamoudzou — Diagnostic territorial" in page
    assert "En retard de 4 jours" in page
    assert _structure_url(task_world, task_world.ccas) in page


def test_a_referent_dashboard_shows_their_open_tasks(client, task_world):
    _set(task_world)
    client.force_login(task_world.referent)

    page = client.get(reverse("dashboard")).content.decode()

    assert "Travail d'intersession à faire (1)" in page
    assert _structure_url(task_world, task_world.ccas) in page
    assert "en retard" not in page.lower().split("intersession à faire")[0][-200:]


def test_the_structure_page_shows_its_open_tasks(client, task_world):
    _overdue(task_world, structures=[task_world.ccas])
    client.force_login(task_world.coordinator)

    page = client.get(reverse("formations:structure_detail", args=[task_world.ccas.pk]))

    assert "Travaux d'intersession à faire" in page.content.decode()
    assert "En retard de 4 jours" in page.content.decode()


def _dashboard_queries(client, django_assert_max_num_queries, world, n):
    structures = [StructureFactory(name=f"CCAS {world.programme.pk}-{n}-{i}") for i in range(n)]
    world.programme.structures.add(*structures)
    _overdue(world, structures=structures, title=f"Lot {n}")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("dashboard")).status_code == 200
    return len(queries)


def test_dashboard_query_count_does_not_grow_with_overdue_tasks(
    client, task_world, django_assert_max_num_queries
):
    client.force_login(task_world.coordinator)
    few = _dashboard_queries(client, django_assert_max_num_queries, task_world, 11)
    many = _dashboard_queries(client, django_assert_max_num_queries, task_world, 30)
    assert many == few


@pytest.mark.parametrize("count", [2, 12])
def test_list_and_structure_page_query_counts_are_constant(
    client, task_world, django_assert_max_num_queries, documents_dir, count
):
    for index in range(count):
        tasks = _set(task_world, title=f"Travail {index}")
        task_mark_done(actor=task_world.referent, task=tasks[0], upload=pdf_upload())
    client.force_login(task_world.coordinator)
    with django_assert_max_num_queries(12):
        assert (
            client.get(reverse("projects:task_list", args=[task_world.programme.pk])).status_code
            == 200
        )
    with django_assert_max_num_queries(12):
        assert client.get(_structure_url(task_world, task_world.ccas)).status_code == 200


def test_an_auditor_and_another_trainer_get_404(client, task_world):
    _set(task_world)
    task = IntersessionTask.objects.get(structure=task_world.ccas)
    for user in (
        UserFactory(role=User.Role.TRAINER),
        UserFactory(role=User.Role.FUNDER_AUDITOR),
    ):
        client.force_login(user)
        for url in (
            reverse("projects:task_list", args=[task_world.programme.pk]),
            _structure_url(task_world, task_world.ccas),
            _structure_url(task_world, task_world.ccas, "projects:task_done", task),
        ):
            assert client.get(url).status_code == 404, (user.role, url)


def test_editing_a_batch_from_its_page(client, task_world):
    tasks = _set(task_world)
    client.force_login(task_world.trainer)
    url = reverse("projects:task_batch_edit", args=[task_world.programme.pk, tasks[0].batch])
    assert client.get(url).status_code == 200

    response = client.post(
        url,
        {
            "title": "Diagnostic (version courte)",
            "instructions": "Deux pages.",
            "due_on": (task_world.today + dt.timedelta(days=20)).isoformat(),
        },
    )

    assert response.status_code == 302
    assert set(IntersessionTask.objects.values_list("title", "instructions")) == {
        ("Diagnostic (version courte)", "Deux pages.")
    }


def test_the_programme_page_links_to_its_tasks_for_those_who_set_them(client, task_world):
    url = reverse("formations:programme_detail", args=[task_world.programme.pk])
    link = reverse("projects:task_list", args=[task_world.programme.pk])
    client.force_login(task_world.coordinator)
    assert link in client.get(url).content.decode()
    client.force_login(task_world.referent)
    assert link not in client.get(url).content.decode()
