"""A known set of answers for the synthesis and export tests: one FEDER-funded formation
(with the auditor fixture's funder), one session with a trainer, an « à chaud »
questionnaire of a scale, a yes/no, a multiple choice, an objectives question and a
comment, ten participants invited and four who answered."""

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from evaluations.models import Answer, Campaign, Invitation, Question
from tests.factories import (
    EnrolmentFactory,
    FunderFactory,
    ParticipantFactory,
    StructureFactory,
    TrainingSessionFactory,
)
from tests.factories.evaluations import add_response, make_campaign, make_version

HIDDEN_COMMENT = "Madame Lefèvre de la mairie nous a mal reçus"
SHOWN_COMMENT = "Très bonne animation, merci"
PARTICIPANT_EMAIL = "alice.martin@example.org"


@dataclass
class SynthesisWorld:
    session: object
    formation: object
    version: object
    campaign: Campaign
    questions: dict
    participants: list
    hidden: Answer
    shown: Answer


def build_world(*, trainer=None, nominative=False) -> SynthesisWorld:
    funder = FunderFactory()  # FEDER, the auditor fixture's funder
    session = TrainingSessionFactory(code="LILLE-2026-01")
    session.formation.programme.funders.add(funder)
    if trainer is not None:
        session.trainers.add(trainer)
    version = make_version(
        {
            "kind": Question.Kind.SCALE,
            "text": "Contenus de la formation",
            "scale_low_label": "Pas du tout satisfait·e",
            "scale_high_label": "Très satisfait·e",
        },
        {"kind": Question.Kind.YES_NO, "text": "Recommanderiez-vous la formation ?"},
        {
            "kind": Question.Kind.MULTIPLE,
            "text": "Outils utilisés",
            "choices": ["Pix", "Aidants Connect", "France Connect"],
        },
        {"kind": Question.Kind.OBJECTIVES, "text": "Progrès par objectif"},
        {"kind": Question.Kind.TEXT, "text": "Commentaires", "required": False},
        nominative=nominative,
    )
    questions = {q.kind: q for q in Question.objects.filter(section__version=version)}
    campaign = make_campaign(
        session,
        version,
        opens_at=timezone.make_aware(dt.datetime(2026, 6, 1, 17, 0)),
        launched_at=timezone.make_aware(dt.datetime(2026, 6, 1, 17, 0)),
    )
    participants = []
    structure = StructureFactory(kind="ccas")
    for index in range(10):
        participant = ParticipantFactory(
            first_name="Alice" if index == 0 else "Camille",
            last_name="Martin" if index == 0 else f"Nom{index}",
            email=PARTICIPANT_EMAIL if index == 0 else f"p{index}@example.org",
            phone="+33612345678" if index == 0 else "",
            structure=structure,
        )
        enrolment = EnrolmentFactory(session=session, participant=participant)
        Invitation.objects.create(
            campaign=campaign,
            participant=participant,
            enrolment=enrolment,
            channel="email",
            answered_on=dt.date(2026, 6, 2) if index < 4 else None,
        )
        participants.append(participant)
    q = questions
    # Scale: 5, 4, 4, 2 → mean 3.75; yes/no: 3 yes, 1 no; tools: Pix ×3, Aidants ×1.
    answers = [
        (5, True, [0, 2], {"Accompagner une démarche": (2, 4)}, SHOWN_COMMENT),
        (4, True, [0], {"Accompagner une démarche": (1, 4)}, HIDDEN_COMMENT),
        (4, True, [0, 1], {"Accompagner une démarche": (3, 5)}, ""),
        (2, False, [], {"Accompagner une démarche": (2, 3)}, ""),
    ]
    for index, (scale, yes, tools, objectives, comment) in enumerate(answers):
        values = {q["scale"]: scale, q["yes_no"]: yes, q["objectives"]: objectives}
        if tools:
            values[q["multiple"]] = tools
        if comment:
            values[q["text"]] = comment
        add_response(
            campaign,
            values,
            participant=participants[index],
            structure_kind="ccas",
            submitted_on=dt.date(2026, 6, 2),
        )
    hidden = Answer.objects.get(text=HIDDEN_COMMENT)
    shown = Answer.objects.get(text=SHOWN_COMMENT)
    return SynthesisWorld(
        session=session,
        formation=session.formation,
        version=version,
        campaign=campaign,
        questions=questions,
        participants=participants,
        hidden=hidden,
        shown=shown,
    )
