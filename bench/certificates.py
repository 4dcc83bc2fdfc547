"""Issuing certificates: how many per second on one core, and a formation's 150.

The issue asks for « hundreds per second » and for the time to issue a formation's 150
certificates in bulk. This script builds a throwaway test database (SQLite, or
PostgreSQL when DATABASE_URL is set) with one formation of ten 15-person sessions of six
half-days each, signed, countersigned and sealed through the services, then prints:

1. the render-only rate (the PDF from data already built, CPU time of this process);
2. the one-by-one rate: the certificat de réalisation of each person issued by
   `issue_certificate` (data, rendering, kept file, register, journal), as from the
   participant page;
3. the bulk job's time for the same 150 (after revoking them, so that all are issued
   again): `certificates_bulk_run`, as the background task runs it.

    .venv/bin/python bench/certificates.py [--sessions 10] [--people 15]
"""

import argparse
import datetime
import io
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
from django.core.files.base import ContentFile  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402
from PIL import Image  # noqa: E402

from formations.jobs import job_create  # noqa: E402
from formations.models import Funder, User  # noqa: E402
from livrables import services  # noqa: E402
from livrables.bulk import certificates_bulk_run  # noqa: E402
from livrables.data_certificates import build_certificates_data  # noqa: E402
from livrables.models import IssuedDocument  # noqa: E402
from livrables.pdf import certificates as pdf  # noqa: E402
from sessions.services.enrolment import enrol_participants  # noqa: E402
from tests.factories import (  # noqa: E402
    FormationFactory,
    FunderFactory,
    ParticipantFactory,
    ProviderIdentityFactory,
    SlotFactory,
    TrainingSessionFactory,
    UserFactory,
)
from tests.factories.sessions import close, sign  # noqa: E402


def local(session, date, hour):
    return timezone.make_aware(datetime.datetime.combine(date, datetime.time(hour)), session.tzinfo)


def png(width: int, height: int, colour: str) -> ContentFile:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, "PNG")
    return ContentFile(buffer.getvalue())


def build(sessions: int, people: int):
    """As in production: an EU fund and a region with its logo on the programme (emblem
    band and sentences on every page), a signature-and-stamp image on the organisme."""
    coordinator = UserFactory(role=User.Role.COORDINATOR)
    trainer = UserFactory(role=User.Role.TRAINER)
    provider = ProviderIdentityFactory()
    provider.signature_image.save("signature.png", png(340, 140, "navy"))
    formation = FormationFactory()
    region = FunderFactory(
        name="Région Hauts-de-France",
        kind=Funder.Kind.REGION,
        publicity_sentence="Avec le soutien de la Région Hauts-de-France",
    )
    region.emblem.save("region.png", png(300, 150, "teal"))
    formation.programme.funders.add(FunderFactory(), region)
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

    kind = "completion_certificate"
    count = len(everyone)

    # 1. Rendering alone, from data built in bulk, for each kind.
    for each_kind in pdf.RENDERERS:
        found = build_certificates_data(
            kinds=(each_kind,), participants=everyone, formation=formation, now=timezone.now()
        )
        render = pdf.RENDERERS[each_kind]
        render(next(iter(found.values())))  # warm-up: fonts, styles, caches
        cpu = []
        for data in found.values():
            start = time.process_time()
            render(data)
            cpu.append(time.process_time() - start)
        print(
            f"Rendu seul ({each_kind}) : {1 / statistics.mean(cpu):.0f} par seconde sur un "
            f"cœur (médiane {1000 * statistics.median(cpu):.1f} ms de CPU)"
        )

    # 2. One by one, as from the participant page.
    each = []
    start = time.perf_counter()
    for person in everyone:
        one = time.perf_counter()
        services.issue_certificate(
            kind=kind, participant=person, formation=formation, actor=coordinator
        )
        each.append(time.perf_counter() - one)
    total = time.perf_counter() - start
    print(
        f"Un par un : {count} certificats émis en {total:.2f} s, {count / total:.0f} par "
        f"seconde (médiane {1000 * statistics.median(each):.1f} ms)"
    )

    # 3. The bulk job, on the same people: the standing ones are revoked first, so that
    # the job issues them all again (an up-to-date one would be skipped).
    for document in IssuedDocument.objects.filter(kind=kind, formation=formation):
        services.revoke_document(document=document, actor=coordinator, reason="banc de mesure")
    job = job_create(kind="certificates.bulk", label="banc", total=count, actor=coordinator)
    start = time.perf_counter()
    outcome = certificates_bulk_run(
        job_id=job.pk,
        formation_id=formation.pk,
        session_id=None,
        kinds=[kind],
        actor_id=coordinator.pk,
    )
    total = time.perf_counter() - start
    print(
        f"Émission groupée : {outcome.issued} certificats (échecs : {outcome.failed}) en "
        f"{total:.2f} s, {outcome.issued / total:.0f} par seconde"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
