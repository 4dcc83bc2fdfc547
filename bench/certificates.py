"""Issuing certificates: how many per second on one core, and a formation's 150.

The issue asks for « hundreds per second » and for the time to issue a formation's 150
certificates in bulk. This script builds a throwaway test database (SQLite, or
PostgreSQL when DATABASE_URL is set) with one formation of ten 15-person sessions of six
half-days each, signed, countersigned and sealed through the services, then issues the
certificat de réalisation of each of the 150 people one after the other, as a bulk job
would, and prints the rate and the split between rendering the PDF and the rest (keeping
the bytes, registering, journaling).

    .venv/bin/python bench/certificates.py [--sessions 10] [--people 15]
"""

import argparse
import datetime
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

from formations.models import User  # noqa: E402
from livrables import services  # noqa: E402
from livrables.pdf import certificates as pdf  # noqa: E402
from sessions.services.enrolment import enrol_participants  # noqa: E402
from tests.factories import (  # noqa: E402
    FormationFactory,
    ParticipantFactory,
    ProviderIdentityFactory,
    SlotFactory,
    TrainingSessionFactory,
    UserFactory,
)
from tests.factories.sessions import close, sign  # noqa: E402


def local(session, date, hour):
    return timezone.make_aware(datetime.datetime.combine(date, datetime.time(hour)), session.tzinfo)


def build(sessions: int, people: int):
    coordinator = UserFactory(role=User.Role.COORDINATOR)
    trainer = UserFactory(role=User.Role.TRAINER)
    ProviderIdentityFactory()
    formation = FormationFactory()
    everyone = []
    for number in range(sessions):
        session = TrainingSessionFactory(formation=formation, code=f"BENCH-CERT-{number}")
        session.trainers.add(trainer)
        group = [ParticipantFactory() for _ in range(people)]
        everyone += group
        enrol_participants(session=session, participants=group, actor=coordinator)
        for day in range(3):
            date = datetime.date(2022, 3, 1) + datetime.timedelta(days=day + 3 * number)
            for start, end in ((9, 12), (14, 17)):
                slot = SlotFactory(
                    session=session,
                    starts_at=local(session, date, start),
                    ends_at=local(session, date, end),
                )
                for enrolment in session.enrolments.all():
                    sign(enrolment, slot)
                close(slot, trainer)
    return coordinator, formation, everyone


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--people", type=int, default=15)
    args = parser.parse_args()

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    with tempfile.TemporaryDirectory() as folder:
        settings.STORAGES = {
            **settings.STORAGES,
            "documents": {
                "BACKEND": "formations.storage.PrivateFileSystemStorage",
                "OPTIONS": {"location": folder},
            },
        }
        try:
            return run(args)
        finally:
            connection.creation.destroy_test_db(old_name, verbosity=0)


def run(args) -> int:
    print(f"Construction : {args.sessions} sessions × {args.people} personnes × 6 demi-journées…")
    coordinator, formation, everyone = build(args.sessions, args.people)

    rendering = []
    kind = "completion_certificate"
    original = pdf.RENDERERS[kind]

    def timed_render(data):
        start = time.perf_counter()
        try:
            return original(data)
        finally:
            rendering.append(time.perf_counter() - start)

    services.CERTIFICATE_RENDERERS[kind] = timed_render
    each = []
    start = time.perf_counter()
    for person in everyone:
        one = time.perf_counter()
        services.issue_certificate(
            kind=kind,
            participant=person,
            formation=formation,
            actor=coordinator,
        )
        each.append(time.perf_counter() - one)
    total = time.perf_counter() - start

    count = len(everyone)
    rate = count / total
    print(f"{count} certificats de réalisation émis en {total:.2f} s : {rate:.1f} par seconde")
    print(f"  médiane par certificat : {1000 * statistics.median(each):.1f} ms")
    print(f"  dont rendu du PDF     : {1000 * statistics.median(rendering):.1f} ms (médiane)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
