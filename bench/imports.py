"""Reading import files: the hostile XLSX files of the field trial (one 300 MiB shared
string in 300 KB; five million blank rows) are refused at once with flat memory, and a
real 5,000-row file reads in about the time openpyxl takes.

    .venv/bin/python bench/imports.py [--avant] [--limite-avant 300]

Each file is read in a child process of its own, so that one read's memory cannot hide
another's: the table shows the file's size, the time to read (or refuse) it, the growth of
the child's resident memory (peak RSS), the peak of Python allocations (tracemalloc, on a
second read: it slows reading down, so the time is the first read's), and the outcome.
`--avant` also reads the hostile files as the former reader did (openpyxl in read-only
mode, then every row), stopped after `--limite-avant` seconds. Nothing is written to the
database.
"""

import argparse
import io
import multiprocessing
import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

import django  # noqa: E402

django.setup()

from formations.tabular import TableError, read_table  # noqa: E402
from tests.factories.importing import csv_bytes, person, xlsx_bytes  # noqa: E402
from tests.factories.xlsx_parts import blank_rows, one_huge_shared_string  # noqa: E402


def people(count: int) -> list[list[str]]:
    return [
        person(nom=f"Nom{i}", email=f"p{i}@example.org", fonction="Travailleuse sociale")
        for i in range(count)
    ]


def read(name: str, content: bytes) -> str:
    try:
        table = read_table(file_name=name, content=content)
    except TableError as exc:
        return "refusé : " + exc.message[:60] + "…"
    return f"{len(table.rows)} lignes lues"


def read_as_before(_name: str, content: bytes) -> str:
    """The former reader: openpyxl, read-only, every row of the first sheet."""
    import warnings

    from openpyxl import load_workbook

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()
        count = sum(1 for _row in sheet.iter_rows(values_only=True))
        workbook.close()
    return f"{count} lignes parcourues (openpyxl)"


def _maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _child(reader, name, content, traced, results) -> None:
    before = _maxrss_mib()
    started = time.perf_counter()
    outcome = reader(name, content)
    elapsed = time.perf_counter() - started
    grown = _maxrss_mib() - before
    peak = None
    if traced:
        tracemalloc.start()
        reader(name, content)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    results.put((elapsed, grown, peak, outcome))


def measure(label: str, name: str, content: bytes, *, reader=read, timeout=None) -> None:
    results = multiprocessing.Queue()
    child = multiprocessing.Process(
        target=_child, args=(reader, name, content, reader is read, results)
    )
    child.start()
    child.join(timeout)
    if child.is_alive():
        child.kill()
        child.join()
        print(f"{label:<44} {len(content) / 1024:>7.0f} Ko   arrêté après {timeout} s")
        return
    elapsed, grown, peak, outcome = results.get()
    traced = f"{peak / 2**20:>8.2f} Mio" if peak is not None else f"{'—':>12}"
    print(
        f"{label:<44} {len(content) / 1024:>7.0f} Ko {elapsed * 1000:>10.1f} ms "
        f"{grown:>8.1f} Mio {traced}  {outcome}"
    )


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--avant", action="store_true")
    parser.add_argument("--limite-avant", type=int, default=300)
    options = parser.parse_args(argv)
    multiprocessing.set_start_method("fork")
    read("warm-up.xlsx", xlsx_bytes(people(2)))

    print(
        f"{'fichier':<44} {'taille':>10} {'temps':>13} {'RSS +':>12} {'pic Python':>12}  résultat"
    )
    hostile = [
        ("XLSX, 1 texte partagé de 300 Mio", one_huge_shared_string(300)),
        ("XLSX, 5 000 000 lignes vides", blank_rows(5_000_000)),
        ("XLSX, 3 000 000 lignes vides", blank_rows(3_000_000)),
    ]
    for label, content in hostile:
        measure(label, "a.xlsx", content)
    real = xlsx_bytes(people(5000))
    measure("XLSX, 5 000 participant·es", "a.xlsx", real)
    measure("CSV, 5 000 participant·es", "a.csv", csv_bytes(people(5000), delimiter=";"))
    measure("XLSX, 5 000 participant·es, avant", "a.xlsx", real, reader=read_as_before)
    if options.avant:
        for label, content in hostile:
            measure(
                f"{label}, avant",
                "a.xlsx",
                content,
                reader=read_as_before,
                timeout=options.limite_avant,
            )


if __name__ == "__main__":
    main(sys.argv[1:])
