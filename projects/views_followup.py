"""Pages of the follow-up of the structures (part B): the programme's overview, one
structure's log (entries, sessions, messages), writing, answering and deleting entries,
and the reminder sent to the structures chosen on the overview. Thin: the reads are in
`selectors_followup`, the writes in `services_followup`."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from formations.selectors import programmes_visible_to
from projects.exceptions import ProjectsError
from projects.forms_followup import AnswerForm, EntryForm, OverviewFilterForm, ReminderForm
from projects.models import FollowUpEntry
from projects.once import ALREADY_DONE, new_token
from projects.selectors_followup import (
    can_read_follow_up,
    can_write_follow_up,
    follow_up_entries,
    follow_up_overview,
    follow_up_structures,
    local_time,
    reminder_draft,
    reminder_recipients,
    silence_days_default,
    structure_log,
)
from projects.services_followup import (
    follow_up_add,
    follow_up_answer,
    follow_up_delete,
    follow_up_remind,
    follow_up_update,
)
from projects.validation import show_refusal


def _programme(request, pk):
    """Out of reach, or a referent (the log is the provider's record): 404."""
    programme = get_object_or_404(programmes_visible_to(user=request.user), pk=pk)
    if not can_read_follow_up(user=request.user, programme=programme):
        raise Http404
    return programme


def _structure(request, programme, pk):
    return get_object_or_404(follow_up_structures(programme=programme, user=request.user), pk=pk)


def _writer(request, programme):
    """In reach but read-only (the programme's funders' auditors): 403."""
    if not can_write_follow_up(user=request.user, programme=programme):
        raise PermissionDenied


def _entry(programme, structure, pk) -> FollowUpEntry:
    return get_object_or_404(follow_up_entries(programme=programme, structure=structure), pk=pk)


def _log_url(programme, structure, anchor: str = "") -> str:
    url = reverse("projects:follow_up_log", args=[programme.pk, structure.pk])
    return f"{url}#{anchor}" if anchor else url


def _entry_fields(form) -> dict:
    data = form.cleaned_data
    return {
        "occurred_on": data["occurred_on"],
        "kind": data["kind"],
        "channel": data["channel"],
        "summary": data["summary"],
        "answer": data.get("answer") or "",
        "answered_on": data.get("answered_on"),
    }


# --------------------------------------------------------------------------- overview


@require_GET
def follow_up(request, programme):
    programme = _programme(request, programme)
    filters = OverviewFilterForm(request.GET or None)
    default_days = silence_days_default()
    days, silent_only, nobody_only = default_days, False, False
    if filters.is_valid():
        days = filters.cleaned_data["days"] or default_days
        silent_only = filters.cleaned_data["silent"]
        nobody_only = filters.cleaned_data["nobody_next"]
    overview = follow_up_overview(programme=programme, user=request.user, silence_days=days)
    rows = overview.rows
    if silent_only:
        rows = [row for row in rows if row.silent_for(days)]
    if nobody_only and overview.next_session is not None:
        rows = [row for row in rows if not row.enrolled_next]
    return render(
        request,
        "projects/follow_up.html",
        {
            "programme": programme,
            "overview": overview,
            "next_start": local_time(
                overview.next_session.first_start, overview.next_session.time_zone
            )
            if overview.next_session
            else None,
            "rows": rows,
            "filters": filters,
            "days": days,
            "filtered": silent_only or nobody_only,
            "can_write": can_write_follow_up(user=request.user, programme=programme),
        },
    )


# --------------------------------------------------------------------------- the log


@require_http_methods(["GET", "POST"])
def follow_up_log(request, programme, structure):
    programme = _programme(request, programme)
    structure = _structure(request, programme, structure)
    can_write = can_write_follow_up(user=request.user, programme=programme)
    form = None
    if request.method == "POST":
        _writer(request, programme)
        form = EntryForm(request.POST)
        if form.is_valid():
            try:
                entry = follow_up_add(
                    actor=request.user,
                    programme=programme,
                    structure=structure,
                    **_entry_fields(form),
                    token=form.cleaned_data["token"],
                )
            except ProjectsError as error:
                if error.code == ALREADY_DONE:
                    messages.info(request, error.message)
                    return redirect(_log_url(programme, structure))
                show_refusal(form, error)
            else:
                messages.success(request, _("Entrée ajoutée au suivi."))
                return redirect(_log_url(programme, structure, f"entree-{entry.pk}"))
    elif can_write:
        form = EntryForm()
    return render(
        request,
        "projects/follow_up_log.html",
        {
            "programme": programme,
            "structure": structure,
            "log": structure_log(programme=programme, structure=structure),
            "form": form,
            "can_write": can_write,
            "user_id": request.user.pk,
        },
    )


@require_http_methods(["GET", "POST"])
def follow_up_entry_edit(request, programme, structure, entry):
    programme = _programme(request, programme)
    structure = _structure(request, programme, structure)
    _writer(request, programme)
    entry = _entry(programme, structure, entry)
    if entry.author_id != request.user.pk:
        raise PermissionDenied
    form = EntryForm(request.POST or None, entry=entry)
    if request.method == "POST" and form.is_valid():
        try:
            follow_up_update(actor=request.user, entry=entry, **_entry_fields(form))
        except ProjectsError as error:
            show_refusal(form, error)
        else:
            messages.success(request, _("Entrée modifiée."))
            return redirect(_log_url(programme, structure, f"entree-{entry.pk}"))
    return render(
        request,
        "projects/follow_up_form.html",
        {
            "programme": programme,
            "structure": structure,
            "form": form,
            "page_title": _("Modifier l'entrée du %(date)s")
            % {"date": date_format(entry.occurred_on, "j F Y")},
            "cancel_url": _log_url(programme, structure, f"entree-{entry.pk}"),
        },
    )


@require_http_methods(["GET", "POST"])
def follow_up_entry_delete(request, programme, structure, entry):
    programme = _programme(request, programme)
    structure = _structure(request, programme, structure)
    _writer(request, programme)
    entry = _entry(programme, structure, entry)
    if entry.author_id != request.user.pk:
        raise PermissionDenied
    error = None
    if request.method == "POST":
        try:
            follow_up_delete(actor=request.user, entry=entry)
        except ProjectsError as refused:
            error = refused.message
        else:
            messages.success(request, _("Entrée supprimée du suivi."))
            return redirect(_log_url(programme, structure))
    return render(
        request,
        "projects/follow_up_delete.html",
        {
            "programme": programme,
            "structure": structure,
            "entry": entry,
            "error": error,
            "cancel_url": _log_url(programme, structure, f"entree-{entry.pk}"),
        },
    )


@require_http_methods(["GET", "POST"])
def follow_up_entry_answer(request, programme, structure, entry):
    programme = _programme(request, programme)
    structure = _structure(request, programme, structure)
    _writer(request, programme)
    entry = _entry(programme, structure, entry)
    if entry.kind != FollowUpEntry.Kind.QUESTION:
        raise Http404
    form = AnswerForm(
        request.POST or None,
        initial={"answer": entry.answer, "answered_on": entry.answered_on or timezone.localdate()},
    )
    if request.method == "POST" and form.is_valid():
        try:
            follow_up_answer(
                actor=request.user,
                entry=entry,
                answer=form.cleaned_data["answer"],
                answered_on=form.cleaned_data["answered_on"],
            )
        except ProjectsError as error:
            show_refusal(form, error)
        else:
            messages.success(request, _("Réponse enregistrée."))
            return redirect(_log_url(programme, structure, f"entree-{entry.pk}"))
    return render(
        request,
        "projects/follow_up_form.html",
        {
            "programme": programme,
            "structure": structure,
            "form": form,
            "question": entry,
            "page_title": _("Répondre à la question du %(date)s")
            % {"date": date_format(entry.occurred_on, "j F Y")},
            "cancel_url": _log_url(programme, structure, f"entree-{entry.pk}"),
        },
    )


# --------------------------------------------------------------------------- reminder


@require_http_methods(["GET", "POST"])
def follow_up_remind_view(request, programme):
    programme = _programme(request, programme)
    _writer(request, programme)
    source = request.POST if request.method == "POST" else request.GET
    allowed = follow_up_structures(programme=programme, user=request.user)
    wanted = []
    for value in source.getlist("structure"):
        try:
            wanted.append(int(value))
        except ValueError:
            continue
    structures = list(allowed.filter(pk__in=wanted))
    overview_url = reverse("projects:follow_up", args=[programme.pk])
    if not structures:
        messages.error(request, _("Cochez au moins une structure à relancer."))
        return redirect(overview_url)
    targets = reminder_recipients(programme=programme, structures=structures)
    ids = [structure.pk for structure in structures]
    if request.method == "POST":
        form = ReminderForm(request.POST, structure_ids=ids)
        if form.is_valid():
            try:
                sent = follow_up_remind(
                    actor=request.user,
                    programme=programme,
                    structures=structures,
                    subject=form.cleaned_data["subject"],
                    body=form.cleaned_data["body"],
                    token=form.cleaned_data["token"],
                )
            except ProjectsError as error:
                if error.code == "already_sent":
                    messages.info(request, error.message)
                    return redirect(overview_url)
                form.add_error(None, error.message)
            else:
                messages.success(
                    request,
                    ngettext(
                        "Relance mise dans la file d'envoi : %(count)s message.",
                        "Relance mise dans la file d'envoi : %(count)s messages.",
                        len(sent.messages),
                    )
                    % {"count": len(sent.messages)},
                )
                return redirect(overview_url)
    else:
        subject, body = reminder_draft(programme=programme, author=request.user)
        form = ReminderForm(
            initial={
                "subject": subject,
                "body": body,
                "token": new_token(),
                "structure": ids,
            },
            structure_ids=ids,
        )
    return render(
        request,
        "projects/follow_up_remind.html",
        {
            "programme": programme,
            "form": form,
            "targets": targets,
            "nobody": [target for target in targets if not target.recipients],
            "anybody": any(target.recipients for target in targets),
            "cancel_url": overview_url,
        },
    )
