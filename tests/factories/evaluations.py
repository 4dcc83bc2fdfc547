"""Evaluations for tests: a questionnaire version with the questions a test names, a
campaign on a session, and responses written as the model stores them (see the
`evaluations.models` docstring), without going through the answering pages."""

import datetime as dt

from django.utils import timezone

from evaluations.answers import answer_rows
from evaluations.models import (
    Campaign,
    Question,
    Questionnaire,
    QuestionnaireVersion,
    Response,
    Section,
)


def make_version(
    *questions: dict, title="Satisfaction à chaud", kind=Questionnaire.Kind.HOT, nominative=False
) -> QuestionnaireVersion:
    """``questions``: dicts of `Question` fields (kind and text at least), all in one
    section, in the order given."""
    questionnaire = Questionnaire.objects.create(title=title, kind=kind, nominative=nominative)
    version = QuestionnaireVersion.objects.create(questionnaire=questionnaire, number=1)
    section = Section.objects.create(version=version, position=1, title="Questions")
    for position, fields in enumerate(questions, start=1):
        Question.objects.create(section=section, position=position, **fields)
    return version


def make_campaign(session, version, *, opens_at=None, **fields) -> Campaign:
    return Campaign.objects.create(
        version=version,
        formation=session.formation,
        session=session,
        opens_at=opens_at or timezone.now(),
        **fields,
    )


def add_response(campaign: Campaign, values: dict, *, participant=None, **facts) -> Response:
    """One submitted response. ``values``: {question: value} with value as a person gives
    it: an int 1–5 (scale), a bool (yes/no), an option index (single), a list of indices
    (multiple, quiz), a str (text), {objective: (before, after)} (objectives)."""
    facts.setdefault("submitted_on", dt.date(2026, 6, 1))
    facts.setdefault("respondent_role", Campaign.Audience.PARTICIPANTS)
    nominative = campaign.version.questionnaire.nominative
    response = Response.objects.create(
        campaign=campaign,
        version=campaign.version,
        session=campaign.session,
        participant=participant if nominative else None,
        **facts,
    )
    for question, value in values.items():
        for row in answer_rows(question, value):
            row.response = response
            row.save()
    return response
