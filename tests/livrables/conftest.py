import datetime as dt
import io
from dataclasses import dataclass

import pytest
from django.utils import timezone
from pypdf import PdfReader

from formations.models import Funder, User
from sessions.models import Attendance, Rectification, Seal
from tests.factories import (
    AttendanceFactory,
    EnrolmentFactory,
    FormationFactory,
    FunderFactory,
    ParticipantFactory,
    ProgrammeFactory,
    SlotFactory,
    StructureFactory,
    TrainingSessionFactory,
    UserFactory,
)

FEDER_2014_SENTENCE = "Ce projet est cofinancé par l'Union européenne avec le FEDER"
REGION_SENTENCE = "Avec le soutien de la Région Hauts-de-France"
PROGRAMME_SENTENCE = "Opération « Centres sociaux connectés » de la MEL"
SEAL_DIGEST = "3f9a2b4c5d6e7f80" + "1" * 48
AFTERNOON_SEAL_DIGEST = "8e7d6c5b4a392817" + "2" * 48
RECTIFICATION_REASON = "Arrivée signalée par téléphone au formateur"

SIGNATURE = {
    "width": 600,
    "height": 200,
    "strokes": [
        [[40 + i * 2, 100 + (i % 7) * 6, i * 16] for i in range(120)],
        [[300 + i * 2, 80 + (i % 5) * 9, 2000 + i * 16] for i in range(80)],
    ],
}


@pytest.fixture(autouse=True)
def _own_documents_storage(documents_dir):
    """Every livrables test keeps its issued files in its own temporary folder."""
    return documents_dir


def kept_files(location) -> list[str]:
    """Names of the files kept under a documents storage folder, relative to it."""
    return sorted(str(p.relative_to(location)) for p in location.rglob("*") if p.is_file())


def pdf_text(content: bytes) -> str:
    """All pages' text, whitespace collapsed (lines may wrap anywhere)."""
    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text() or "" for page in reader.pages).split())


def pdf_pages(content: bytes) -> int:
    return len(PdfReader(io.BytesIO(content)).pages)


def at(session, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)), session.tzinfo)


@dataclass
class SheetWorld:
    session: object
    trainer: User
    coordinator: User
    morning: object
    afternoon: object
    enrolments: dict


@pytest.fixture
def sheet_world(db) -> SheetWorld:
    """A FEDER (2014-2020 sentence) + Région session of two half-days, four participants
    with every kind of cell, both half-days countersigned and sealed, the morning
    rectified once: a sheet that is issued and registered."""
    feder = FunderFactory(
        name="FEDER", kind=Funder.Kind.FEDER, publicity_sentence=FEDER_2014_SENTENCE
    )
    region = FunderFactory(
        name="Région Hauts-de-France", kind=Funder.Kind.REGION, publicity_sentence=REGION_SENTENCE
    )
    programme = ProgrammeFactory(
        reference="CSC-MEL-2018",
        title="Centres sociaux connectés",
        publicity_sentence=PROGRAMME_SENTENCE,
    )
    programme.funders.add(feder, region)
    formation = FormationFactory(
        programme=programme,
        contract_reference="FEDER-2018-AO.3",
        title="Accompagner les usages numériques",
    )
    trainer = UserFactory(role=User.Role.TRAINER, first_name="Théo", last_name="Formateur")
    coordinator = UserFactory(role=User.Role.COORDINATOR, first_name="Claire", last_name="Coordo")
    session = TrainingSessionFactory(
        formation=formation, code="LABO-2021-1", place="Centre social l'Arbrisseau"
    )
    session.trainers.add(trainer)
    day = dt.date(2021, 10, 4)
    morning = SlotFactory(
        session=session, starts_at=at(session, day, 9), ends_at=at(session, day, 12, 30)
    )
    afternoon = SlotFactory(
        session=session, starts_at=at(session, day, 13, 30), ends_at=at(session, day, 17)
    )
    people = {
        "nguyen": ("Nguyễn", "Thị Hương", "CCAS de Lille"),
        "dvorak": ("Dvořák", "Jiří", "Centre social Wazemmes"),
        "ozturk": ("Öztürk", "Ayşe", "Mission locale de Roubaix"),
        "martin": ("Martin", "Camille", "CCAS de Mamoudzou"),
    }
    enrolments = {}
    for key, (last, first, structure) in people.items():
        participant = ParticipantFactory(
            last_name=last, first_name=first, structure=StructureFactory(name=structure)
        )
        enrolments[key] = EnrolmentFactory(session=session, participant=participant)

    def attend(
        key, slot, status, minutes=None, signature=SIGNATURE, method=Attendance.Method.TABLET
    ):
        return AttendanceFactory(
            enrolment=enrolments[key],
            slot=slot,
            status=status,
            minutes_attended=minutes,
            signature=signature,
            method=method,
            signed_at=slot.starts_at + dt.timedelta(minutes=2) if signature else None,
        )

    attend("nguyen", morning, Attendance.Status.PRESENT)
    attend("nguyen", afternoon, Attendance.Status.PRESENT, method=Attendance.Method.QR_CODE)
    late = attend("dvorak", morning, Attendance.Status.LATE, 180)
    attend(
        "dvorak",
        afternoon,
        Attendance.Status.ABSENT,
        signature=None,
        method=Attendance.Method.TRAINER,
    )
    attend(
        "ozturk",
        morning,
        Attendance.Status.ABSENT_EXCUSED,
        signature=None,
        method=Attendance.Method.TRAINER,
    )
    # Öztürk has no attendance in the afternoon: an empty cell, struck out.
    attend("martin", morning, Attendance.Status.PRESENT)
    attend("martin", afternoon, Attendance.Status.LEFT_EARLY, 150)

    morning.countersigned_by = trainer
    morning.countersigned_at = at(session, day, 12, 35)
    morning.countersignature = SIGNATURE
    morning.save()
    Seal.objects.create(
        slot=morning,
        session=session,
        sequence=1,
        previous_digest="",
        digest=SEAL_DIGEST,
        record_digests={},
        sealed_at=at(session, day, 12, 40),
        sealed_by=trainer,
    )
    afternoon.countersigned_by = trainer
    afternoon.countersigned_at = at(session, day, 17, 5)
    afternoon.countersignature = SIGNATURE
    afternoon.save()
    Seal.objects.create(
        slot=afternoon,
        session=session,
        sequence=2,
        previous_digest=SEAL_DIGEST,
        digest=AFTERNOON_SEAL_DIGEST,
        record_digests={},
        sealed_at=at(session, day, 17, 10),
        sealed_by=trainer,
    )
    Rectification.objects.create(
        attendance=late,
        old_values={"status": "absent", "minutes_attended": None},
        new_values={"status": "late", "minutes_attended": 180},
        reason=RECTIFICATION_REASON,
        author=coordinator,
        created_at=at(session, dt.date(2021, 10, 5), 9),
        previous_digest=SEAL_DIGEST,
        digest="7" * 64,
    )
    return SheetWorld(
        session=session,
        trainer=trainer,
        coordinator=coordinator,
        morning=morning,
        afternoon=afternoon,
        enrolments=enrolments,
    )


def add_participants(session, count: int) -> None:
    slots = list(session.slots.all())
    for _ in range(count):
        enrolment = EnrolmentFactory(session=session)
        for slot in slots:
            AttendanceFactory(enrolment=enrolment, slot=slot, signature=SIGNATURE)
