"""Query counts and response times of the main pages at two data sizes.

Budget (DESIGN.md): a page's query count does not grow with its rows. This script builds
a throwaway SQLite database, fills it with SMALL rows of every kind, measures each page,
grows the data to LARGE rows and measures again, then prints both query counts, their
ratio (1.00 is the goal) and the median time of a few requests.

    .venv/bin/python bench/pages.py [--small 10] [--large 200] [--runs 5]
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
# Test settings: a throwaway SQLite file and DEBUG off (with DEBUG on, Django's bounded
# query log fills up while the data is built and the counts read 0).
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.core.signals import request_finished, request_started  # noqa: E402
from django.db import close_old_connections, connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from formations.models import User  # noqa: E402
from tests.factories import (  # noqa: E402
    AttendanceFactory,
    EnrolmentFactory,
    FormationFactory,
    FunderFactory,
    ParticipantFactory,
    SlotFactory,
    StructureFactory,
    TrainingSessionFactory,
    UserFactory,
)


def grow(*, to: int, state: dict) -> None:
    """Adds rows until every list has `to` rows; one session gets `to` enrolments."""
    while state["count"] < to:
        index = state["count"]
        structure = StructureFactory()
        participant = ParticipantFactory(structure=structure)
        formation = FormationFactory()
        formation.programme.funders.add(state["funder"])
        session = TrainingSessionFactory(formation=formation)
        slot = SlotFactory(session=session)
        enrolment = EnrolmentFactory(session=session, participant=participant)
        AttendanceFactory(enrolment=enrolment, slot=slot)
        big_enrolment = EnrolmentFactory(session=state["big_session"], participant=participant)
        for big_slot in state["big_slots"]:
            AttendanceFactory(enrolment=big_enrolment, slot=big_slot)
        state["count"] = index + 1


def measure(client: Client, url: str, runs: int) -> tuple[int, float]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    # Read now: the next request's request_started signal empties the query log.
    query_count = len(queries)
    assert response.status_code == 200, (url, response.status_code)
    if hasattr(response, "streaming_content"):
        b"".join(response.streaming_content)
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        client.get(url)
        timings.append((time.perf_counter() - start) * 1000)
    return query_count, statistics.median(timings)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=10)
    parser.add_argument("--large", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    setup_test_environment()
    # As Django's test runner does: keep one connection across requests, so the
    # captured queries are those of the request and not of reconnecting.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    call_command("migrate", verbosity=0)
    coordinator = UserFactory(role=User.Role.COORDINATOR)
    big_session = TrainingSessionFactory(code="BENCH-GROS")
    big_slots = [SlotFactory(session=big_session, day=datetime.date(2022, 3, d)) for d in (1, 2, 3)]
    funder = FunderFactory(name="FSE+")
    big_session.formation.programme.funders.add(funder)
    state = {"count": 0, "big_session": big_session, "big_slots": big_slots, "funder": funder}
    client = Client()
    client.force_login(coordinator)
    # The funder's auditor sees every formation: their workspace has one block per formation.
    auditor = UserFactory(role=User.Role.FUNDER_AUDITOR)
    auditor.funders.add(funder)
    auditor_client = Client()
    auditor_client.force_login(auditor)

    pages = [
        ("tableau de bord", "/"),
        ("programmes", "/programmes/"),
        ("formations", "/formations/"),
        ("structures", "/structures/"),
        ("participant·es", "/participants/"),
        ("participant·es CSV", "/participants/?_export=csv"),
        ("sessions", "/sessions/"),
        ("session (inscrit·es)", f"/sessions/{big_session.pk}/"),
        ("demi-journée", f"/demi-journees/{big_slots[0].pk}/"),
        ("contrôle demi-journée", f"/demi-journees/{big_slots[0].pk}/controle/"),
        ("feuille d'émargement PDF", f"/sessions/{big_session.pk}/feuille-emargement.pdf"),
        ("espace financeur", "/"),
    ]
    results = {}
    for size in (args.small, args.large):
        grow(to=size, state=state)
        for label, url in pages:
            who = auditor_client if label == "espace financeur" else client
            results[(label, size)] = measure(who, url, args.runs)

    print(f"{'page':<26} {'req.':>5} {'req.':>5} {'ratio':>6}   {'ms':>7} {'ms':>7}")
    print(f"{'':<26} {args.small:>5} {args.large:>5} {'':>6}   {args.small:>7} {args.large:>7}")
    worst = 1.0
    for label, _ in pages:
        q_small, t_small = results[(label, args.small)]
        q_large, t_large = results[(label, args.large)]
        ratio = q_large / q_small if q_small else 1.0
        worst = max(worst, ratio)
        print(
            f"{label:<26} {q_small:>5} {q_large:>5} {ratio:>6.2f}   {t_small:>7.1f} {t_large:>7.1f}"
        )
    print(f"\nPire rapport de requêtes : {worst:.2f} (budget : 1.00)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
