"""Setting intersession tasks and marking them done (projects.services_tasks)."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from formations.models import AuditEntry, User
from projects.exceptions import ProjectsError
from projects.models import IntersessionTask, RoadmapAction, RoadmapAxis
from projects.services import fiche_for
from projects.services_tasks import (
    task_batch_delete,
    task_batch_update,
    task_create,
    task_delete,
    task_mark_done,
    task_reopen,
)
from tests.factories import StructureFactory, UserFactory
from tests.factories.evaluations import make_campaign, make_version
from tests.projects.conftest import pdf_upload, xlsx_bytes

pytestmark = pytest.mark.django_db

Kind = IntersessionTask.Kind


def _create(world, actor=None, **fields):
    defaults = {
        "actor": actor or world.coordinator,
        "programme": world.programme,
        "structures": [world.ccas, world.other, world.third],
        "kind": Kind.DOCUMENT,
        "title": "Diagnostic territorial",
        "instructions": "Remplir la trame.",
        "due_on": world.today + dt.timedelta(days=10),
    }
    return task_create(**{**defaults, **fields})


def test_a_task_for_three_structures_makes_three_rows_sharing_a_batch(task_world):
    tasks = _create(task_world)

    rows = IntersessionTask.objects.order_by("structure__sort_key")
    assert rows.count() == 3
    assert {row.structure for row in rows} == {task_world.ccas, task_world.other, task_world.third}
    assert len({row.batch for row in rows}) == 1
    assert rows[0].batch == tasks[0].batch
    assert AuditEntry.objects.filter(action="projects.task_created").count() == 1


def test_the_programme_trainer_sets_tasks_and_a_referent_may_not(task_world):
    _create(task_world, actor=task_world.trainer, structures=[task_world.ccas])
    with pytest.raises(PermissionDenied):
        _create(task_world, actor=task_world.referent)
    with pytest.raises(PermissionDenied):
        _create(task_world, actor=UserFactory(role=User.Role.TRAINER))
    assert IntersessionTask.objects.count() == 1


def test_a_due_date_in_the_past_is_refused(task_world):
    with pytest.raises(ProjectsError) as error:
        _create(task_world, due_on=task_world.today - dt.timedelta(days=1))
    assert error.value.code == "due_past"
    assert not IntersessionTask.objects.exists()


def test_a_structure_outside_the_programme_is_refused(task_world):
    with pytest.raises(ProjectsError) as error:
        _create(task_world, structures=[task_world.ccas, StructureFactory(name="CCAS d'ailleurs")])
    assert error.value.code == "not_partner"
    assert not IntersessionTask.objects.exists()


def test_a_quiz_points_only_to_a_campaign_of_the_programme(task_world):
    own = make_campaign(task_world.session, make_version({"kind": "scale", "text": "Utile ?"}))
    from tests.factories import TrainingSessionFactory

    foreign = make_campaign(TrainingSessionFactory(), make_version({"kind": "scale", "text": "x"}))

    tasks = _create(task_world, kind=Kind.QUIZ, campaign=own)
    assert tasks[0].campaign == own
    with pytest.raises(ProjectsError) as error:
        _create(task_world, kind=Kind.QUIZ, campaign=foreign)
    assert error.value.code == "bad_campaign"
    with pytest.raises(ProjectsError) as error:
        _create(task_world, kind=Kind.DOCUMENT, campaign=own)
    assert error.value.code == "campaign_not_quiz"


def _action(programme, structure, title="Réunir les partenaires"):
    fiche = fiche_for(programme=programme, structure=structure)
    axis = RoadmapAxis.objects.create(fiche=fiche, position=1, title="Axe")
    return RoadmapAction.objects.create(axis=axis, position=1, title=title)


def test_a_road_map_step_is_for_one_structure_and_one_of_its_actions(task_world):
    own = _action(task_world.programme, task_world.ccas)
    theirs = _action(task_world.programme, task_world.other)

    tasks = _create(
        task_world, kind=Kind.ROADMAP_STEP, structures=[task_world.ccas], roadmap_action=own
    )
    assert tasks[0].roadmap_action == own
    for structures, action, code in (
        ([task_world.ccas, task_world.other], own, "roadmap_one_structure"),
        ([task_world.ccas], theirs, "bad_roadmap_action"),
        ([task_world.ccas], None, "roadmap_action_missing"),
    ):
        with pytest.raises(ProjectsError) as error:
            _create(
                task_world, kind=Kind.ROADMAP_STEP, structures=structures, roadmap_action=action
            )
        assert error.value.code == code
    assert IntersessionTask.objects.count() == 1


def test_moving_the_due_date_later_rearms_the_reminder(task_world):
    from django.utils import timezone

    tasks = _create(task_world)
    IntersessionTask.objects.update(reminded_at=timezone.now())
    batch = tasks[0].batch

    task_batch_update(
        actor=task_world.coordinator,
        programme=task_world.programme,
        batch=batch,
        title="Diagnostic",
        instructions="",
        due_on=tasks[0].due_on,
    )
    assert not IntersessionTask.objects.filter(reminded_at__isnull=True).exists()

    task_batch_update(
        actor=task_world.coordinator,
        programme=task_world.programme,
        batch=batch,
        title="Diagnostic",
        instructions="",
        due_on=tasks[0].due_on + dt.timedelta(days=7),
    )
    assert IntersessionTask.objects.filter(reminded_at__isnull=True).count() == 3
    assert set(IntersessionTask.objects.values_list("title", flat=True)) == {"Diagnostic"}


def test_an_overdue_task_keeps_its_date_when_its_title_is_corrected(task_world):
    tasks = _create(task_world)
    IntersessionTask.objects.update(due_on=task_world.today - dt.timedelta(days=3))
    past = task_world.today - dt.timedelta(days=3)

    task_batch_update(
        actor=task_world.coordinator,
        programme=task_world.programme,
        batch=tasks[0].batch,
        title="Corrigé",
        instructions="",
        due_on=past,
    )
    with pytest.raises(ProjectsError) as error:
        task_batch_update(
            actor=task_world.coordinator,
            programme=task_world.programme,
            batch=tasks[0].batch,
            title="Corrigé",
            instructions="",
            due_on=past - dt.timedelta(days=1),
        )
    assert error.value.code == "due_past"


def test_the_referent_marks_their_task_done_with_a_pdf(task_world, documents_dir):
    task = _create(task_world)[0]
    task = IntersessionTask.objects.get(structure=task_world.ccas)

    task_mark_done(actor=task_world.referent, task=task, note="Fait en équipe", upload=pdf_upload())

    task.refresh_from_db()
    assert task.done_at is not None
    assert task.done_by == task_world.referent
    assert task.done_note == "Fait en équipe"
    assert task.document_name == "bilan.pdf"
    assert task.document_content_type == "application/pdf"
    assert len(task.document_sha256) == 64
    assert task.document.name.startswith("intersession/")
    assert (documents_dir / task.document.name).read_bytes().startswith(b"%PDF-")


def test_a_spreadsheet_is_accepted_by_its_content(task_world, documents_dir):
    _create(task_world)
    task = IntersessionTask.objects.get(structure=task_world.ccas)

    task_mark_done(
        actor=task_world.referent, task=task, upload=pdf_upload("budget.xlsx", xlsx_bytes())
    )

    task.refresh_from_db()
    assert task.document_content_type.endswith("spreadsheetml.sheet")


def test_a_text_file_renamed_pdf_is_refused_and_nothing_is_written(task_world, documents_dir):
    _create(task_world)
    task = IntersessionTask.objects.get(structure=task_world.ccas)

    with pytest.raises(ProjectsError) as error:
        task_mark_done(
            actor=task_world.referent,
            task=task,
            note="Voici",
            upload=pdf_upload("faux.pdf", b"Ceci est un texte, pas un PDF."),
        )

    assert error.value.code == "file_type"
    assert "faux.pdf" in error.value.message
    assert "d'après son contenu" in error.value.message
    task.refresh_from_db()
    assert task.done_at is None and not task.document and task.done_note == ""
    assert not any(documents_dir.rglob("*.*"))


def test_another_structure_s_referent_may_not_mark_it_done(task_world, documents_dir):
    _create(task_world)
    task = IntersessionTask.objects.get(structure=task_world.ccas)
    with pytest.raises(PermissionDenied):
        task_mark_done(actor=task_world.other_referent, task=task)


def test_undo_while_the_programme_runs_not_after(task_world, documents_dir):
    _create(task_world)
    task = IntersessionTask.objects.get(structure=task_world.ccas)
    task_mark_done(actor=task_world.referent, task=task, upload=pdf_upload())

    task_reopen(actor=task_world.referent, task=task)
    task.refresh_from_db()
    assert task.done_at is None
    assert task.document  # kept: marking it done again may replace it

    task_mark_done(actor=task_world.referent, task=task)
    with pytest.raises(ProjectsError) as error:
        task_reopen(
            actor=task_world.referent,
            task=task,
            today=task_world.programme.end_date + dt.timedelta(days=1),
        )
    assert error.value.code == "programme_ended"

    # A coordinator may still correct it after the end.
    task_reopen(
        actor=task_world.coordinator,
        task=task,
        today=task_world.programme.end_date + dt.timedelta(days=1),
    )
    task.refresh_from_db()
    assert task.done_at is None


def test_a_due_date_after_the_programmes_end_is_refused(task_world):
    end = task_world.programme.end_date
    with pytest.raises(ProjectsError) as error:
        _create(task_world, due_on=end + dt.timedelta(days=1))
    assert error.value.code == "due_after_end"
    assert f"fin du programme, le {end:%d/%m/%Y}" in error.value.message
    tasks = _create(task_world, due_on=end)  # its last day is fine
    with pytest.raises(ProjectsError) as error:
        task_batch_update(
            actor=task_world.coordinator,
            programme=task_world.programme,
            batch=tasks[0].batch,
            title="Diagnostic",
            instructions="",
            due_on=end + dt.timedelta(days=30),
        )
    assert error.value.code == "due_after_end"


def test_a_task_done_with_a_document_is_deleted_only_when_confirmed(
    task_world, documents_dir, django_capture_on_commit_callbacks
):
    tasks = _create(task_world)
    task = IntersessionTask.objects.get(structure=task_world.ccas)
    task_mark_done(actor=task_world.referent, task=task, upload=pdf_upload())
    task.refresh_from_db()
    stored = documents_dir / task.document.name

    with pytest.raises(ProjectsError) as error:
        task_batch_delete(
            actor=task_world.coordinator, programme=task_world.programme, batch=tasks[0].batch
        )
    assert error.value.code == "has_document"
    assert IntersessionTask.objects.count() == 3

    task_delete(
        actor=task_world.coordinator,
        programme=task_world.programme,
        task=IntersessionTask.objects.get(structure=task_world.other),
    )
    assert IntersessionTask.objects.count() == 2

    with django_capture_on_commit_callbacks(execute=True):
        task_batch_delete(
            actor=task_world.coordinator,
            programme=task_world.programme,
            batch=tasks[0].batch,
            documents_confirmed=True,
        )
    assert not IntersessionTask.objects.exists()
    assert not stored.exists()
