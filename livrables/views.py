from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods

from formations.uploads import accepts_upload
from livrables.forms import DocumentCheckForm, DocumentLookupForm
from livrables.selectors import (
    blank_sheet_sessions_for,
    compare_file,
    issued_document_by_number,
    sheet_extract_sessions_for,
    sheet_sessions_for,
)
from livrables.services import DocumentFile, issue_blank_sheet, issue_sheet, issue_sheet_extract


def document_response(document: DocumentFile) -> HttpResponse:
    response = HttpResponse(document.content, content_type=document.content_type)
    response["Content-Disposition"] = content_disposition_header(True, document.filename)
    patch_cache_control(response, private=True, no_store=True)
    return response


@require_GET
def session_sheet(request, pk: int):
    session = get_object_or_404(sheet_sessions_for(user=request.user), pk=pk)
    return document_response(issue_sheet(session=session, actor=request.user))


@require_GET
def session_sheet_extract(request, pk: int):
    session = get_object_or_404(sheet_extract_sessions_for(user=request.user), pk=pk)
    return document_response(
        issue_sheet_extract(session=session, structure=request.user.structure, actor=request.user)
    )


@require_GET
def session_blank_sheet(request, pk: int):
    session = get_object_or_404(blank_sheet_sessions_for(user=request.user), pk=pk)
    return document_response(issue_blank_sheet(session=session, actor=request.user))


@login_not_required
@require_GET
def verify_lookup(request):
    form = DocumentLookupForm(request.GET or None)
    if form.is_valid():
        return redirect("livrables:verify_document", number=form.cleaned_data["numero"])
    return render(request, "livrables/verify_lookup.html", {"form": form})


@login_not_required
@accepts_upload("file")
@require_http_methods(["GET", "POST"])
def verify_document(request, number: str):
    document = issued_document_by_number(number=number)
    if document is None:
        return render(
            request,
            "livrables/verify_unknown.html",
            {
                "number": number,
                "form": DocumentLookupForm(),
                "provisional": number.startswith("PROV-"),
            },
            status=404,
        )
    comparison = None
    if request.method == "POST":
        form = DocumentCheckForm(request.POST, request.FILES)
        if form.is_valid():
            comparison = compare_file(document=document, uploaded_file=form.cleaned_data["file"])
    else:
        form = DocumentCheckForm()
    time_zone = document.session.time_zone if document.session else settings.TIME_ZONE
    return render(
        request,
        "livrables/verify_document.html",
        {"document": document, "form": form, "comparison": comparison, "time_zone": time_zone},
    )
