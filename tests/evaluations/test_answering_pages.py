import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from evaluations.models import Answer, Campaign, Invitation, Response
from evaluations.tokens import invitation_path, invitation_token
from tests.evaluations import answering_world
from tests.evaluations.answering_world import fill
from tests.factories import EnrolmentFactory, ParticipantFactory, UserFactory
from tests.factories.planning import make_slot

world = answering_world.world  # the fixture, under its name

INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+=", re.I)


def step_url(invitation, step):
    key = invitation.key
    return reverse("evaluations:answer_step", args=[key, invitation_token(key), step])


def page_url(invitation, name):
    key = invitation.key
    return reverse(f"evaluations:{name}", args=[key, invitation_token(key)])


def assert_strict_page(response):
    assert "Content-Security-Policy" in response.headers
    assert "no-store" in response.headers["Cache-Control"]
    html = response.content.decode()
    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert not INLINE.search(html), INLINE.search(html).group(0)


def test_welcome_says_anonymous_before_answering_and_records_the_opening(client, world):
    invitation = world["invitation"]
    response = client.get(invitation_path(invitation))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Questionnaire anonyme" in html
    assert "jamais qui a écrit quoi" in html
    assert world["session"].code in html
    assert "7 questions" in html and "environ 4 minutes" in html
    assert_strict_page(response)
    invitation.refresh_from_db()
    opened = invitation.opened_at
    assert opened is not None
    client.get(invitation_path(invitation))
    invitation.refresh_from_db()
    assert invitation.opened_at == opened


def test_welcome_of_a_nominative_questionnaire_says_so(client, world):
    questionnaire = world["version"].questionnaire
    questionnaire.nominative = True
    questionnaire.save()
    html = client.get(invitation_path(world["invitation"])).content.decode()
    assert "Questionnaire nominatif" in html and "porteront votre nom" in html


def test_one_question_per_screen_with_progress(client, world):
    response = client.get(step_url(world["invitation"], 3))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Question 3 sur 7" in html
    assert '<progress class="answer-progress" max="7" value="3"' in html
    assert html.count('type="radio" name="value"') == 3
    for label in ("Suivant", "Précédent", "Enregistrer et finir plus tard"):
        assert label in html
    assert_strict_page(response)


def test_next_saves_the_draft_and_reopening_the_link_resumes(client, world):
    invitation, questions = world["invitation"], world["questions"]
    response = client.post(step_url(invitation, 1), {"value": "5", "go": "next"})
    assert response.url == step_url(invitation, 2)
    client.post(step_url(invitation, 2), {"value": "no", "go": "next"})
    invitation.refresh_from_db()
    assert invitation.draft == {str(questions[0].pk): 5, str(questions[1].pk): False}
    assert invitation.draft_step == 3

    reopened = client.get(invitation_path(invitation))
    assert reopened.url == step_url(invitation, 3) + "?reprise=1"
    page = client.get(reopened.url).content.decode()
    assert "Vous reprenez où vous en étiez" in page
    back = client.get(step_url(invitation, 2)).content.decode()
    assert 'value="no" checked' in back


def test_save_and_finish_later(client, world):
    invitation = world["invitation"]
    response = client.post(step_url(invitation, 4), {"value": ["1"], "go": "later"})
    assert response.url == page_url(invitation, "answer_later")
    assert "Vos réponses sont gardées" in client.get(response.url).content.decode()
    invitation.refresh_from_db()
    assert invitation.draft_step == 4


@pytest.mark.parametrize(
    ("step", "data", "message"),
    [
        (1, {"value": "9"}, "Choisissez une note de 1 à 5."),
        (1, {}, "Cette question demande une réponse."),
        (3, {"value": "12"}, "Choisissez l&#x27;une des options proposées."),
        (6, {"before-0": "2"}, "indiquez une note avant et une note après"),
        (7, {"value": "x" * 5001}, "dépasse 5000 caractères"),
    ],
)
def test_a_bad_value_is_shown_again_with_its_message_and_nothing_written(
    client, world, step, data, message
):
    invitation = world["invitation"]
    response = client.post(step_url(invitation, step), {**data, "go": "next"})
    assert response.status_code == 400
    assert message in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.draft == {} and invitation.draft_step == 0


def test_review_then_submit_then_thanks(client, world):
    invitation = world["invitation"]
    fill(invitation, world["questions"])
    review = client.get(page_url(invitation, "answer_review")).content.decode()
    assert "Aidants Connect" in review and "4 sur 5" in review
    assert "Accompagner un usager : 2 avant, 4 après" in review

    response = client.post(page_url(invitation, "answer_review"))
    assert response.url == page_url(invitation, "answer_done")
    thanks = client.get(response.url)
    assert "Merci pour vos réponses" in thanks.content.decode()
    assert_strict_page(thanks)
    assert Response.objects.count() == 1 and Answer.objects.count() == 9

    again = client.post(page_url(invitation, "answer_review"))
    assert again.status_code == 409
    assert "Vous avez déjà répondu, merci" in again.content.decode()
    assert Response.objects.count() == 1 and Answer.objects.count() == 9
    link = client.get(invitation_path(invitation))
    assert link.status_code == 409
    assert client.post(step_url(invitation, 1), {"value": "1"}).status_code == 409


def test_submit_with_a_required_answer_missing_names_it(client, world):
    invitation = world["invitation"]
    response = client.post(page_url(invitation, "answer_review"))
    assert response.status_code == 400
    assert "La question « Contenus » demande une réponse." in response.content.decode()
    assert not Response.objects.exists()


@pytest.mark.parametrize("case", ["forged", "other_person", "unknown_key"])
def test_a_bad_link_is_refused_and_writes_nothing(client, world, case):
    invitation = world["invitation"]
    fill(invitation, world["questions"])
    other = Invitation.objects.create(
        campaign=world["campaign"], participant=ParticipantFactory(), channel="email"
    )
    key = invitation.key
    token = {
        "forged": "0" * 40,
        "other_person": invitation_token(other.key),
        "unknown_key": invitation_token(key),
    }[case]
    if case == "unknown_key":
        key = "6f1c8e0a-1b2c-4d5e-8f90-123456789abc"
    for url in (
        reverse("evaluations:answer", args=[key, token]),
        reverse("evaluations:answer_step", args=[key, token, 1]),
        reverse("evaluations:answer_review", args=[key, token]),
    ):
        for method in (client.get, client.post):
            response = method(url, {"value": "1"})
            assert response.status_code == 404
            html = response.content.decode()
            assert "Lien non valide" in html
            assert world["session"].code not in html
    assert not Response.objects.exists()
    invitation.refresh_from_db()
    assert invitation.opened_at is None and invitation.answered_on is None


def test_bad_links_from_one_address_are_limited(client, world, settings):
    from evaluations import views_answers

    url = reverse("evaluations:answer", args=[world["invitation"].key, "0" * 40])
    codes = [client.get(url).status_code for _ in range(views_answers.BAD_LINKS_PER_WINDOW + 2)]
    assert codes[0] == 404 and codes[-1] == 429


@pytest.mark.parametrize(
    ("field", "delta", "status", "text"),
    [
        ("cancelled_at", dt.timedelta(hours=-1), 410, "a été annulée"),
        ("closes_at", dt.timedelta(hours=-1), 410, "est close depuis le"),
        ("opens_at", dt.timedelta(days=3), 403, "ouvre le"),
    ],
)
def test_a_campaign_cancelled_closed_or_not_yet_open_refuses(
    client, world, field, delta, status, text
):
    campaign, invitation = world["campaign"], world["invitation"]
    when = timezone.now() + delta
    setattr(campaign, field, when)
    campaign.save()
    fill(invitation, world["questions"])
    for response in (
        client.get(invitation_path(invitation)),
        client.post(page_url(invitation, "answer_review")),
    ):
        assert response.status_code == status
        assert text in response.content.decode()
    if field == "opens_at":
        assert timezone.localtime(when).strftime("%d/%m/%Y") in response.content.decode()
    assert not Response.objects.exists()


# ------------------------------------------------------------------ the tablet


@pytest.fixture
def tablet(client, world, trainer):
    """The trainer's tablet on the session's first half-day (today), before the
    invitations go out."""
    make_slot(world["session"], timezone.localdate(), dt.time(9, 0), dt.time(12, 30))
    world["session"].trainers.add(trainer)
    client.force_login(trainer)
    return client


def tablet_url(world, name="tablet", *extra):
    return reverse(f"evaluations:{name}", args=[world["campaign"].pk, *extra])


def test_session_page_offers_the_tablet_to_its_trainer(tablet, world):
    page = tablet.get(reverse("sessions:session_detail", args=[world["session"].pk]))
    html = page.content.decode()
    assert "Évaluation à chaud sur tablette" in html
    assert tablet_url(world) in html


def test_another_trainer_gets_404(client, world):
    client.force_login(UserFactory(role="trainer"))
    assert client.get(tablet_url(world)).status_code == 404
    participant = world["participant"]
    assert client.get(tablet_url(world, "tablet_answer", participant.pk)).status_code == 404
    assert not Invitation.objects.filter(channel="tablet").exists()


def test_tablet_lists_who_may_answer_there_never_who_answered_by_link(tablet, world):
    session, campaign = world["session"], world["campaign"]
    now, today = timezone.now(), timezone.localdate()
    people = {}
    for name, fields in (
        ("by_link", {"channel": "email", "sent_at": now, "answered_on": today}),
        ("link_started", {"channel": "email", "sent_at": now, "draft_step": 3}),
        ("on_tablet", {"channel": "tablet", "answered_on": today}),
    ):
        people[name] = EnrolmentFactory(session=session).participant
        Invitation.objects.create(campaign=campaign, participant=people[name], **fields)
    page = tablet.get(tablet_url(world))
    html = page.content.decode()
    assert page.status_code == 200
    assert world["participant"].full_name in html
    assert people["by_link"].full_name not in html
    assert people["link_started"].full_name not in html
    assert "Commencé" not in html
    done = html.split(people["on_tablet"].full_name)[1].split("</li>")[0]
    assert "Répondu, merci" in done
    assert tablet_url(world, "tablet_answer", people["on_tablet"].pk) not in html
    assert "(1 réponse sur cette tablette)" in html
    assert " / " not in html.split('class="tablet-instruction"')[1].split("</p>")[0]
    assert_no_inline(html)

    elsewhere = tablet.get(reverse("dashboard"))
    assert elsewhere.status_code == 302
    assert elsewhere.url.startswith(reverse("sessions:tablet_unlock"))
    unlock = tablet.get(elsewhere.url).content.decode()
    assert "la liste de l&#x27;évaluation à chaud" in unlock
    assert tablet.get(tablet_url(world)).status_code == 200


def assert_no_inline(html):
    assert not INLINE.search(html)


def test_answering_on_the_tablet(tablet, world, trainer):
    participant = world["participant"]
    newcomer = EnrolmentFactory(session=world["session"]).participant
    welcome = tablet.get(tablet_url(world, "tablet_answer", newcomer.pk))
    assert welcome.status_code == 200
    assert newcomer.full_name in welcome.content.decode()
    invitation = Invitation.objects.get(participant=newcomer)
    assert invitation.channel == "tablet"
    fill(invitation, world["questions"])

    done = tablet.post(tablet_url(world, "tablet_answer_review", newcomer.pk))
    assert done.url == tablet_url(world)
    response = Response.objects.get()
    assert response.on_tablet and response.participant is None
    listing = tablet.get(tablet_url(world)).content.decode()
    assert "votre réponse est enregistrée" in listing
    assert participant.full_name in listing
    # Not someone of another session.
    stranger = ParticipantFactory()
    assert tablet.get(tablet_url(world, "tablet_answer", stranger.pk)).status_code == 404
    # An answered person is sent back to the list.
    again = tablet.post(tablet_url(world, "tablet_answer_review", newcomer.pk))
    assert again.url == tablet_url(world)
    assert Response.objects.count() == 1


def test_a_nominative_answer_on_the_tablet_names_the_person(tablet, world):
    questionnaire = world["version"].questionnaire
    questionnaire.nominative = True
    questionnaire.save()
    participant = world["participant"]
    tablet.get(tablet_url(world, "tablet_answer", participant.pk))
    fill(world["invitation"], world["questions"])
    tablet.post(tablet_url(world, "tablet_answer_review", participant.pk))
    response = Response.objects.get()
    assert response.participant == participant and response.on_tablet


def test_tablet_step_saves_and_goes_on(tablet, world):
    participant = world["participant"]
    url = tablet_url(world, "tablet_answer_step", participant.pk, 1)
    response = tablet.post(url, {"value": "3", "go": "next"})
    assert response.url == tablet_url(world, "tablet_answer_step", participant.pk, 2)
    later = tablet.post(response.url, {"value": "yes", "go": "later"})
    assert later.url == tablet_url(world)
    world["invitation"].refresh_from_db()
    assert world["invitation"].draft_step == 2
    assert "Commencé : reprendre" in tablet.get(tablet_url(world)).content.decode()


def test_unlocking_with_the_password_leads_back_to_the_session(tablet, world, trainer):
    from tests.factories import SlotFactory

    trainer.set_password("secret-formateur")
    trainer.save()
    tablet.force_login(trainer)
    tablet.get(tablet_url(world))
    slot = SlotFactory(session=world["session"])
    # Not even the same session's signing pages: the lock is on this evaluation.
    assert tablet.get(reverse("sessions:slot_tablet", args=[slot.pk])).status_code == 302
    response = tablet.post(reverse("sessions:tablet_unlock"), {"password": "secret-formateur"})
    assert response.url == reverse("sessions:session_detail", args=[world["session"].pk])
    assert tablet.get(reverse("dashboard")).status_code == 200


@pytest.mark.parametrize("extra", [1, 8])
def test_tablet_list_reads_a_constant_number_of_queries(
    tablet, world, extra, django_assert_max_num_queries
):
    for _ in range(extra):
        newcomer = EnrolmentFactory(session=world["session"]).participant
        Invitation.objects.create(campaign=world["campaign"], participant=newcomer, draft_step=2)
    tablet.get(tablet_url(world))  # the lock, written once
    with django_assert_max_num_queries(9):
        response = tablet.get(tablet_url(world))
    assert response.content.decode().count('class="tablet-name"') == extra + 1


def test_a_nul_character_posted_in_any_field_is_not_a_server_error(client, world):
    invitation = world["invitation"]
    for step, data in (
        (1, {"value": "4\x00", "go": "next"}),
        (4, {"value": ["0\x00", "2"], "go": "next"}),
        (6, {"before-0": "2\x00", "after-0": "4", "go": "next"}),
        (7, {"value": "Très\x00 utile", "go": "next"}),
    ):
        response = client.post(step_url(invitation, step), data)
        assert response.status_code in (302, 400), (step, response.status_code)
    invitation.refresh_from_db()
    assert invitation.draft[str(world["questions"][6].pk)] == "Très utile"


def test_the_anonymous_notice_names_every_fact_kept(client, world):
    html = client.get(invitation_path(world["invitation"])).content.decode()
    assert (
        "le type de votre structure, et si nous les connaissons votre sexe et votre tranche "
        "d'âge, et le jour de la réponse" in html.replace("&#x27;", "'")
    )


def test_the_tablet_refuses_a_person_sent_their_link_and_never_shows_their_draft(tablet, world):
    invitation, participant = world["invitation"], world["participant"]
    comment = world["questions"][6]
    Invitation.objects.filter(pk=invitation.pk).update(
        sent_at=timezone.now(), draft={str(comment.pk): "Mon avis caché"}, draft_step=7
    )
    refusal = "Cette personne a reçu son lien personnel : elle répond depuis son téléphone"
    for url in (
        tablet_url(world, "tablet_answer", participant.pk),
        tablet_url(world, "tablet_answer_step", participant.pk, 7),
        tablet_url(world, "tablet_answer_review", participant.pk),
    ):
        response = tablet.get(url)
        assert response.status_code == 302 and response.url == tablet_url(world)
        listing = tablet.get(response.url).content.decode()
        assert refusal in listing and "Mon avis caché" not in listing
    step = tablet.post(
        tablet_url(world, "tablet_answer_step", participant.pk, 7),
        {"value": "Autre chose", "go": "next"},
    )
    submit = tablet.post(tablet_url(world, "tablet_answer_review", participant.pk))
    assert step.url == submit.url == tablet_url(world)
    invitation.refresh_from_db()
    assert invitation.draft == {str(comment.pk): "Mon avis caché"}
    assert not Response.objects.exists()


def test_the_tablet_serves_from_the_first_half_day_until_the_invitations_go_out(
    client, world, trainer
):
    session, campaign, participant = world["session"], world["campaign"], world["participant"]
    session.trainers.add(trainer)
    client.force_login(trainer)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    make_slot(session, tomorrow, dt.time(9, 0), dt.time(12, 30))
    panel = client.get(reverse("sessions:session_detail", args=[session.pk])).content.decode()
    assert "La tablette sera proposée à partir de la première demi-journée" in panel
    assert tablet_url(world) not in panel

    early = client.get(tablet_url(world)).content.decode()
    assert f"à partir de la première demi-journée de la session, le {tomorrow:%d/%m/%Y}" in early
    assert participant.full_name not in early
    tap = client.get(tablet_url(world, "tablet_answer", participant.pk))
    assert tap.url == tablet_url(world)
    assert not Invitation.objects.filter(channel="tablet").exists()

    make_slot(session, timezone.localdate(), dt.time(9, 0), dt.time(12, 30))
    assert participant.full_name in client.get(tablet_url(world)).content.decode()

    Campaign.objects.filter(pk=campaign.pk).update(launched_at=timezone.now())
    late = client.get(tablet_url(world)).content.decode()
    assert "Les invitations de cette évaluation sont parties" in late
    assert participant.full_name not in late
    assert client.get(tablet_url(world, "tablet_answer", participant.pk)).url == tablet_url(world)


def test_a_name_tapped_without_answering_gets_the_e_mail_at_launch(tablet, world):
    from evaluations.sending import send_due
    from formations.models import OutboxMessage

    newcomer = EnrolmentFactory(session=world["session"]).participant
    assert tablet.get(tablet_url(world, "tablet_answer", newcomer.pk)).status_code == 200
    assert Invitation.objects.get(participant=newcomer).channel == "tablet"

    send_due(now=timezone.now())

    message = OutboxMessage.objects.get(participant=newcomer)
    assert message.recipient == newcomer.email and message.channel == "email"
    invitation = Invitation.objects.get(participant=newcomer)
    assert invitation.channel == "email" and invitation.sent_at is not None
    # From now on the tablet leaves the person to their link.
    assert tablet.get(tablet_url(world, "tablet_answer", newcomer.pk)).url == tablet_url(world)


def test_modify_from_the_review_comes_back_to_the_review(client, world):
    """« Modifier » on the review opens the question; « Relire mes réponses » then goes
    back to the review, not through every question again."""
    invitation, questions = world["invitation"], world["questions"]
    fill(invitation, questions)
    review = client.get(page_url(invitation, "answer_review")).content.decode()
    modify = step_url(invitation, 1) + "?relecture=1"
    assert f'href="{modify}"' in review

    page = client.get(modify).content.decode()
    assert 'name="from_review" value="1"' in page and "Relire mes réponses" in page
    response = client.post(modify, {"value": "2", "go": "next", "from_review": "1"})

    assert response.url == page_url(invitation, "answer_review")
    invitation.refresh_from_db()
    assert invitation.draft[str(questions[0].pk)] == 2


def test_a_screen_beyond_the_last_leads_back_to_the_screen_reached(client, world):
    invitation = world["invitation"]
    client.post(step_url(invitation, 1), {"value": "5", "go": "next"})

    response = client.get(step_url(invitation, 999))

    assert response.status_code == 302 and response.url == step_url(invitation, 2)
