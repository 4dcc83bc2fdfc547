"""A French page for the one error Django answers with an empty body: 405, an address
opened directly that only a button of the application may send (logout, sending the
convocations…). Without it the browser shows a blank page."""

from django.http import HttpResponseNotAllowed
from django.template.response import TemplateResponse


class MethodNotAllowedPageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if isinstance(response, HttpResponseNotAllowed) and not response.content:
            page = TemplateResponse(request, "405.html", status=405)
            page["Allow"] = response["Allow"]
            return page.render()
        return response
