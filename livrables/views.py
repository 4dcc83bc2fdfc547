from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from livrables.selectors import blank_sheet_sessions_for, sheet_sessions_for
from livrables.services import IssuedDocument, issue_blank_sheet, issue_sheet


def document_response(document: IssuedDocument) -> HttpResponse:
    response = HttpResponse(document.content, content_type=document.content_type)
    response["Content-Disposition"] = content_disposition_header(True, document.filename)
    patch_cache_control(response, private=True, no_store=True)
    return response


@require_GET
def session_sheet(request, pk: int):
    session = get_object_or_404(sheet_sessions_for(user=request.user), pk=pk)
    return document_response(issue_sheet(session=session, actor=request.user))


@require_GET
def session_blank_sheet(request, pk: int):
    session = get_object_or_404(blank_sheet_sessions_for(user=request.user), pk=pk)
    return document_response(issue_blank_sheet(session=session, actor=request.user))
