"""Writing intersession tasks (seed 003, phase 3: « des outils et des objectifs de travail
seront transmis pour que chaque équipe projet puisse poursuivre le travail au sein de son
CCAS »).

* Setting: `task_create` (one row per structure, sharing a `batch`), `task_batch_update`,
  `task_batch_delete`, `task_delete`: coordinators and the programme's trainers.
* The structure's side: `task_mark_done` (comment, document checked by its content) and
  `task_reopen`: the structure's referent, coordinators and the programme's trainers.

Every write checks its actor (`PermissionDenied`), runs in a transaction, logs to the
audit journal and refuses with `ProjectsError` (codes below on each function). `actor=None`
is a management command or the demo.
"""

import datetime as dt
import hashlib
import uuid

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from evaluations.models import Campaign
from formations.audit import log_action
from formations.filetypes import (
    EXTENSIONS,
    OFFICE_AND_IMAGE_TYPES,
    UploadTooLarge,
    document_content_type,
    upload_bytes,
)
from formations.french import de_structure, size_label
from formations.models import Programme, Structure
from formations.permissions import can_manage
from formations.storage import documents_storage
from projects.exceptions import ProjectsError
from projects.models import TASK_DOCUMENTS_FOLDER, IntersessionTask, RoadmapAction
from projects.once import first_submit
from projects.selectors import partner_structures
from projects.selectors_tasks import (
    may_follow_structure,
    may_set_tasks,
)
from projects.validation import clean_or_refuse

Kind = IntersessionTask.Kind


def max_document_bytes() -> int:
    return int(getattr(settings, "SUIVI_MAX_UPLOAD_BYTES", 10 * 1024 * 1024))


def _ensure_can_set(actor, programme: Programme) -> None:
    if actor is not None and not may_set_tasks(user=actor, programme=programme):
        raise PermissionDenied


def _ensure_can_follow(actor, task: IntersessionTask) -> None:
    if actor is not None and not may_follow_structure(
        user=actor, programme=task.programme, structure=task.structure
    ):
        raise PermissionDenied


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def _check_due(due_on: dt.date | None, today: dt.date, programme: Programme) -> None:
    if due_on is None:
        raise ProjectsError(
            _("Indiquez la date à laquelle le travail est à rendre."),
            code="due_missing",
            field="due_on",
        )
    if programme.end_date and due_on > programme.end_date:
        raise ProjectsError(
            _(
                "La date à rendre (%(date)s) est après la fin du programme, le %(end)s : "
                "choisissez une date d'ici là."
            )
            % {"date": f"{due_on:%d/%m/%Y}", "end": f"{programme.end_date:%d/%m/%Y}"},
            code="due_after_end",
            field="due_on",
        )
    if due_on < today:
        raise ProjectsError(
            _(
                "La date à rendre (%(date)s) est passée : choisissez aujourd'hui ou une date "
                "à venir."
            )
            % {"date": f"{due_on:%d/%m/%Y}"},
            code="due_past",
            field="due_on",
        )


def _check_links(
    *,
    programme: Programme,
    structures: list[Structure],
    kind: str,
    campaign: Campaign | None,
    roadmap_action: RoadmapAction | None,
) -> None:
    if campaign is not None:
        if kind != Kind.QUIZ:
            raise ProjectsError(
                _("Seul un travail de type « quiz » renvoie à une évaluation."),
                code="campaign_not_quiz",
                field="campaign",
            )
        if campaign.formation.programme_id != programme.pk or campaign.cancelled_at:
            raise ProjectsError(
                _("Cette évaluation n'est pas proposée dans une formation de ce programme."),
                code="bad_campaign",
                field="campaign",
            )
    if kind == Kind.ROADMAP_STEP:
        if len(structures) != 1:
            raise ProjectsError(
                _(
                    "Une étape de la feuille de route concerne une seule structure : cochez "
                    "uniquement celle dont la feuille de route porte cette étape."
                ),
                code="roadmap_one_structure",
                field="structures",
            )
        if roadmap_action is None:
            raise ProjectsError(
                _("Choisissez l'étape de la feuille de route de la structure."),
                code="roadmap_action_missing",
                field="roadmap_action",
            )
        fiche = roadmap_action.axis.fiche
        if fiche.programme_id != programme.pk or fiche.structure_id != structures[0].pk:
            raise ProjectsError(
                _(
                    "Cette étape appartient à la feuille de route d'une autre structure "
                    "(%(other)s) : choisissez une étape %(of_structure)s."
                )
                % {"other": fiche.structure.name, "of_structure": de_structure(structures[0].name)},
                code="bad_roadmap_action",
                field="roadmap_action",
            )
    elif roadmap_action is not None:
        raise ProjectsError(
            _("Seul un travail de type « étape de la feuille de route » renvoie à une étape."),
            code="roadmap_action_not_step",
            field="roadmap_action",
        )


@transaction.atomic
def task_create(
    *,
    actor,
    programme: Programme,
    structures,
    kind: str,
    title: str,
    due_on: dt.date,
    instructions: str = "",
    campaign: Campaign | None = None,
    roadmap_action: RoadmapAction | None = None,
    today: dt.date | None = None,
    token: str = "",
) -> list[IntersessionTask]:
    """Sets one task for each of `structures` (partner structures of the programme), all
    sharing one `batch`. Journal `projects.task_created`. Codes: `no_structure`,
    `not_partner`, `due_missing`, `due_past`, `due_after_end`, `campaign_not_quiz`, `bad_campaign`,
    `roadmap_one_structure`, `roadmap_action_missing`, `bad_roadmap_action`,
    `roadmap_action_not_step`, `invalid`, `already_done` (the same form posted again:
    `token`, see `projects.once`)."""
    _ensure_can_set(actor, programme)
    first_submit(lock=programme, action="projects.task_created", token=token)
    today = today or timezone.localdate()
    structures = list(structures)
    if not structures:
        raise ProjectsError(
            _("Cochez au moins une structure."), code="no_structure", field="structures"
        )
    partners = set(
        partner_structures(programme=programme)
        .filter(pk__in=[s.pk for s in structures])
        .values_list("pk", flat=True)
    )
    outsiders = [s.name for s in structures if s.pk not in partners]
    if outsiders:
        raise ProjectsError(
            _("« %(structure)s » n'est pas une structure partenaire de ce programme.")
            % {"structure": outsiders[0]},
            code="not_partner",
            field="structures",
        )
    _check_due(due_on, today, programme)
    _check_links(
        programme=programme,
        structures=structures,
        kind=kind,
        campaign=campaign,
        roadmap_action=roadmap_action,
    )
    batch = uuid.uuid4()
    tasks = []
    for structure in structures:
        task = IntersessionTask(
            programme=programme,
            structure=structure,
            batch=batch,
            kind=kind,
            title=title.strip(),
            instructions=instructions.strip(),
            due_on=due_on,
            campaign=campaign,
            roadmap_action=roadmap_action,
            created_by=_user(actor),
        )
        clean_or_refuse(task, exclude=["batch"])
        tasks.append(task)
    IntersessionTask.objects.bulk_create(tasks)
    log_action(
        actor=actor,
        action="projects.task_created",
        obj=programme,
        summary=ngettext(
            "Travail d'intersession « %(title)s » fixé à %(n)s structure, à rendre le %(date)s",
            "Travail d'intersession « %(title)s » fixé à %(n)s structures, à rendre le %(date)s",
            len(tasks),
        )
        % {"title": title.strip(), "n": len(tasks), "date": f"{due_on:%d/%m/%Y}"},
        data={
            "batch": str(batch),
            "kind": kind,
            "structures": [s.pk for s in structures],
            "token": token,
        },
    )
    return tasks


def _locked_batch(programme: Programme, batch) -> list[IntersessionTask]:
    tasks = list(
        IntersessionTask.objects.select_for_update()
        .filter(programme=programme, batch=batch)
        .order_by("pk")
    )
    if not tasks:
        raise ProjectsError(
            _("Ce travail n'existe plus (il a peut-être été supprimé entre-temps)."),
            code="not_found",
        )
    return tasks


@transaction.atomic
def task_batch_update(
    *,
    actor,
    programme: Programme,
    batch,
    title: str,
    instructions: str,
    due_on: dt.date,
    today: dt.date | None = None,
) -> list[IntersessionTask]:
    """Changes the title, instructions and due date of every task of a batch. A due date
    moved later re-arms the reminder of the open tasks (`reminded_at` cleared), so that
    the referents are reminded before the new date. A new due date may not be past (an
    unchanged one may: an overdue task's title can still be corrected). Journal
    `projects.task_updated`. Codes: `not_found`, `due_missing`, `due_past`, `invalid`."""
    _ensure_can_set(actor, programme)
    today = today or timezone.localdate()
    tasks = _locked_batch(programme, batch)
    old_due = tasks[0].due_on
    if due_on != old_due:
        _check_due(due_on, today, programme)
    later = due_on is not None and due_on > old_due
    for task in tasks:
        task.title = title.strip()
        task.instructions = instructions.strip()
        task.due_on = due_on
        if later and task.done_at is None:
            task.reminded_at = None
        clean_or_refuse(task, exclude=["batch"])
    IntersessionTask.objects.bulk_update(tasks, ["title", "instructions", "due_on", "reminded_at"])
    log_action(
        actor=actor,
        action="projects.task_updated",
        obj=programme,
        summary=_("Travail d'intersession « %(title)s » modifié, à rendre le %(date)s")
        % {"title": title.strip(), "date": f"{due_on:%d/%m/%Y}"},
        data={
            "batch": str(batch),
            "due_before": old_due.isoformat(),
            "due_after": due_on.isoformat(),
            "reminder_rearmed": later,
        },
    )
    return tasks


def _documents_refusal(tasks: list[IntersessionTask]) -> None:
    with_document = [task for task in tasks if task.document]
    raise ProjectsError(
        ngettext(
            "%(n)s structure a déposé un document pour ce travail : confirmez que ce "
            "document sera supprimé avec le travail.",
            "%(n)s structures ont déposé un document pour ce travail : confirmez que ces "
            "documents seront supprimés avec le travail.",
            len(with_document),
        )
        % {"n": len(with_document)},
        code="has_document",
        field="confirm_documents",
    )


def _delete(actor, programme: Programme, tasks: list[IntersessionTask], documents_confirmed: bool):
    if any(task.document for task in tasks) and not documents_confirmed:
        _documents_refusal(tasks)
    files = [task.document.name for task in tasks if task.document]
    IntersessionTask.objects.filter(pk__in=[task.pk for task in tasks]).delete()
    log_action(
        actor=actor,
        action="projects.task_deleted",
        obj=programme,
        summary=ngettext(
            "Travail d'intersession « %(title)s » supprimé pour %(n)s structure",
            "Travail d'intersession « %(title)s » supprimé pour %(n)s structures",
            len(tasks),
        )
        % {"title": tasks[0].title, "n": len(tasks)},
        data={
            "batch": str(tasks[0].batch),
            "structures": [task.structure_id for task in tasks],
            "done": sum(1 for task in tasks if task.done_at),
            "documents": [task.document_name for task in tasks if task.document],
        },
    )
    # The files go once the rows are gone for good (a rollback keeps both).
    storage = documents_storage()
    transaction.on_commit(lambda: [storage.delete(name) for name in files], robust=True)


@transaction.atomic
def task_batch_delete(
    *, actor, programme: Programme, batch, documents_confirmed: bool = False
) -> int:
    """Deletes the task of every structure of a batch. Tasks done with a document are
    deleted, and their documents with them, only with `documents_confirmed`. Journal
    `projects.task_deleted`. Codes: `not_found`, `has_document`."""
    _ensure_can_set(actor, programme)
    tasks = _locked_batch(programme, batch)
    _delete(actor, programme, tasks, documents_confirmed)
    return len(tasks)


@transaction.atomic
def task_delete(
    *, actor, programme: Programme, task: IntersessionTask, documents_confirmed: bool = False
) -> None:
    """Deletes one structure's task (the others of its batch stay). Codes: `not_found`,
    `has_document`."""
    _ensure_can_set(actor, programme)
    locked = list(
        IntersessionTask.objects.select_for_update().filter(programme=programme, pk=task.pk)
    )
    if not locked:
        raise ProjectsError(_("Ce travail n'existe plus."), code="not_found")
    _delete(actor, programme, locked, documents_confirmed)


# --- The structure's side ---------------------------------------------------------------------


def _file_name(upload) -> str:
    return ((getattr(upload, "name", "") or "").replace("\\", "/").rsplit("/", 1)[-1])[-255:]


def read_task_document(upload) -> tuple[bytes, str]:
    """The bytes and content type of an uploaded document: PDF, JPEG, PNG, DOCX, ODT,
    XLSX, ODS, PPTX or ODP by its content (never by its name), at most
    `SUIVI_MAX_UPLOAD_BYTES`. Codes: `file_too_large`, `file_empty`, `file_type`."""
    limit = max_document_bytes()
    try:
        content = upload_bytes(upload, limit=limit)
    except UploadTooLarge:
        raise ProjectsError(
            _(
                "Le fichier dépasse la taille maximale autorisée (%(max)s) : rien n'a été "
                "enregistré."
            )
            % {"max": size_label(limit)},
            code="file_too_large",
            field="document",
        ) from None
    if not content:
        raise ProjectsError(
            _("Le fichier « %(name)s » est vide : rien n'a été enregistré.")
            % {"name": _file_name(upload)},
            code="file_empty",
            field="document",
        )
    content_type = document_content_type(content, allowed=OFFICE_AND_IMAGE_TYPES)
    if content_type is None:
        raise ProjectsError(
            _(
                "Le fichier « %(name)s » n'est pas, d'après son contenu (quelle que soit son "
                "extension), un PDF, une image JPEG ou PNG, ni un document de bureautique "
                "(ODT, DOCX, ODS, XLSX, ODP, PPTX) : rien n'a été enregistré. Enregistrez-le "
                "dans l'un de ces formats, puis déposez-le à nouveau."
            )
            % {"name": _file_name(upload)},
            code="file_type",
            field="document",
        )
    return content, content_type


def _lock_task(task: IntersessionTask) -> IntersessionTask:
    locked = (
        IntersessionTask.objects.select_for_update()
        .filter(pk=task.pk, programme_id=task.programme_id, structure_id=task.structure_id)
        .first()
    )
    if locked is None:
        raise ProjectsError(_("Ce travail n'existe plus."), code="not_found")
    locked.programme = task.programme
    locked.structure = task.structure
    return locked


def already_done_message(task: IntersessionTask) -> str:
    return _("Ce travail est déjà marqué fait (le %(date)s).") % {
        "date": f"{timezone.localtime(task.done_at):%d/%m/%Y}"
    }


@transaction.atomic
def task_mark_done(
    *, actor, task: IntersessionTask, note: str = "", upload=None, now=None
) -> IntersessionTask:
    """Marks a task done, with an optional comment and an optional document kept in the
    private documents storage (with its SHA-256; a new document replaces an earlier one).
    Journal `projects.task_done`. Codes: `not_found`, `already_done`, `file_…`; nothing is
    written on a refusal."""
    _ensure_can_follow(actor, task)
    task = _lock_task(task)
    if task.done_at is not None:
        raise ProjectsError(already_done_message(task), code="already_done")
    content = content_type = None
    if upload is not None:
        content, content_type = read_task_document(upload)
    replaced = task.document.name if task.document else ""
    task.done_at = now or timezone.now()
    task.done_by = _user(actor)
    task.done_note = note.strip()
    if content is not None:
        task.document = ContentFile(content, name=f"{uuid.uuid4().hex}.{EXTENSIONS[content_type]}")
        task.document_name = _file_name(upload)
        task.document_sha256 = hashlib.sha256(content).hexdigest()
        task.document_size = len(content)
        task.document_content_type = content_type
    clean_or_refuse(task, exclude=["batch"])
    stored = ""
    try:
        task.save()
        stored = task.document.name if content is not None else ""
        log_action(
            actor=actor,
            action="projects.task_done",
            obj=task.structure,
            summary=_("Travail d'intersession « %(title)s » marqué fait — %(structure)s")
            % {"title": task.title, "structure": task.structure.name},
            data={
                "task": task.pk,
                "programme": task.programme_id,
                "document": task.document_name if content is not None else "",
                "sha256": task.document_sha256 if content is not None else "",
            },
        )
    except Exception:
        if stored and stored.startswith(f"{TASK_DOCUMENTS_FOLDER}/"):
            documents_storage().delete(stored)
        raise
    if stored and replaced and replaced != stored:
        # The earlier document goes once the new one is recorded for good.
        storage = documents_storage()
        transaction.on_commit(lambda: storage.delete(replaced), robust=True)
    return task


def programme_running(programme: Programme, today: dt.date) -> bool:
    return today <= programme.end_date


def may_reopen(*, user, programme: Programme, today: dt.date) -> bool:
    """Undoing « fait »: coordinators always may (a correction after the end); the
    structure's referent and the trainers while the programme runs."""
    return user is None or can_manage(user) or programme_running(programme, today)


@transaction.atomic
def task_reopen(*, actor, task: IntersessionTask, today: dt.date | None = None) -> IntersessionTask:
    """Undoes « fait »: a coordinator at any time, the others while the programme is
    running (its end date not passed); the comment and the document are kept (marking it
    done again may replace the document).
    Journal `projects.task_reopened`. Codes: `not_found`, `not_done`, `programme_ended`."""
    _ensure_can_follow(actor, task)
    today = today or timezone.localdate()
    task = _lock_task(task)
    if task.done_at is None:
        raise ProjectsError(_("Ce travail n'est pas marqué fait."), code="not_done")
    if not may_reopen(user=actor, programme=task.programme, today=today):
        raise ProjectsError(
            _("Le programme est terminé (le %(date)s) : un travail fait ne peut plus être rouvert.")
            % {"date": f"{task.programme.end_date:%d/%m/%Y}"},
            code="programme_ended",
        )
    task.done_at = None
    task.done_by = None
    task.save(update_fields=["done_at", "done_by"])
    log_action(
        actor=actor,
        action="projects.task_reopened",
        obj=task.structure,
        summary=_("Travail d'intersession « %(title)s » remis à faire — %(structure)s")
        % {"title": task.title, "structure": task.structure.name},
        data={"task": task.pk, "programme": task.programme_id},
    )
    return task
