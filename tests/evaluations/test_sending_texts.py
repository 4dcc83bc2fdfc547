"""The words of the invitations (`evaluations.sending.message_text`): a quiz or a
nominative auto-positionnement does not ask for « votre avis »."""

import pytest

from evaluations.models import Invitation, Questionnaire
from evaluations.sending import message_text
from formations.models import OutboxMessage
from tests.evaluations.campaign_helpers import answer_url  # noqa: F401 (fixture)
from tests.factories import EnrolmentFactory, TrainingSessionFactory
from tests.factories.evaluations import make_campaign, make_version

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("answer_url")]

EMAIL, SMS = OutboxMessage.Channel.EMAIL, OutboxMessage.Channel.SMS


def invitation(title, kind, nominative):
    session = TrainingSessionFactory()
    enrolment = EnrolmentFactory(session=session)
    version = make_version(title=title, kind=kind, nominative=nominative)
    return Invitation.objects.create(
        campaign=make_campaign(session, version),
        participant=enrolment.participant,
        enrolment=enrolment,
    )


def texts(item):
    return [
        message_text(item, channel=channel, reminder=reminder)
        for channel in (EMAIL, SMS)
        for reminder in (False, True)
    ]


def test_a_quiz_invitation_asks_to_answer_the_quiz_not_for_an_opinion():
    quiz = invitation("Quiz d'intersession PIX", Questionnaire.Kind.QUIZ, True)

    (subject, body), (reminder_subject, reminder_body), (_, sms), (_, sms_reminder) = texts(quiz)

    assert subject == "Quiz : « Quiz d'intersession PIX »"
    assert reminder_subject == "Rappel : quiz « Quiz d'intersession PIX »"
    assert "Merci de répondre au quiz « Quiz d'intersession PIX » sur la session" in body
    assert "Vous n'avez pas encore répondu au quiz" in reminder_body
    assert sms.startswith("Quiz sur ") and sms_reminder.startswith("Rappel : quiz sur ")
    everything = " ".join([subject, body, reminder_subject, reminder_body, sms, sms_reminder])
    assert "avis" not in everything


def test_a_nominative_positioning_is_a_questionnaire_not_an_opinion():
    positioning = invitation("Où en êtes-vous ?", Questionnaire.Kind.POSITIONING, True)

    (subject, body), (reminder_subject, _), (_, sms), _sms_reminder = texts(positioning)

    assert subject == "Questionnaire : « Où en êtes-vous ? »"
    assert reminder_subject == "Rappel : questionnaire « Où en êtes-vous ? »"
    assert "Merci de répondre au questionnaire « Où en êtes-vous ? » sur la session" in body
    assert sms.startswith("Questionnaire sur ") and "(nominatif)" in sms
    assert "avis" not in subject + body + sms


def test_an_anonymous_survey_still_asks_for_an_opinion():
    survey = invitation("Satisfaction à chaud", Questionnaire.Kind.HOT, False)

    (subject, body), (reminder_subject, _), (_, sms), _sms_reminder = texts(survey)

    assert subject == "Votre avis : « Satisfaction à chaud »"
    assert reminder_subject == "Rappel : « Satisfaction à chaud », votre avis compte"
    assert "Merci de donner votre avis sur la session" in body
    assert sms.startswith("Votre avis sur ")
