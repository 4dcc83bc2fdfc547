"""Demo sessions: past ones whose half-days are signed, countersigned and sealed (with late
arrivals, absences and one rectification), one live session open for signing whenever the
demo is loaded, and upcoming ones.

Everything is written through the same services the pages use, at the slot's own time
(`now=`), so the demo data passes `verify_seals`. Idempotent: a session that already
exists is left as it is (a sealed half-day never changes in place), except the live
session's half-day, which is planned again around the current time while nobody has
signed it, so that the tablet, QR code and remote-link pages can be tried at any hour.
Apart from the live one, no demo half-day falls on a Saturday, a Sunday or a public
holiday of the place.
"""

import datetime as dt
import math
import random
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from formations.demo import LIVE_FORMATION
from formations.models import Formation, Participant, Structure, User
from sessions.models import Attendance, Enrolment, PaperSheetScan, Slot, TrainingSession
from sessions.public_holidays import is_working_day
from sessions.services.attendance import (
    attendance_mark,
    attendance_rectify,
    attendance_sign,
    slot_close,
    slot_countersign,
)
from sessions.states import closes_at, opens_at

LIVE_SESSION = "DEMO-EN-DIRECT"
# The live half-day starts a little before the load and lasts a usual half-day, so its
# signing window stays open for at least the next three hours.
LIVE_STARTED_MINUTES_AGO = 10
LIVE_DURATION = dt.timedelta(hours=3, minutes=30)
LIVE_OPEN_AT_LEAST = dt.timedelta(hours=3)

MORNING = (dt.time(9, 0), dt.time(12, 30))
AFTERNOON = (dt.time(13, 30), dt.time(17, 0))
# Documentation address ranges (RFC 5737): no real device. The trainer's tablet is one
# device for everyone; each phone that scans the QR code or opens a link is its own.
DEMO_TABLET = ("192.0.2.10", "Mozilla/5.0 (Linux; Android 13; Tablette de démonstration)")
DEMO_PHONES = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; SM-A156B) Chrome/126.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 13; Redmi Note 12) Chrome/125.0 Mobile Safari/537.36",
)


def demo_device(method: str, index: int) -> tuple[str, str]:
    """(IP, browser) a demo signature comes from: the tablet, or the signer's own phone."""
    if method == Attendance.Method.TABLET:
        return DEMO_TABLET
    return f"198.51.100.{20 + index}", DEMO_PHONES[index % len(DEMO_PHONES)]


@dataclass(frozen=True)
class DemoSession:
    code: str
    formation: str
    first_day: dt.date
    days: int
    place: str
    address: str
    time_zone: str
    structures: tuple[str, ...] | None  # None: all the programme's structures
    group_size: int
    trainer: str
    modality: str = TrainingSession.Modality.ON_SITE


def demo_signature(rng: random.Random, width: int = 320, height: int = 120) -> dict:
    """A plausible handwritten signature as vector strokes, like the pad posts: a run of
    loops (a trochoid, as a pen writing cursive) followed by an underline flourish."""
    strokes = []
    t_ms = 0
    x0, baseline = rng.uniform(16, 30), rng.uniform(62, 74)
    advance, loop = rng.uniform(3.2, 4.4), rng.uniform(7, 10)
    heights = [rng.choice([12, 14, 16, 26, 30]) for _ in range(9)]
    turns = rng.uniform(5, 8)
    points = []
    step = 0.0
    while step < turns * 2 * math.pi:
        letter = heights[int(step / (2 * math.pi)) % len(heights)]
        x = x0 + advance * step - loop * math.sin(step)
        y = baseline - letter * (1 - math.cos(step)) / 2 - 4 * math.sin(step / 4)
        t_ms += rng.randint(6, 14)
        points.append(
            [round(min(max(x, 4), width - 4), 1), round(min(max(y, 4), height - 4), 1), t_ms]
        )
        step += 0.3
    strokes.append(points)
    end_x = points[-1][0]
    t_ms += 180
    underline = []
    for index in range(14):
        x = x0 - 6 + (end_x - x0 + 18) * index / 13
        y = baseline + 22 + 5 * math.sin(index / 2.2) - index * 0.6
        t_ms += rng.randint(8, 16)
        underline.append(
            [round(min(max(x, 4), width - 4), 1), round(min(max(y, 4), height - 4), 1), t_ms]
        )
    strokes.append(underline)
    return {"width": width, "height": height, "strokes": strokes}


def _slots_for(session: TrainingSession, first_day: dt.date, days: int) -> list[Slot]:
    slots = []
    for offset in range(days):
        day = first_day + dt.timedelta(days=offset)
        for start, end in (MORNING, AFTERNOON):
            slots.append(
                Slot.objects.create(
                    session=session,
                    starts_at=timezone.make_aware(dt.datetime.combine(day, start), session.tzinfo),
                    ends_at=timezone.make_aware(dt.datetime.combine(day, end), session.tzinfo),
                )
            )
    return slots


def _pick_participants(
    spec: DemoSession, formation: Formation, rng: random.Random
) -> list[Participant]:
    structures = Structure.objects.filter(programmes=formation.programme)
    if spec.structures:
        structures = structures.filter(name__in=spec.structures)
    people = list(Participant.objects.filter(structure__in=structures).order_by("pk"))
    rng.shuffle(people)
    # At most 3 per structure: the DESIGN PALAS rule, harmless elsewhere.
    chosen, per_structure = [], {}
    for person in people:
        if per_structure.get(person.structure_id, 0) >= 3:
            continue
        per_structure[person.structure_id] = per_structure.get(person.structure_id, 0) + 1
        chosen.append(person)
        if len(chosen) == spec.group_size:
            break
    return chosen


def _run_past_slot(
    slot: Slot, enrolments: list[Enrolment], trainer: User, rng: random.Random
) -> None:
    """Signs, marks and seals one past half-day the way a trainer would have."""
    start = slot.starts_at
    methods = [Attendance.Method.TABLET, Attendance.Method.TABLET, Attendance.Method.QR_CODE]
    if slot.session.modality == TrainingSession.Modality.REMOTE:
        methods = [Attendance.Method.REMOTE_LINK]
    for index, enrolment in enumerate(enrolments):
        roll = rng.random()
        if roll < 0.06:
            status = Attendance.Status.ABSENT_EXCUSED
        elif roll < 0.10:
            continue  # never came: closing the slot strikes the cell out as absent
        elif roll < 0.18:
            status = Attendance.Status.LATE
        elif roll < 0.23:
            status = Attendance.Status.LEFT_EARLY
        elif roll < 0.25:
            status = Attendance.Status.LATE_AND_LEFT_EARLY
        else:
            status = Attendance.Status.PRESENT
        # What the trainer saw: the arrival time of a late person, the departure time of
        # one who left early; people sign when they arrive.
        arrived_at = left_at = None
        if status in Attendance.ARRIVAL_STATUSES:
            arrived_at = start + dt.timedelta(minutes=rng.choice([15, 20, 30, 45]))
        if status in Attendance.DEPARTURE_STATUSES:
            left_at = slot.ends_at - dt.timedelta(minutes=rng.choice([30, 45, 60, 90]))
        if status != Attendance.Status.ABSENT_EXCUSED:
            arrival = arrived_at or start - dt.timedelta(minutes=10)
            method = rng.choice(methods)
            ip, user_agent = demo_device(method, index)
            attendance_sign(
                enrolment=enrolment,
                slot=slot,
                signature=demo_signature(rng),
                method=method,
                ip=ip,
                user_agent=user_agent,
                nonce=f"demo-{slot.pk}-{enrolment.pk}",
                now=arrival + dt.timedelta(minutes=rng.randint(1, 12), seconds=index * 7),
            )
        if status == Attendance.Status.PRESENT:
            continue
        attendance_mark(
            enrolment=enrolment,
            slot=slot,
            status=status,
            arrived_at=arrived_at,
            left_at=left_at,
            actor=trainer,
            now=(left_at or arrived_at or start) + dt.timedelta(minutes=5),
        )
    slot_countersign(slot=slot, trainer=trainer, signature=demo_signature(rng), now=slot.ends_at)
    slot_close(slot=slot, actor=trainer, now=slot.ends_at + dt.timedelta(minutes=5))


def _demo_sessions(today: dt.date) -> list[DemoSession]:
    labo_place = "Pôle culturel de Chirongui"
    specs = [
        DemoSession(
            "AO3-2018-03",
            "FEDER-2018-AO.3",
            dt.date(2018, 3, 13),
            1,
            "Centre social et culturel de l'Arbrisseau",
            "194 rue Vaisseau le Vengeur, 59000 Lille",
            "Europe/Paris",
            None,
            8,
            "formateur",
        ),
        DemoSession(
            "AO3-2018-04",
            "FEDER-2018-AO.3",
            dt.date(2018, 4, 10),
            1,
            "Centre social Lazare Garreau",
            "Lille",
            "Europe/Paris",
            None,
            8,
            "formateur",
        ),
        DemoSession(
            "LABO-2021-1",
            "FSE-DESIGN-PALAS-FAIS-LABO",
            dt.date(2021, 10, 4),
            3,
            labo_place,
            "Chirongui, Mayotte",
            "Indian/Mayotte",
            None,
            15,
            "formatrice",
        ),
        DemoSession(
            "LABO-2021-2",
            "FSE-DESIGN-PALAS-FAIS-LABO",
            dt.date(2021, 12, 6),
            3,
            "Hôtel de ville de Mamoudzou",
            "Mamoudzou, Mayotte",
            "Indian/Mayotte",
            None,
            15,
            "formatrice",
        ),
        DemoSession(
            "CD93-2022-01",
            "CD93-DEIAT-2021-NI",
            dt.date(2022, 2, 8),
            1,
            "Immeuble Verdi, Bobigny",
            "Bobigny",
            "Europe/Paris",
            None,
            12,
            "formateur",
        ),
        DemoSession(
            "CD93-2022-02",
            "CD93-DEIAT-2021-NI",
            dt.date(2022, 3, 15),
            1,
            "Maison de l'emploi, Clichy-sous-Bois",
            "Clichy-sous-Bois",
            "Europe/Paris",
            None,
            13,
            "formateur",
        ),
        DemoSession(
            "CD93-2022-03",
            "CD93-DEIAT-2021-NI",
            dt.date(2022, 4, 12),
            1,
            "Visioconférence",
            "",
            "Europe/Paris",
            None,
            11,
            "formateur",
            TrainingSession.Modality.REMOTE,
        ),
        # Upcoming, on the live programme (its execution period covers today), on working
        # days of their place.
        DemoSession(
            "DEMO-A-VENIR-BOBIGNY",
            LIVE_FORMATION,
            working_days_from(today + dt.timedelta(days=14), 1, "Europe/Paris"),
            1,
            "Mission locale de Saint-Ouen",
            "Saint-Ouen-sur-Seine",
            "Europe/Paris",
            None,
            12,
            "formateur",
        ),
        DemoSession(
            "DEMO-A-VENIR-MAYOTTE",
            LIVE_FORMATION,
            working_days_from(today + dt.timedelta(days=21), 3, "Indian/Mayotte"),
            3,
            labo_place,
            "Chirongui, Mayotte",
            "Indian/Mayotte",
            None,
            12,
            "formatrice",
        ),
    ]
    return specs


def working_days_from(first: dt.date, days: int, time_zone: str) -> dt.date:
    """The first day from `first` that starts `days` consecutive working days of the place
    (no Saturday, Sunday or public holiday), as a real session would be planned."""
    day = first
    while not all(is_working_day(day + dt.timedelta(days=i), time_zone) for i in range(days)):
        day += dt.timedelta(days=1)
    return day


def load(
    *,
    accounts: dict[str, User],
    coordinator: User,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
) -> list[TrainingSession]:
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    rng = random.Random(93)
    created = []
    for spec in _demo_sessions(today):
        if TrainingSession.objects.filter(code=spec.code).exists():
            continue
        created.append(_create_session(spec, accounts, coordinator, rng, today))
    live = plan_live_session(accounts=accounts, coordinator=coordinator, now=now)
    if live is not None:
        created.append(live)
    return created


def _has_evidence(slot: Slot) -> bool:
    return (
        slot.countersigned_at is not None
        or hasattr(slot, "seal")
        or Attendance.objects.filter(slot=slot).exists()
        or PaperSheetScan.objects.filter(slot=slot).exists()
    )


@transaction.atomic
def plan_live_session(
    *, accounts: dict[str, User], coordinator: User, now: dt.datetime
) -> TrainingSession | None:
    """Makes sure the live demo session has a half-day open for signing from now for at
    least LIVE_OPEN_AT_LEAST. Half-days nobody signed, countersigned or sealed are
    planned again around `now`; signed ones are evidence and stay. Returns the session
    when it was created, None when it already existed."""
    session = TrainingSession.objects.filter(code=LIVE_SESSION).first()
    created = session is None
    if created:
        formation = Formation.objects.get(contract_reference=LIVE_FORMATION)
        session = TrainingSession.objects.create(
            formation=formation,
            code=LIVE_SESSION,
            place="Salle de démonstration, Bobigny",
            address="Bobigny",
            time_zone="Europe/Paris",
            modality=TrainingSession.Modality.HYBRID,
            remote_url="https://visio.example.org/demo-en-direct",
            notes="Session de démonstration : sa demi-journée est replanifiée à chaque "
            "chargement de la démo tant que personne n'y a signé.",
        )
        session.trainers.add(accounts["formateur"])
        spec = DemoSession(
            LIVE_SESSION, LIVE_FORMATION, now.date(), 1, "", "", "Europe/Paris", None, 12, ""
        )
        for person in _pick_participants(spec, formation, random.Random(2026)):
            Enrolment.objects.create(session=session, participant=person, enrolled_by=coordinator)
    window_end = now + LIVE_OPEN_AT_LEAST
    slots = list(Slot.objects.filter(session=session).select_related("seal"))
    if any(
        opens_at(slot.starts_at) <= now and window_end <= closes_at(slot.ends_at) for slot in slots
    ):
        return session if created else None
    kept = []
    for slot in slots:
        if _has_evidence(slot):
            kept.append(slot)
        else:
            slot.delete()
    start = (now - dt.timedelta(minutes=LIVE_STARTED_MINUTES_AGO)).replace(second=0, microsecond=0)
    start -= dt.timedelta(minutes=start.minute % 5)
    # Never over a signed half-day of an earlier run.
    for slot in kept:
        if slot.starts_at < start + LIVE_DURATION and start < slot.ends_at:
            start = slot.ends_at
    Slot.objects.create(session=session, starts_at=start, ends_at=start + LIVE_DURATION)
    return session if created else None


@transaction.atomic
def _create_session(spec, accounts, coordinator, rng, today) -> TrainingSession:
    formation = Formation.objects.get(contract_reference=spec.formation)
    trainer = accounts[spec.trainer]
    session = TrainingSession.objects.create(
        formation=formation,
        code=spec.code,
        place=spec.place,
        address=spec.address,
        time_zone=spec.time_zone,
        modality=spec.modality,
        remote_url="https://visio.example.org/cd93"
        if spec.modality == TrainingSession.Modality.REMOTE
        else "",
        status=TrainingSession.Status.COMPLETED
        if spec.first_day < today
        else TrainingSession.Status.PLANNED,
    )
    session.trainers.add(trainer)
    slots = _slots_for(session, spec.first_day, spec.days)
    enrolments = [
        Enrolment.objects.create(session=session, participant=p, enrolled_by=coordinator)
        for p in _pick_participants(spec, formation, rng)
    ]
    if spec.first_day < today:
        for slot in slots:
            _run_past_slot(slot, enrolments, trainer, rng)
        _rectify_one(session, coordinator)
    return session


def _rectify_one(session: TrainingSession, author: User) -> None:
    """One correction after sealing, as happens: a departure the trainer forgot to record."""
    if session.code not in ("LABO-2021-1", "CD93-2022-01"):
        return
    attendance = (
        Attendance.objects.filter(slot__session=session, status=Attendance.Status.PRESENT)
        .select_related("slot")
        .order_by("-slot__starts_at", "pk")
        .first()
    )
    if attendance is None:
        return
    attendance_rectify(
        attendance=attendance,
        status=Attendance.Status.LEFT_EARLY,
        left_at=attendance.slot.ends_at - dt.timedelta(minutes=45),
        reason="Départ à 16 h 15 signalé par la structure ; oubli de saisie le jour même, "
        "corrigé après vérification avec le formateur.",
        author=author,
        now=attendance.slot.ends_at + dt.timedelta(days=2),
    )
