"""Memory of the streamed exports at several list sizes.

Budget (DESIGN.md): exports of any size stream with bounded memory. This script builds a
throwaway SQLite database (test settings), fills it with participants (`bulk_create`),
and at each size downloads the participants list as CSV and as XLSX through the real view
(`?_export=csv|xlsx`, as a coordinator), throwing the bytes away as they come. For each
download it prints the rows, the bytes, the queries, the time, the peak of the Python heap
during the download (tracemalloc) and the peak resident memory of the process during the
download (Linux: VmHWM, reset before each download), both above what was in use before.

    .venv/bin/python bench/exports.py [--sizes 1000,10000,100000]

Rows are read from the database 2,000 at a time (`formations.exporting.CHUNK_SIZE`): below
that, a smaller list holds fewer rows at once; from one full chunk on, the peak must not
move. Not a timed test: tracemalloc slows Python down (about ×2-3), so the times only
compare sizes.
"""

import argparse
import gc
import os
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# Test settings: a throwaway SQLite file and DEBUG off (with DEBUG on, Django would keep
# every query of the data building in memory).
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from formations.exporting import CHUNK_SIZE, FORMATS  # noqa: E402
from formations.models import Participant, Structure, User  # noqa: E402
from tests.factories import UserFactory  # noqa: E402

BATCH = 5000
WIDTHS = ("<7", ">9", ">13", ">6", ">7", ">14", ">14")
# Some cells a spreadsheet would run, so the neutralising path is measured too.
HOSTILE = ['=HYPERLINK("http://evil.example")', "+1+1", "@SUM(A1)", "-2-2"]


def grow(*, to: int, structures: list[Structure]) -> None:
    """Adds participants (by `bulk_create`, in batches) until there are `to`."""
    count = Participant.objects.count()
    while count < to:
        batch = []
        for index in range(count, min(to, count + BATCH)):
            batch.append(
                Participant(
                    last_name=HOSTILE[index % 4] if index % 50 == 0 else f"Nguyễn-{index:06d}",
                    first_name="Zaïnaba",
                    email=f"p{index}@example.org",
                    phone=f"+262639{index:06d}",
                    job_title="Conseillère en insertion",
                    structure=structures[index % len(structures)],
                )
            )
        Participant.objects.bulk_create(batch)
        count += len(batch)


def _reset_peak_rss() -> None:
    try:
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM (Linux)
    except OSError:
        pass


def _status_kib(field: str) -> int | None:
    """VmRSS (resident memory now) or VmHWM (its peak) of this process, Linux only."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    return None


def download(client: Client, url: str) -> dict:
    """Streams one export to nowhere; returns bytes, queries, seconds, peaks of memory."""
    gc.collect()
    tracemalloc.reset_peak()
    base, _ = tracemalloc.get_traced_memory()
    _reset_peak_rss()
    rss_before = _status_kib("VmRSS")
    start = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        size = 0
        for chunk in response.streaming_content:
            size += len(chunk)
        response.close()
    seconds = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    return {
        "bytes": size,
        "queries": len(queries),
        "seconds": seconds,
        "heap": (peak - base) / 1024,
        # Kernel counters lag by a few hundred KiB: a negative difference reads as 0.
        "rss": None if rss_before is None else max(_status_kib("VmHWM") - rss_before, 0),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    args = parser.parse_args()
    sizes = sorted(int(size) for size in args.sizes.split(","))

    call_command("migrate", verbosity=0)
    structures = Structure.objects.bulk_create(
        Structure(name=f"CCAS n° {n}", commune="Mamoudzou", territory="Mayotte") for n in range(100)
    )
    client = Client()
    client.force_login(UserFactory(role=User.Role.COORDINATOR))

    grow(to=sizes[0], structures=structures)
    for fmt in FORMATS:
        # Warm-up: the first request imports and caches what every later one reuses.
        download(client, f"/participants/?_export={fmt}")
    tracemalloc.start()
    results = {}
    for size in sizes:
        grow(to=size, structures=structures)
        for fmt in FORMATS:
            results[(fmt, size)] = download(client, f"/participants/?_export={fmt}")
    tracemalloc.stop()

    header = ("export", "lignes", "octets", "req.", "s", "tas (pic)", "RSS (+pic)")
    print("".join(f"{h:{w}}" for h, w in zip(header, WIDTHS, strict=True)))
    for (fmt, size), r in sorted(results.items()):
        rss = "?" if r["rss"] is None else f"{r['rss']:,} Kio"
        line = (
            f"{fmt:<7}{size:>9,}{r['bytes']:>13,}{r['queries']:>6}{r['seconds']:>7.1f}"
            f"{r['heap']:>10,.0f} Kio{rss:>14}"
        )
        print(line.replace(",", " "))
    for fmt in FORMATS:
        first, last = results[(fmt, sizes[0])], results[(fmt, sizes[-1])]
        full = [size for size in sizes if size >= CHUNK_SIZE]
        text = (
            f"{fmt.upper()} : {sizes[0]} → {sizes[-1]} lignes, pic du tas "
            f"×{last['heap'] / first['heap']:.2f}"
        )
        if len(full) >= 2:
            start = results[(fmt, full[0])]
            text += (
                f" ; dès un paquet plein ({full[0]} → {full[-1]} lignes) "
                f"×{last['heap'] / start['heap']:.2f}"
            )
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
