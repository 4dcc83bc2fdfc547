"""Answering an evaluation in a real browser, on a phone: the participant opens the link
of their invitation read on the demo mailbox page, answers every question one screen at a
time, leaves halfway, opens the link again and resumes where they were, submits and sees
the thank-you page; the database has the response. And the trainer's tablet list. No CSP
violation, no sideways scroll at 390 and 820 px, axe-core's blocking rules pass."""

import datetime as dt
import os
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from evaluations.models import Answer, Invitation, Response
from evaluations.tokens import invitation_url
from formations.models import User
from formations.outbox import outbox_enqueue
from tests.browser.test_accessibility import PHONE, axe_problems, describe
from tests.evaluations.answering_world import ALL_KINDS
from tests.factories import EnrolmentFactory, ParticipantFactory, UserFactory
from tests.factories.evaluations import make_campaign, make_version
from tests.factories.planning import make_slot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TABLET_PORTRAIT = {"width": 820, "height": 1180}
SHOTS = os.environ.get("SUIVI_SCREENSHOTS")  # a folder: keep screenshots to look at


def check(axe, page, name):
    failures = []
    for label, size in (("390", PHONE), ("820", TABLET_PORTRAIT)):
        page.set_viewport_size(size)
        blocking, _others = axe_problems(axe, page)
        failures += [describe(v) for v in blocking]
        overflow = page.evaluate("document.documentElement.scrollWidth - innerWidth")
        assert overflow <= 0, f"{name} at {label} px is {overflow} px too wide"
        if SHOTS:
            page.screenshot(path=os.path.join(SHOTS, f"{name}-{label}.png"), full_page=True)
    page.set_viewport_size(PHONE)
    assert not failures, "\n".join(failures)


@pytest.fixture
def invited(settings, live_server):
    """A participant invited by e-mail to an open à chaud campaign, the message written
    in the outbox as the campaign's sending writes it (`invitation_url`)."""
    settings.SUIVI_DEMO_MAILBOX = True
    settings.MAILERS = {"default": {"BACKEND": "formations.mail.DemoMailboxBackend"}}
    settings.SUIVI_BASE_URL = live_server.url
    person = ParticipantFactory(first_name="Awa", last_name="Diallo", email="awa@example.org")
    enrolment = EnrolmentFactory(participant=person)
    session = enrolment.session
    session.formation.objectives = "- Accompagner un usager\n- Sécuriser ses données"
    session.formation.save()
    campaign = make_campaign(session, make_version(*ALL_KINDS))
    invitation = Invitation.objects.create(
        campaign=campaign, participant=person, enrolment=enrolment, channel="email"
    )
    outbox_enqueue(
        purpose="evaluation_invitation",
        recipient=person.email,
        recipient_name=person.full_name,
        participant=person,
        subject="Votre avis sur la formation",
        body=f"Bonjour Awa,\n\nDonnez-nous votre avis : {invitation_url(invitation)}\n",
        about=invitation,
    )
    return invitation


def answer_and_go_on(page, step, act):
    page.get_by_text(f"Question {step} sur 7", exact=True).wait_for()
    act()
    page.get_by_role("button", name=re.compile("^(Suivant|Relire mes réponses)$")).click()


def test_participant_answers_leaves_resumes_and_submits(
    axe, browser, page, live_server, login_as, invited, csp_violations
):
    coordinator = UserFactory(role=User.Role.COORDINATOR)
    login_as(coordinator)
    page.goto(live_server.url + reverse("dashboard"))
    menu = page.get_by_role("navigation", name="Navigation principale")
    menu.get_by_role("link", name="Envois", exact=True).click()
    page.get_by_role("link", name="Votre avis sur la formation").click()
    link = page.locator(".email-body a", has_text="/evaluation/").get_attribute("href")
    assert link.startswith(live_server.url + "/evaluation/")

    phone = browser.new_context(
        locale="fr-FR", viewport=PHONE, has_touch=True, is_mobile=True, service_workers="block"
    )
    phone.set_default_timeout(10_000)
    person = phone.new_page()
    person.on(
        "console", lambda m: "Content Security Policy" in m.text and csp_violations.append(m.text)
    )
    try:
        person.goto(link)
        person.get_by_role("heading", name="Questionnaire anonyme").wait_for()
        check(axe, person, "evaluation-welcome")
        person.get_by_role("link", name="Commencer").click()

        check(axe, person, "evaluation-scale")
        # The scale answered with the keyboard: a real radio, Enter sends the form (Suivant).
        person.get_by_label("4", exact=True).focus()
        person.keyboard.press("Space")
        person.keyboard.press("Enter")
        answer_and_go_on(person, 2, lambda: person.get_by_label("Oui").check())
        answer_and_go_on(person, 3, lambda: person.get_by_label("Adaptée").check())
        person.get_by_text("Question 4 sur 7", exact=True).wait_for()
        check(axe, person, "evaluation-multiple")
        person.get_by_label("Pix").check()
        person.get_by_label("France Services").check()
        person.get_by_role("button", name="Suivant").click()
        person.get_by_text("Question 5 sur 7", exact=True).wait_for()

        # Halfway: the participant goes elsewhere, then opens the link again.
        person.goto("about:blank")
        person.goto(link)
        person.get_by_text("Vous reprenez où vous en étiez").wait_for()
        assert "Question 5 sur 7" in person.inner_text("main")
        assert person.locator("progress").get_attribute("value") == "5"
        person.get_by_role("button", name="Précédent").click()
        person.get_by_text("Question 4 sur 7", exact=True).wait_for()
        assert person.get_by_label("Pix").is_checked()
        assert person.get_by_label("France Services").is_checked()
        assert not person.get_by_label("Aidants Connect").is_checked()
        person.get_by_role("button", name="Suivant").click()

        answer_and_go_on(person, 5, lambda: person.get_by_label("Aidants Connect").check())
        person.get_by_text("Question 6 sur 7", exact=True).wait_for()
        check(axe, person, "evaluation-objectives")
        for objective, before, after in (
            ("Accompagner un usager", "2", "4"),
            ("Sécuriser ses données", "1", "3"),
        ):
            group = person.get_by_role("group", name=objective)
            group.get_by_role("group", name="Avant la formation").get_by_label(before).check()
            group.get_by_role("group", name="Aujourd'hui").get_by_label(after).check()
        person.get_by_role("button", name="Suivant").click()
        answer_and_go_on(
            person,
            7,
            lambda: person.get_by_role("textbox").fill("Très utile, merci à l'équipe."),
        )

        person.get_by_role("heading", name="Relire mes réponses").wait_for()
        check(axe, person, "evaluation-review")
        review = person.inner_text("main")
        assert "4 sur 5" in review and "Accompagner un usager : 2 avant, 4 après" in review
        person.get_by_role("button", name="Envoyer mes réponses").click()
        person.get_by_role("heading", name="Merci pour vos réponses").wait_for()
        check(axe, person, "evaluation-thanks")

        person.goto(link)
        person.get_by_role("heading", name="Vous avez déjà répondu, merci").wait_for()
        check(axe, person, "evaluation-already")
    finally:
        phone.close()

    response = Response.objects.get()
    assert response.participant is None
    assert response.submitted_on == timezone.localdate()
    assert Answer.objects.filter(response=response).count() == 9
    assert set(
        Answer.objects.filter(response=response, question__kind="multiple").values_list(
            "number", flat=True
        )
    ) == {0, 2}
    invited.refresh_from_db()
    assert invited.answered_on is not None and invited.draft == {}
    assert not csp_violations


def test_trainer_tablet_list_and_a_question_on_it(
    axe, page, live_server, login_as, invited, trainer, csp_violations
):
    session = invited.campaign.session
    session.trainers.add(trainer)
    # The tablet serves from the first half-day until the invitations go out.
    make_slot(session, timezone.localdate(), dt.time(9, 0), dt.time(12, 30))
    EnrolmentFactory(session=session, participant__last_name="Ravelonarivo-Andrianasolo")
    login_as(trainer)
    page.goto(live_server.url + reverse("sessions:session_detail", args=[session.pk]))
    page.get_by_role("link", name="Évaluation à chaud sur tablette").click()
    page.get_by_role("heading", name="Évaluation à chaud").wait_for()
    check(axe, page, "evaluation-tablet-list")
    page.get_by_role("link", name=re.compile("DIALLO Awa")).click()
    page.get_by_role("link", name="Commencer").click()
    page.get_by_label("5", exact=True).check()
    page.get_by_role("button", name="Suivant").click()
    page.get_by_text("Question 2 sur 7", exact=True).wait_for()
    check(axe, page, "evaluation-tablet-question")
    page.get_by_role("button", name="Enregistrer et finir plus tard").click()
    page.get_by_text("Réponses de DIALLO Awa gardées").wait_for()
    assert "Commencé : reprendre" in page.inner_text("main")
    page.goto(live_server.url + reverse("dashboard"))
    page.get_by_role("heading", name="Quitter le mode tablette").wait_for()
    assert not csp_violations
