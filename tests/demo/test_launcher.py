"""``python3 dev.py demo``: starts cleanly (no traceback under the banner) and stops within seconds.

The launcher used to pass Ctrl-C on to servers that had already received it from the terminal (a
KeyboardInterrupt traceback from each) and then waited up to 10 s for each in turn.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from civicline.demo import __main__ as launcher

ROOT = Path(__file__).resolve().parents[2]
LINGERING = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)"
OBEDIENT = "import time; time.sleep(60)"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for our purposes (its parent has not reaped it yet).
    stat = Path(f"/proc/{pid}/stat")
    return not stat.exists() or stat.read_text().split(") ")[1][0] != "Z"


def test_stop_ends_every_server_within_its_time_even_one_that_lingers():
    processes = launcher.start(
        {"a": [sys.executable, "-c", OBEDIENT], "b": [sys.executable, "-c", LINGERING]},
        env=os.environ,
        cwd=str(ROOT),
    )
    time.sleep(0.5)  # let the lingering one install its handler

    began = time.monotonic()
    launcher.stop(processes, timeout=1.5)

    assert time.monotonic() - began < 3
    assert all(p.poll() is not None for p in processes)


def test_servers_run_in_their_own_process_group_out_of_reach_of_the_terminals_ctrl_c():
    processes = launcher.start({"a": [sys.executable, "-c", OBEDIENT]}, env=os.environ, cwd=str(ROOT))
    try:
        assert os.getpgid(processes[0].pid) == processes[0].pid != os.getpgid(0)
    finally:
        launcher.stop(processes, timeout=1)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_demo_starts_without_a_traceback_and_ctrl_c_stops_everything_within_seconds(tmp_path):
    ports = {"CIVICLINE_PORT": _free_port(), "LINESIM_PORT": _free_port(), "LINESIM_SMTP_PORT": _free_port()}
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL"))},
        **{k: str(v) for k, v in ports.items()},
        "CIVICLINE_DEMO_DIR": str(tmp_path / "demo"),
        "PYTHONUNBUFFERED": "1",
    }
    # A session of its own, as a terminal gives the command it runs: Ctrl-C goes to its process group.
    demo = subprocess.Popen(
        [sys.executable, "-m", "civicline.demo"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    output: list[str] = []
    reader = threading.Thread(
        target=lambda: output.extend(line.decode() for line in demo.stdout), daemon=True
    )
    reader.start()
    try:
        deadline = time.monotonic() + 240
        while not any("Virtual residents" in line for line in output):
            assert demo.poll() is None, "".join(output)
            assert time.monotonic() < deadline, "the demo did not start:\n" + "".join(output)
            time.sleep(0.5)
        time.sleep(8)  # the worker answers the residents' follow events meanwhile
        children = [
            int(pid) for pid in Path(f"/proc/{demo.pid}/task/{demo.pid}/children").read_text().split()
        ]
        assert len(children) == 3

        began = time.monotonic()
        os.killpg(demo.pid, signal.SIGINT)  # what Ctrl-C in the terminal does
        demo.wait(timeout=30)
        stopped_in = time.monotonic() - began
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGKILL)
            demo.wait()
    reader.join(timeout=5)
    text = "".join(output)

    assert demo.returncode == 0, text
    # The servers get 3 s (launcher.STOP_SECONDS); the rest is a busy machine starting and ending Python.
    assert stopped_in < 10, f"stopping took {stopped_in:.1f}s"
    assert not [pid for pid in children if _alive(pid)]
    assert "Traceback" not in text and "database is locked" not in text, text
    assert re.search(r"LINE emulator\s+http://127\.0\.0\.1:\d+/", text)
