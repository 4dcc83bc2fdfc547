"""Issue 12's journey in a real browser: a structure administrator creates a group,
registers a member with their SMS consent in it, schedules a campaign to that group, and
once `run_periodic` has run sees the message in the demo outbox — while a member without
consent is listed apart on the campaign and never written to."""

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from alertes.models import AlertCampaign
from formations.models import OutboxMessage
from formations.periodic import run_periodic
from tests.factories.members import MembershipFactory, alertes_world

pytestmark = pytest.mark.browser


@override_settings(SUIVI_DEMO_MAILBOX=True)
def test_an_administrator_schedules_a_campaign_that_reaches_the_outbox(
    page, live_server, login_as, csp_violations, db
):
    world = alertes_world()
    base = live_server.url
    structure = world.arbrisseau
    login_as(world.admin)
    page.set_viewport_size({"width": 820, "height": 1180})

    # A group.
    page.goto(base + reverse("alertes:group_create", args=[structure.pk]))
    page.get_by_label("Nom du groupe").fill("Parentalité")
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_url(base + reverse("alertes:group_list", args=[structure.pk]))
    assert "Parentalité" in page.inner_text("main")

    # A member in it, who agrees to SMS news.
    page.goto(base + reverse("alertes:member_register", args=[structure.pk]))
    page.get_by_label("Nom :", exact=True).fill("Dupont")
    page.get_by_label("Prénom").fill("Inès")
    page.get_by_label("Date de naissance").fill("1987-05-12")
    page.get_by_label("Téléphone").fill("06 12 34 56 78")
    page.get_by_label("Parentalité").check()
    page.get_by_label("J'accepte que le centre social m'envoie des SMS", exact=False).check()
    page.get_by_label("Comment l'accord a été recueilli").select_option("paper")
    page.get_by_role("button", name="Inscrire").click()
    page.wait_for_url(base + reverse("alertes:structure_home", args=[structure.pk]))
    # Someone of the same group who never agreed: listed apart, sent nothing.
    group = structure.member_groups.get(name="Parentalité")
    MembershipFactory(
        structure=structure,
        groups=[group],
        participant__last_name="Martin",
        participant__first_name="Paul",
    )

    # A campaign to the group, tomorrow at 10:00 in the structure's time.
    tomorrow = timezone.localdate(timezone=zoneinfo.ZoneInfo(structure.time_zone)) + dt.timedelta(
        days=1
    )
    page.goto(base + reverse("alertes:campaign_create", args=[structure.pk]))
    page.get_by_label("Titre de la campagne").fill("Atelier parents-enfants")
    page.get_by_label("Par SMS").check()
    page.get_by_label("Message").fill("Bonjour {prénom}, atelier parents-enfants mercredi à 14 h.")
    page.get_by_label("Parentalité").check()
    page.get_by_label("Date d'envoi").fill(tomorrow.isoformat())
    page.get_by_label("Heure d'envoi").fill("10:00")
    page.get_by_role("button", name="Enregistrer").click()
    campaign = AlertCampaign.objects.get(title="Atelier parents-enfants")
    page.wait_for_url(base + reverse("alertes:campaign_detail", args=[structure.pk, campaign.pk]))
    detail = page.inner_text("main")
    assert "MARTIN Paul" in detail and "DUPONT Inès" in detail
    assert campaign.status == AlertCampaign.Status.SCHEDULED

    # The cron runs, after the scheduled time (several times: sent once).
    for minutes in (1, 1, 2):
        moment = campaign.scheduled_at + dt.timedelta(minutes=minutes)
        with time_machine.travel(moment, tick=False):
            run_periodic(now=moment)

    page.goto(base + reverse("formations:outbox"))
    outbox = page.inner_text("main")
    assert "+33612345678" in outbox or "06 12 34 56 78" in outbox
    messages = OutboxMessage.objects.filter(purpose="alertes_campaign")
    assert messages.count() == 1
    message = messages.get()
    assert message.body.startswith("Bonjour Inès,")
    assert message.structure == structure
    page.goto(base + reverse("formations:outbox_message", args=[message.pk]))
    assert "Bonjour Inès, atelier parents-enfants" in page.inner_text("main")
    assert not csp_violations
