"""Times the feuille d'émargement renderer on a realistic sheet, with no database.

    .venv/bin/python bench/sheet.py [--participants 15] [--slots 6] [--runs 50] [--out FILE.pdf]

Budget (DESIGN.md, "Budgets"): a sheet of 15 participants × 6 half-days renders in well
under 50 ms. Prints the median and p90 time per sheet and the PDF size.
"""

import argparse
import datetime as dt
import math
import os
import random
import statistics
import sys
import time
import zoneinfo
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

import django  # noqa: E402

django.setup()

from livrables.data import (  # noqa: E402
    Cell,
    FunderInfo,
    RectificationInfo,
    Row,
    SealInfo,
    SheetData,
    Signature,
    SlotInfo,
    status_label,
)
from livrables.pdf.blank_sheet import render_blank_sheet  # noqa: E402
from livrables.pdf.sheet import render_sheet  # noqa: E402

BUDGET_MS = 50

LAST_NAMES = [
    "Nguyễn",
    "Dvořák",
    "Öztürk",
    "Martin",
    "Bernard",
    "Dubois",
    "Lefèvre",
    "Mbaé",
    "Attoumani",
    "Moreau",
    "Laurent",
    "Girard",
    "Çelik",
    "Rousseau",
    "Fontaine",
    "Ahamada",
    "Leroy",
    "Roux",
    "Vincent",
    "Blanc",
]
FIRST_NAMES = [
    "Thị Hương",
    "Jiří",
    "Ayşe",
    "Camille",
    "Léa",
    "Karim",
    "Zoé",
    "Anli",
    "Maoulida",
    "Inès",
    "Hugo",
    "Chloé",
    "Emre",
    "Manon",
    "Louis",
    "Fatima",
    "Nicolas",
    "Julie",
]
STRUCTURES = [
    "CCAS de Lille",
    "Centre social l'Arbrisseau",
    "Maison de quartier Wazemmes",
    "Mission locale de Valenciennes",
    "CCAS de Mamoudzou",
    "UDCCAS du Nord",
    "Association référente RSA Roubaix",
]


def fake_signature(rng: random.Random, points: int = 200) -> Signature:
    """A signature-like scribble: 2–3 strokes totalling about `points` points."""
    strokes = []
    n_strokes = rng.randint(2, 3)
    per = points // n_strokes
    x0 = rng.uniform(20, 60)
    for s in range(n_strokes):
        stroke = []
        amp = rng.uniform(20, 45)
        freq = rng.uniform(0.05, 0.12)
        for i in range(per):
            x = x0 + s * 90 + i * 1.6
            y = 100 + amp * math.sin(i * freq + s) + 8 * math.sin(i * 0.6)
            stroke.append((round(x, 1), round(y, 1)))
        strokes.append(tuple(stroke))
    return Signature(width=600, height=200, strokes=tuple(strokes))


def fake_sheet_data(participants: int = 15, slots: int = 6, seed: int = 7) -> SheetData:
    rng = random.Random(seed)
    tz = zoneinfo.ZoneInfo("Europe/Paris")
    day = dt.date(2021, 10, 4)
    slot_infos = []
    for index in range(1, slots + 1):
        date = day + dt.timedelta(days=(index - 1) // 2)
        morning = index % 2 == 1
        start, end = (dt.time(9), dt.time(12, 30)) if morning else (dt.time(13, 30), dt.time(17))
        slot_infos.append(
            SlotInfo(
                pk=index,
                index=index,
                date=date,
                start=start,
                end=end,
                planned_minutes=210,
                countersigned_by="Théo Formateur",
                countersigned_at=dt.datetime.combine(date, end, tzinfo=tz),
                countersignature=fake_signature(rng, 150),
                seal_digest=f"{rng.getrandbits(256):064x}",
                paper_url=f"http://127.0.0.1:8000/demi-journees/{index}/papier/",
            )
        )
    rows = []
    for p in range(participants):
        cells = []
        for slot in slot_infos:
            roll = rng.random()
            if roll < 0.8:
                status, minutes = "present", 210
            elif roll < 0.87:
                status, minutes = "late", 180
            elif roll < 0.92:
                status, minutes = "left_early", 150
            elif roll < 0.96:
                status, minutes = "absent_excused", None
            else:
                status, minutes = "absent", None
            signed = status not in ("absent", "absent_excused")
            cells.append(
                Cell(
                    status=status,
                    status_label=status_label(status, minutes, slot.planned_minutes),
                    minutes_attended=minutes,
                    planned_minutes=slot.planned_minutes,
                    signature=fake_signature(rng) if signed else None,
                    signed_at=dt.datetime.combine(slot.date, slot.start, tzinfo=tz)
                    if signed
                    else None,
                    method=rng.choice(["tablet", "qr_code", "remote_link"])
                    if signed
                    else "trainer",
                    method_label="",
                )
            )
        last_name = LAST_NAMES[p % len(LAST_NAMES)]
        rows.append(
            Row(
                participant_name=f"{last_name.upper()} {FIRST_NAMES[p % len(FIRST_NAMES)]}",
                structure_name=STRUCTURES[p % len(STRUCTURES)],
                cells=tuple(cells),
            )
        )
    seals = tuple(
        SealInfo(
            slot_index=s.index,
            slot_label=s.label,
            sequence=s.index,
            digest=s.seal_digest,
            previous_digest=slot_infos[s.index - 2].seal_digest if s.index > 1 else "",
            sealed_at=dt.datetime.combine(s.date, s.end, tzinfo=tz),
            sealed_by="Théo Formateur",
        )
        for s in slot_infos
    )
    return SheetData(
        number="EMG-LABO-2021-1-20211006160000-3F9A",
        generated_at=dt.datetime(2021, 10, 6, 18, 0, tzinfo=tz),
        programme_reference="CSC-MEL-2018",
        programme_title="Centres sociaux connectés",
        programme_carrier="Centre social et culturel de l'Arbrisseau",
        contract_reference="FEDER-2018-AO.3",
        formation_title="Accompagner les usages numériques des habitants",
        session_code="LABO-2021-1",
        place="Centre social l'Arbrisseau",
        address="Rue de l'Arbrisseau, 59000 Lille",
        modality="Présentiel",
        time_zone="Europe/Paris",
        time_zone_label="heure de Paris",
        trainers=("Théo Formateur", "Nguyễn Văn An"),
        funders=(
            FunderInfo(
                kind="feder",
                kind_label="FEDER",
                name="FEDER",
                is_eu=True,
                sentence="Ce projet est cofinancé par l'Union européenne avec le FEDER",
            ),
            FunderInfo(
                kind="region",
                kind_label="Région",
                name="Région Hauts-de-France",
                is_eu=False,
                sentence="",
            ),
            FunderInfo(kind="caf", kind_label="CAF", name="CAF du Nord", is_eu=False, sentence=""),
        ),
        programme_sentence=(
            "Opération « Centres sociaux connectés » — ITI de la Métropole Européenne de Lille"
        ),
        slots=tuple(slot_infos),
        rows=tuple(rows),
        rectifications=(
            RectificationInfo(
                ref="R1",
                participant_name=rows[0].participant_name,
                slot_label=slot_infos[0].label,
                old="Absent",
                new="Retard : arrivée 09:30, 30 min manquées",
                reason="Arrivée signalée par téléphone, feuille papier jointe",
                author="Claire Coordo",
                created_at=dt.datetime(2021, 10, 5, 9, tzinfo=tz),
            ),
        ),
        seals=seals,
        verification_url="http://127.0.0.1:8000/verifier/EMG-LABO-2021-1-20211006160000-3F9A/",
    )


def measure(render, data, runs: int) -> tuple[float, float, float, int]:
    """Median and p90 wall time, median CPU time (ms) and size (bytes) of one render.
    CPU time is printed too: on a shared machine wall time also counts waiting."""
    render(data)  # warm-up: font registration, imports
    times, cpu = [], []
    size = 0
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        pdf = render(data)
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
        size = len(pdf)
    times.sort()
    p90 = times[min(len(times) - 1, math.ceil(0.9 * len(times)) - 1)]
    return statistics.median(times), p90, statistics.median(cpu), size


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=15)
    parser.add_argument("--slots", type=int, default=6)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--out", help="write one rendered sheet to this file")
    args = parser.parse_args(argv)

    data = fake_sheet_data(args.participants, args.slots)
    points = sum(c.signature.point_count for r in data.rows for c in r.cells if c.signature)
    print(
        f"feuille d'émargement {args.participants} participants × {args.slots} demi-journées "
        f"({points} points de signature), {args.runs} rendus"
    )
    median, p90, cpu, size = measure(render_sheet, data, args.runs)
    if (args.participants, args.slots) == (15, 6):
        verdict = "OK" if median < BUDGET_MS else "AU-DESSUS DU BUDGET"
    else:
        verdict = "défini pour 15 × 6"
    print(
        f"  feuille signée : médiane {median:.1f} ms, p90 {p90:.1f} ms (CPU {cpu:.1f} ms), "
        f"{size / 1024:.0f} Kio — budget {BUDGET_MS} ms : {verdict}"
    )
    median_b, p90_b, cpu_b, size_b = measure(render_blank_sheet, data, args.runs)
    print(
        f"  feuille vierge : médiane {median_b:.1f} ms, p90 {p90_b:.1f} ms (CPU {cpu_b:.1f} ms), "
        f"{size_b / 1024:.0f} Kio"
    )
    if args.out:
        Path(args.out).write_bytes(render_sheet(data))
        print(f"  écrit : {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
