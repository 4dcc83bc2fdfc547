"""The history of a session on a portrait tablet (820 px) and a phone (390 px): long names,
long summaries and IPv6 addresses wrap, the page never scrolls sideways."""

import pytest
from django.urls import reverse

from formations.audit import log_action
from formations.history import SHOWN
from tests.factories import TrainingSessionFactory, UserFactory

pytestmark = pytest.mark.browser

SIZES = [{"width": 820, "height": 1180}, {"width": 390, "height": 844}]


@pytest.fixture
def long_history(coordinator):
    session = TrainingSessionFactory(code="LABO-976-SAINT-REMY-EN-BOUZEMONT-2021-10")
    someone = UserFactory(
        first_name="Marie-Charlotte", last_name="Nguyễn-Vandenberghe-Öztürk-Saint-Genest"
    )
    for n in range(SHOWN + 5):
        log_action(
            actor=someone if n % 2 else None,
            action="attendance.rectify" if n % 3 else "session.update",
            obj=session,
            summary=(
                "Rectification de l'émargement de NGUYỄN-VANDENBERGHE-ÖZTÜRK Marie-Charlotte "
                f"({session.code} 04/10/2021 09:00–12:30) : feuille papier retrouvée n°{n}"
            ),
            ip="2001:db8:85a3:8d3:1319:8a2e:370:7348" if n % 2 == 0 else None,
        )
    return session


@pytest.mark.parametrize("size", SIZES, ids=["tablet-820", "phone-390"])
def test_history_never_scrolls_sideways(
    page, live_server, login_as, coordinator, long_history, size
):
    login_as(coordinator)
    page.set_viewport_size(size)
    for name in ("sessions:session_detail", "sessions:session_history"):
        page.goto(live_server.url + reverse(name, args=[long_history.pk]))
        assert page.locator(".history-entry").count() in (SHOWN, SHOWN + 5)
        width = page.evaluate("document.documentElement.scrollWidth")
        inner = page.evaluate("window.innerWidth")
        assert width <= inner, f"{name} at {size['width']} px: {width} > {inner}"
    # From the page to the whole history by keyboard-reachable link.
    page.goto(live_server.url + reverse("sessions:session_detail", args=[long_history.pk]))
    link = page.get_by_role("link", name=f"Voir tout l'historique ({SHOWN + 5} entrées)")
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/historique/")
    assert page.locator("h1").inner_text().startswith("Historique — Session LABO-976")
