"""The error pages in a real browser: styled by the site's stylesheet under the strict
CSP, readable at phone width, with no serious accessibility violation."""

import pytest
from django.urls import reverse

from formations.models import User
from formations.views import DashboardView
from tests.browser.test_accessibility import PHONE, axe_problems, describe
from tests.factories import UserFactory

pytestmark = pytest.mark.browser

REFLEX_BLUE = "rgb(0, 51, 153)"


def check(page, axe, heading):
    assert page.get_by_role("heading", level=1).inner_text() == heading
    header = page.locator(".site-header")
    assert header.evaluate("e => getComputedStyle(e).backgroundColor") == REFLEX_BLUE
    failures = []
    for size in (page.viewport_size, PHONE):
        page.set_viewport_size(size)
        blocking, _others = axe_problems(axe, page)
        failures += [describe(v) for v in blocking]
        # The way back fits the phone's width: no horizontal scrolling.
        assert page.evaluate("document.documentElement.scrollWidth") <= size["width"]
    assert not failures, "\n".join(failures)


def test_error_pages_in_the_browser(
    axe, page, live_server, login_as, monkeypatch, csp_violations, transactional_db
):
    response = page.goto(live_server.url + "/nulle-part/")
    assert response.status == 404
    check(page, axe, "Page introuvable")
    page.get_by_role("link", name="Aller à la page de connexion").click()
    assert page.url == live_server.url + reverse("login")

    login_as(UserFactory(role=User.Role.TRAINER))
    response = page.goto(live_server.url + reverse("formations:funder_create"))
    assert response.status == 403
    check(page, axe, "Accès refusé")

    def crash(self, request, *args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(DashboardView, "get", crash)
    response = page.goto(live_server.url + reverse("dashboard"))
    assert response.status == 500
    check(page, axe, "Erreur du serveur")

    assert csp_violations == []
