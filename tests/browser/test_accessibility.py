"""axe-core (bundled by axe-playwright-python, no network) on the main pages filled with
the demo data, and a keyboard check of the signing pad and the skip link.

axe is injected with `page.evaluate`, a DevTools call that the content security policy
does not govern: the pages keep their strict CSP during the checks (no `bypass_csp`) and
must still log no CSP violation.
"""

import datetime as dt
import re
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from formations import demo as formations_demo
from formations.accounts import password_link
from formations.models import OutboxMessage
from livrables.models import IssuedDocument
from livrables.services import issue_sheet
from sessions import demo as sessions_demo
from sessions.models import Attendance, TrainingSession
from sessions.services.enrolment import send_convocations
from sessions.tokens import qr_token, remote_link_token
from tests.factories import EnrolmentFactory, SlotFactory, TrainingSessionFactory

pytestmark = pytest.mark.browser

BLOCKING_IMPACTS = {"serious", "critical"}

# Rules switched off, each with its reason. None today: add one only for what we cannot
# fix (a third-party widget), never to silence a failure.
DISABLED_RULES: dict[str, str] = {}

# axe only "needs review" an aria-describedby / aria-labelledby naming an id absent from
# the page (a script might add it later). Our pages are rendered by the server, so such a
# reference is a bug (Django points inputs at `<id>_helptext` and `<id>_error`, which a
# hand-written template must render): counted as a violation.
INCOMPLETE_AS_VIOLATION = {"aria-valid-attr-value"}

# The browser context is a landscape tablet; every page is checked again at phone width,
# where wide tables scroll sideways (and the QR code is signed on a phone).
PHONE = {"width": 390, "height": 844}
TABLET = {"width": 820, "height": 1180}  # portrait


def axe_problems(axe, page) -> tuple[list[dict], list[dict]]:
    """(blocking, others): the violations to fail on, and the rest, printed only."""
    options = {
        "resultTypes": ["violations", "incomplete"],
        "rules": {rule: {"enabled": False} for rule in DISABLED_RULES},
    }
    results = axe.run(page, options=options).response
    found = results["violations"] + [
        v for v in results["incomplete"] if v["id"] in INCOMPLETE_AS_VIOLATION
    ]
    blocking = [v for v in found if v["impact"] in BLOCKING_IMPACTS]
    return blocking, [v for v in found if v not in blocking]


def describe(violation: dict) -> str:
    lines = [f"  {violation['id']} ({violation['impact']}): {violation['help']}"]
    for node in violation["nodes"]:
        summary = node.get("failureSummary", "").strip().splitlines()
        lines.append(f"      {' '.join(node['target'])} — {summary[-1].strip() if summary else ''}")
    return "\n".join(lines)


@pytest.fixture
def demo(transactional_db, settings):
    """The demo of `make run` (its live session has a half-day open for signing now), plus a
    convocation in the demo mailbox and an issued sign-in sheet to verify."""
    settings.SUIVI_DEMO_MAILBOX = True
    settings.MAILERS = {"default": {"BACKEND": "formations.mail.DemoMailboxBackend"}}
    accounts = formations_demo.load()["accounts"]
    sessions_demo.load(accounts=accounts, coordinator=accounts["coordination"])

    today = TrainingSession.objects.get(code=sessions_demo.LIVE_SESSION)
    open_slot = today.slots.get()
    enrolment = today.enrolments.select_related("participant__structure").first()
    send_convocations(session=today, enrolments=[enrolment], actor=accounts["coordination"])
    past = TrainingSession.objects.get(code="CD93-2022-01")
    issue_sheet(session=past, actor=accounts["coordination"])
    return {
        "accounts": accounts,
        "today": today,
        "open_slot": open_slot,
        "enrolment": enrolment,
        "past": past,
        "feder": TrainingSession.objects.get(code="AO3-2018-03"),
    }


def mark_late_without_minutes(page):
    """An error state: the first participant's form opened, « Retard » without the time."""
    page.get_by_role("link", name=re.compile("^Relever")).first.click()
    form = page.locator("form.row-form").first
    form.locator("select").select_option(Attendance.Status.LATE)
    form.get_by_role("button", name=re.compile("^Enregistrer")).click()
    page.locator("form.row-form .errorlist").first.wait_for()


def wrong_password(page):
    page.get_by_label("Nom d’utilisateur").fill("coordination")
    page.get_by_label("Mot de passe").fill("pas-le-bon")
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("alert").first.wait_for()


def expect_password_form(page):
    """The link opened the form (an invalid link would show « Lien non valable »)."""
    page.get_by_label("Nouveau mot de passe").wait_for()


def submit_empty_account(page):
    """An error state: the new-account form saved with nothing filled in."""
    page.get_by_role("button", name="Enregistrer").click()
    page.get_by_role("alert").first.wait_for()


def submit_unchanged(page):
    """An error state: the consents form saved without a box changed."""
    page.get_by_role("button", name="Enregistrer").click()
    page.get_by_role("alert").first.wait_for()


def test_main_pages_have_no_serious_accessibility_violations(
    axe, page, live_server, login_as, demo, browser_context, csp_violations
):
    today, past, slot, enrolment = demo["today"], demo["past"], demo["open_slot"], demo["enrolment"]
    participant = enrolment.participant
    expired_qr = qr_token(slot=slot, at=timezone.now() - dt.timedelta(minutes=10))
    accounts = demo["accounts"]
    # Valid until the auditor signs in (a login voids the link): the anonymous pages come first.
    password_path = urlsplit(password_link(accounts["auditeur"])).path
    referent = accounts["referent"]
    referent_session = TrainingSession.objects.filter(
        enrolments__participant__structure=referent.structure_id
    ).first()
    # role → pages, each a path or (path, what to do before checking).
    pages_by_role = {
        None: [
            reverse("login"),
            (reverse("login"), wrong_password),
            reverse("livrables:verify_lookup"),
            reverse("livrables:verify_document", args=[IssuedDocument.objects.get().number]),
            reverse("sessions:sign_qr", args=[slot.pk, qr_token(slot=slot)]),
            reverse("sessions:sign_qr", args=[slot.pk, expired_qr]),
            reverse(
                "sessions:sign_remote", args=[remote_link_token(enrolment=enrolment, slot=slot)]
            ),
            reverse("formations:password_forgotten"),
            (password_path, expect_password_form),
            reverse("formations:password_set", args=["MQ", "lien-invente"]),
        ],
        "coordination": [
            reverse("dashboard"),
            reverse("formations:programme_list"),
            reverse("formations:programme_detail", args=[today.formation.programme_id]),
            reverse("formations:formation_list"),
            reverse("formations:formation_detail", args=[today.formation_id]),
            reverse("formations:structure_list"),
            reverse("formations:structure_detail", args=[participant.structure_id]),
            reverse("formations:participant_list"),
            reverse("formations:participant_detail", args=[participant.pk]),
            reverse("formations:participant_create"),
            reverse("formations:participant_edit", args=[participant.pk]),
            reverse("formations:participant_consents", args=[participant.pk]),
            (reverse("formations:participant_consents", args=[participant.pk]), submit_unchanged),
            reverse("formations:participant_import"),
            reverse("sessions:session_list"),
            reverse("sessions:session_create"),
            reverse("sessions:session_detail", args=[today.pk]),
            reverse("sessions:session_detail", args=[past.pk]),
            reverse("sessions:session_enrolments", args=[today.pk]),
            reverse("sessions:slot_detail", args=[past.slots.first().pk]),
            reverse("sessions:slot_paper", args=[slot.pk]),
            reverse("sessions:slot_remote_links", args=[slot.pk]),
            reverse("formations:outbox"),
            reverse("formations:outbox_message", args=[OutboxMessage.objects.get().pk]),
            reverse("sessions:session_enrolments", args=[today.pk])
            + f"?envoi={OutboxMessage.objects.get().job_id}",
            reverse("formations:account_list"),
            reverse("formations:account_create"),
            (reverse("formations:account_create"), submit_empty_account),
            reverse("formations:account_detail", args=[accounts["auditeur"].pk]),
            reverse("formations:account_edit", args=[accounts["referent"].pk]),
            reverse("formations:account_deactivate", args=[accounts["formateur"].pk]),
        ],
        "formateur": [
            reverse("dashboard"),
            reverse("sessions:slot_detail", args=[slot.pk]),
            (reverse("sessions:slot_detail", args=[slot.pk]), mark_late_without_minutes),
            reverse("sessions:slot_qr", args=[slot.pk]),
            reverse("sessions:my_calendar"),
            # Tablet mode locks the browser session: its pages, then the unlock page, last.
            reverse("sessions:slot_tablet", args=[slot.pk]),
            reverse("sessions:slot_tablet_sign", args=[slot.pk, enrolment.pk]),
            reverse("sessions:tablet_unlock"),
        ],
        "referent": [
            reverse("dashboard"),
            reverse("formations:participant_list"),
            reverse("formations:structure_detail", args=[referent.structure_id]),
            reverse("sessions:session_detail", args=[referent_session.pk]),
        ],
        "auditeur": [
            reverse("dashboard"),
            reverse("sessions:session_detail", args=[demo["feder"].pk]),
            reverse("sessions:slot_audit", args=[demo["feder"].slots.first().pk]),
            reverse("formations:participant_list"),
        ],
    }

    tablet = TABLET
    page.set_viewport_size(tablet)
    failures, overflows = [], []
    for role, entries in pages_by_role.items():
        browser_context.clear_cookies()
        if role is not None:
            login_as(demo["accounts"][role])
        for entry in entries:
            path, action = entry if isinstance(entry, tuple) else (entry, None)
            response = page.goto(live_server.url + path)
            assert response.status in (200, 410), f"{path} ({role}): {response.status}"
            if action is not None:
                action(page)
            for size in (tablet, PHONE):
                page.set_viewport_size(size)
                blocking, others = axe_problems(axe, page)
                where = f"{page.url} ({role or 'anonyme'}, {size['width']} px)"
                for violation in others:
                    print(f"axe, non bloquant, {where}:\n{describe(violation)}")
                if blocking:
                    failures.append(f"{where}:\n" + "\n".join(map(describe, blocking)))
                width = page.evaluate("document.documentElement.scrollWidth")
                if width > size["width"]:
                    overflows.append(f"{where}: {width} px de large")
            page.set_viewport_size(tablet)

    assert not failures, "axe-core, violations graves ou critiques :\n" + "\n".join(failures)
    assert not overflows, "Pages plus larges que l'écran :\n" + "\n".join(overflows)
    assert csp_violations == []


@pytest.fixture
def open_slot(trainer):
    session = TrainingSessionFactory()
    session.trainers.add(trainer)
    now = timezone.now().replace(second=0, microsecond=0)
    return SlotFactory(
        session=session,
        starts_at=now - dt.timedelta(minutes=30),
        ends_at=now + dt.timedelta(hours=3),
    )


def focused(page) -> dict:
    return page.evaluate(
        """() => {
            const element = document.activeElement;
            const style = getComputedStyle(element);
            const box = element.getBoundingClientRect();
            return {
                text: element.textContent.trim(),
                outline: style.outlineStyle,
                outlineWidth: parseFloat(style.outlineWidth),
                ring: style.boxShadow,
                visible: box.width > 0 && box.right > 0 && box.bottom > 0
                    && box.left < innerWidth && box.top < innerHeight,
            };
        }"""
    )


def press_until(page, key: str, text: str, limit: int = 20) -> dict:
    for _ in range(limit):
        page.keyboard.press(key)
        if (state := focused(page))["text"] == text:
            return state
    raise AssertionError(f"« {text} » n'est pas atteint au clavier ({key} × {limit})")


def test_keyboard_reaches_signing_buttons_and_skip_link(
    page, live_server, login_as, trainer, open_slot
):
    enrolment = EnrolmentFactory(session=open_slot.session)

    # The login form puts the focus in its first field: the skip link is before it.
    page.goto(live_server.url + reverse("login"))
    skip_link = page.get_by_role("link", name="Aller au contenu")
    assert skip_link.bounding_box()["x"] + skip_link.bounding_box()["width"] <= 0  # off screen
    state = press_until(page, "Shift+Tab", "Aller au contenu")
    assert state["visible"] and state["outline"] == "solid" and state["outlineWidth"] >= 3
    assert state["ring"] != "none"
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "contenu"

    login_as(trainer)
    page.goto(
        live_server.url + reverse("sessions:slot_tablet_sign", args=[open_slot.pk, enrolment.pk])
    )
    for name in ("Effacer", "Valider ma signature"):
        state = press_until(page, "Tab", name)
        assert state["visible"] and state["outline"] == "solid" and state["outlineWidth"] >= 3
        assert state["ring"] != "none"  # the dark inner ring of the two-colour focus
