"""Shared by the campaign and sending tests: the shipped « à chaud » and « à froid »
questionnaires (with their codes), a session with half-days and participants."""

import datetime as dt
import uuid

import pytest
from django.urls import NoReverseMatch, reverse

from evaluations import tokens
from evaluations.models import Questionnaire
from evaluations.services_campaigns import COLD_CODE, HOT_CODE, latest_version
from tests.factories import EnrolmentFactory, TrainingSessionFactory
from tests.factories.evaluations import make_version
from tests.factories.planning import make_slot

QUESTION = {"kind": "scale", "text": "Êtes-vous satisfait·e ?"}


def shipped_versions():
    """The latest versions of the questionnaires coded « a-chaud » and « a-froid »: those
    installed already (the shipped defaults), else made here."""
    versions = []
    for code, title, kind in (
        (HOT_CODE, "Satisfaction à chaud", Questionnaire.Kind.HOT),
        (COLD_CODE, "Effets à trois mois", Questionnaire.Kind.COLD),
    ):
        version = latest_version(code)
        if version is None:
            version = make_version(QUESTION, title=title, kind=kind)
            Questionnaire.objects.filter(pk=version.questionnaire_id).update(code=code)
            version.questionnaire.refresh_from_db()
        versions.append(version)
    return tuple(versions)


def session_with_days(*days: dt.date, zone="Europe/Paris", people=0, **fields):
    session = TrainingSessionFactory(time_zone=zone, **fields)
    for day in days:
        make_slot(session, day, dt.time(9, 0), dt.time(12, 30), countersigned=False)
        make_slot(session, day, dt.time(13, 30), dt.time(17, 0), countersigned=False)
    for _ in range(people):
        EnrolmentFactory(session=session)
    return session


@pytest.fixture
def answer_url(monkeypatch):
    """The answering page (`evaluations:answer`) is built apart: until it is merged, the
    link is written as that page's path would be, so the sending can be tested alone."""
    try:
        reverse("evaluations:answer", args=[uuid.uuid4(), "x"])
    except NoReverseMatch:
        monkeypatch.setattr(
            tokens,
            "invitation_path",
            lambda i: f"/evaluation/{i.key}/{tokens.invitation_token(i.key)}/",
        )
