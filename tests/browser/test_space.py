"""The participant's space in a real browser, on a phone: ask for a link, open it from
the outbox message (read on the demo mailbox page by a coordinator in another browser),
sign in with the button, see one's sessions, download a certificate; no CSP violation, no
horizontal scroll, axe-core's blocking rules pass. And a participant's certificates on the
staff page, on a phone."""

import datetime as dt
import hashlib
import os
import re

import pytest
from django.urls import reverse

from formations.models import OutboxMessage
from tests.browser.test_accessibility import PHONE, axe_problems, describe
from tests.factories import EnrolmentFactory, ParticipantFactory, TrainingSessionFactory
from tests.factories.planning import attend, make_slot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TABLET_PORTRAIT = {"width": 820, "height": 1180}
SHOTS = os.environ.get("SUIVI_SCREENSHOTS")  # a folder: keep screenshots to look at


def shoot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def check(axe, page, name):
    failures = []
    for label, size in (("390", PHONE), ("820", TABLET_PORTRAIT)):
        page.set_viewport_size(size)
        blocking, _others = axe_problems(axe, page)
        failures += [describe(v) for v in blocking]
        overflow = page.evaluate("document.documentElement.scrollWidth - innerWidth")
        assert overflow <= 0, f"{name} at {label} px is {overflow} px too wide"
        shoot(page, f"{name}-{label}")
    page.set_viewport_size(PHONE)
    assert not failures, "\n".join(failures)


def test_participant_asks_for_a_link_opens_it_and_sees_their_space(
    axe, page, live_server, csp_violations
):
    person = ParticipantFactory(first_name="Aïcha", last_name="Madi", email="aicha@example.org")
    session = TrainingSessionFactory(code="LABO-7", time_zone="Indian/Mayotte")
    enrolment = EnrolmentFactory(session=session, participant=person)
    today = dt.date.today()
    past = make_slot(session, today - dt.timedelta(days=30), dt.time(8), dt.time(12))
    attend(enrolment, past, "present")
    upcoming = TrainingSessionFactory(code="LABO-8", place="CCAS de Dembeni")
    EnrolmentFactory(session=upcoming, participant=person)
    make_slot(upcoming, today + dt.timedelta(days=10), dt.time(9), dt.time(12), countersigned=False)
    page.set_viewport_size(PHONE)

    page.goto(live_server.url + reverse("space:sign_in"))
    check(axe, page, "space-sign-in")
    page.get_by_label("Votre adresse e-mail ou votre numéro de mobile").fill("aicha@example.org")
    page.get_by_role("button", name="Recevoir le lien").click()
    page.get_by_role("heading", name="Consultez vos messages").wait_for()
    check(axe, page, "space-sent")

    message = OutboxMessage.objects.get(purpose="space_link", participant=person)
    link = re.search(r"https?://\S+/mon-espace/lien/\S+/", message.body).group(0)
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    page.goto(live_server.url + path)
    check(axe, page, "space-link")
    page.get_by_role("button", name="Ouvrir mon espace").click()

    page.get_by_role("heading", name="Bonjour Aïcha").wait_for()
    text = page.inner_text("main")
    assert "LABO-8" in text and "CCAS de Dembeni" in text
    assert "Présent·e" in text and "4 h réalisées sur 4 h prévues" in text
    assert "Aucun document pour l'instant." in text
    check(axe, page, "space-home")

    page.get_by_role("link", name="Corriger mes coordonnées").click()
    page.get_by_label("Téléphone").fill("0639 12")
    page.get_by_role("button", name="Enregistrer").click()
    page.get_by_text("Numéro de téléphone invalide").first.wait_for()
    check(axe, page, "space-contact")

    page.goto(live_server.url + reverse("space:consents"))
    check(axe, page, "space-consents")
    page.get_by_role("button", name="Se déconnecter").click()
    page.get_by_role("heading", name="Connexion à mon espace").wait_for()
    assert not csp_violations


def test_participant_signs_in_from_the_demo_mailbox_and_downloads_a_certificate(
    browser, page, live_server, login_as, settings, csp_violations, documents_dir
):
    """What the demo shows: the participant asks for a link on their phone; a coordinator,
    signed in in another browser, finds the message on the outbox page (« Envois », the
    demo mailbox shows its text) and reads the link there; the participant opens it,
    signs in with the button and downloads their certificate, byte for byte."""
    from formations.models import User
    from livrables.services import issue_certificate
    from sessions.services.attendance import slot_close
    from tests.factories import ProviderIdentityFactory, UserFactory

    settings.SUIVI_DEMO_MAILBOX = True
    settings.MAILERS = {"default": {"BACKEND": "formations.mail.DemoMailboxBackend"}}
    settings.SUIVI_BASE_URL = live_server.url  # the link in the message leads here
    coordinator = UserFactory(role=User.Role.COORDINATOR)
    ProviderIdentityFactory()
    person = ParticipantFactory(first_name="Awa", last_name="Diallo", email="awa@example.org")
    session = TrainingSessionFactory(code="LABO-9")
    enrolment = EnrolmentFactory(session=session, participant=person)
    slot = make_slot(session, dt.date.today() - dt.timedelta(days=20), dt.time(9), dt.time(12))
    attend(enrolment, slot, "present")
    slot_close(slot=slot, actor=coordinator)
    certificate = issue_certificate(
        kind="completion_certificate",
        participant=person,
        formation=session.formation,
        actor=coordinator,
    )
    phone = browser.new_context(
        locale="fr-FR", viewport=PHONE, has_touch=True, service_workers="block"
    )
    phone.set_default_timeout(10_000)
    try:
        participant = phone.new_page()
        participant.on(
            "console",
            lambda m: "Content Security Policy" in m.text and csp_violations.append(m.text),
        )
        participant.goto(live_server.url + reverse("space:sign_in"))
        participant.get_by_label("Votre adresse e-mail ou votre numéro de mobile").fill(
            "awa@example.org"
        )
        participant.get_by_role("button", name="Recevoir le lien").click()
        participant.get_by_role("heading", name="Consultez vos messages").wait_for()

        # The coordinator, in their own browser, reads the demo mailbox.
        login_as(coordinator)
        page.goto(live_server.url + reverse("dashboard"))
        menu = page.get_by_role("navigation", name="Navigation principale")
        menu.get_by_role("link", name="Envois", exact=True).click()
        page.get_by_role("link", name="Votre lien de connexion à votre espace formation").click()
        page.get_by_role("heading", name="Message").wait_for()
        assert "awa@example.org" in page.inner_text("main")
        link = page.locator(".email-body a", has_text="/mon-espace/lien/").get_attribute("href")
        assert link.startswith(live_server.url + "/mon-espace/lien/")

        participant.goto(link)
        participant.get_by_role("button", name="Ouvrir mon espace").click()
        participant.get_by_role("heading", name="Bonjour Awa").wait_for()
        with participant.expect_download() as download_info:
            participant.get_by_role("link", name=re.compile("Certificat de réalisation")).click()
        downloaded = open(download_info.value.path(), "rb").read()
    finally:
        phone.close()

    assert hashlib.sha256(downloaded).hexdigest() == certificate.sha256
    assert not csp_violations


def test_a_participant_s_certificates_read_on_a_phone_without_sideways_scroll(
    axe, page, live_server, login_as, browser_context, csp_violations, documents_dir
):
    """The staff page of a participant: certificates in every state (in force, superseded,
    revoked), one card each with its buttons; nothing scrolls sideways at 390 or 820 px,
    for a coordinator (every button) and the person's structure referent."""
    from formations.models import User
    from livrables.services import issue_certificate, revoke_document
    from sessions.services.attendance import slot_close
    from tests.factories import ProviderIdentityFactory, UserFactory

    coordinator = UserFactory(role=User.Role.COORDINATOR)
    ProviderIdentityFactory()
    person = ParticipantFactory(first_name="Awa", last_name="Diallo-Mbemba-Ravelonarivo")
    referent = UserFactory(role=User.Role.STRUCTURE_REFERENT, structure=person.structure)
    session = TrainingSessionFactory(code="LABO-10")
    enrolment = EnrolmentFactory(session=session, participant=person)
    slot = make_slot(session, dt.date.today() - dt.timedelta(days=20), dt.time(9), dt.time(12))
    attend(enrolment, slot, "present")
    slot_close(slot=slot, actor=coordinator)
    issue = {"participant": person, "formation": session.formation, "actor": coordinator}
    superseded = issue_certificate(kind="completion_certificate", **issue)
    current = issue_certificate(kind="completion_certificate", **issue)
    revoked = issue_certificate(kind="attendance_attestation", **issue)
    revoke_document(document=revoked, actor=coordinator, reason="Erreur de saisie")
    url = live_server.url + reverse("formations:participant_detail", args=[person.pk])
    # A replaced or revoked document is downloadable, but not as if it were standing.
    marked_downloads = ("Télécharger (remplacé)", "Télécharger (révoqué)")

    for user, buttons in (
        (coordinator, {"Télécharger", *marked_downloads, "Vérifier", "Révoquer"}),
        (referent, {"Télécharger", *marked_downloads, "Vérifier"}),
    ):
        browser_context.clear_cookies()
        login_as(user)
        page.goto(url)
        panel = page.locator("section.participant-certificates")
        cards = panel.locator(".document-card")
        assert cards.count() == 3
        text = panel.inner_text()
        for document in (superseded, current, revoked):
            assert document.number in text
        assert f"remplacé par n° {current.number}" in text
        assert "en vigueur" in text and "révoqué le" in text
        assert "3 h / 3 h" in text
        names = {
            re.sub(r"\s+\S+$", "", link.inner_text().strip())
            for link in panel.locator(".document-actions a").all()
        }
        assert names == buttons, user.role
        for label, size in (("390", PHONE), ("820", TABLET_PORTRAIT)):
            page.set_viewport_size(size)
            wide = page.evaluate(
                """() => [document.documentElement, ...document.querySelectorAll(
                    'section.participant-certificates, section.participant-certificates *')]
                    .filter(e => e.scrollWidth > e.clientWidth + 1
                                 && ['auto', 'scroll'].includes(getComputedStyle(e).overflowX)
                                 || e === document.documentElement
                                    && e.scrollWidth > innerWidth)
                    .map(e => e.tagName + '.' + e.className)"""
            )
            assert wide == [], f"{user.role} at {label} px: {wide}"
            blocking, _others = axe_problems(axe, page)
            assert not blocking, "\n".join(describe(v) for v in blocking)
            shoot(page, f"participant-certificates-{user.role}-{label}")
    assert not csp_violations
