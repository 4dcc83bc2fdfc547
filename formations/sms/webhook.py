"""The public, authenticated webhook where the SMS provider reports receipts and replies.

`POST /webhooks/sms/<provider>/`: the configured backend (`SMS_BACKEND`) checks the call
(`verify_webhook`: 403 if unsigned or forged), reads the events (`parse_webhook`: 400 if
unreadable) and `sms_events_record` stores them."""

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from formations.sms.base import WebhookPayloadError, get_connection
from formations.sms.receipts import sms_events_record


def _text(message: str, status: int) -> HttpResponse:
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


@csrf_exempt  # called by the provider's servers, authenticated by the shared secret
@login_not_required
@require_POST
def sms_webhook(request, provider: str):
    backend = get_connection()
    if backend.provider is None or backend.provider != provider:
        raise Http404
    if not backend.verify_webhook(request):
        return _text(_("Appel refusé : authentification absente ou invalide."), 403)
    try:
        events = backend.parse_webhook(request.body)
    except WebhookPayloadError:
        return _text(_("Contenu illisible : un événement JSON est attendu."), 400)
    stored = sms_events_record(events=events)
    return JsonResponse({"received": len(events), "recorded": len(stored)})
