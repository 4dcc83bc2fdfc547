"""The world of the answering tests (imported by them, not a conftest: the other pages of
evaluations keep their own)."""

import datetime as dt

import pytest
from django.utils import timezone

from evaluations.models import Invitation, Question
from tests.factories import EnrolmentFactory, ParticipantFactory, StructureFactory
from tests.factories.evaluations import make_campaign, make_version

K = Question.Kind

# One question of each kind, in this order.
ALL_KINDS = (
    {
        "kind": K.SCALE,
        "text": "Contenus",
        "scale_low_label": "Pas du tout satisfait·e",
        "scale_high_label": "Très satisfait·e",
    },
    {"kind": K.YES_NO, "text": "Recommanderiez-vous cette formation ?"},
    {"kind": K.SINGLE, "text": "Durée", "choices": ["Trop courte", "Adaptée", "Trop longue"]},
    {
        "kind": K.MULTIPLE,
        "text": "Outils utilisés",
        "choices": ["Pix", "Aidants Connect", "France Services"],
        "required": False,
    },
    {
        "kind": K.QUIZ,
        "text": "Quel service aide à faire des démarches ?",
        "choices": ["Pix", "Aidants Connect", "Doctolib"],
        "correct_choices": [1],
        "points": 2,
    },
    {"kind": K.OBJECTIVES, "text": "Vos compétences"},
    {"kind": K.TEXT, "text": "Commentaires", "required": False},
)


@pytest.fixture
def world(db):
    """An à chaud campaign of a session (open since yesterday) with every kind of question,
    and a participant's e-mail invitation."""
    structure = StructureFactory(kind="ccas")
    participant = ParticipantFactory(first_name="Awa", last_name="Diallo", structure=structure)
    enrolment = EnrolmentFactory(participant=participant)
    session = enrolment.session
    session.formation.objectives = "- Accompagner un usager\n\n• Sécuriser ses données\n"
    session.formation.save()
    version = make_version(*ALL_KINDS)
    campaign = make_campaign(session, version, opens_at=timezone.now() - dt.timedelta(days=1))
    invitation = Invitation.objects.create(
        campaign=campaign, participant=participant, enrolment=enrolment, channel="email"
    )
    questions = list(Question.objects.filter(section__version=version).order_by("position"))
    return {
        "session": session,
        "campaign": campaign,
        "invitation": invitation,
        "participant": participant,
        "questions": questions,
        "version": version,
    }


def fill(invitation, questions):
    """A complete draft, as the pages would have saved it."""
    values = [
        4,
        True,
        1,
        [0, 2],
        [1],
        {"Accompagner un usager": [2, 4], "Sécuriser ses données": [1, 3]},
        "Très utile",
    ]
    invitation.draft = {str(q.pk): v for q, v in zip(questions, values, strict=True)}
    invitation.draft_step = len(questions) + 1
    invitation.save()
    return values
