"""The journal de bord: the participant's own pages in their space (`/mon-espace/journal/`:
write, edit, delete, share) and the page where the programme's trainers read what was
shared with them. See `projects.selectors_journal` for who reads what."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from formations import space
from formations.selectors import programmes_visible_to
from projects import selectors_journal as selectors
from projects import services_journal as services
from projects.exceptions import ProjectsError
from projects.forms_journal import JournalEntryForm
from projects.once import ALREADY_DONE
from projects.validation import show_refusal


def _journal_url(programme) -> str:
    return f"{reverse('projects:journal')}?programme={programme.pk}"


@space.participant_required
def journal(request):
    """The entries of one of the participant's logbook programmes (`?programme=`, the most
    recent programme by default) and the form to write a new one."""
    participant = request.participant
    programmes = selectors.own_entry_counts(participant=participant)
    if not programmes:
        raise Http404
    wanted = request.POST.get("programme") or request.GET.get("programme")
    programme = next((p for p in programmes if str(p.pk) == wanted), None)
    if wanted and programme is None:
        raise Http404
    programme = programme or programmes[0]
    form = JournalEntryForm(request.POST or None, initial={"written_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.journal_entry_create(
                actor=participant, participant=participant, programme=programme, **form.cleaned_data
            )
        except ProjectsError as exc:
            if exc.code == ALREADY_DONE:
                messages.info(request, exc.message)
                return redirect(_journal_url(programme))
            show_refusal(form, exc)
        else:
            messages.success(
                request, _("Votre entrée est enregistrée. Elle n'est visible que de vous.")
            )
            return redirect(_journal_url(programme))
    return render(
        request,
        "projects/journal/journal.html",
        {
            "programme": programme,
            "programmes": programmes,
            "entries": selectors.own_entries(participant=participant, programme=programme),
            "form": form,
        },
    )


@space.participant_required
def journal_edit(request, entry):
    participant = request.participant
    entry = selectors.own_entry(participant=participant, pk=entry)
    form = JournalEntryForm(
        request.POST or None,
        initial={"written_on": entry.written_on, "title": entry.title, "body": entry.body},
    )
    if request.method == "POST" and form.is_valid():
        try:
            data = {k: v for k, v in form.cleaned_data.items() if k != "token"}
            services.journal_entry_update(actor=participant, entry=entry, **data)
        except ProjectsError as exc:
            show_refusal(form, exc)
        else:
            messages.success(request, _("Votre entrée est modifiée."))
            return redirect(_journal_url(entry.programme))
    return render(
        request,
        "projects/journal/edit.html",
        {"entry": entry, "form": form, "cancel_url": _journal_url(entry.programme)},
    )


@space.participant_required
def journal_delete(request, entry):
    participant = request.participant
    entry = selectors.own_entry(participant=participant, pk=entry)
    back = _journal_url(entry.programme)
    if request.method == "POST":
        services.journal_entry_delete(actor=participant, entry=entry)
        messages.success(request, _("L'entrée est supprimée."))
        return redirect(back)
    return render(request, "projects/journal/delete.html", {"entry": entry, "cancel_url": back})


@require_POST
@space.participant_required
def journal_share(request, entry):
    participant = request.participant
    entry = selectors.own_entry(participant=participant, pk=entry)
    shared = request.POST.get("shared") == "1"
    services.journal_entry_share(actor=participant, entry=entry, shared=shared)
    if shared:
        messages.success(request, _("L'entrée est partagée avec les formateur·rices du programme."))
    else:
        messages.success(
            request, _("L'entrée n'est plus partagée : elle n'est visible que de vous.")
        )
    return redirect(f"{_journal_url(entry.programme)}#entree-{entry.pk}")


HEAD_CHARS = 500
HEAD_LINES = 6


def split_long_text(text: str) -> tuple[str, str]:
    """A long entry's first lines and the rest (shown on demand, « Lire la suite »);
    a short one whole, with no rest. Cut at a line end or a space, never inside a word."""
    lines = text.split("\n")
    if len(text) <= HEAD_CHARS * 1.3 and len(lines) <= HEAD_LINES + 2:
        return text, ""
    head = "\n".join(lines[:HEAD_LINES])
    if len(head) > HEAD_CHARS:
        cut = head.rfind(" ", 0, HEAD_CHARS)
        head = head[: cut if cut > 0 else HEAD_CHARS]
    return head.rstrip(), text[len(head) :].strip()


def shared_journal(request, programme):
    """The entries shared with the programme's trainers. Anybody else, coordinators
    included, gets 404: the journal is private to its authors and the trainers they chose."""
    programme = get_object_or_404(programmes_visible_to(user=request.user), pk=programme)
    if not selectors.can_read_shared(user=request.user, programme=programme):
        raise Http404
    entries = list(selectors.shared_entries(user=request.user, programme=programme))
    people = []
    for entry in entries:
        entry.head, entry.rest = split_long_text(entry.body)
        if not people or people[-1]["participant"].pk != entry.participant_id:
            people.append({"participant": entry.participant, "entries": []})
        people[-1]["entries"].append(entry)
    return render(
        request,
        "projects/journal/shared.html",
        {"programme": programme, "people": people, "entry_count": len(entries)},
    )
