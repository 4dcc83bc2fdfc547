"""Demo evaluations: the shipped questionnaires; à chaud and à froid on the demo's past
sessions; on three of them (two Seine-Saint-Denis sessions and the first Mayotte labo)
answers from about three people in four, so that results, charts and syntheses show at
once; on the others, campaigns due and not yet sent, so that `run_periodic` (or
`send_evaluations`) has invitations to send. Idempotent: a session's campaigns are
scheduled once, answers given once."""

import datetime as dt
import random
from dataclasses import dataclass

from django.db.models import Max

from evaluations import defaults
from evaluations.models import Answer, Campaign, Invitation, Question, Response
from evaluations.objectives import formation_objectives
from evaluations.sending import campaign_launch
from evaluations.services_answers import asked_questions, draft_save, response_submit
from evaluations.services_campaigns import (
    campaign_create,
    campaigns_schedule_hot_cold,
    latest_version,
)
from evaluations.services_synthesis import comment_hide
from sessions.models import TrainingSession

PAST_SESSIONS = (
    "AO3-2018-03",
    "AO3-2018-04",
    "LABO-2021-1",
    "LABO-2021-2",
    "CD93-2022-01",
    "CD93-2022-02",
    "CD93-2022-03",
)
ANSWERED_SESSIONS = ("CD93-2022-01", "CD93-2022-02", "LABO-2021-1")
ANSWER_SHARE = 0.75

NAMING_COMMENT = "Merci à Mme Hamidou de la Mission locale pour son aide sur les démarches CAF."
# Free-text answers by what the question asks (a word of its text), else REMARKS.
TEXTS = {
    "apprécié": (
        "Très concret, je repars avec des outils utilisables dès lundi.",
        "Les échanges entre structures, on ne se parle pas assez d'habitude.",
        "Formatrice à l'écoute, contenus clairs.",
        "Les cas pratiques sur l'accès aux droits en ligne.",
    ),
    "améliorer": (
        "Le rythme de l'après-midi était un peu rapide.",
        "Plus de cas pratiques sur les démarches CAF et France Travail.",
        "Salle trop petite pour le nombre de participant·es.",
        "Envoyer les supports avant la session.",
    ),
    "exemple concret": (
        "J'oriente plus vite vers les bons interlocuteurs.",
        "J'utilise le diagnostic numérique avec chaque nouvelle personne accompagnée.",
        "Je fais les démarches avec la personne plutôt qu'à sa place.",
    ),
    "autres outils": (
        "La carte des lieux de médiation numérique du département.",
        "Le simulateur de droits mes-aides.",
    ),
    "précisez": (
        "Pas assez de postes informatiques dans la structure.",
        "Le logiciel de la structure ne le permet pas encore.",
    ),
    "retenez": (
        "Travailler le projet avec les habitants dès le départ.",
        "Les retours des autres CCAS sur leurs analyses des besoins sociaux.",
    ),
    "prochain labo": (
        "Plus de temps pour avancer sur notre fiche projet.",
        "Une visite de terrain dans une structure d'un autre territoire.",
    ),
}
REMARKS = (
    "Merci pour cette journée.",
    "Formation à proposer aux collègues qui arrivent.",
    "Bonne organisation, accueil agréable.",
)
# Answers arrive on the days after the invitation, not on the day the demo is loaded.
ANSWER_WITHIN_DAYS = 10


@dataclass(frozen=True)
class Loaded:
    campaigns: int
    responses: int


def load(*, coordinator) -> Loaded:
    # The shipped questionnaires come with the migrations; a database emptied since
    # (flush) gets them back. Those that exist are left as they are.
    defaults.install_defaults()
    rng = random.Random(2026)
    sessions = (
        TrainingSession.objects.filter(code__in=PAST_SESSIONS)
        .annotate(last_end=Max("slots__ends_at"))
        .select_related("formation")
        .order_by("code")
    )
    created = responses = 0
    for session in sessions:
        if session.last_end is None:
            continue
        campaigns = campaigns_schedule_hot_cold(actor=coordinator, session=session)
        if session.code.startswith("LABO"):
            campaigns += _labo_end(session, coordinator)
        created += len(campaigns)
        if session.code in ANSWERED_SESSIONS:
            for campaign in campaigns:
                responses += _answer(campaign, rng)
    _hide_naming_comments(coordinator)
    return Loaded(campaigns=created, responses=responses)


def _hide_naming_comments(coordinator) -> None:
    for answer in Answer.objects.filter(text=NAMING_COMMENT, hidden_at__isnull=True):
        comment_hide(
            answer=answer,
            actor=coordinator,
            reason="Nomme une professionnelle de la Mission locale.",
        )


def _labo_end(session: TrainingSession, coordinator) -> list[Campaign]:
    """The Mayotte labos' own questionnaire, at the end of the last half-day."""
    version = latest_version(defaults.LABO_END)
    if version is None or session.campaigns.filter(version__questionnaire=version.questionnaire):
        return []
    return [
        campaign_create(
            actor=coordinator,
            version=version,
            formation=session.formation,
            session=session,
            opens_at=session.last_end,
        )
    ]


def _answer(campaign: Campaign, rng: random.Random) -> int:
    """Launches the campaign (its invitations, unsent) and answers about three in four."""
    campaign_launch(campaign=campaign)
    objectives = formation_objectives(campaign.formation)
    questions = asked_questions(campaign.version, objectives)
    # One comment of the first Seine-Saint-Denis session's à chaud names someone.
    naming = (
        campaign.session.code == ANSWERED_SESSIONS[0]
        and campaign.version.questionnaire.code == defaults.HOT
    )
    answered = 0
    for invitation in Invitation.objects.filter(campaign=campaign).order_by("pk"):
        if rng.random() > ANSWER_SHARE:
            continue
        for step, question in enumerate(questions, start=1):
            value = _value(question, objectives, rng)
            if naming and question.kind == Question.Kind.TEXT and value:
                value, naming = NAMING_COMMENT, False
            if value is not None:
                draft_save(invitation=invitation, question=question, value=value, step=step)
        response = response_submit(invitation=invitation)
        _date_back(response, invitation, campaign, rng)
        answered += 1
    return answered


def _date_back(response, invitation, campaign: Campaign, rng: random.Random) -> None:
    """A demo answer dated as a real one would be: in the days after the opening."""
    zone = campaign.session.tzinfo
    day = campaign.opens_at.astimezone(zone).date() + dt.timedelta(
        days=rng.randrange(ANSWER_WITHIN_DAYS)
    )
    Response.objects.filter(pk=response.pk).update(submitted_on=day)
    Invitation.objects.filter(pk=invitation.pk).update(answered_on=day)


def _value(question: Question, objectives: list[str], rng: random.Random):
    """A plausible answer: mostly satisfied, now and then not; comments now and then."""
    kind = Question.Kind
    if question.kind == kind.SCALE:
        return rng.choices((1, 2, 3, 4, 5), weights=(1, 2, 5, 12, 10))[0]
    if question.kind == kind.YES_NO:
        return rng.random() < 0.8
    if question.kind == kind.SINGLE:
        return rng.randrange(len(question.choices))
    if question.kind == kind.MULTIPLE:
        # « Aucun… », the last option, is ticked alone.
        last = len(question.choices) - 1
        if question.choices[last].startswith("Aucun"):
            if rng.random() < 0.1:
                return [last]
            return sorted(rng.sample(range(last), rng.randint(1, 2)))
        return sorted(rng.sample(range(len(question.choices)), rng.randint(1, 2)))
    if question.kind == kind.QUIZ:
        if rng.random() < 0.7:
            return list(question.correct_choices)
        return [rng.randrange(len(question.choices))]
    if question.kind == kind.TEXT:
        if not question.required and rng.random() < 0.5:
            return None
        asked = question.text.lower()
        pool = next((texts for word, texts in TEXTS.items() if word in asked), REMARKS)
        return rng.choice(pool)
    return {objective: [rng.randint(1, 3), rng.randint(3, 5)] for objective in objectives} or None
