"""Project fiches and follow-up at two scales: a programme of 18 partner structures (the
DESIGN PALAS size: 17 CCAS and their union), then of 200.

This script builds a throwaway test database (SQLite, or PostgreSQL when DATABASE_URL is
set) and, at each scale, one programme whose every structure has a complete fiche (data
sheet, two themes, both projects, a team of 3 agents and 1 partner with a referent,
lessons learned, a road map of 4 axes × 3 actions, 10 versions), 20 follow-up entries, 4
intersession tasks (one overdue, one due in two days, one later, one done) and 3 people
enrolled in each of the programme's 5 sessions (two half-days each, signed, countersigned
and sealed by `sessions.sealing.seal_slot`). Rows are written in bulk, not through the
services: the versions carry a true snapshot of the fiche (`projects.snapshot`).

It measures, as the coordinator (queries of a first call, median time of `--runs` more):
the list of fiches, the follow-up overview, a fiche, its history, a structure's log, the
intersession task list, the dashboard, the livret (data, then PDF), one fiche individuelle
(data, then PDF) and the reminders run (one that sends, one with nothing left), then the
ratios large / small.

Budgets: queries do not grow with the structures; pages under 300 ms and the livret under
2 s at 18 structures.

    .venv/bin/python bench/projects.py [--scales 18,200] [--runs 5] [--profile]
"""

import argparse
import cProfile
import datetime as dt
import logging
import os
import pstats
import random
import statistics
import sys
import time
import uuid
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

from formations.models import Participant, Structure, User  # noqa: E402
from livrables.data_fiches import build_booklet_data, build_structure_fiche_data  # noqa: E402
from livrables.pdf.fiches import render_booklet, render_structure_fiche  # noqa: E402
from projects.models import (  # noqa: E402
    FicheRevision,
    FollowUpEntry,
    IntersessionTask,
    Project,
    ProjectFiche,
    ProjectStage,
    RoadmapAction,
    RoadmapAxis,
    TeamMember,
)
from projects.reminders_tasks import remind_tasks  # noqa: E402
from projects.snapshot import snapshot  # noqa: E402
from sessions.models import Attendance, Enrolment, Slot, TrainingSession  # noqa: E402
from sessions.sealing import seal_slot  # noqa: E402
from tests.factories import (  # noqa: E402
    FormationFactory,
    ProgrammeFactory,
    ProviderIdentityFactory,
    UserFactory,
)
from tests.factories.projects import make_themes  # noqa: E402

SESSIONS = 5
PEOPLE = 3
REVISIONS = 10
ENTRIES = 20
BATCH = 2000
SIGNATURE = {
    "width": 600,
    "height": 200,
    "strokes": [[[40 + i * 3, 100 + (i % 7) * 6, i * 16] for i in range(60)]],
}
COMMUNES = ("Mamoudzou", "Dzaoudzi", "Koungou", "Sada", "Chirongui", "Bandraboua", "Ouangani")
PARTS = ("données", "thématiques", "projet expérimenté", "équipe", "feuille de route")
SUMMARIES = (
    "Point téléphonique sur l'avancement du projet expérimenté ; l'équipe attend la "
    "validation du conseil d'administration.",
    "Relance pour les inscriptions au prochain labo : deux agents confirmés, un en attente.",
    "Question sur le budget des actions de la feuille de route et les cofinancements possibles.",
    "Réunion sur place avec la directrice et l'élue aux affaires sociales.",
)


def local(date: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(date, dt.time(hour)))


def build_programme(structures: int, *, tag: str, coordinator, trainer, today, rng):
    """One programme of `structures` partner structures, each complete (module docstring)."""
    programme = ProgrammeFactory(title=f"DESIGN PALAS {tag}")
    formation = FormationFactory(
        programme=programme, attendees_per_structure_min=1, attendees_per_structure_max=3
    )
    themes = make_themes(programme)
    places = Structure.objects.bulk_create(
        Structure(
            name=f"CCAS de {COMMUNES[n % len(COMMUNES)]} {tag}-{n:03d}",
            kind=Structure.Kind.CCAS,
            territory="Mayotte",
        )
        for n in range(structures)
    )
    programme.structures.add(*places)
    for place in places:
        UserFactory(
            role=User.Role.STRUCTURE_REFERENT,
            structure=place,
            email=f"referent-{tag}-{place.pk}@example.org",
        )
    people = Participant.objects.bulk_create(
        Participant(
            last_name=f"Nguyễn-{tag}-{place.pk}-{k}",
            first_name="Zaïnaba",
            email=f"p-{tag}-{place.pk}-{k}@example.org",
            structure=place,
        )
        for place in places
        for k in range(PEOPLE)
    )

    # The fiches, their children, then their versions (a true snapshot of the end state).
    fiches = ProjectFiche.objects.bulk_create(
        ProjectFiche(
            programme=programme,
            structure=place,
            territory=f"Commune de {COMMUNES[n % len(COMMUNES)]}, Mayotte",
            staff_size=8 + n % 30,
            public_served="Familles monoparentales, personnes âgées isolées, jeunes sans emploi.",
            partners="Conseil départemental, CAF, Pôle emploi, associations de quartier.",
            priority_theme=themes[n % 3],
            secondary_theme=themes[(n + 1) % 3],
            lessons_learned="Associer les élus dès le début ; un référent disponible "
            "au moins une demi-journée par semaine ; partir des demandes du public. " * 3,
            revision=REVISIONS,
        )
        for n, place in enumerate(places)
    )
    Project.objects.bulk_create(
        Project(
            fiche=fiche,
            kind=kind,
            title=f"{label} : guichet mobile d'accès aux droits",
            problem="Les habitants des villages éloignés renoncent à leurs droits faute de "
            "transport et d'accompagnement numérique.",
            public="Personnes âgées, familles sans véhicule.",
            partners="CAF, France Services, associations.",
            means="Un véhicule prêté par la commune, deux agents une journée par semaine.",
            stage=stage,
        )
        for fiche in fiches
        for kind, label, stage in (
            (Project.Kind.EXPERIMENTED, "Expérimenté", ProjectStage.EXPERIMENTED),
            (Project.Kind.PROPOSED, "Proposé", ProjectStage.IDEA),
        )
    )
    TeamMember.objects.bulk_create(
        TeamMember(
            fiche=fiche,
            kind=TeamMember.Kind.AGENT if k < PEOPLE else TeamMember.Kind.PARTNER,
            participant=people[n * PEOPLE + k] if k < PEOPLE else None,
            full_name=f"Agent {k} {fiche.structure.name}" if k < PEOPLE else "Association Msaada",
            role="Travailleuse sociale" if k < PEOPLE else "Association partenaire",
            is_referent=k == 0,
            position=k,
        )
        for n, fiche in enumerate(fiches)
        for k in range(PEOPLE + 1)
    )
    axes = RoadmapAxis.objects.bulk_create(
        RoadmapAxis(
            fiche=fiche,
            position=a,
            title=f"Axe {a} : mobiliser les partenaires du territoire",
            description="Rencontrer chaque partenaire, convenir d'un circuit d'orientation.",
        )
        for fiche in fiches
        for a in range(1, 5)
    )
    statuses = [choice for choice, _label in RoadmapAction._meta.get_field("status").choices]
    RoadmapAction.objects.bulk_create(
        (
            RoadmapAction(
                axis=axis,
                position=p,
                title=f"Action {p} de l'axe {axis.position} : réunion avec la CAF",
                owner="Directrice du CCAS",
                due_on=today + dt.timedelta(days=30 * p - 45),
                status=statuses[(axis.position + p) % len(statuses)],
            )
            for axis in axes
            for p in range(1, 4)
        ),
        batch_size=BATCH,
    )
    revisions = []
    for fiche in fiches:
        state = snapshot(fiche)
        for number in range(1, REVISIONS + 1):
            revisions.append(
                FicheRevision(
                    fiche=fiche,
                    number=number,
                    author=coordinator if number % 2 else trainer,
                    author_name="Claire Coordinatrice" if number % 2 else "Farid Formateur",
                    part=PARTS[number % len(PARTS)],
                    changes=[
                        {
                            "field": "Fiche de données › Territoire",
                            "before": f"Version {number - 1}",
                            "after": f"Version {number}",
                        },
                        {"field": "Enseignements › Texte", "before": "", "after": "Associer…"},
                    ],
                    snapshot=state,
                )
            )
    FicheRevision.objects.bulk_create(revisions, batch_size=500)

    # Follow-up entries and intersession tasks.
    kinds, channels = FollowUpEntry.Kind.values, FollowUpEntry.Channel.values
    FollowUpEntry.objects.bulk_create(
        (
            FollowUpEntry(
                programme=programme,
                structure=place,
                occurred_on=today - dt.timedelta(days=5 + 9 * e + rng.randint(0, 4)),
                kind=kinds[e % len(kinds)],
                channel=channels[e % len(channels)],
                summary=SUMMARIES[e % len(SUMMARIES)],
                answer="Réponse apportée par courriel le lendemain." if e % 3 == 0 else "",
                answered_on=today - dt.timedelta(days=4 + 9 * e) if e % 3 == 0 else None,
                author=coordinator,
            )
            for place in places
            for e in range(ENTRIES)
        ),
        batch_size=BATCH,
    )
    now = timezone.now()
    tasks = []
    # Each task is set for every structure at once: one batch of rows each.
    for kind, title, due, done in (
        (IntersessionTask.Kind.DOCUMENT, "Fiche de données complétée", -10, False),
        (IntersessionTask.Kind.QUIZ, "Quiz du labo 3", 2, False),
        (IntersessionTask.Kind.ROADMAP_STEP, "Réunion avec la CAF", 25, False),
        (IntersessionTask.Kind.OTHER, "Photos du guichet mobile", -20, True),
    ):
        batch = uuid.uuid4()
        for place in places:
            tasks.append(
                IntersessionTask(
                    programme=programme,
                    structure=place,
                    batch=batch,
                    kind=kind,
                    title=title,
                    instructions="À déposer avant le prochain labo.",
                    due_on=today + dt.timedelta(days=due),
                    created_by=coordinator,
                    done_at=now - dt.timedelta(days=21) if done else None,
                    done_by=coordinator if done else None,
                )
            )
    IntersessionTask.objects.bulk_create(tasks, batch_size=BATCH)

    # Five sessions, 3 people of each structure in each, two sealed half-days.
    for number in range(SESSIONS):
        session = TrainingSession.objects.create(
            formation=formation, code=f"PALAS-{tag}-{number + 1}", place="Mamoudzou"
        )
        session.trainers.add(trainer)
        enrolments = Enrolment.objects.bulk_create(
            (Enrolment(session=session, participant=person) for person in people),
            batch_size=BATCH,
        )
        date = dt.date(2026, 2, 2) + dt.timedelta(weeks=6 * number)
        slots = Slot.objects.bulk_create(
            Slot(
                session=session,
                starts_at=local(date, start),
                ends_at=local(date, end),
                countersigned_by=trainer,
                countersigned_at=local(date, end),
                countersignature=SIGNATURE,
            )
            for start, end in ((9, 12), (13, 17))
        )
        Attendance.objects.bulk_create(
            (
                Attendance(
                    enrolment=enrolment,
                    slot=slot,
                    status="present" if (enrolment.pk + slot.pk) % 11 else "absent",
                    method="tablet",
                    signature=SIGNATURE,
                    signed_at=slot.starts_at + dt.timedelta(minutes=3),
                    signer_name=enrolment.participant.last_name.upper(),
                    signer_structure=enrolment.participant.structure.name,
                )
                for slot in slots
                for enrolment in enrolments
            ),
            batch_size=BATCH,
        )
        for slot in slots:
            slot.session = session
            seal_slot(slot=slot, actor=trainer, now=slot.ends_at + dt.timedelta(minutes=5))
    return programme, places


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


def profile(label: str, function, lines: int = 25) -> None:
    """Where the time of one call goes, for the README: the project's own functions by
    cumulative time, then every function by time spent in itself."""
    profiler = cProfile.Profile()
    profiler.enable()
    function()
    profiler.disable()
    print(f"\n--- profil : {label} ---")
    stats = pstats.Stats(profiler)
    stats.sort_stats("cumulative").print_stats(str(ROOT), lines)
    stats.sort_stats("tottime").print_stats(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="18,200", help="partner structures, by comma")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="profile the slowest at the end")
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
    ProviderIdentityFactory()
    coordinator = UserFactory(
        role=User.Role.COORDINATOR, first_name="Claire", last_name="Coordinatrice"
    )
    trainer = UserFactory(role=User.Role.TRAINER, first_name="Farid", last_name="Formateur")
    client = Client()
    client.force_login(coordinator)
    rng = random.Random(2026)
    today = timezone.localdate()
    scales = [int(value) for value in args.scales.split(",")]
    results: dict[tuple[str, int], tuple[int, float]] = {}
    facts = {}
    labels = []
    last = {}

    def record(label, scale, value):
        if label not in labels:
            labels.append(label)
        results[(label, scale)] = value

    for number, count in enumerate(scales):
        start = time.perf_counter()
        programme, places = build_programme(
            count, tag=f"B{number}", coordinator=coordinator, trainer=trainer, today=today, rng=rng
        )
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:  # what autovacuum does on a live server
                cursor.execute("ANALYZE")
        building = time.perf_counter() - start
        structure = places[len(places) // 2]
        p, s = programme.pk, structure.pk
        pages = {
            "liste des fiches": reverse("projects:fiche_list", args=[p]),
            "suivi (vue d'ensemble)": reverse("projects:follow_up", args=[p]),
            "fiche d'une structure": reverse("projects:fiche_detail", args=[p, s]),
            "historique de la fiche": reverse("projects:fiche_history", args=[p, s]),
            "journal de suivi (structure)": reverse("projects:follow_up_log", args=[p, s]),
            "travaux d'intersession": reverse("projects:task_list", args=[p]),
            "tableau de bord": reverse("dashboard"),
        }
        sizes = {}
        for label, url in pages.items():

            def page(url=url):
                response = client.get(url)
                assert response.status_code == 200, (url, response.status_code)
                return response

            record(label, count, timed(page, args.runs))
            sizes[label] = len(page().content)
        now = timezone.now()
        booklet = partial(build_booklet_data, programme=programme, now=now)
        record("livret : données", count, timed(booklet, args.runs))
        data = booklet()
        record("livret : rendu PDF", count, timed(partial(render_booklet, data), args.runs))
        sizes["livret PDF"] = len(render_booklet(data))
        individual = partial(
            build_structure_fiche_data, programme=programme, structure=structure, now=now
        )
        record("fiche individuelle : données", count, timed(individual, args.runs))
        one = individual()
        record(
            "fiche individuelle : rendu PDF",
            count,
            timed(partial(render_structure_fiche, one), args.runs),
        )
        queries, elapsed, report = once(partial(remind_tasks, today=today))
        record("rappels : envoi", count, (queries, elapsed))
        facts[(count, "reminders")] = (report.reminded, report.messages)
        record(
            "rappels : rien à faire", count, timed(partial(remind_tasks, today=today), args.runs)
        )
        facts[count] = (building, sizes)
        last = {"programme": programme, "pages": pages, "data": data, "now": now}

    print(f"Base : {connection.vendor}")
    for count in scales:
        building, sizes = facts[count]
        reminded, messages = facts[(count, "reminders")]
        print(
            f"{count} structures (construit en {building:.1f} s) : rappels {reminded} tâches, "
            f"{messages} messages ; octets : "
            + ", ".join(f"{label} {size}" for label, size in sizes.items())
        )
    small, large = scales[0], scales[-1]
    print(f"\n{'mesure':<34} {'req.':>5} {'req.':>5}   {'ms':>8} {'ms':>8} {'rapport':>8}")
    print(f"{'(structures)':<34} {small:>5} {large:>5}   {small:>8} {large:>8}")
    for label in labels:
        q_small, t_small = results[(label, small)]
        q_large, t_large = results[(label, large)]
        print(
            f"{label:<34} {q_small:>5} {q_large:>5}   {t_small:>8.1f} {t_large:>8.1f} "
            f"{t_large / t_small:>8.2f}"
        )
    if args.profile:
        pages = last["pages"]
        for label in ("liste des fiches", "suivi (vue d'ensemble)", "travaux d'intersession"):
            profile(f"page {label} ({large})", partial(client.get, pages[label]))
        profile(
            f"livret : données ({large})",
            partial(build_booklet_data, programme=last["programme"], now=last["now"]),
        )
        profile(f"livret : rendu PDF ({large})", partial(render_booklet, last["data"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
