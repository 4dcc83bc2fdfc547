"""The intersession tasks pages: the programme's list (grouped by batch) with the forms to
set, edit and delete tasks, for coordinators and the programme's trainers; a structure's
tasks, where its referent (or a coordinator, a trainer) marks one done with a comment and
a document, undoes it, and downloads the document. Out of reach: 404 (`selectors_tasks`)."""

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from formations.uploads import accepts_upload
from projects.exceptions import ProjectsError
from projects.forms_tasks import DeleteForm, DoneForm, TaskBatchForm, TaskForm
from projects.once import ALREADY_DONE
from projects.reminders_tasks import reminder_days
from projects.selectors_tasks import (
    followed_structure,
    label_tasks,
    may_set_tasks,
    programme_batch,
    programme_task,
    programme_task_batches,
    structure_task,
    structure_task_list,
    task_programme,
    unreachable_structures,
)
from projects.services_tasks import (
    already_done_message,
    max_document_bytes,
    may_reopen,
    task_batch_delete,
    task_batch_update,
    task_create,
    task_delete,
    task_mark_done,
    task_reopen,
)
from projects.validation import show_refusal


def _programme(request, programme):
    found = task_programme(user=request.user, pk=programme)
    if found is None:
        raise Http404
    return found


def _followed(request, programme, structure):
    found = followed_structure(user=request.user, programme_pk=programme, structure_pk=structure)
    if found is None:
        raise Http404
    return found


def _or_404(obj):
    if obj is None or obj == []:
        raise Http404
    return obj


def _list_url(programme, anchor: str = "") -> str:
    url = reverse("projects:task_list", args=[programme.pk])
    return f"{url}#{anchor}" if anchor else url


def _structure_url(programme, structure, anchor: str = "") -> str:
    url = reverse("projects:structure_tasks", args=[programme.pk, structure.pk])
    return f"{url}#{anchor}" if anchor else url


@require_GET
def task_list(request, programme):
    programme = _programme(request, programme)
    today = timezone.localdate()
    batches = programme_task_batches(programme=programme, today=today)
    return render(
        request,
        "projects/tasks/list.html",
        {
            "programme": programme,
            "batches": batches,
            "unreachable": unreachable_structures(batches),
            "reminder_days": reminder_days(),
        },
    )


@require_http_methods(["GET", "POST"])
def task_add(request, programme):
    programme = _programme(request, programme)
    form = TaskForm(request.POST or None, programme=programme)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            tasks = task_create(
                actor=request.user,
                programme=programme,
                structures=data["structures"],
                kind=data["kind"],
                title=data["title"],
                instructions=data["instructions"],
                due_on=data["due_on"],
                campaign=data.get("campaign"),
                roadmap_action=data.get("roadmap_action"),
                token=data["token"],
            )
        except ProjectsError as error:
            if error.code == ALREADY_DONE:
                messages.info(request, error.message)
                return redirect(_list_url(programme))
            show_refusal(form, error)
        else:
            messages.success(
                request,
                ngettext(
                    "Travail « %(title)s » fixé à %(n)s structure.",
                    "Travail « %(title)s » fixé à %(n)s structures.",
                    len(tasks),
                )
                % {"title": tasks[0].title, "n": len(tasks)},
            )
            return redirect(_list_url(programme, f"lot-{tasks[0].batch}"))
    return render(
        request,
        "projects/tasks/form.html",
        {
            "programme": programme,
            "form": form,
            "page_title": _("Fixer un travail d'intersession"),
            "cancel_url": _list_url(programme),
        },
    )


@require_http_methods(["GET", "POST"])
def task_batch_edit(request, programme, batch):
    programme = _programme(request, programme)
    tasks = _or_404(programme_batch(programme=programme, batch=batch))
    first = tasks[0]
    form = TaskBatchForm(
        request.POST or None,
        initial={"title": first.title, "instructions": first.instructions, "due_on": first.due_on},
    )
    if request.method == "POST" and form.is_valid():
        try:
            task_batch_update(
                actor=request.user, programme=programme, batch=batch, **form.cleaned_data
            )
        except ProjectsError as error:
            show_refusal(form, error)
        else:
            messages.success(request, _("Travail modifié pour toutes ses structures."))
            return redirect(_list_url(programme, f"lot-{batch}"))
    return render(
        request,
        "projects/tasks/form.html",
        {
            "programme": programme,
            "form": form,
            "page_title": _("Modifier « %(title)s »") % {"title": first.title},
            "intro": ngettext(
                "Le changement vaut pour la structure à qui ce travail est fixé.",
                "Le changement vaut pour les %(n)s structures à qui ce travail est fixé.",
                len(tasks),
            )
            % {"n": len(tasks)},
            "cancel_url": _list_url(programme, f"lot-{batch}"),
        },
    )


def _delete_page(request, programme, tasks, *, title, delete, back):
    form = DeleteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            delete(form.cleaned_data["confirm_documents"])
        except ProjectsError as error:
            show_refusal(form, error)
        else:
            messages.success(request, _("Travail supprimé."))
            return redirect(_list_url(programme))
    return render(
        request,
        "projects/tasks/delete.html",
        {
            "programme": programme,
            "form": form,
            "tasks": label_tasks(tasks, timezone.localdate()),
            "with_documents": [task for task in tasks if task.document],
            "page_title": title,
            "cancel_url": back,
        },
    )


@require_http_methods(["GET", "POST"])
def task_batch_remove(request, programme, batch):
    programme = _programme(request, programme)
    tasks = _or_404(programme_batch(programme=programme, batch=batch))
    return _delete_page(
        request,
        programme,
        tasks,
        title=_("Supprimer « %(title)s » pour toutes ses structures") % {"title": tasks[0].title},
        delete=lambda confirmed: task_batch_delete(
            actor=request.user, programme=programme, batch=batch, documents_confirmed=confirmed
        ),
        back=_list_url(programme, f"lot-{batch}"),
    )


@require_http_methods(["GET", "POST"])
def task_remove(request, programme, task):
    programme = _programme(request, programme)
    task = _or_404(programme_task(programme=programme, pk=task))
    return _delete_page(
        request,
        programme,
        [task],
        title=_("Supprimer « %(title)s » pour %(structure)s")
        % {"title": task.title, "structure": task.structure.name},
        delete=lambda confirmed: task_delete(
            actor=request.user, programme=programme, task=task, documents_confirmed=confirmed
        ),
        back=_list_url(programme, f"lot-{task.batch}"),
    )


# --- The structure's side ---------------------------------------------------------------------


@require_GET
def structure_tasks(request, programme, structure):
    programme, structure = _followed(request, programme, structure)
    today = timezone.localdate()
    return render(
        request,
        "projects/tasks/structure.html",
        {
            "programme": programme,
            "structure": structure,
            "tasks": structure_task_list(programme=programme, structure=structure, today=today),
            "can_set": may_set_tasks(user=request.user, programme=programme),
            "running": may_reopen(user=request.user, programme=programme, today=today),
        },
    )


def _structure_task(request, programme, structure, task):
    programme, structure = _followed(request, programme, structure)
    found = _or_404(structure_task(programme=programme, structure=structure, pk=task))
    return programme, structure, found


@require_http_methods(["GET", "POST"])
@accepts_upload("document")
def task_done(request, programme, structure, task):
    programme, structure, task = _structure_task(request, programme, structure, task)
    done_url = _structure_url(programme, structure, f"travail-{task.pk}")
    if request.method == "POST" and task.done_at is not None:
        # A second submit, or another person was quicker: say so rather than show the
        # form again with nothing said.
        messages.info(request, already_done_message(task))
        return redirect(done_url)
    form = DoneForm(request.POST or None, request.FILES or None, initial={"note": task.done_note})
    if request.method == "POST" and form.is_valid():
        try:
            task_mark_done(
                actor=request.user,
                task=task,
                note=form.cleaned_data["note"],
                upload=form.cleaned_data["document"],
            )
        except ProjectsError as error:
            show_refusal(form, error)
        else:
            messages.success(request, _("« %(title)s » est marqué fait.") % {"title": task.title})
            return redirect(_structure_url(programme, structure, f"travail-{task.pk}"))
    label_tasks([task], timezone.localdate())
    return render(
        request,
        "projects/tasks/done.html",
        {
            "programme": programme,
            "structure": structure,
            "task": task,
            "form": form,
            "max_size": max_document_bytes(),
            "page_title": _("Marquer fait : %(title)s") % {"title": task.title},
            "cancel_url": _structure_url(programme, structure, f"travail-{task.pk}"),
        },
    )


@require_POST
def task_undo(request, programme, structure, task):
    programme, structure, task = _structure_task(request, programme, structure, task)
    try:
        task_reopen(actor=request.user, task=task)
    except ProjectsError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("« %(title)s » est de nouveau à faire.") % {"title": task.title}
        )
    return redirect(_structure_url(programme, structure, f"travail-{task.pk}"))


@require_GET
def task_document(request, programme, structure, task):
    """The document as deposited, from the private documents storage."""
    programme, structure, task = _structure_task(request, programme, structure, task)
    if not task.document:
        raise Http404
    try:
        handle = task.document.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404(_("Fichier introuvable.")) from None
    response = FileResponse(
        handle,
        content_type=task.document_content_type or "application/octet-stream",
        as_attachment=True,
        filename=task.document_name or task.document.name.rsplit("/", 1)[-1],
    )
    patch_cache_control(response, private=True, no_store=True)
    return response
