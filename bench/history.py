"""Time of the history panels and pages at two sizes of the audit journal.

Budget (DESIGN.md): pages answer in under 300 ms at national scale (500,000 attendances,
hence more than a million journal entries), so reading an object's history must cost what
the object's own entries cost, not what the whole journal holds. This script builds a
throwaway test database (SQLite, or PostgreSQL when DATABASE_URL is set), writes the life
of one session through the services (12 people enrolled, 3 half-days signed, countersigned
and sealed, a few changes), then fills the journal with unrelated entries (other sessions,
other people, other imports: SMALL, then LARGE entries in all) and measures, at each size,
the history panel alone (`history_summary`) and the pages that show it. It prints the
median times, their ratio (budget: close to 1, at most 1.5) and the query counts.

    .venv/bin/python bench/history.py [--small 1000] [--large 200000] [--runs 7]
"""

import argparse
import datetime
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# Test settings: a throwaway database, DEBUG off (Django's query log would fill up).
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"

import django  # noqa: E402

django.setup()

from django.core.signals import request_finished, request_started  # noqa: E402
from django.db import close_old_connections, connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from formations.audit import log_action  # noqa: E402
from formations.history import history_summary  # noqa: E402
from formations.models import AuditEntry, AuditMention, User  # noqa: E402
from sessions.services.enrolment import enrol_participants  # noqa: E402
from tests.factories import (  # noqa: E402
    ParticipantFactory,
    SlotFactory,
    TrainingSessionFactory,
    UserFactory,
)
from tests.factories.sessions import close, sign  # noqa: E402

BATCH = 5000
# Primary keys of objects that do not exist: far above those of the measured session.
FAR = 10_000_000


def build_world():
    """One session's life through the services: what its history panels show."""
    coordinator = UserFactory(role=User.Role.COORDINATOR)
    trainer = UserFactory(role=User.Role.TRAINER)
    session = TrainingSessionFactory(code="BENCH-HIST")
    session.trainers.add(trainer)
    people = [ParticipantFactory() for _ in range(12)]
    enrol_participants(session=session, participants=people, actor=coordinator)
    for day in (1, 2, 3):
        slot = SlotFactory(session=session, day=datetime.date(2022, 3, day))
        for enrolment in session.enrolments.all():
            sign(enrolment, slot)
        close(slot, trainer)
    for n in range(5):
        log_action(actor=coordinator, action="session.update", obj=session, summary=f"n°{n}")
        log_action(actor=coordinator, action="participant_updated", obj=people[0], summary=f"{n}")
    return coordinator, session, people[0]


def unrelated(index: int) -> tuple[AuditEntry, list[int]]:
    """An entry about other objects, and the people it names (written by other pages)."""
    far = FAR + index
    kind = index % 6
    if kind == 0:
        return AuditEntry(
            action="attendance.sign",
            object_type="training_sessions.attendance",
            object_id=str(far),
            summary="Émargement",
            ip_address="192.0.2.9",
        ), []
    if kind == 1:
        people = [far, far + 1, far + 2]
        return AuditEntry(
            action="enrolment.create",
            object_type="training_sessions.trainingsession",
            object_id=str(FAR + index % 5000),
            summary="3 inscriptions",
            data={"participants": people},
        ), people
    if kind == 2:
        return AuditEntry(
            action="participant_updated",
            object_type="formations.participant",
            object_id=str(far),
            summary="Fiche",
        ), []
    if kind == 3:
        people = [far + n for n in range(20)]
        return AuditEntry(
            action="participants_imported",
            summary="Import",
            data={"created_participant_ids": people},
        ), people
    if kind == 4:
        return AuditEntry(
            action="slot.close",
            object_type="training_sessions.slot",
            object_id=str(far),
            summary="Clôture",
        ), []
    return AuditEntry(
        action="session.update",
        object_type="training_sessions.trainingsession",
        object_id=str(FAR + index % 5000),
        summary="Session modifiée",
    ), []


def grow(*, to: int) -> None:
    """Adds unrelated entries until the journal holds `to` entries."""
    count = AuditEntry.objects.count()
    while count < to:
        made = [unrelated(count + n) for n in range(min(BATCH, to - count))]
        entries = AuditEntry.objects.bulk_create([entry for entry, _ in made])
        AuditMention.objects.bulk_create(
            AuditMention(entry=entry, object_type="formations.participant", object_id=str(person))
            for entry, (_, people) in zip(entries, made, strict=True)
            for person in people
        )
        count += len(made)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # what autovacuum does on a live server
            cursor.execute("ANALYZE")


def timed(function, runs: int) -> tuple[int, float]:
    with CaptureQueriesContext(connection) as queries:
        function()
    query_count = len(queries)
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        timings.append((time.perf_counter() - start) * 1000)
    return query_count, statistics.median(timings)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--large", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    setup_test_environment()
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        return run(args)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def run(args) -> int:
    coordinator, session, person = build_world()
    client = Client()
    client.force_login(coordinator)

    def get(url):
        def fetch():
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)

        return fetch

    def panel(obj):
        return lambda: history_summary(obj=obj, user=coordinator, full_url="/")

    measures = [
        ("encadré d'une session", panel(session)),
        ("fiche session", get(f"/sessions/{session.pk}/")),
        ("historique session", get(f"/sessions/{session.pk}/historique/")),
        ("historique session p. 2", get(f"/sessions/{session.pk}/historique/?page=2")),
        ("encadré d'une personne", panel(person)),
        ("fiche participant·e", get(f"/participants/{person.pk}/")),
        ("historique participant·e", get(f"/participants/{person.pk}/historique/")),
        ("fiche formation", get(f"/formations/{session.formation_id}/")),
    ]
    own = AuditEntry.objects.count()
    results = {}
    sizes = (max(args.small, own), max(args.large, own))
    for size in sizes:
        grow(to=size)
        for label, function in measures:
            results[(label, size)] = timed(function, args.runs)

    small, large = sizes
    print(f"Base : {connection.vendor} ; entrées propres à la session : {own}")
    print(f"{'mesure':<26} {'req.':>5} {'req.':>5}   {'ms':>7} {'ms':>7} {'rapport':>8}")
    print(f"{'(entrées du journal)':<26} {small:>5} {large:>5}   {small:>7} {large:>7}")
    worst = 0.0
    for label, _ in measures:
        q_small, t_small = results[(label, small)]
        q_large, t_large = results[(label, large)]
        ratio = t_large / t_small
        worst = max(worst, ratio)
        print(
            f"{label:<26} {q_small:>5} {q_large:>5}   {t_small:>7.1f} {t_large:>7.1f} {ratio:>8.2f}"
        )
    print(f"\nPire rapport de temps : {worst:.2f} (budget : 1,5)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
