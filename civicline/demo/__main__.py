"""python3 dev.py demo: migrate, seed the demo city, run web server + worker + LINE emulator.

Ctrl-C (or SIGTERM, SIGHUP) stops everything within a few seconds. Data stays in var/demo/ between
runs (delete it to start over).

The three servers run in a process group of their own, so the terminal's Ctrl-C reaches this
launcher only, which then stops them itself: terminate all at once, wait for them together for at
most ``STOP_SECONDS``, kill what is left. (Before, each child got SIGINT twice, from the terminal and
from here, printed a KeyboardInterrupt traceback, and was waited for 10 s one after another.) They
are also told to stop if the launcher itself dies (Linux), so no server is left behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping, Sequence

from civicline.demo import environment as demo_env
from civicline.linesim.client import EmulatorClient

# Display name → the language of their LINE app: the city's foreign residents read their own (issue 21).
VIRTUAL_RESIDENTS = {
    "豊中 はなこ": "ja",
    "千里 けんた": "ja",
    "庄内 さち": "ja",
    "Emma Wilson": "en",
    "Nguyễn Thị Lan": "vi",
}
STOP_SECONDS = 3.0  # the web server and the emulator stop at once; a worker mid-task is killed
PR_SET_PDEATHSIG = 1  # linux/prctl.h
# Looked up here, not in the child: between fork and exec the child should only make the call.
_prctl = None
with contextlib.suppress(AttributeError, OSError):
    _prctl = ctypes.CDLL(None, use_errno=True).prctl


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    # Without prctl (not Linux) the servers outlive a launcher killed with SIGKILL.
    if _prctl is not None:
        _prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def start(
    commands: Mapping[str, Sequence[str]], *, env: Mapping[str, str], cwd: str
) -> list[subprocess.Popen]:
    """Each command in a new process group, out of reach of the terminal's Ctrl-C (see the docstring)."""
    return [
        subprocess.Popen(list(cmd), env=dict(env), cwd=cwd, process_group=0, preexec_fn=_die_with_parent)
        for cmd in commands.values()
    ]


def stop(processes: Sequence[subprocess.Popen], *, timeout: float = STOP_SECONDS) -> None:
    """Terminate every process, wait for all of them together up to ``timeout`` s, kill the rest.

    SIGTERM, not SIGINT: waitress stops at once on it, and the Huey consumer stops without waiting
    for running tasks (the work is in the database; a sweep picks up what was interrupted).
    """
    for p in processes:
        if p.poll() is None:
            p.terminate()
    deadline = time.monotonic() + timeout
    for p in processes:
        try:
            p.wait(timeout=max(deadline - time.monotonic(), 0))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def _wait_until_up(url: str, what: str, processes: list[subprocess.Popen], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in processes):
            raise SystemExit(f"{what} failed to start; see the output above.")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - loopback URL we built
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"{what} did not answer at {url} within {timeout:.0f}s.")


def _ensure_followers(client: EmulatorClient, names: Mapping[str, str]) -> dict[str, dict]:
    """Virtual users by display name (→ their LINE language), created and following when missing."""
    existing = {u["displayName"]: u for u in client.list_users()}
    for name, language in names.items():
        if name not in existing:
            user = client.create_user(name, language=language)
            client.follow(user["userId"])
            existing[name] = user
    return {name: existing[name] for name in names}


def _seed_residents(client: EmulatorClient) -> list[dict]:
    return list(_ensure_followers(client, VIRTUAL_RESIDENTS).values())


def _seed_test_devices(client: EmulatorClient) -> None:
    """One test device per department, so that every demo account can try the staff preview (X-11).

    Each is a virtual phone of the emulator standing for the department's demo staff member's own
    phone, owned by them; real staff pair their phones with a code from the console.
    """
    from civicline.core.models import Department, Staff
    from civicline.line.preview import preview_recipient_seed_demo

    owners = {}
    for department in Department.objects.filter(is_active=True):
        owner = Staff.objects.filter(department=department, is_active=True).order_by("pk").first()
        if owner is not None:
            owners[department] = owner
    users = _ensure_followers(client, {f"テスト端末（{d.name}）": "ja" for d in owners})
    for owner, user in zip(owners.values(), users.values(), strict=True):
        preview_recipient_seed_demo(owner=owner, user_id=user["userId"], label=f"{owner}のテスト端末")


def _stop_on_signal(signum: int, frame: object) -> None:
    # A supervisor's SIGTERM, or the terminal closing (SIGHUP), stops everything exactly as Ctrl-C does.
    raise KeyboardInterrupt


def main() -> int:
    # SIGINT too: started in the background by a script, Python would inherit it ignored.
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _stop_on_signal)
    env = demo_env.load()
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command

    from civicline.demo.seed import seed_city

    print("==> preparing the databases", flush=True)
    call_command("migrate", verbosity=0)
    call_command("migrate", database="linesim", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    credentials = seed_city(demo_env.DEMO_DIR / "credentials.json")

    python, manage = sys.executable, str(demo_env.ROOT / "manage.py")
    host, web_port, sim_port = demo_env.HOST, demo_env.WEB_PORT, demo_env.EMULATOR_PORT
    commands = {
        "LINE emulator": [python, manage, "linesim", "--port", str(sim_port),
                          "--smtp-port", str(demo_env.SMTP_PORT)],
        "web server": [python, "-m", "waitress", f"--listen={host}:{web_port}", "--threads=8",
                       "civicline.wsgi:application"],
        "worker": [python, manage, "run_huey"],
    }
    processes = start(commands, env=env, cwd=str(demo_env.ROOT))
    site, emulator = env["SITE_URL"], env["LINE_API_BASE_URL"]
    try:
        _wait_until_up(f"{emulator}/sim/api/users", "the LINE emulator", processes)
        _wait_until_up(f"{site}/healthz", "the web server", processes)
        client = EmulatorClient(emulator)
        # The demo's LIFF app opens civicline's resident pages inside the emulator's phone.
        client.ensure_liff_app(env["LIFF_ID"], f"{site}/liff/", "full")
        residents = _seed_residents(client)
        _seed_test_devices(client)
        _print_banner(site, emulator, credentials, residents)
        while all(p.poll() is None for p in processes):
            time.sleep(0.5)
        print("A process stopped unexpectedly; stopping the demo.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nstopping…", flush=True)
        return 0
    finally:
        # A second Ctrl-C (or SIGTERM) while stopping must not leave the servers running.
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)
        stop(processes)


def _print_banner(site: str, emulator: str, credentials: list, residents: list[dict]) -> None:
    lines = [
        "",
        "=" * 72,
        " civicline demo city is running (Ctrl-C stops everything)",
        "=" * 72,
        f"  Staff console     {site}/console/",
        f"  LINE emulator     {emulator}/",
        f"  Health            {site}/readyz",
        "",
        "  Staff accounts (password / TOTP secret for an authenticator app):",
    ]
    for c in credentials:
        lines.append(f"    {c.username:<10} {c.password:<20} {c.totp_secret}  {c.department}（{c.role}）")
    lines += [
        "  No authenticator app? The current code:  .venv/bin/python -m civicline.demo.totp admin",
        "",
        "  Virtual residents: " + "、".join(r["displayName"] for r in residents),
        "=" * 72,
    ]
    print("\n".join(lines), flush=True)


if __name__ == "__main__":
    sys.exit(main())
