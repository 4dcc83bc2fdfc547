"""`make run`: the web server and the task worker together, both stopped by Ctrl-C.

    python -m config.launcher 127.0.0.1:8000

Starts `manage.py runserver ADDRESS` and `manage.py db_worker` (django-tasks-db), and
runs `manage.py run_periodic` every five minutes, as cron would in production (retries of
the outbox). When one process stops, or on Ctrl-C / SIGTERM, the others are stopped too
(SIGTERM, then SIGKILL after a grace period), and the launcher exits with the first
non-zero status. Plain Python, no Django import.
"""

import os
import signal
import subprocess
import sys
import threading
import time

GRACE_SECONDS = 10
PERIODIC_SECONDS = 300


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    # Each child leads its own process group: runserver's autoreloader runs the server in
    # a grandchild, which must stop with it.
    try:
        os.killpg(process.pid, signum)
    except ProcessLookupError:
        pass


def _stop(processes: list[subprocess.Popen], grace: float = GRACE_SECONDS) -> None:
    for process in processes:
        _signal_group(process, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for process in processes:
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _signal_group(process, signal.SIGKILL)
            process.wait()


def run_together(
    commands: list[list[str]],
    *,
    periodic: list[str] | None = None,
    every: float = PERIODIC_SECONDS,
    poll: float = 0.2,
) -> int:
    """Runs ``commands`` side by side until one ends or the launcher is interrupted; then
    stops the rest. ``periodic`` runs every ``every`` seconds meanwhile. Returns the exit
    status to give (0 on Ctrl-C)."""
    processes = [subprocess.Popen(command, process_group=0) for command in commands]
    stopping = threading.Event()

    def on_term(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, on_term)

    def periodic_loop():
        while not stopping.wait(every):
            subprocess.run(periodic, check=False)

    if periodic:
        threading.Thread(target=periodic_loop, daemon=True).start()
    status = 0
    try:
        while True:
            ended = [p for p in processes if p.poll() is not None]
            if ended:
                status = ended[0].returncode or 0
                break
            time.sleep(poll)
    except KeyboardInterrupt:
        status = 0
    finally:
        stopping.set()
        _stop(processes)
        signal.signal(signal.SIGTERM, previous)
    return status


def main(argv: list[str]) -> int:
    address = argv[0] if argv else "127.0.0.1:8000"
    manage = [
        sys.executable,
        os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "manage.py")),
    ]
    sys.stdout.write(
        "Serveur web et worker des tâches démarrés ensemble ; Ctrl-C arrête les deux.\n"
    )
    sys.stdout.flush()
    return run_together(
        [
            [*manage, "runserver", address],
            [*manage, "db_worker", "--verbosity", "0", "--no-reload"],
        ],
        periodic=[*manage, "run_periodic", "--verbosity", "0"],
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
