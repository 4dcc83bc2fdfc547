"""The audit pack (`export_justificatifs`): time and peak memory for a formation of 15
sessions × 150 participants, and for ten times that (150 sessions × 1,500 participants).

Budget (DESIGN.md, issue 9): the pack is built as a stream, « memory must not grow with
the number of sessions ». This script builds a throwaway database (test settings: SQLite,
or PostgreSQL when DATABASE_URL is set) with, per scale: sessions of 10 people each, 6
half-days per session (3 days), every attendance signed (a vector signature drawn over
about two seconds), every half-day countersigned and sealed; the issued sheet of each
session, the certificat de réalisation and the attestation d'assiduité of each person, the
certificat d'assiduité of each structure (one per 5 people), one service-fait statement,
one scan of a paper sheet per 3 sessions and one expense with its receipt per session
(some receipts: 15 at the first scale, 150 at the second).

Records are written in bulk (`bulk_create`), not through the services: issuing 3,000
certificates and signing 9,000 half-days through them would take several minutes at the
second scale and measures nothing of the pack. The kept documents are incompressible
bytes of a real document's size (a sheet ~59 KB, a certificate ~57 KB, a structure
certificate ~58 KB, a receipt 40 KB, a scan 120 KB), written to the private storage and
registered with their true SHA-256: the pack reads, checks and zips them exactly as real
PDFs (stored, not deflated).

For each scale it prints the files, the ZIP's size, the queries, the time and the peak of
the Python heap while the pack is built and registered (tracemalloc, above what was in
use before), then the ratios ×10 / ×1. Not a timed test: tracemalloc slows Python down.

    .venv/bin/python bench/pack.py [--scales 15,150] [--people 10]
"""

import argparse
import datetime as dt
import gc
import hashlib
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
import zipfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# Test settings: a throwaway database and DEBUG off (with DEBUG on, Django would keep every
# query of the data building in memory).
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.files.base import ContentFile  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

from formations.models import Participant, User  # noqa: E402
from formations.storage import documents_storage  # noqa: E402
from livrables.models import Expense, IssuedDocument  # noqa: E402
from livrables.pack.registry import PackScope  # noqa: E402
from livrables.pack.services import build_audit_pack  # noqa: E402
from sessions.models import Attendance, Enrolment, PaperSheetScan, Seal, Slot  # noqa: E402
from sessions.sealing import record_digest, seal_digest, slot_record  # noqa: E402
from tests.factories import (  # noqa: E402
    FormationFactory,
    FunderFactory,
    StructureFactory,
    TrainingSessionFactory,
    UserFactory,
)

KIND = IssuedDocument.Kind
SIZES = {
    KIND.ATTENDANCE_SHEET: 59_000,
    KIND.COMPLETION_CERTIFICATE: 57_000,
    KIND.ATTENDANCE_ATTESTATION: 57_000,
    KIND.STRUCTURE_ATTENDANCE_CERTIFICATE: 58_000,
    KIND.SERVICE_FAIT_STATEMENT: 58_000,
}
RECEIPT_BYTES = 40_000
SCAN_BYTES = 120_000
ISSUED_AT = dt.datetime(2022, 4, 1, 10, 0, tzinfo=dt.UTC)


def signature(seed: int) -> dict:
    """A hand-drawn signature's shape: two strokes, ~200 points over two seconds, a little
    different for each person (no « identical signatures » risk)."""
    shift = seed % 37
    return {
        "width": 600,
        "height": 200,
        "strokes": [
            [[40 + i * 2 + shift, 100 + (i * seed) % 11, i * 16] for i in range(120)],
            [[300 + i * 2, 80 + (i + shift) % 9, 2000 + i * 16] for i in range(80)],
        ],
    }


def kept(kind: str, number: str, size: int, extension: str = "pdf") -> tuple[str, str, int]:
    content = b"%PDF-1.4\n" + os.urandom(size)
    name = documents_storage().save(
        f"issued/{kind}/2022/{number}.{extension}", ContentFile(content)
    )
    return name, hashlib.sha256(content).hexdigest(), len(content)


def document(kind: str, number: str, **subject) -> IssuedDocument:
    name, sha, size = kept(kind, number, SIZES[kind])
    return IssuedDocument(
        number=number,
        kind=kind,
        title=f"{kind} {number}",
        sha256=sha,
        size=size,
        issued_at=ISSUED_AT,
        storage_name=name,
        filename=f"{kind.replace('_', '-')}-{number}.pdf",
        **subject,
    )


def build(sessions: int, people: int):
    """One formation at the given scale (see the module docstring), in bulk."""
    coordinator = UserFactory(role=User.Role.COORDINATOR)
    # Five sessions run at the same time (see the dates below), each with its own trainer:
    # one trainer in two rooms at once would be an audit risk on every half-day.
    trainers = [UserFactory(role=User.Role.TRAINER) for _ in range(5)]
    formation = FormationFactory()
    formation.programme.funders.add(FunderFactory())
    structures = [StructureFactory() for _ in range(max(1, sessions * people // 5))]
    participants = Participant.objects.bulk_create(
        Participant(
            last_name=f"Nguyễn-{index:05d}",
            first_name="Thị Hương",
            structure=structures[index % len(structures)],
        )
        for index in range(sessions * people)
    )
    documents = []
    # Mondays from 4 April 2022: Easter Monday (18 April) falls in the third week, so both
    # scales have a few audit risks to report (public holidays), as real ones do.
    day0 = dt.date(2022, 4, 4)
    for number in range(sessions):
        session = TrainingSessionFactory(
            formation=formation, code=f"BENCH-PACK-F{formation.pk}-{number:03d}"
        )
        trainer = trainers[number % 5]
        session.trainers.add(trainer)
        group = participants[number * people : (number + 1) * people]
        enrolments = Enrolment.objects.bulk_create(
            Enrolment(session=session, participant=person) for person in group
        )
        slots = []
        for day in range(3):
            date = day0 + dt.timedelta(days=day + 7 * (number // 5))
            for start, end in ((9, 12), (13, 17)):
                starts = timezone.make_aware(
                    dt.datetime.combine(date, dt.time(start)), session.tzinfo
                )
                ends = timezone.make_aware(dt.datetime.combine(date, dt.time(end)), session.tzinfo)
                slots.append(
                    Slot(
                        session=session,
                        starts_at=starts,
                        ends_at=ends,
                        countersigned_by=trainer,
                        countersigned_at=ends,
                        countersignature=signature(number),
                    )
                )
        slots = Slot.objects.bulk_create(slots)
        attendances = Attendance.objects.bulk_create(
            Attendance(
                enrolment=enrolment,
                slot=slot,
                status=Attendance.Status.PRESENT,
                method=Attendance.Method.TABLET,
                signature=signature(enrolment.participant_id),
                signed_at=slot.starts_at + dt.timedelta(minutes=3),
                signer_name=enrolment.participant.full_name,
                signer_structure=enrolment.participant.structure.name,
            )
            for slot in slots
            for enrolment in enrolments
        )
        # Sealed as `sessions.sealing.seal_slot` does (true digests, chained), so the pack's
        # verifier.py recomputes and accepts them: its time and memory are measured too.
        of_slot = defaultdict(list)
        for attendance in attendances:
            of_slot[attendance.slot_id].append(attendance)
        previous = ""
        seals = []
        for index, slot in enumerate(slots, start=1):
            seal = Seal(
                slot=slot,
                session=session,
                version=Seal.CURRENT_VERSION,
                sequence=index,
                previous_digest=previous,
                record_digests={str(a.pk): record_digest(a) for a in of_slot[slot.pk]},
                sealed_at=slot.ends_at + dt.timedelta(minutes=5),
                sealed_by=trainer,
            )
            seal.sealed_slot = slot_record(slot, seal)
            seal.digest = seal_digest(
                previous_digest=previous,
                slot_part=seal.sealed_slot,
                record_digests=seal.record_digests,
            )
            seals.append(seal)
            previous = seal.digest
        Seal.objects.bulk_create(seals)
        documents.append(document(KIND.ATTENDANCE_SHEET, f"EMG-{session.code}", session=session))
        if number % 3 == 0:
            name, sha, size = kept("scan", f"SCAN-{session.code}", SCAN_BYTES)
            PaperSheetScan.objects.create(
                slot=slots[0],
                file=name,
                original_name="feuille papier.pdf",
                sha256=sha,
                size=size,
                uploaded_by=trainer,
            )
        receipt, sha, _size = kept("receipt", f"RECU-{number}", RECEIPT_BYTES, "jpg")
        Expense.objects.create(
            formation=formation,
            number=number + 1,
            date=day0 + dt.timedelta(days=7 * (number // 5)),
            category=Expense.Category.TRAVEL,
            description=f"Train de la formatrice, session {session.code}",
            session=session,
            amount_ht=40,
            vat=8,
            amount_ttc=48,
            paid_by="Organisme",
            receipt=receipt,
            receipt_sha256=sha,
            receipt_original_name="billet.jpg",
            receipt_content_type="image/jpeg",
        )
    for person in participants:
        for kind, prefix in (
            (KIND.COMPLETION_CERTIFICATE, "CR"),
            (KIND.ATTENDANCE_ATTESTATION, "AA"),
        ):
            documents.append(
                document(
                    kind,
                    f"{prefix}-F{formation.pk}-P{person.pk}",
                    participant=person,
                    formation=formation,
                )
            )
    for structure in structures:
        documents.append(
            document(
                KIND.STRUCTURE_ATTENDANCE_CERTIFICATE,
                f"CA-F{formation.pk}-S{structure.pk}",
                structure=structure,
                formation=formation,
            )
        )
    documents.append(
        document(
            KIND.SERVICE_FAIT_STATEMENT,
            f"SF-F{formation.pk}",
            formation=formation,
            covers_from=day0,
            covers_to=day0 + dt.timedelta(days=365),
        )
    )
    IssuedDocument.objects.bulk_create(documents, batch_size=500)
    return coordinator, formation


def measure(formation, coordinator) -> dict:
    gc.collect()
    with tempfile.TemporaryFile() as output, tempfile.TemporaryDirectory() as unzipped:
        tracemalloc.start()
        base, _peak = tracemalloc.get_traced_memory()
        start = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            built = build_audit_pack(
                scope=PackScope(formation=formation), actor=coordinator, output=output
            )
        elapsed = time.perf_counter() - start
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        # What the auditor then runs: verifier.py in the unzipped folder (its own process:
        # time, and the peak resident memory of the largest run so far).
        output.seek(0)
        with zipfile.ZipFile(output) as archive:
            archive.extractall(unzipped)
        start = time.perf_counter()
        verified = subprocess.run(
            [sys.executable, "verifier.py"], cwd=unzipped, capture_output=True, text=True
        )
        verifying = time.perf_counter() - start
        verifier_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    return {
        "files": built.outcome.written + 1,
        "left_out": len(built.outcome.left_out),
        "bytes": built.document.size,
        "queries": len(queries),
        "seconds": elapsed,
        "peak": peak - base,
        "verified": verified.returncode == 0,
        "verify_seconds": verifying,
        "verifier_rss": verifier_rss,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="15,150", help="sessions per formation, by comma")
    parser.add_argument("--people", type=int, default=10, help="people per session")
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
    results = []
    print(
        f"{'sessions':>8} {'personnes':>9} {'fichiers':>8} {'ZIP':>9} {'requêtes':>8} "
        f"{'temps':>8} {'pic mémoire':>12}  {'verifier.py':>24}  (construction des données)"
    )
    # Warm-up: imports, translations, date formats, holiday calendars… loaded once by the
    # process, outside the measures.
    coordinator, formation = build(15, 1)
    measure(formation, coordinator)
    for sessions in [int(value) for value in args.scales.split(",")]:
        start = time.perf_counter()
        coordinator, formation = build(sessions, args.people)
        building = time.perf_counter() - start
        result = measure(formation, coordinator)
        results.append(result)
        print(
            f"{sessions:>8} {sessions * args.people:>9} {result['files']:>8} "
            f"{result['bytes'] / 1e6:>7.1f} Mo {result['queries']:>8} "
            f"{result['seconds']:>6.2f} s {result['peak'] / 1e6:>9.2f} Mo  "
            f"{'OK' if result['verified'] else 'ÉCHEC':>5} {result['verify_seconds']:>6.1f} s "
            f"{result['verifier_rss'] / 1e6:>6.0f} Mo RSS  ({building:.1f} s)",
            flush=True,
        )
        if result["left_out"]:
            print(f"   {result['left_out']} documents non inclus : la mesure est fausse")
            return 1
    if len(results) >= 2:
        small, big = results[0], results[-1]
        print(
            f"Rapports : fichiers ×{big['files'] / small['files']:.1f}, "
            f"temps ×{big['seconds'] / small['seconds']:.1f}, "
            f"requêtes ×{big['queries'] / small['queries']:.2f}, "
            f"pic mémoire ×{big['peak'] / small['peak']:.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
