"""The public unsubscribe page of the e-mails a structure sends its members (campaigns:
the structure's news; step reminders: the reminders the person asked for). GET asks to
confirm (a mail client that opens links must not unsubscribe anyone); POST withdraws the
e-mail consent (or request) for the link's purpose with that structure, as the person
(method « lien personnel », no actor)."""

from django.contrib.auth.decorators import login_not_required
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from alertes.unsubscribe import participant_of_link, read_unsubscribe_token
from formations.consent import consent_withdraw, may_contact
from formations.models import ContactConsent, Purpose, Structure


@login_not_required
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
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
