"""Time and peak memory of the audit pack's verifiable core (`scellements.json`,
`recapitulatif.csv`) and of its `verifier.py`, at two sizes of a formation.

Budget (DESIGN.md, issue 9): the pack streams, memory must not grow with the number of
sessions. This script builds a throwaway test database (SQLite, or PostgreSQL when
DATABASE_URL is set) with a formation of SESSIONS sessions of PEOPLE people × 6 half-days,
every row signed with a realistic trace, countersigned and sealed (rows written in bulk,
each half-day sealed by `sessions.sealing.seal_slot`, as the close does), then, for the
small and the ten times larger formation, writes both files and prints the time, the
Python peak (tracemalloc, in a second pass) and the size, then runs verifier.py on the
files (with their manifest) and prints its time.

    .venv/bin/python bench/pack_core.py [--sessions 15] [--people 10] [--factor 10]
"""

import argparse
import datetime
import hashlib
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

from formations.models import Participant, User  # noqa: E402
from livrables.pack.recapitulatif import recap_chunks  # noqa: E402
from livrables.pack.registry import PackScope  # noqa: E402
from livrables.pack.sealed import sealed_chunks  # noqa: E402
from livrables.pack.verifier_file import verifier_bytes  # noqa: E402
from sessions.models import Attendance, Enrolment, Slot  # noqa: E402
from sessions.sealing import seal_slot  # noqa: E402
from tests.factories import (  # noqa: E402
    FormationFactory,
    StructureFactory,
    TrainingSessionFactory,
    UserFactory,
)

# About what a finger draws for a name on a tablet: two strokes, 200 points.
SIGNATURE = {
    "width": 600,
    "height": 200,
    "strokes": [
        [[40 + i * 2, 100 + (i % 7) * 6, i * 16] for i in range(120)],
        [[300 + i * 2, 80 + (i % 5) * 9, 2000 + i * 16] for i in range(80)],
    ],
}


def build(sessions: int, people: int, tag: str):
    trainer = UserFactory(role=User.Role.TRAINER)
    formation = FormationFactory(contract_reference=f"BENCH-{tag}")
    structure = StructureFactory()
    for number in range(sessions):
        session = TrainingSessionFactory(formation=formation, code=f"{tag}-{number:04d}")
        session.trainers.add(trainer)
        persons = Participant.objects.bulk_create(
            Participant(last_name=f"Nom{number}-{i}", first_name="Ana", structure=structure)
            for i in range(people)
        )
        enrolments = Enrolment.objects.bulk_create(
            Enrolment(session=session, participant=person) for person in persons
        )
        slots = []
        for day in range(3):
            date = datetime.date(2022, 3, 1) + datetime.timedelta(days=day + 3 * number)
            for start, end in ((9, 12), (14, 17)):
                starts = timezone.make_aware(
                    datetime.datetime.combine(date, datetime.time(start)), session.tzinfo
                )
                ends = timezone.make_aware(
                    datetime.datetime.combine(date, datetime.time(end)), session.tzinfo
                )
                slots.append(
                    Slot(
                        session=session,
                        starts_at=starts,
                        ends_at=ends,
                        countersigned_by=trainer,
                        countersigned_at=ends,
                        countersignature=SIGNATURE,
                    )
                )
        slots = Slot.objects.bulk_create(slots)
        Attendance.objects.bulk_create(
            Attendance(
                enrolment=enrolment,
                slot=slot,
                status="present",
                method="tablet",
                signature=SIGNATURE,
                signed_at=slot.starts_at + datetime.timedelta(minutes=3),
                signer_name=f"NOM {enrolment.participant.last_name}",
                signer_structure=structure.name,
            )
            for slot in slots
            for enrolment in enrolments
        )
        for slot in slots:
            slot.session = session
            seal_slot(slot=slot, actor=trainer, now=slot.ends_at + datetime.timedelta(minutes=5))
    return formation


def measure(name, chunks_factory, folder: Path):
    """Writes the file once timed, then again under tracemalloc (which slows Python down
    several times) for the peak; returns its manifest line."""
    begin = time.perf_counter()
    size = 0
    digest = hashlib.sha256()
    with CaptureQueriesContext(connection) as queries, open(folder / name, "wb") as out:
        for chunk in chunks_factory():
            size += len(chunk)
            digest.update(chunk)
            out.write(chunk)
    elapsed = time.perf_counter() - begin
    tracemalloc.start()
    for _chunk in chunks_factory():
        pass
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"  {name:<18} {elapsed * 1000:8.0f} ms   pic {peak / 1e6:6.1f} Mo   "
        f"{size / 1e6:7.1f} Mo   {len(queries.captured_queries)} requêtes"
    )
    return f"{name};{digest.hexdigest()};{size}"


def run(args) -> int:
    for factor, tag in ((1, "S"), (args.factor, "L")):
        sessions = args.sessions * factor
        begin = time.perf_counter()
        formation = build(sessions, args.people, tag)
        built = time.perf_counter() - begin
        print(
            f"{sessions} sessions × {args.people} personnes × 6 demi-journées "
            f"({sessions * args.people * 6} émargements ; construit en {built:.0f} s) :"
        )
        scope = PackScope(formation=formation)
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            lines = [
                measure("recapitulatif.csv", partial(recap_chunks, scope), folder),
                measure("scellements.json", partial(sealed_chunks, scope), folder),
            ]
            script = verifier_bytes()
            (folder / "verifier.py").write_bytes(script)
            lines.append(f"verifier.py;{hashlib.sha256(script).hexdigest()};{len(script)}")
            manifest = "\ufeff" + "\r\n".join(["fichier;sha256;octets", *lines]) + "\r\n"
            (folder / "manifest.csv").write_bytes(manifest.encode())
            begin = time.perf_counter()
            result = subprocess.run(
                [sys.executable, "verifier.py"], cwd=folder, capture_output=True, text=True
            )
            elapsed = time.perf_counter() - begin
            last = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else "?"
            print(f"  verifier.py        {elapsed * 1000:8.0f} ms   → {last}")
            if result.returncode != 0:
                print(result.stdout)
                return 1
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=15)
    parser.add_argument("--people", type=int, default=10)
    parser.add_argument("--factor", type=int, default=10)
    args = parser.parse_args()
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        return run(args)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    sys.exit(main())
