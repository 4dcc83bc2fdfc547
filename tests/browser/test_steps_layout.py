"""The administrative dates' pages in Chromium at 390 px (phone) and 820 px (tablet
portrait): no sideways scroll, no serious axe violation, no CSP violation; adding a step
with the member's request for an SMS reminder through the real form."""

import datetime as dt
import os

import pytest
from django.urls import reverse
from django.utils import timezone

from alertes.models import AdministrativeStep
from alertes.reminders import remind_due_steps
from alertes.unsubscribe import unsubscribe_token
from formations.consent import consent_withdraw_channel
from formations.models import ContactConsent
from tests.browser.test_accessibility import PHONE, TABLET, axe_problems, describe
from tests.factories.members import (
    AdministrativeStepFactory,
    MembershipFactory,
    alertes_world,
    give_structure_consent,
)

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("SUIVI_SCREENSHOTS")


@pytest.fixture
def steps_world(transactional_db):
    world = alertes_world()
    today = timezone.localdate()
    monday = today - dt.timedelta(days=today.weekday())
    people = [
        ("Benali", "Anaïs", "Actualisation mensuelle France Travail", "monthly"),
        ("Nguyen-Lefebvre de la Tour", "Zoë", "Renouvellement du titre de séjour", "once"),
        ("Dupont", "Maëlle", "Rendez-vous CAF : dossier de prime d'activité", "yearly"),
    ]
    for offset, (last, first, title, recurrence) in enumerate(people):
        membership = MembershipFactory(
            structure=world.arbrisseau,
            participant__last_name=last,
            participant__first_name=first,
        )
        give_structure_consent(membership, "sms", purpose="admin_reminders")
        AdministrativeStepFactory(
            membership=membership,
            title=title,
            recurrence=recurrence,
            due_on=monday + dt.timedelta(days=offset * 2),
            followed_by=world.staff if offset != 1 else world.admin,
            remind_by_email=offset == 2,
            remind_days_before=7,
        )
    # The reminders of the morning, whatever the hour the tests run (none at night).
    remind_due_steps(now=timezone.make_aware(dt.datetime.combine(today, dt.time(10))))
    world.step = AdministrativeStep.objects.order_by("pk").first()
    # Its person answered STOP since: the edit page explains the withdrawn request.
    consent_withdraw_channel(
        participant=world.step.membership.participant,
        channel="sms",
        method=ContactConsent.Method.SMS_STOP,
        actor=None,
    )
    return world


def test_step_pages_fit_a_phone_and_a_tablet(
    axe, page, live_server, login_as, steps_world, browser_context, csp_violations
):
    world = steps_world
    structure, step = world.arbrisseau.pk, world.step
    paths = [
        reverse("alertes:week", args=[structure]),
        reverse("alertes:week", args=[structure]) + "?tous=1",
        reverse("alertes:structure_home", args=[structure]),
        reverse("alertes:step_add", args=[structure, step.membership_id]),
        reverse("alertes:step_edit", args=[structure, step.pk]),
        reverse("alertes:step_end", args=[structure, step.pk]),
        reverse(
            "alertes:unsubscribe",
            args=[
                unsubscribe_token(
                    participant_id=step.membership.participant_id,
                    structure_id=structure,
                    purpose="admin_reminders",
                )
            ],
        ),
    ]
    login_as(world.staff)
    failures, overflows = [], []
    for path in paths:
        page.set_viewport_size(TABLET)
        response = page.goto(live_server.url + path)
        assert response.status == 200, path
        for size in (TABLET, PHONE):
            page.set_viewport_size(size)
            where = f"{path} ({size['width']} px)"
            blocking, _others = axe_problems(axe, page)
            if blocking:
                failures.append(f"{where}:\n" + "\n".join(map(describe, blocking)))
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > size["width"]:
                overflows.append(f"{where}: {width} px")
            if SHOTS:
                name = path.strip("/").replace("/", "_").replace("?", "_")
                page.screenshot(
                    path=os.path.join(SHOTS, f"{name}-{size['width']}.png"), full_page=True
                )
    assert not failures, "\n".join(failures)
    assert not overflows, "\n".join(overflows)
    assert csp_violations == []


def test_adding_a_step_with_an_sms_reminder_in_the_browser(
    page, live_server, login_as, steps_world
):
    world = steps_world
    membership = MembershipFactory(structure=world.arbrisseau, participant__first_name="Inès")
    login_as(world.staff)
    page.set_viewport_size(PHONE)
    page.goto(
        live_server.url + reverse("alertes:step_add", args=[world.arbrisseau.pk, membership.pk])
    )

    page.get_by_label("Démarche :", exact=True).fill("Rendez-vous CPAM")
    page.get_by_label("Date :", exact=True).fill("2030-03-31")
    page.get_by_label("Répétition").select_option("monthly")
    page.get_by_label("La personne demande un rappel par SMS").check()
    page.get_by_role("button", name="Enregistrer").click()
    page.get_by_role("status").first.wait_for()

    step = AdministrativeStep.objects.get(membership=membership)
    assert step.recurrence == "monthly" and step.remind_by_sms
    assert ContactConsent.objects.filter(
        participant=membership.participant, purpose="admin_reminders", channel="sms"
    ).exists()
