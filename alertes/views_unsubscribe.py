"""The public unsubscribe page of the e-mails a structure sends its members (campaigns:
the structure's news; step reminders: the reminders the person asked for). GET asks to
confirm (a mail client that opens links must not unsubscribe anyone); POST withdraws the
e-mail consent (or request) for the link's purpose with that structure, as the person
(method « lien personnel », no actor)."""

from django.contrib.auth.decorators import login_not_required
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from alertes.unsubscribe import participant_of_link, read_unsubscribe_token
from formations.consent import consent_withdraw, may_contact
from formations.models import ContactConsent, Purpose, Structure


def _one_click(request) -> bool:
    """RFC 8058: the mail client's own POST, body « List-Unsubscribe=One-Click »."""
    return request.method == "POST" and request.POST.get("List-Unsubscribe") == "One-Click"


@login_not_required
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    """The one-click POST a mail client sends from the `List-Unsubscribe` header (RFC
    8058) carries no CSRF token: that form of POST alone is exempt (the signed token in
    the URL is what authorises it); the page's own form is checked as usual."""
    if request.method == "POST" and not _one_click(request):
        refused = CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {})
        if refused is not None:
            return refused
    link = read_unsubscribe_token(token)
    person = structure = None
    if link is not None:
        person = participant_of_link(link.participant_id)
        structure = Structure.objects.filter(pk=link.structure_id).first()
    if person is None or structure is None:
        return render(request, "alertes/unsubscribe_invalid.html", status=404)
    done = False
    if request.method == "POST":
        consent_withdraw(
            participant=person,
            channel="email",
            method=ContactConsent.Method.WEB_LINK,
            actor=None,
            purposes=[link.purpose],
            structure=structure,
            note=_("lien « ne plus recevoir » d'un e-mail"),
        )
        done = True
    already = (
        not done and not may_contact(person, "email", link.purpose, structure=structure).allowed
    )
    return render(
        request,
        "alertes/unsubscribe.html",
        {
            "structure": structure,
            "done": done,
            "already": already,
            "reminders": link.purpose == Purpose.ADMIN_REMINDERS,
        },
    )
