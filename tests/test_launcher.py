"""`make run` starts the web server and the worker together (config/launcher.py)."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from config.launcher import run_together

SLEEPER = "import os, sys, time; open(sys.argv[1], 'w').write(str(os.getpid())); time.sleep(60)"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _wait_for(path: Path, timeout: float = 10) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text():
            return int(path.read_text())
        time.sleep(0.05)
    raise AssertionError(f"{path} never written")


def test_when_one_process_stops_the_other_is_stopped_and_its_status_kept(tmp_path):
    pid_file = tmp_path / "sleeper.pid"
    started = time.monotonic()

    status = run_together(
        [
            [sys.executable, "-c", SLEEPER, str(pid_file)],
            [sys.executable, "-c", "import time, sys; time.sleep(1); sys.exit(3)"],
        ]
    )

    assert status == 3
    assert time.monotonic() - started < 15
    assert not _alive(_wait_for(pid_file))


def test_ctrl_c_stops_server_and_worker(tmp_path):
    pids = [tmp_path / "a.pid", tmp_path / "b.pid"]
    script = textwrap.dedent(
        f"""
        import sys
        from config.launcher import run_together
        sys.exit(run_together([
            [sys.executable, "-c", {SLEEPER!r}, {str(pids[0])!r}],
            [sys.executable, "-c", {SLEEPER!r}, {str(pids[1])!r}],
        ]))
        """
    )
    launcher = subprocess.Popen(
        [sys.executable, "-c", script], cwd=Path(__file__).resolve().parent.parent
    )
    children = [_wait_for(path) for path in pids]

    launcher.send_signal(signal.SIGINT)

    assert launcher.wait(timeout=15) == 0
    assert not any(_alive(pid) for pid in children)
