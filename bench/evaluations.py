"""Evaluations at two scales: results, trends and breakdowns of a whole formation, its
results page, its synthesis (data and PDF), and a sending run among old campaigns.

Budget (DESIGN.md): the dashboards of a national programme (5,000 sessions) answer in
under 300 ms, and the number of queries does not grow with the rows. This script builds a
throwaway test database (SQLite, or PostgreSQL when DATABASE_URL is set) and, per scale,
one formation of SESSIONS sessions of 15 participants (10, then 1,000 by default), each
session with its half-days and its « à chaud » campaign (the shipped questionnaire,
`evaluations.defaults` code "a-chaud", launched long ago), 15 invitations, about three in
four answered. Responses and answers are written in bulk (`evaluations.answers.answer_rows`
+ `bulk_create`), with plausible values: mostly satisfied, a comment now and then, the
before/after self-rating of the formation's three objectives, coarse facts (structure
type, sex, age band) for the breakdowns.

It prints, per scale, the median time and the number of queries of:
1. `results_for` over the formation's campaigns;
2. `trends_for` and `breakdowns_for`;
3. the formation results page (`evaluations:formation_results`) as a coordinator;
4. the synthesis: `build_synthesis_data` then `render_synthesis` (each timed);
5. `send_due` among all the old campaigns (outside `SUIVI_EVALUATION_SENDING_DAYS`) and a
   few recent ones: a run that launches three new campaigns and sends their invitations,
   then an idle run (nothing due).
then the ratios large / small. Not a timed test.

    .venv/bin/python bench/evaluations.py [--scales 10,1000] [--runs 5]
"""

import argparse
import datetime as dt
import logging
import os
import random
import statistics
import sys
import time
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# Test settings: a throwaway database, DEBUG off (Django's query log would fill up).
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"

import django  # noqa: E402

django.setup()

from django.core.signals import request_finished, request_started  # noqa: E402
from django.db import close_old_connections, connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from evaluations import defaults  # noqa: E402
from evaluations.answers import answer_rows  # noqa: E402
from evaluations.models import (  # noqa: E402
    Answer,
    Campaign,
    Invitation,
    Question,
    Questionnaire,
    Response,
)
from evaluations.objectives import formation_objectives  # noqa: E402
from evaluations.selectors_results import breakdowns_for, results_for, trends_for  # noqa: E402
from evaluations.selectors_synthesis import SynthesisScope  # noqa: E402
from evaluations.sending import send_due  # noqa: E402
from formations.models import Participant, Structure, User  # noqa: E402
from livrables.data_synthesis import build_synthesis_data  # noqa: E402
from livrables.pdf.synthesis import render_synthesis  # noqa: E402
from sessions.models import Enrolment, Slot, TrainingSession  # noqa: E402
from tests.factories import (  # noqa: E402
    FormationFactory,
    FunderFactory,
    ProviderIdentityFactory,
    StructureFactory,
    UserFactory,
)

PEOPLE = 15
ANSWER_SHARE = 0.75
BATCH = 2000
OBJECTIVES = (
    "Repérer les situations de fragilité numérique\n"
    "Accompagner une démarche en ligne sans faire à la place\n"
    "Orienter vers les bons interlocuteurs du territoire"
)
COMMENTS = (
    "Très concret, j'ai pu repartir avec des outils utilisables dès lundi.",
    "Le rythme de l'après-midi était un peu rapide.",
    "Les échanges entre structures ont été le meilleur moment.",
    "J'aurais aimé plus de cas pratiques sur l'accès aux droits en ligne.",
    "Salle trop petite pour le nombre de participants.",
    "Formatrice à l'écoute, contenus clairs.",
)
SEXES = ("F", "F", "F", "M", "")
AGE_BANDS = ("18-25", "26-35", "36-45", "46-55", "56+", "")
LAUNCHED = dt.datetime(2022, 6, 1, 12, 0, tzinfo=dt.UTC)


def value_of(question: Question, objectives: list[str], rng: random.Random):
    """A plausible answer (as `evaluations.demo`): mostly satisfied, comments now and then."""
    kind = Question.Kind
    if question.kind == kind.SCALE:
        return rng.choices((1, 2, 3, 4, 5), weights=(1, 2, 5, 12, 10))[0]
    if question.kind == kind.YES_NO:
        return rng.random() < 0.8
    if question.kind == kind.TEXT:
        return rng.choice(COMMENTS) if rng.random() < 0.4 else None
    if question.kind == kind.OBJECTIVES:
        return {o: (rng.randint(1, 3), rng.randint(3, 5)) for o in objectives}
    raise ValueError(question.kind)


def build_formation(sessions: int, version, *, code: str, rng: random.Random):
    """A formation of `sessions` sessions × PEOPLE, each with its à chaud campaign launched
    long ago and answered by about three people in four (see the module docstring)."""
    formation = FormationFactory(objectives=OBJECTIVES)
    formation.programme.funders.add(FunderFactory())
    objectives = formation_objectives(formation)
    questions = list(
        Question.objects.filter(section__version=version).order_by("section__position", "position")
    )
    structures = [StructureFactory(kind=kind) for kind, _label in Structure.Kind.choices]
    day0 = dt.date(2022, 3, 7)
    session_rows = TrainingSession.objects.bulk_create(
        TrainingSession(formation=formation, code=f"{code}-{n:04d}", place="Lille")
        for n in range(sessions)
    )
    slots, campaigns = [], []
    for n, session in enumerate(session_rows):
        day = day0 + dt.timedelta(days=7 * (n // 5) + n % 5)
        for start, end in ((9, 12), (13, 17)):
            slots.append(
                Slot(
                    session=session,
                    starts_at=timezone.make_aware(
                        dt.datetime.combine(day, dt.time(start)), session.tzinfo
                    ),
                    ends_at=timezone.make_aware(
                        dt.datetime.combine(day, dt.time(end)), session.tzinfo
                    ),
                )
            )
        campaigns.append(
            Campaign(
                version=version,
                formation=formation,
                session=session,
                opens_at=timezone.make_aware(dt.datetime.combine(day, dt.time(17)), session.tzinfo),
                launched_at=LAUNCHED,
            )
        )
    Slot.objects.bulk_create(slots, batch_size=BATCH)
    campaigns = Campaign.objects.bulk_create(campaigns, batch_size=BATCH)
    for start in range(0, sessions, 100):
        chunk = list(zip(session_rows, campaigns, strict=True))[start : start + 100]
        people = Participant.objects.bulk_create(
            Participant(
                last_name=f"Nguyễn-{code}-{start + i // PEOPLE:04d}-{i % PEOPLE:02d}",
                first_name="Thị Hương",
                email=f"p-{code}-{start * PEOPLE + i}@example.org",
                structure=structures[(start * PEOPLE + i) % len(structures)],
            )
            for i in range(len(chunk) * PEOPLE)
        )
        enrolments = Enrolment.objects.bulk_create(
            Enrolment(session=session, participant=people[i * PEOPLE + k])
            for i, (session, _campaign) in enumerate(chunk)
            for k in range(PEOPLE)
        )
        invitations, responses = [], []
        for i, (session, campaign) in enumerate(chunk):
            answered_on = campaign.opens_at.date() + dt.timedelta(days=rng.randint(0, 6))
            for k in range(PEOPLE):
                enrolment = enrolments[i * PEOPLE + k]
                answered = rng.random() < ANSWER_SHARE
                invitations.append(
                    Invitation(
                        campaign=campaign,
                        participant_id=enrolment.participant_id,
                        enrolment=enrolment,
                        channel=Invitation.Channel.EMAIL,
                        sent_at=LAUNCHED,
                        answered_on=answered_on if answered else None,
                    )
                )
                if answered:
                    responses.append(
                        Response(
                            campaign=campaign,
                            version=version,
                            session=session,
                            respondent_role=Campaign.Audience.PARTICIPANTS,
                            structure_kind=people[i * PEOPLE + k].structure.kind,
                            sex=rng.choice(SEXES),
                            age_band=rng.choice(AGE_BANDS),
                            submitted_on=answered_on,
                        )
                    )
        Invitation.objects.bulk_create(invitations, batch_size=BATCH)
        responses = Response.objects.bulk_create(responses, batch_size=BATCH)
        answers = []
        for response in responses:
            for question in questions:
                value = value_of(question, objectives, rng)
                if value is None:
                    continue
                for row in answer_rows(question, value):
                    row.response = response
                    answers.append(row)
        Answer.objects.bulk_create(answers, batch_size=BATCH)
    return formation


def build_recent(n: int, version, *, code: str, now: dt.datetime) -> list[int]:
    """`n` sessions of PEOPLE that ended an hour ago, their à chaud due and not launched
    (their pks)."""
    made = []
    formation = FormationFactory()
    structure = StructureFactory()
    for k in range(n):
        session = TrainingSession.objects.create(
            formation=formation, code=f"{code}-{k}", place="Lille"
        )
        Slot.objects.create(
            session=session,
            starts_at=now - dt.timedelta(hours=4),
            ends_at=now - dt.timedelta(hours=1),
        )
        people = Participant.objects.bulk_create(
            Participant(
                last_name=f"Récent-{code}-{k}-{i:02d}",
                first_name="Zoë",
                email=f"r-{code}-{k}-{i}@example.org",
                structure=structure,
            )
            for i in range(PEOPLE)
        )
        Enrolment.objects.bulk_create(Enrolment(session=session, participant=p) for p in people)
        campaign = Campaign.objects.create(
            version=version,
            formation=formation,
            session=session,
            opens_at=now - dt.timedelta(hours=1),
        )
        made.append(campaign.pk)
    return made


def timed(function, runs: int) -> tuple[int, float]:
    """(queries of one call, median ms of `runs` further calls)."""
    with CaptureQueriesContext(connection) as queries:
        function()
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        timings.append((time.perf_counter() - start) * 1000)
    return len(queries), statistics.median(timings)


def once(function) -> tuple[int, float, object]:
    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        result = function()
        elapsed = (time.perf_counter() - start) * 1000
    return len(queries), elapsed, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="10,1000", help="sessions per formation, by comma")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    setup_test_environment()
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    # Django empties the query log at each request: the page's queries would not count.
    request_started.disconnect(reset_queries)
    # The outbox's deliveries run at once (test settings) and log each task.
    logging.getLogger("django.tasks").setLevel(logging.WARNING)
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        return run(args)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def run(args) -> int:
    defaults.install_defaults()
    questionnaire = Questionnaire.objects.get(code=defaults.HOT)
    version = questionnaire.versions.order_by("-number").first()
    ProviderIdentityFactory()
    coordinator = UserFactory(role=User.Role.COORDINATOR)
    client = Client()
    client.force_login(coordinator)
    rng = random.Random(2026)
    now = timezone.now()
    scales = [int(value) for value in args.scales.split(",")]
    results: dict[tuple[str, int], tuple[int, float]] = {}
    facts = {}
    labels = []

    def record(label, scale, value):
        if label not in labels:
            labels.append(label)
        results[(label, scale)] = value

    for number, sessions in enumerate(scales):
        start = time.perf_counter()
        formation = build_formation(sessions, version, code=f"E{number}", rng=rng)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:  # what autovacuum does on a live server
                cursor.execute("ANALYZE")
        building = time.perf_counter() - start
        campaigns = Campaign.objects.filter(formation=formation)
        facts[sessions] = (
            Response.objects.filter(campaign__formation=formation).count(),
            Answer.objects.filter(response__campaign__formation=formation).count(),
            building,
        )
        url = reverse("evaluations:formation_results", args=[formation.pk, questionnaire.pk])

        def page(url=url):
            response = client.get(url)
            assert response.status_code == 200, response.status_code
            return response

        scope = SynthesisScope(formation=formation, questionnaire=questionnaire)
        record("results_for", sessions, timed(partial(results_for, campaigns=campaigns), args.runs))
        record("trends_for", sessions, timed(partial(trends_for, campaigns=campaigns), args.runs))
        record(
            "breakdowns_for",
            sessions,
            timed(partial(breakdowns_for, campaigns=campaigns), args.runs),
        )
        record("page résultats formation", sessions, timed(page, args.runs))
        facts[(sessions, "page")] = len(page().content)
        record(
            "synthèse : données",
            sessions,
            timed(partial(build_synthesis_data, scope=scope, now=now), args.runs),
        )
        data = build_synthesis_data(scope=scope, now=now)
        record("synthèse : rendu PDF", sessions, timed(partial(render_synthesis, data), args.runs))
        facts[(sessions, "pdf")] = len(render_synthesis(data))
        recent = build_recent(3, version, code=f"R{number}", now=now)
        queries, elapsed, report = once(partial(send_due, now=now))
        record("send_due : 3 lancées, 45 envois", sessions, (queries, elapsed))
        facts[(sessions, "sent")] = (report.launched, report.sent_email, report.reminders)
        record("send_due : rien à faire", sessions, timed(partial(send_due, now=now), args.runs))
        # Old from now on: the next scale's run has the same three recent campaigns.
        Campaign.objects.filter(pk__in=recent).update(launched_at=LAUNCHED)

    print(f"Base : {connection.vendor} ; questionnaire « {questionnaire.title} »")
    for sessions in scales:
        responses, answers, building = facts[sessions]
        launched, sent, reminders = facts[(sessions, "sent")]
        print(
            f"{sessions} sessions × {PEOPLE} : {responses} réponses, {answers} lignes "
            f"d'Answer (construit en {building:.1f} s) ; page {facts[(sessions, 'page')]} "
            f"octets, PDF {facts[(sessions, 'pdf')]} octets ; send_due : {launched} lancées, "
            f"{sent} envois, {reminders} relances"
        )
    small, large = scales[0], scales[-1]
    print(f"\n{'mesure':<34} {'req.':>5} {'req.':>5}   {'ms':>8} {'ms':>8} {'rapport':>8}")
    print(f"{'(sessions)':<34} {small:>5} {large:>5}   {small:>8} {large:>8}")
    for label in labels:
        q_small, t_small = results[(label, small)]
        q_large, t_large = results[(label, large)]
        print(
            f"{label:<34} {q_small:>5} {q_large:>5}   {t_small:>8.1f} {t_large:>8.1f} "
            f"{t_large / t_small:>8.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
