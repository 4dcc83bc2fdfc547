"""Bulk issuing of certificates (formation page, session page) and the ZIP of a scope's
standing documents. The work is `livrables.bulk`; the ZIP is `livrables.zips`."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from formations.selectors import formations_visible_to
from livrables.bulk import BULK_KINDS, Scope, certificates_bulk_start
from livrables.exceptions import LivrablesError
from livrables.permissions import may_issue_certificate
from livrables.zips import may_download_zip, stream_zip, zip_filename
from sessions.selectors.visibility import sessions_visible_to

# The checkboxes' names (« types ») and values (`BulkKind.slug`).
KINDS_FIELD = "types"


def _kinds(request) -> list[str]:
    by_slug = {entry.slug: kind for kind, entry in BULK_KINDS.items()}
    return [by_slug[slug] for slug in request.POST.getlist(KINDS_FIELD) if slug in by_slug]


def _start(request, *, formation, session, page: str):
    try:
        job = certificates_bulk_start(
            formation=formation, session=session, kinds=_kinds(request), actor=request.user
        )
    except LivrablesError as error:
        messages.error(request, error.message)
        return redirect(page + "#certificates")
    if job.already_running:
        messages.info(
            request,
            _("Une émission est déjà en cours pour ces personnes : voici sa progression."),
        )
    return redirect(f"{page}?emission={job.pk}#certificates")


@require_POST
def formation_certificates_bulk(request, pk: int):
    formation = get_object_or_404(formations_visible_to(user=request.user), pk=pk)
    if not may_issue_certificate(request.user):
        raise PermissionDenied
    return _start(
        request,
        formation=formation,
        session=None,
        page=reverse("formations:formation_detail", args=[formation.pk]),
    )


@require_POST
def session_certificates_bulk(request, pk: int):
    session = get_object_or_404(
        sessions_visible_to(user=request.user).select_related("formation"), pk=pk
    )
    if not may_issue_certificate(request.user):
        raise PermissionDenied
    return _start(
        request,
        formation=session.formation,
        session=session,
        page=reverse("sessions:session_detail", args=[session.pk]),
    )


def _zip_response(scope: Scope) -> StreamingHttpResponse:
    response = StreamingHttpResponse(stream_zip(scope=scope), content_type="application/zip")
    response["Content-Disposition"] = content_disposition_header(True, zip_filename(scope))
    patch_cache_control(response, private=True, no_store=True)
    return response


@require_GET
def formation_certificates_zip(request, pk: int):
    """The standing certificates of the formation's people, in one ZIP (coordinators, and
    auditors of its funders; anyone else: not found)."""
    formation = get_object_or_404(formations_visible_to(user=request.user), pk=pk)
    if not may_download_zip(user=request.user, formation=formation):
        raise Http404
    return _zip_response(Scope(formation=formation))


@require_GET
def session_certificates_zip(request, pk: int):
    """The standing certificates of the session's people (in its formation), in one ZIP."""
    session = get_object_or_404(
        sessions_visible_to(user=request.user).select_related("formation"), pk=pk
    )
    if not may_download_zip(user=request.user, formation=session.formation):
        raise Http404
    return _zip_response(Scope(formation=session.formation, session=session))
