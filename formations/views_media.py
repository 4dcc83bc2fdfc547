"""Uploaded files that may be public: funders' logos, and nothing else.

Paper scans (names and signatures) and pending imports live apart, in the private
documents storage, read only by views that check the user's right (`sessions:slot_paper_scan`
for a scan). MEDIA_ROOT holds logos alone, and still there is no catch-all media route,
under DEBUG or not: each logo is served by this view."""

import mimetypes

from django.contrib.auth.decorators import login_not_required
from django.http import FileResponse, Http404
from django.views.decorators.http import require_safe

from formations.selectors import funder_with_emblem

EMBLEM_PREFIX = "funders/"
IMAGE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp"}


@login_not_required
@require_safe
def funder_emblem(request, name):
    content_type, _encoding = mimetypes.guess_type(name)
    funder = funder_with_emblem(name=EMBLEM_PREFIX + name)
    if funder is None or content_type not in IMAGE_TYPES:
        raise Http404
    try:
        handle = funder.emblem.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "public, max-age=3600"
    return response
