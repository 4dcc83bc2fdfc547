"""The demo's participant space: the person `load_demo` names asks for a link, reads it on
the outbox page (SUIVI_DEMO_MAILBOX) and signs in to see their sessions."""

import io
import re

import pytest
from django.core.management import call_command
from django.urls import reverse

from formations.models import OutboxMessage, User

pytestmark = pytest.mark.django_db


def test_demo_participant_signs_in_through_the_demo_outbox(
    client, settings, django_capture_on_commit_callbacks
):
    settings.SUIVI_DEMO_MAILBOX = True
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    email = re.search(r"demandez un lien pour (\S+),", out.getvalue()).group(1)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("space:sign_in"), {"address": email})
    message = OutboxMessage.objects.get(purpose="space_link")
    client.force_login(User.objects.get(username="coordination"))
    page = client.get(reverse("formations:outbox_message", args=[message.pk])).content.decode()
    link = re.search(r"https?://[^\s\"<]+/mon-espace/lien/[^\s\"<]+/", page).group(0)
    client.logout()

    client.post("/" + link.split("://", 1)[1].split("/", 1)[1])
    home = client.get(reverse("space:home"))

    assert home.status_code == 200
    assert "Mes sessions passées" in home.content.decode()
    assert "Présent·e" in home.content.decode() or "Retard" in home.content.decode()
