"""The expected deliverables' pages of a formation: the list with every due item and its
versions, the definition form, the upload of a version, the funder's decision, the
diffusion, the download of a version or of the funder's message. A formation out of the
user's reach (a trainer, a referent, an auditor of another funder) is 404; the
formation's funder's auditor on a coordinator's page is 403 (in reach, read-only: their
one write is the decision), as on the formation's other write pages."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Max
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from formations.permissions import can_manage, is_funder_auditor
from formations.uploads import accepts_upload
from livrables.exceptions import LivrablesError
from livrables.forms_deliverables import DecisionForm, DeliverableForm, DiffuseForm, VersionForm
from livrables.models_deliverables import DeliverableStatus, DeliverableVersion
from livrables.selectors_deliverables import (
    deliverable_formations_for,
    formation_deliverable,
    formation_deliverables,
    formation_due,
    formation_version,
    may_decide,
    may_edit_deliverables,
)
from livrables.services_deliverables import (
    auditor_funders,
    changes_summary,
    deliverable_create,
    deliverable_delete,
    deliverable_regenerate,
    deliverable_update,
    no_new_version_reason,
    prefetched_schedule_changes,
    schedule_changes,
    version_decide,
    version_diffuse,
    version_submit,
)

Status = DeliverableStatus


def _formation(request, pk):
    return get_object_or_404(deliverable_formations_for(user=request.user), pk=pk)


def _editable_formation(request, pk):
    """Out of reach: 404, as everywhere. In reach but read-only (the formation's funder's
    auditor, who may only decide): 403, as the other write pages of a formation."""
    formation = _formation(request, pk)
    if not may_edit_deliverables(request.user):
        raise PermissionDenied
    return formation


def _list_url(formation, anchor: str = "") -> str:
    url = reverse("livrables:deliverable_list", args=[formation.pk])
    return f"{url}#{anchor}" if anchor else url


def _or_404(obj):
    if obj is None:
        raise Http404
    return obj


def _out_of_schedule(deliverable, formation) -> bool:
    """Whether the due items no longer follow the rhythm over the execution period (its
    dates were changed since): the page offers to recalculate them. No query (the due
    items are prefetched)."""
    deliverable.formation = formation
    try:
        return not prefetched_schedule_changes(deliverable).empty
    except LivrablesError:
        return False


@require_GET
def deliverable_list(request, pk):
    formation = _formation(request, pk)
    today = timezone.localdate()
    user = request.user
    deliverables = formation_deliverables(formation=formation)
    for deliverable in deliverables:
        deliverable.out_of_schedule = _out_of_schedule(deliverable, formation)
        for due in deliverable.dues.all():
            versions = list(due.versions.all())
            due.latest = versions[-1] if versions else None
            due.versions_list = versions
            due.state = due.state_label(today)
            due.late = due.is_late(today)
            due.can_upload = may_edit_deliverables(user) and due.status not in (
                Status.VALIDATED,
                Status.DIFFUSED,
            )
            due.can_decide = may_decide(user) and due.status == Status.SUBMITTED
            due.can_diffuse = may_edit_deliverables(user) and due.status == Status.VALIDATED
    return render(
        request,
        "livrables/deliverables/list.html",
        {
            "formation": formation,
            "deliverables": deliverables,
            "can_edit": may_edit_deliverables(user),
            "is_auditor": is_funder_auditor(user),
            "today": today,
        },
    )


def _definition_field(error: LivrablesError) -> str | None:
    return {
        "outside_execution": "given_dates",
        "no_dates": "given_dates",
        "duplicate_title": "title",
    }.get(error.code)


def _definition_page(request, formation, form, title, deliverable=None):
    return render(
        request,
        "livrables/deliverables/form.html",
        {
            "formation": formation,
            "form": form,
            "page_title": title,
            "cancel_url": _list_url(formation),
            "deliverable": deliverable,
        },
    )


@require_http_methods(["GET", "POST"])
def deliverable_add(request, pk):
    formation = _editable_formation(request, pk)
    form = DeliverableForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            deliverable = deliverable_create(
                actor=request.user, formation=formation, **form.service_fields()
            )
        except LivrablesError as error:
            form.add_error(_definition_field(error), error.message)
        else:
            due_count = deliverable.dues.count()
            messages.success(
                request,
                ngettext(
                    "Livrable « %(title)s » défini : %(count)s échéance.",
                    "Livrable « %(title)s » défini : %(count)s échéances.",
                    due_count,
                )
                % {"title": deliverable.title, "count": due_count},
            )
            return redirect(_list_url(formation, f"livrable-{deliverable.pk}"))
    return _definition_page(request, formation, form, _("Définir un livrable attendu"))


@require_http_methods(["GET", "POST"])
def deliverable_edit(request, pk, deliverable_pk):
    formation = _editable_formation(request, pk)
    deliverable = _or_404(formation_deliverable(formation=formation, pk=deliverable_pk))
    form = DeliverableForm(request.POST or None, deliverable=deliverable)
    if request.method == "POST" and form.is_valid():
        try:
            changes = deliverable_update(
                actor=request.user, deliverable=deliverable, **form.service_fields()
            )
        except LivrablesError as error:
            form.add_error(_definition_field(error), error.message)
        else:
            messages.success(
                request,
                _(
                    "Livrable modifié : %(changes)s ; les échéances qui ont des versions "
                    "sont gardées."
                )
                % {"changes": changes_summary(changes)},
            )
            return redirect(_list_url(formation, f"livrable-{deliverable.pk}"))
    return _definition_page(
        request,
        formation,
        form,
        _("Modifier « %(title)s »") % {"title": deliverable.title},
        deliverable,
    )


@require_http_methods(["GET", "POST"])
def deliverable_regenerate_view(request, pk, deliverable_pk):
    formation = _editable_formation(request, pk)
    deliverable = _or_404(formation_deliverable(formation=formation, pk=deliverable_pk))
    error = None
    changes = None
    try:
        changes = schedule_changes(deliverable)
    except LivrablesError as refused:
        error = refused.message
    if request.method == "POST" and error is None:
        try:
            done = deliverable_regenerate(actor=request.user, deliverable=deliverable)
        except LivrablesError as refused:
            error = refused.message
        else:
            messages.success(
                request,
                _("Échéances recalculées : %(changes)s.") % {"changes": changes_summary(done)},
            )
            return redirect(_list_url(formation, f"livrable-{deliverable.pk}"))
    return render(
        request,
        "livrables/deliverables/regenerate.html",
        {
            "formation": formation,
            "deliverable": deliverable,
            "changes": changes,
            "error": error,
            "cancel_url": _list_url(formation, f"livrable-{deliverable.pk}"),
        },
    )


@require_http_methods(["GET", "POST"])
def deliverable_remove(request, pk, deliverable_pk):
    formation = _editable_formation(request, pk)
    deliverable = _or_404(formation_deliverable(formation=formation, pk=deliverable_pk))
    error = None
    # Uploaded evidence is never deleted: said at once, without a button to press.
    has_versions = DeliverableVersion.objects.filter(due__deliverable=deliverable).exists()
    if request.method == "POST" and not has_versions:
        try:
            deliverable_delete(actor=request.user, deliverable=deliverable)
        except LivrablesError as refused:
            error = refused.message
        else:
            messages.success(
                request, _("Livrable « %(title)s » supprimé.") % {"title": deliverable.title}
            )
            return redirect(_list_url(formation))
    return render(
        request,
        "livrables/deliverables/delete.html",
        {
            "formation": formation,
            "deliverable": deliverable,
            "due_count": deliverable.dues.count(),
            "has_versions": has_versions,
            "error": error,
            "cancel_url": _list_url(formation, f"livrable-{deliverable.pk}"),
        },
    )


@require_http_methods(["GET", "POST"])
@accepts_upload("file")
def version_add(request, pk, due_pk):
    formation = _editable_formation(request, pk)
    due = _or_404(formation_due(formation=formation, pk=due_pk))
    closed = no_new_version_reason(due)
    form = VersionForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and closed is None and form.is_valid():
        try:
            version = version_submit(actor=request.user, due=due, upload=form.cleaned_data["file"])
        except LivrablesError as error:
            form.add_error("file" if error.code.startswith("file") else None, error.message)
        else:
            messages.success(
                request,
                _("Version %(number)s déposée et soumise au financeur.")
                % {"number": version.number},
            )
            return redirect(_list_url(formation, f"echeance-{due.pk}"))
    return render(
        request,
        "livrables/deliverables/version_form.html",
        {
            "formation": formation,
            "due": due,
            "form": form,
            "closed": closed,
            "page_title": _("Déposer une version : %(title)s, échéance du %(date)s")
            % {"title": due.deliverable.title, "date": f"{due.due_date:%d/%m/%Y}"},
            "cancel_url": _list_url(formation, f"echeance-{due.pk}"),
        },
    )


def _serve(handle_field, content_type, filename):
    try:
        handle = handle_field.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404(_("Fichier introuvable.")) from None
    response = FileResponse(
        handle, content_type=content_type, as_attachment=True, filename=filename
    )
    patch_cache_control(response, private=True, no_store=True)
    return response


@require_GET
def version_file(request, pk, version_pk):
    """A version as uploaded, from the private documents storage."""
    formation = _formation(request, pk)
    version = _or_404(formation_version(formation=formation, pk=version_pk))
    return _serve(version.file, version.content_type, version.download_name)


@require_GET
def version_message(request, pk, version_pk):
    """The funder's message the coordinator attached to a decision."""
    formation = _formation(request, pk)
    version = _or_404(formation_version(formation=formation, pk=version_pk))
    if not version.message_file:
        raise Http404
    return _serve(version.message_file, version.message_content_type, version.message_original_name)


def _not_awaiting_decision(version) -> str | None:
    """Why the version awaits no decision (an older one, or already decided), or None."""
    latest = version.due.versions.aggregate(n=Max("number"))["n"]
    if latest != version.number:
        return _(
            "Une version plus récente (%(number)s) a été déposée : la décision porte sur "
            "la dernière."
        ) % {"number": latest}
    if version.status != Status.SUBMITTED or version.due.status != Status.SUBMITTED:
        return _("Cette version n'attend pas de décision (état : %(state)s).") % {
            "state": version.get_status_display().lower()
        }
    return None


@require_http_methods(["GET", "POST"])
@accepts_upload("message_file")
def version_decide_view(request, pk, version_pk):
    formation = _formation(request, pk)
    user = request.user
    if not may_decide(user):
        raise PermissionDenied
    version = _or_404(formation_version(formation=formation, pk=version_pk))
    auditor = is_funder_auditor(user)
    not_awaiting = _not_awaiting_decision(version)
    form = None
    if not_awaiting is None:
        funders = (
            auditor_funders(user, formation)
            if auditor
            else formation.programme.funders.order_by("name")
        )
        form = DecisionForm(
            request.POST or None, request.FILES or None, funders=funders, auditor=auditor
        )
    if request.method == "POST" and form is not None and form.is_valid():
        data = form.cleaned_data
        try:
            version_decide(
                actor=user,
                version=version,
                validated=data["decision"] == "validated",
                funder=data["funder"],
                comment=data.get("comment", ""),
                message_text=data.get("message_text", ""),
                message_file=data.get("message_file") or None,
                decided_on=data.get("decided_on"),
            )
        except LivrablesError as error:
            field = {
                "comment_required": "comment",
                "message_type": "message_file",
                "funder_not_allowed": "funder",
                "date_future": "decided_on",
                "date_too_early": "decided_on",
            }.get(error.code)
            if error.code.startswith("file") and "message_file" in form.fields:
                field = "message_file"
            form.add_error(field, error.message)
        else:
            messages.success(request, _("Décision du financeur enregistrée."))
            return redirect(_list_url(formation, f"echeance-{version.due_id}"))
    return render(
        request,
        "livrables/deliverables/decision.html",
        {
            "formation": formation,
            "version": version,
            "due": version.due,
            "form": form,
            "auditor": auditor,
            "not_awaiting": not_awaiting,
            "cancel_url": _list_url(formation, f"echeance-{version.due_id}"),
        },
    )


@require_http_methods(["GET", "POST"])
def version_diffuse_view(request, pk, version_pk):
    formation = _editable_formation(request, pk)
    version = _or_404(formation_version(formation=formation, pk=version_pk))
    # Only a validated version is diffused: said at once, without a form.
    error = (
        None
        if version.status == Status.VALIDATED
        else _("Seule une version validée par le financeur peut être diffusée (état : %(state)s).")
        % {"state": version.get_status_display().lower()}
    )
    form = DiffuseForm(request.POST or None)
    if request.method == "POST" and error is None and form.is_valid():
        try:
            version_diffuse(
                actor=request.user, version=version, diffused_on=form.cleaned_data["diffused_on"]
            )
        except LivrablesError as refused:
            if refused.code.startswith("date_"):
                form.add_error("diffused_on", refused.message)
            else:
                error = refused.message
        else:
            messages.success(
                request, _("Version %(number)s marquée diffusée.") % {"number": version.number}
            )
            return redirect(_list_url(formation, f"echeance-{version.due_id}"))
    return render(
        request,
        "livrables/deliverables/diffuse.html",
        {
            "formation": formation,
            "version": version,
            "due": version.due,
            "error": error,
            "form": form,
            "cancel_url": _list_url(formation, f"echeance-{version.due_id}"),
            "can_manage": can_manage(request.user),
        },
    )
