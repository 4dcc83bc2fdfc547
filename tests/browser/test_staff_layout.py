"""The structure's team pages and the menus of a structure's administrator and staff in
Chromium at 390 px (phone) and 820 px (tablet portrait): no sideways scroll, no serious
axe violation, no CSP violation; the administrator creates a staff account through the
real form."""

import os

import pytest
from django.urls import reverse

from formations.models import OutboxMessage, User
from tests.browser.test_accessibility import PHONE, TABLET, axe_problems, describe
from tests.factories.members import alertes_world

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("SUIVI_SCREENSHOTS")  # a folder: keep a screenshot of each page


def test_team_pages_and_menus_fit_a_phone_and_a_tablet(
    axe, page, live_server, login_as, transactional_db, browser_context, csp_violations
):
    world = alertes_world()
    structure = world.arbrisseau.pk
    home = reverse("alertes:structure_home", args=[structure])
    pages = {
        world.admin: [
            reverse("alertes:staff_list", args=[structure]),
            reverse("alertes:staff_create", args=[structure]),
            reverse("alertes:staff_deactivate", args=[structure, world.staff.pk]),
            reverse("dashboard"),
            home,
        ],
        world.staff: [home],
        world.coordinator: [reverse("dashboard"), reverse("alertes:staff_list", args=[structure])],
    }
    failures, overflows = [], []
    for user, paths in pages.items():
        browser_context.clear_cookies()
        login_as(user)
        for path in paths:
            page.set_viewport_size(TABLET)
            response = page.goto(live_server.url + path)
            assert response.status == 200, path
            for size in (TABLET, PHONE):
                page.set_viewport_size(size)
                where = f"{path} ({user.role}, {size['width']} px)"
                blocking, _others = axe_problems(axe, page)
                if blocking:
                    failures.append(f"{where}:\n" + "\n".join(map(describe, blocking)))
                width = page.evaluate("document.documentElement.scrollWidth")
                if width > size["width"]:
                    overflows.append(f"{where}: {width} px")
                if SHOTS:
                    name = path.strip("/").replace("/", "_") or "dashboard"
                    page.screenshot(
                        path=os.path.join(SHOTS, f"{user.role}-{name}-{size['width']}.png"),
                        full_page=True,
                    )
    assert not failures, "\n".join(failures)
    assert not overflows, "\n".join(overflows)
    assert csp_violations == []


def test_the_administrator_creates_a_staff_account_in_the_browser(
    page, live_server, login_as, transactional_db
):
    world = alertes_world()
    login_as(world.admin)
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + reverse("alertes:structure_home", args=[world.arbrisseau.pk]))

    page.get_by_role("link", name="Équipe").first.click()
    page.get_by_role("link", name="Créer un compte de l'équipe").click()
    page.get_by_label("Nom d’utilisateur").fill("rdoresse")
    page.get_by_label("Prénom").fill("Rémi")
    page.locator("#id_last_name").fill("Doresse")
    page.get_by_label("E-mail").fill("r.doresse@example.org")
    page.get_by_role("button", name="Créer le compte").click()
    page.get_by_role("status").first.wait_for()

    account = User.objects.get(username="rdoresse")
    assert (account.role, account.structure) == (User.Role.STRUCTURE_STAFF, world.arbrisseau)
    assert OutboxMessage.objects.filter(purpose="password_link", recipient=account.email).exists()
    assert "DORESSE Rémi" in page.content()
