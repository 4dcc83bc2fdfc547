"""Runs every bench script in this folder (each `bench/*.py` except this one and modules
starting with "_") with the project's interpreter, from the repository root, and prints
their output. Exit status: 1 if any script failed.

    .venv/bin/python bench/run.py [NAME ...]     # e.g. bench/run.py sheet
"""

import os
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent


def scripts(names: list[str]) -> list[Path]:
    found = sorted(
        p
        for p in BENCH.glob("*.py")
        if p.name != Path(__file__).name and not p.name.startswith("_")
    )
    if names:
        found = [p for p in found if p.stem in names]
    return found


def main(argv: list[str]) -> int:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings.dev"),
    }
    failures = []
    for script in scripts(argv):
        print(f"== {script.relative_to(ROOT)}", flush=True)
        start = time.perf_counter()
        result = subprocess.run([sys.executable, str(script)], cwd=ROOT, env=env, check=False)
        print(f"   ({time.perf_counter() - start:.1f} s, code {result.returncode})\n", flush=True)
        if result.returncode:
            failures.append(script.name)
    if failures:
        print("Échecs : " + ", ".join(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
