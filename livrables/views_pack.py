"""The audit pack of a formation from its page: start building it (a background job) and
download the registered pack. The work is `livrables.pack`."""

from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from formations.selectors import formations_visible_to
from livrables.exceptions import LivrablesError
from livrables.forms_pack import PackPeriodForm
from livrables.pack.jobs import audit_pack_start
from livrables.pack.selectors import built_pack, kept_pack_chunks, standing_pack
from livrables.pack.services import may_build_pack
from livrables.panels_pack import PENDING


def _formation(request, pk: int):
    """The formation, for coordinators and its funders' auditors; anyone else: not found
    (an auditor of another funder does not learn that it exists)."""
    formation = get_object_or_404(formations_visible_to(user=request.user), pk=pk)
    if not may_build_pack(user=request.user, formation=formation):
        raise Http404
    return formation


def _page(formation) -> str:
    return reverse("formations:formation_detail", args=[formation.pk])


@require_POST
def audit_pack_build(request, pk: int):
    """Starts building the formation's pack in the background (a read: auditors may)."""
    formation = _formation(request, pk)
    form = PackPeriodForm(request.POST)
    if not form.is_valid():
        errors = [str(error) for errors in form.errors.values() for error in errors]
        return _back_to_panel(request, formation, errors)
    try:
        job = audit_pack_start(
            formation=formation,
            date_from=form.cleaned_data["du"],
            date_to=form.cleaned_data["au"],
            actor=request.user,
        )
    except LivrablesError as error:
        return _back_to_panel(request, formation, [error.message])
    if job.already_running:
        error = _(
            "Un autre dossier de cette formation est en cours de constitution (%(label)s) : "
            "attendez qu'il soit terminé, puis constituez le vôtre. Vos dates sont gardées."
        ) % {"label": job.label}
        return _back_to_panel(request, formation, [error], job=job)
    return redirect(f"{_page(formation)}?dossier={job.pk}#audit-pack")


def _back_to_panel(request, formation, errors: list[str], job=None):
    """Back to the formation page, the dates typed and the errors kept for the pack panel
    (`panels_pack.PENDING`, read once), beside the fields rather than at the top."""
    request.session[PENDING] = {
        "formation": formation.pk,
        "du": request.POST.get("du", ""),
        "au": request.POST.get("au", ""),
        "errors": errors,
    }
    query = f"?dossier={job.pk}" if job is not None else ""
    return redirect(f"{_page(formation)}{query}#audit-pack")


@require_GET
def audit_pack_download(request, pk: int):
    """The standing pack of the formation for the period asked (`du`, `au`, ISO dates;
    none: the whole formation), or the pack numbered `numero` (a finished build's link),
    byte for byte from the documents storage, checked against its registered SHA-256
    first."""
    formation = _formation(request, pk)
    form = PackPeriodForm(request.GET)
    if not form.is_valid():
        raise Http404
    number = request.GET.get("numero", "")
    if number:
        # The pack a finished build links to, whatever was built after it.
        document = built_pack(formation=formation, number=number)
    else:
        document = standing_pack(
            formation=formation,
            date_from=form.cleaned_data["du"],
            date_to=form.cleaned_data["au"],
        )
    if document is None:
        raise Http404
    try:
        chunks = kept_pack_chunks(document=document)
    except LivrablesError as error:
        return render(
            request,
            "livrables/document_unavailable.html",
            {"document": document, "message": error.message},
            status=503,
        )
    response = StreamingHttpResponse(chunks, content_type=document.content_type)
    response["Content-Disposition"] = content_disposition_header(True, document.filename)
    response["Content-Length"] = str(document.size)
    patch_cache_control(response, private=True, no_store=True)
    return response
