"""The evaluation campaigns' pages on a portrait tablet (820 px) and a phone (390 px): the
session's panel, the campaign's page (who has not answered), the create form and the
cancel page, without sideways scroll and without a CSP violation."""

import datetime as dt
import os

import pytest
from django.urls import reverse

from evaluations.models import Invitation
from evaluations.sending import send_due
from evaluations.services_campaigns import campaign_create
from tests.evaluations.campaign_helpers import (
    answer_url,  # noqa: F401 (fixture)
    session_with_days,
    shipped_versions,
)
from tests.factories import EnrolmentFactory, ParticipantFactory, StructureFactory

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("answer_url")]

SIZES = [{"width": 820, "height": 1180}, {"width": 390, "height": 844}]
IDS = ["tablet-820", "phone-390"]


def screenshot(target, name):
    if os.environ.get("SUIVI_SCREENSHOTS"):
        path = f"{os.environ['SUIVI_SCREENSHOTS']}/{name}.png"
        if hasattr(target, "goto"):
            target.screenshot(path=path, full_page=True)
        else:
            target.screenshot(path=path)


def no_sideways_scroll(page, size):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.evaluate("window.innerWidth"), f"{size['width']} px: {width}"


@pytest.fixture
def world(db):
    session = session_with_days(dt.date(2026, 3, 2), dt.date(2026, 3, 3), people=3)
    structure = StructureFactory(name="Centre communal d'action sociale de Mamoudzou")
    EnrolmentFactory(
        session=session,
        participant=ParticipantFactory(
            last_name="Abdallah-Soilihi",
            first_name="Zaïnaba",
            email="",
            phone="",
            structure=structure,
        ),
    )
    EnrolmentFactory(
        session=session,
        participant=ParticipantFactory(last_name="Madi", email="", phone="+33612345678"),
    )
    hot, cold = shipped_versions()
    hot_campaign = campaign_create(
        actor=None, version=hot, formation=session.formation, session=session
    )
    campaign_create(actor=None, version=cold, formation=session.formation, session=session)
    send_due(now=hot_campaign.opens_at + dt.timedelta(minutes=5))
    Invitation.objects.filter(
        pk=Invitation.objects.filter(channel="email").order_by("pk").first().pk
    ).update(answered_on=dt.date(2026, 3, 4))
    return session, hot_campaign


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_campaign_pages_fit(page, live_server, login_as, coordinator, world, size, csp_violations):
    session, campaign = world
    login_as(coordinator)
    page.set_viewport_size(size)
    pages = {
        "session": reverse("sessions:session_detail", args=[session.pk]) + "#evaluation-campaigns",
        "detail": reverse("evaluations:campaign_detail", args=[campaign.pk]),
        "create": reverse("evaluations:campaign_create_session", args=[session.pk]),
        "cancel": reverse("evaluations:campaign_cancel", args=[campaign.pk]),
    }
    for name, url in pages.items():
        page.goto(live_server.url + url)
        no_sideways_scroll(page, size)
        if name == "session":
            panel = page.locator("#evaluation-campaigns")
            # The shipped title, or the helper's when a flush removed the shipped ones.
            assert campaign.version.questionnaire.title in panel.inner_text()
            screenshot(panel, f"campaigns-panel-{size['width']}")
        else:
            screenshot(page, f"campaigns-{name}-{size['width']}")
    assert csp_violations == []


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_a_mayotte_panel_with_a_campaign_that_found_nobody_fits(
    page, live_server, login_as, coordinator, db, size
):
    session = session_with_days(dt.date(2026, 3, 2), zone="Indian/Mayotte")
    hot, cold = shipped_versions()
    launched = campaign_create(
        actor=None, version=hot, formation=session.formation, session=session
    )
    campaign_create(actor=None, version=cold, formation=session.formation, session=session)
    send_due(now=launched.opens_at + dt.timedelta(minutes=5))
    login_as(coordinator)
    page.set_viewport_size(size)

    page.goto(live_server.url + reverse("sessions:session_detail", args=[session.pk]))
    no_sideways_scroll(page, size)
    panel = page.locator("#evaluation-campaigns")
    assert "personne à inviter" in panel.inner_text()
    assert "(heure de Mayotte)" in panel.inner_text()
    screenshot(panel, f"campaigns-panel-nobody-mayotte-{size['width']}")
    page.goto(live_server.url + reverse("evaluations:campaign_detail", args=[launched.pk]))
    no_sideways_scroll(page, size)
    assert "(heure de Mayotte)" in page.locator("main").inner_text()
    screenshot(page, f"campaigns-detail-nobody-{size['width']}")
