"""The Alertes statistics and notice pages on a portrait tablet (820 px) and a phone
(390 px), for a partner of a FEDER programme: nothing scrolls sideways (wide tables scroll
in their own box), the charts fit, the EU emblem and sentence show, no content security
policy violation, and axe finds nothing blocking."""

import os

import pytest
from django.urls import reverse

from alertes.models import AlertCampaign, CampaignRecipient
from formations.models import Funder, OutboxMessage
from tests.browser.test_accessibility import axe_problems
from tests.factories import FunderFactory, ProgrammeFactory
from tests.factories.members import (
    AlertCampaignFactory,
    MemberGroupFactory,
    MembershipFactory,
    alertes_world,
    give_structure_consent,
)

pytestmark = pytest.mark.browser

SIZES = [{"width": 820, "height": 1180}, {"width": 390, "height": 844}]
IDS = ["tablet-820", "phone-390"]


def _world():
    world = alertes_world()
    s = world.arbrisseau
    feder = FunderFactory(
        name="FEDER",
        kind=Funder.Kind.FEDER,
        publicity_sentence="Ce projet est cofinancé par l'Union Européenne avec le FEDER",
    )
    programme = ProgrammeFactory(title="Centres sociaux connectés", reference="CSC-MEL-2018")
    programme.funders.set([feder])
    programme.structures.add(s)
    groups = [world.group] + [
        MemberGroupFactory(structure=s, name=name)
        for name in ("Jeunesse", "RSA", "Culture et sorties familiales du mercredi")
    ]
    campaign = AlertCampaignFactory(
        structure=s, status=AlertCampaign.Status.SENT, category=AlertCampaign.Category.EVENT
    )
    for index in range(8):
        member = MembershipFactory(structure=s, groups=[groups[index % 4]])
        if index % 3:
            give_structure_consent(member, "sms")
        message = OutboxMessage.objects.create(
            channel="sms",
            purpose="alertes_campaign",
            recipient="+33612345678",
            body="Bonjour",
            structure=s,
            status=(OutboxMessage.Status.DELIVERED, OutboxMessage.Status.FAILED)[index % 2],
        )
        recipient = CampaignRecipient.objects.create(
            campaign=campaign, membership=member, channel="sms", message=message
        )
        recipient.groups.set([groups[index % 4]])
    return world


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_stats_and_notice_pages_fit(page, live_server, login_as, axe, csp_violations, size):
    world = _world()
    login_as(world.admin)
    page.set_viewport_size(size)
    for name in ("stats", "notice"):
        page.goto(f"{live_server.url}{reverse(f'alertes:{name}', args=[world.arbrisseau.pk])}")
        if os.environ.get("SUIVI_SCREENSHOTS"):
            page.screenshot(
                path=f"{os.environ['SUIVI_SCREENSHOTS']}/alertes-{name}-{size['width']}.png",
                full_page=True,
            )
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= page.evaluate("window.innerWidth"), f"{name} {size['width']} px: {width}"
        for chart in page.locator("svg.chart").all():
            assert chart.bounding_box()["width"] <= size["width"], name
        assert page.locator(".eu-statement").first.is_visible()
        assert "avec le FEDER" in page.locator(".eu-statement").first.inner_text()
        blocking, _others = axe_problems(axe, page)
        assert not blocking, blocking
    assert not csp_violations
