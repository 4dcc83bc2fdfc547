"""The trainer's half-day page on the devices it is used on: a portrait tablet (820 px) and
a phone (390 px), with fifteen people, one form opened, signatures and long names, never
wider than the screen."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from sessions.services import attendance_mark
from tests.factories import EnrolmentFactory, ParticipantFactory, SlotFactory, StructureFactory
from tests.factories.sessions import sign

pytestmark = pytest.mark.browser

SIZES = [{"width": 820, "height": 1180}, {"width": 390, "height": 844}]


@pytest.fixture
def busy_slot(trainer):
    now = timezone.now().replace(second=0, microsecond=0)
    slot = SlotFactory(
        starts_at=now - dt.timedelta(hours=3), ends_at=now + dt.timedelta(minutes=40)
    )
    slot.session.trainers.add(trainer)
    long_structure = StructureFactory(
        name="Centre communal d'action sociale de Saint-Rémy-en-Bouzemont-Saint-Genest-et-Isson"
    )
    enrolments = [
        EnrolmentFactory(
            session=slot.session,
            participant=ParticipantFactory(
                last_name=f"Nguyễn-Vandenberghe-Öztürk {index}",
                first_name="Marie-Charlotte",
                structure=long_structure,
            ),
        )
        for index in range(15)
    ]
    for enrolment in enrolments[:8]:
        sign(enrolment, slot, now=now)
    attendance_mark(
        enrolment=enrolments[0],
        slot=slot,
        status="late_left_early",
        arrived_at=slot.starts_at + dt.timedelta(minutes=20),
        left_at=now - dt.timedelta(minutes=5),
        actor=trainer,
    )
    return slot, enrolments


@pytest.mark.parametrize("size", SIZES, ids=["tablet-820", "phone-390"])
def test_half_day_page_never_scrolls_sideways(
    page, live_server, login_as, trainer, busy_slot, size
):
    slot, enrolments = busy_slot
    login_as(trainer)
    page.set_viewport_size(size)
    url = live_server.url + reverse("sessions:slot_detail", args=[slot.pk])
    for address in (url, f"{url}?relever={enrolments[3].pk}"):
        page.goto(address)
        assert page.locator(".attendance-card").count() == 15
        width = page.evaluate("document.documentElement.scrollWidth")
        inner = page.evaluate("window.innerWidth")
        assert width <= inner, f"{address} at {size['width']} px: {width} > {inner}"
    # The opened form is there, with time inputs bounded by the half-day.
    arrival = page.locator(f"#id_mark-{enrolments[3].pk}-arrival")
    assert arrival.get_attribute("type") == "time"
    assert arrival.is_visible()
