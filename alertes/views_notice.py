"""The notice d'utilisation (`alertes:notice`, `alertes:notice_pdf`): every signed-in
member of a structure's Alertes team (its own structure) and coordinators. The PDF is
drawn by the renderer livrables registers (`alertes.notice.PDF_RENDERERS`)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from alertes.notice import PDF_RENDERERS, notice_data
from alertes.selectors import alertes_structure


@login_required
@require_GET
def notice_page(request, structure):
    structure = alertes_structure(user=request.user, pk=structure)
    return render(
        request,
        "alertes/notice.html",
        {"structure": structure, "current": "notice", "notice": notice_data(structure=structure)},
    )


@login_required
@require_GET
def notice_pdf(request, structure):
    structure = alertes_structure(user=request.user, pk=structure)
    if not PDF_RENDERERS:
        raise Http404
    content = PDF_RENDERERS[0](notice_data(structure=structure))
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        False, "notice-utilisation-alertes.pdf"
    )
    return response
