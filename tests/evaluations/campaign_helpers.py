"""Shared by the campaign and sending tests: the shipped « à chaud » and « à froid »
questionnaires (with their codes), a session with half-days and participants."""

import datetime as dt

from evaluations.models import Questionnaire
from evaluations.services_campaigns import COLD_CODE, HOT_CODE
from tests.factories import EnrolmentFactory, TrainingSessionFactory
from tests.factories.evaluations import make_version
from tests.factories.planning import make_slot

QUESTION = {"kind": "scale", "text": "Êtes-vous satisfait·e ?"}


def shipped_versions():
    hot = make_version(QUESTION, title="Satisfaction à chaud", kind=Questionnaire.Kind.HOT)
    cold = make_version(QUESTION, title="Effets à trois mois", kind=Questionnaire.Kind.COLD)
    Questionnaire.objects.filter(pk=hot.questionnaire_id).update(code=HOT_CODE)
    Questionnaire.objects.filter(pk=cold.questionnaire_id).update(code=COLD_CODE)
    hot.questionnaire.refresh_from_db()
    cold.questionnaire.refresh_from_db()
    return hot, cold


def session_with_days(*days: dt.date, zone="Europe/Paris", people=0, **fields):
    session = TrainingSessionFactory(time_zone=zone, **fields)
    for day in days:
        make_slot(session, day, dt.time(9, 0), dt.time(12, 30), countersigned=False)
        make_slot(session, day, dt.time(13, 30), dt.time(17, 0), countersigned=False)
    for _ in range(people):
        EnrolmentFactory(session=session)
    return session
