"""Issuing the fiches of a programme's structures and its livret, and the ZIP of the
issued fiches. A programme or a structure out of the user's reach (`projects.selectors`)
is 404; in reach but not theirs to issue (a referent, an auditor), 403. Downloads go
through `livrables:document_download` (`selectors.fiche_documents_for`)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from livrables.bulk_fiches import fiches_bulk_start
from livrables.exceptions import LivrablesError
from livrables.models import IssuedDocument
from livrables.panels_fiches import FICHE_SLUGS
from livrables.selectors import fiche_documents_for, standing
from livrables.services_fiches import (
    FICHE_KINDS,
    issue_booklet,
    issue_fiche,
    may_issue_fiches,
)
from livrables.views import issued_message
from livrables.zips import stream_documents
from projects.selectors import fiche_programmes, fiche_structures


def _programme(request, pk: int):
    """The programme, if the user may open at least one of its fiches (else 404)."""
    programme = get_object_or_404(fiche_programmes(user=request.user), pk=pk)
    if not fiche_structures(programme=programme, user=request.user).exists():
        raise Http404
    return programme


@require_POST
def fiche_issue(request, programme: int, structure: int, kind: str):
    """Coordinators and the programme's trainers issue (or reissue) a structure's fiche
    projet or fiche individuelle."""
    programme = _programme(request, programme)
    structure = get_object_or_404(
        fiche_structures(programme=programme, user=request.user), pk=structure
    )
    if kind not in FICHE_SLUGS:
        raise PermissionDenied
    if not may_issue_fiches(request.user, programme):
        raise PermissionDenied
    try:
        record = issue_fiche(
            kind=FICHE_SLUGS[kind], programme=programme, structure=structure, actor=request.user
        )
    except LivrablesError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, issued_message(record))
    page = reverse("projects:fiche_detail", args=[programme.pk, structure.pk])
    return redirect(page + "#fiche-documents")


@require_POST
def booklet_issue(request, programme: int):
    """Coordinators and the programme's trainers issue (or reissue) the livret."""
    programme = _programme(request, programme)
    if not may_issue_fiches(request.user, programme):
        raise PermissionDenied
    try:
        record = issue_booklet(programme=programme, actor=request.user)
    except LivrablesError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, issued_message(record))
    return redirect(reverse("projects:fiche_list", args=[programme.pk]) + "#fiche-booklet")


@require_POST
def fiches_bulk(request, programme: int):
    """Coordinators and the programme's trainers issue every structure's fiches at once,
    in the background; the page then follows the job (`?emission=<job>`)."""
    programme = _programme(request, programme)
    if not may_issue_fiches(request.user, programme):
        raise PermissionDenied
    page = reverse("projects:fiche_list", args=[programme.pk])
    try:
        job = fiches_bulk_start(programme=programme, actor=request.user)
    except LivrablesError as error:
        messages.error(request, error.message)
        return redirect(page + "#fiche-booklet")
    if job.already_running:
        messages.info(
            request, _("Une émission des fiches est déjà en cours : voici sa progression.")
        )
    return redirect(f"{page}?emission={job.pk}#fiche-booklet")


def _folder(document: IssuedDocument) -> str:
    structure = document.structure
    return f"{slugify(structure.name) or 'structure'}-{structure.pk}"


@require_GET
def fiches_zip(request, programme: int):
    """The standing fiches (projet and individuelle) of the programme's structures the user
    may see, in one ZIP, one folder per structure."""
    programme = _programme(request, programme)
    documents = (
        standing(
            fiche_documents_for(user=request.user).filter(
                kind__in=FICHE_KINDS, programme_id=programme.pk
            )
        )
        .exclude(storage_name="")
        .select_related("structure")
        .order_by("structure__sort_key", "structure_id", "kind", "-issued_at", "-pk")
    )
    response = StreamingHttpResponse(
        stream_documents(documents.iterator(chunk_size=100), folder=_folder),
        content_type="application/zip",
    )
    filename = f"fiches-{slugify(programme.reference) or programme.pk}.zip"
    response["Content-Disposition"] = content_disposition_header(True, filename)
    patch_cache_control(response, private=True, no_store=True)
    return response
