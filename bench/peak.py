"""Disaster-peak load test (X-14): the emergency menu goes on, a notice goes to every friend, and then
N residents, each its own LINE user, sign in to LIFF and do what people do in the first minutes —
open the shelter map, look at the shelter list, send their location and questions in the talk,
check their bookings — while the webhooks stream in.

    .venv/bin/python -m bench.peak [--levels 250,500,1000] [--seconds 30] [--json]

civicline runs as in production: gunicorn (deploy/gunicorn.conf.py), PostgreSQL, Redis and a Huey
worker; the LINE emulator (``manage.py linesim``, 2 processes × 16 threads, its own PostgreSQL
database) stands in for LINE. The residents are Locust users in a process of their own
(bench/peak_users.py says what they do and how long they think). Uses the PostgreSQL and Redis on
this machine (PEAK_POSTGRES / REDIS_URL to override): the scratch databases civicline_peak and
civicline_peak_linesim are created afresh, and Redis database 7 is emptied.

How it is launched, and why (each measured on this 2-core machine, shared with the load generator):

* gunicorn 3 workers × 16 threads, so the resident pools are 14 and the shelter pool 15 per process
  (deploy/gunicorn.conf.py derives them from the threads). The deployed default, 2 × cores + 1
  workers × 4 threads, has pools of 2 and 3: at 1,000 residents it turned 72 requests away in 30 s
  while answering in 190 ms at p95 — the pools, not the machine, were full.
* The Huey worker at ``nice 10``: on a machine where web and worker share two cores, a resident
  waiting for a page comes first; the bot's answers wait (how long is reported — at 1,000 residents
  the worker cannot keep up, and answers go out by push once their reply token has expired).
* Residents arrive over ``--ramp`` (60 s: people open LINE over the minute after the notice) and
  sign in then; the level is measured once all have arrived.

Per level, measured over ``--seconds`` once every resident has signed in: requests per second,
p50/p95/p99 of every request, failures (any error or unexpected status; 「混み合っています」 503s
included), shed (those 503s alone), the webhook acknowledgement p99, and where the machine's CPU
went (civicline's web processes, its worker, PostgreSQL for each side, Redis, the emulator, the
load generator, and anything else running on the machine); then how long residents waited for the
bot's answers (once the worker's backlog is drained, before the next level). With ``--json`` one
JSON object per level goes to stdout, the table to stderr. Everything runs on loopback and stops by
itself.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psutil
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
HOST, WEB_PORT, EMULATOR_PORT = "127.0.0.1", 8700, 8701
DATABASE, EMULATOR_DATABASE = "civicline_peak", "civicline_peak_linesim"
LIFF_ID = "1670000001-peak"
CHANNEL_ID = "1670000000"
# Reply tokens the emulator holds for each resident's events in a level: more than a resident sends
# in the ramp and 30 measured seconds (a step every 3.5 s, two in five of them a message).
REPLY_TOKENS_PER_RESIDENT = 16
REPLY_TOKEN_SECONDS = 60  # LINE's (and the emulator's) lifetime of a reply token

TARGET = {"residents": 1000, "p95_ms": 1000, "rps": 300, "webhook_ack_p99_ms": 500}


def _environment(var_dir: Path, options: argparse.Namespace) -> dict[str, str]:
    site, emulator = f"http://{HOST}:{WEB_PORT}", f"http://{HOST}:{EMULATOR_PORT}"
    server = os.environ.get("PEAK_POSTGRES", "postgres://postgres@127.0.0.1:5432")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "civicline.settings",
        "DATABASE_URL": f"{server}/{DATABASE}",
        "LINESIM_DATABASE_URL": f"{server}/{EMULATOR_DATABASE}",
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/7"),
        "SECRET_KEY": secrets.token_urlsafe(50),
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "AUDIT_HMAC_KEYS": secrets.token_urlsafe(48),
        "CIVICLINE_DEMO": "1",
        "CIVICLINE_VAR_DIR": str(var_dir),
        "SITE_URL": site,
        "LINE_CHANNEL_ID": CHANNEL_ID,
        "LINE_CHANNEL_SECRET": secrets.token_hex(16),
        "LINE_CHANNEL_ACCESS_TOKEN": secrets.token_urlsafe(40),
        "LIFF_ID": LIFF_ID,
        "LIFF_SDK_URL": f"{emulator}/sim/liff-sdk.js",
        "LINE_API_BASE_URL": emulator,
        "LINE_API_DATA_BASE_URL": emulator,
        "LINESIM_WEBHOOK_URL": f"{site}/line/webhook",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "GUNICORN_BIND": f"{HOST}:{WEB_PORT}",
        "WEB_CONCURRENCY": str(options.workers),
        "GUNICORN_THREADS": str(options.threads),
        "HUEY_WORKERS": str(options.huey_workers),
        "LOG_LEVEL": "WARNING",
    }
    # Unset: deploy/gunicorn.conf.py derives the pools from the threads, as in production.
    if options.resident_pool:
        env["RESIDENT_PAGE_CONCURRENCY"] = str(options.resident_pool)
    if options.shelter_pool:
        env["SHELTER_PAGE_CONCURRENCY"] = str(options.shelter_pool)
    return env


def _recreate_databases(env: dict[str, str]) -> None:
    import psycopg

    server = env["DATABASE_URL"].rsplit("/", 1)[0]
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        for name in (DATABASE, EMULATOR_DATABASE):
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    import redis

    # Left-over tasks of an earlier run would reach for databases that no longer exist.
    redis.Redis.from_url(env["REDIS_URL"]).flushdb()


def _wait(url: str, processes: list[subprocess.Popen], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in processes):
            raise SystemExit(f"a server stopped while starting (waiting for {url})")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"{url} did not answer within {timeout:.0f}s")


def _json(url: str, data: dict | None = None) -> dict:
    body = json.dumps(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def _manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def _seed(env: dict[str, str]) -> None:
    script = (
        "from pathlib import Path; from django.conf import settings;"
        "from civicline.demo.seed import seed_city; from civicline.linesim.client import EmulatorClient;"
        "seed_city(Path(settings.VAR_DIR) / 'credentials.json');"
        "EmulatorClient(settings.LINE_API_BASE_URL)"
        ".ensure_liff_app(settings.LIFF_ID, settings.SITE_URL + '/liff/')"
    )
    _manage(env, "shell", "-c", script)


def _scenario(env: dict[str, str], *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "bench.peak_scenario", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )


def _scenario_result(process: subprocess.Popen) -> dict:
    out, _ = process.communicate(timeout=300)
    if process.returncode != 0:
        raise SystemExit(f"bench.peak_scenario {process.args[3:]} failed")
    return json.loads(out.strip().splitlines()[-1])


# --- residents ---------------------------------------------------------------------------------------


def _residents_create(env: dict[str, str], count: int) -> list[str]:
    """LINE users who add the city as a friend (the emulator sends each follow event)."""
    emulator = env["LINE_API_BASE_URL"]

    def create(n: int) -> str:
        return _json(f"{emulator}/sim/api/users", {"display_name": f"住民{n:04d}", "follow": True})["userId"]

    with ThreadPoolExecutor(8) as pool:
        users = list(pool.map(create, range(count)))
    _until_friends(env, count)
    return users


def _until_friends(env: dict[str, str], count: int, timeout: float = 180) -> None:
    import psycopg

    deadline = time.monotonic() + timeout
    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
        while time.monotonic() < deadline:
            (friends,) = conn.execute("SELECT count(*) FROM line_friend WHERE state = 'following'").fetchone()
            if friends >= count:
                return
            time.sleep(0.5)
    raise SystemExit(f"the worker made {friends} of {count} friends within {timeout:.0f}s")


def accounts_for(env: dict[str, str], users: list[str]) -> list[dict]:
    """Each resident's LINE credentials for a level: an ID token for our LIFF app and reply tokens."""
    import psycopg

    emulator = env["LINE_API_BASE_URL"]

    def id_token(user_id: str) -> str:
        return _json(f"{emulator}/sim/api/liff/token", {"liffId": LIFF_ID, "userId": user_id})["idToken"]

    with ThreadPoolExecutor(8) as pool:
        tokens = list(pool.map(id_token, users))
    # The reply tokens LINE would have issued with each event, made in the emulator's own table, so
    # that the worker's replies succeed as they do on LINE (an unknown token would send it to push).
    rows = [
        (user, secrets.token_hex(16), secrets.token_hex(13).upper())
        for user in users
        for _ in range(REPLY_TOKENS_PER_RESIDENT)
    ]
    with psycopg.connect(env["LINESIM_DATABASE_URL"], autocommit=True) as conn:
        conn.execute(
            "INSERT INTO linesim_replytoken (token, user_id, webhook_event_id, created_at) "
            "SELECT t.token, u.id, t.event_id, now() "
            "FROM unnest(%s::text[], %s::text[], %s::text[]) AS t(user_id, token, event_id) "
            "JOIN linesim_virtualuser u ON u.user_id = t.user_id",
            [[r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]],
        )
    replies: dict[str, list[list[str]]] = {user: [] for user in users}
    for user, token, event_id in rows:
        replies[user].append([token, event_id])
    return [
        {"userId": user, "idToken": token, "replyTokens": replies[user]}
        for user, token in zip(users, tokens, strict=True)
    ]


def _bot_answers(env: dict[str, str], since: float, timeout: float = 600) -> dict:
    """How long residents waited for the bot: the worker's backlog is drained (so that the next level
    starts afresh), then every message event of the level is timed from receipt to handled."""
    import psycopg

    began = time.monotonic()
    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
        while time.monotonic() - began < timeout:
            (waiting,) = conn.execute(
                "SELECT count(*) FROM line_webhookevent WHERE status IN ('pending', 'processing')"
            ).fetchone()
            if not waiting:
                break
            time.sleep(1)
        rows = conn.execute(
            "SELECT extract(epoch FROM processed_at - received_at), error LIKE 'answered by push%%' "
            "FROM line_webhookevent WHERE event_type = 'message' AND received_at >= to_timestamp(%s) "
            "AND status = 'done'",
            [since],
        ).fetchall()
        (failed,) = conn.execute(
            "SELECT count(*) FROM line_webhookevent "
            "WHERE received_at >= to_timestamp(%s) AND status <> 'done'",
            [since],
        ).fetchone()
    waits = sorted(float(seconds) for seconds, _ in rows)

    def at(q: float) -> float:
        return round(waits[max(0, math.ceil(q * len(waits)) - 1)], 1) if waits else 0.0

    return {
        "events": len(waits),
        "p50_s": at(0.5),
        "p95_s": at(0.95),
        "max_s": at(1.0),
        "by_push": sum(1 for _, pushed in rows if pushed),
        "not_handled": failed,
        "drained_in_s": round(time.monotonic() - began, 1),
    }


def _has_shelter_list(site: str) -> bool:
    try:
        with urllib.request.urlopen(f"{site}/liff/facilities/shelters/", timeout=10) as response:
            return response.status == 200
    except urllib.error.HTTPError:
        return False


# --- CPU accounting -------------------------------------------------------------------------------


def _tree(pid: int) -> list[psutil.Process]:
    try:
        parent = psutil.Process(pid)
        return [parent, *parent.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def cpu_snapshot(roots: dict[str, int]) -> dict:
    """CPU seconds so far of every process of each part, by pid; and the machine's busy seconds."""
    parts: dict[str, dict[int, float]] = {
        name: {} for name in [*roots, "postgres", "postgres (emulator)", "redis"]
    }
    for name, pid in roots.items():
        for process in _tree(pid):
            try:
                times = process.cpu_times()
                parts[name][process.pid] = times.user + times.system
            except psutil.NoSuchProcess:
                pass
    for process in psutil.process_iter(["name", "cmdline", "cpu_times"]):
        try:
            command = " ".join(process.info["cmdline"] or [])
            times = process.info["cpu_times"]
            if times is None:
                continue
            if process.info["name"] == "redis-server":
                parts["redis"][process.pid] = times.user + times.system
            elif command.startswith("postgres:") and f" {EMULATOR_DATABASE} " in command:
                parts["postgres (emulator)"][process.pid] = times.user + times.system
            elif command.startswith("postgres:") and f" {DATABASE} " in command:
                parts["postgres"][process.pid] = times.user + times.system
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    machine = psutil.cpu_times()
    busy = sum(machine) - machine.idle - getattr(machine, "iowait", 0.0)
    return {"parts": parts, "busy": busy, "at": time.monotonic()}


def cpu_seconds(before: dict, after: dict) -> dict[str, float]:
    """CPU seconds each part spent between the two snapshots."""
    return {
        name: sum(seconds - before["parts"][name].get(pid, 0.0) for pid, seconds in pids.items())
        for name, pids in after["parts"].items()
    }


def _cpu_shares(before: dict, after: dict) -> dict[str, float]:
    """Each part's share of the machine's capacity (seconds × cores) between the two snapshots."""
    capacity = (after["at"] - before["at"]) * (os.cpu_count() or 1)
    shares = {name: spent / capacity for name, spent in cpu_seconds(before, after).items()}
    shares["other (not this bench)"] = max(
        0.0, (after["busy"] - before["busy"]) / capacity - sum(shares.values())
    )
    shares["idle"] = max(0.0, 1 - sum(shares.values()))
    return {name: round(share, 3) for name, share in shares.items()}


# --- one level ---------------------------------------------------------------------------------------


def _run_level(
    env: dict[str, str], options: argparse.Namespace, accounts: list[dict], roots: dict[str, int], level: int
) -> dict:
    residents = len(accounts)
    plan = {
        "site": env["SITE_URL"],
        "channel_secret": env["LINE_CHANNEL_SECRET"],
        "channel_id": CHANNEL_ID,
        "accounts": accounts,
        "residents": residents,
        "seconds": options.seconds,
        "ramp_seconds": options.ramp,
        "settle_seconds": 3,
        "shelter_list": options.shelter_list,
    }
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as file:
        json.dump(plan, file)
    level_began = time.time()
    notice = _scenario(env, "notice", f"避難指示 第{level}報")
    log_path = Path(env["CIVICLINE_VAR_DIR"]) / f"residents-{level}.log"
    log = log_path.open("w")
    load = subprocess.Popen(
        [sys.executable, "-m", "bench.peak_users", file.name],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    roots = {**roots, "load generator (Locust)": load.pid}
    before = after = None
    profilers: list[subprocess.Popen] = []
    result = None
    for line in load.stdout:
        if line.startswith("MEASURE_START"):
            before = cpu_snapshot(roots)
            profilers = _profile(options, roots, level)
        elif line.startswith("MEASURE_END"):
            after = cpu_snapshot(roots)
        elif line.startswith("{"):
            result = json.loads(line)
    load.wait()
    log.close()
    for profiler in profilers:
        profiler.wait()
    if result is None or before is None or after is None or not result["requests"]:
        raise SystemExit(f"the load generator failed ({log_path}):\n{log_path.read_text()[-3000:]}")
    os.unlink(file.name)
    result["bot"] = _bot_answers(env, level_began)
    cpu = _cpu_shares(before, after)
    result["emulator_cpu_share"] = round(cpu["emulator"] + cpu["postgres (emulator)"], 3)
    result["cpu"] = cpu
    result["notice"] = _scenario_result(notice)
    return result


def _profile(options: argparse.Namespace, roots: dict[str, int], level: int) -> list[subprocess.Popen]:
    """py-spy on every web worker, the Huey worker and the emulator during the measured seconds."""
    if not options.profile:
        return []
    directory = Path(options.profile)
    directory.mkdir(parents=True, exist_ok=True)
    targets = [
        (f"{name.split()[0]}-{process.pid}", process.pid)
        for name in ("web", "worker", "emulator")
        for process in _tree(roots[name])
        if name == "worker" or process.pid != roots[name]  # masters only fork and watch
    ]
    return [
        subprocess.Popen(
            [
                str(Path(sys.executable).parent / "py-spy"),
                "record",
                "--pid",
                str(pid),
                "--duration",
                str(int(options.seconds)),
                "--rate",
                "50",
                "--format",
                "raw",
                "--output",
                str(directory / f"{level}-{label}.txt"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for label, pid in targets
    ]


# --- reporting -----------------------------------------------------------------------------------


def _report_level(result: dict, out) -> None:
    cpu = result["cpu"]
    print(
        f"{result['residents']:>9}  {result['rps']:7.1f}  {result['p50_ms']:6.0f}  {result['p95_ms']:6.0f}  "
        f"{result['p99_ms']:6.0f}  {result['failures']:>8}  {result['shed']:>5}  "
        f"{result['webhook_ack_p99_ms']:>15.0f}  {100 * result['emulator_cpu_share']:>11.1f}%",
        file=out,
        flush=True,
    )
    for name, row in result["by_request"].items():
        print(
            f"           {name:<20} {row['requests']:>6}  p50 {row['p50_ms']:>6.0f}  "
            f"p95 {row['p95_ms']:>6.0f}  p99 {row['p99_ms']:>6.0f}  "
            f"failures {row['failures']}  shed {row['shed']}",
            file=out,
        )
    signin = result["signin"]
    print(
        f"           sign-in during the ramp: {signin['requests']} requests, p95 {signin['p95_ms']:.0f} ms, "
        f"failures {signin['failures']}; notice to all friends sent in {result['notice']['seconds']} s "
        f"({result['notice']['delivery']})",
        file=out,
    )
    bot = result["bot"]
    print(
        f"           the bot answered {bot['events']} messages: p50 {bot['p50_s']} s, p95 {bot['p95_s']} s, "
        f"max {bot['max_s']} s after LINE delivered them; {bot['by_push']} by push (reply token expired), "
        f"{bot['not_handled']} not handled; backlog drained {bot['drained_in_s']} s after the level",
        file=out,
    )
    print(
        "           CPU (share of the machine): "
        + ", ".join(f"{name} {100 * share:.0f}%" for name, share in cpu.items()),
        file=out,
    )
    for error in result["errors"]:
        print(f"           error: {error}", file=out)


def _report_header(options: argparse.Namespace, out) -> None:
    print(
        f"disaster peak — {options.seconds:.0f} s measured per level after a {options.ramp:.0f} s ramp of "
        f"sign-ins; gunicorn {options.workers} workers × {options.threads} threads, "
        f"Huey {options.huey_workers} threads at nice {options.worker_nice}, "
        f"emulator {options.emulator_processes} processes; PostgreSQL + Redis; {os.cpu_count()} cores "
        f"shared with the load generator",
        file=out,
    )
    print(
        "residents    req/s     p50     p95     p99  failures   shed  webhook ack p99  emulator CPU",
        file=out,
        flush=True,
    )


def _report_target(results: list[dict], out) -> None:
    for result in results:
        if result["residents"] != TARGET["residents"]:
            continue
        missed = [
            text
            for text, ok in (
                (f"{result['failures']} failures", result["failures"] == 0),
                (f"p95 {result['p95_ms']:.0f} ms", result["p95_ms"] < TARGET["p95_ms"]),
                (f"{result['rps']:.0f} req/s", result["rps"] >= TARGET["rps"]),
                (
                    f"webhook ack p99 {result['webhook_ack_p99_ms']:.0f} ms",
                    result["webhook_ack_p99_ms"] < TARGET["webhook_ack_p99_ms"],
                ),
            )
            if not ok
        ]
        verdict = "met" if not missed else "missed: " + ", ".join(missed)
        print(
            "target at 1,000 residents (0 failures, p95 < 1 s, ≥ 300 req/s, webhook ack p99 < 500 ms): "
            + verdict,
            file=out,
        )


# --- the city, running -----------------------------------------------------------------------------


@dataclass
class City:
    env: dict[str, str]
    roots: dict[str, int]  # the process each part's processes descend from: web, worker, emulator
    users: list[str]  # LINE user ids of the residents, all friends of the city's account
    emergency: dict
    shelter_list: bool


def add_server_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=16, help="gunicorn threads per worker")
    parser.add_argument("--resident-pool", type=int, default=0, help="RESIDENT_PAGE_CONCURRENCY (0: derived)")
    parser.add_argument("--shelter-pool", type=int, default=0, help="SHELTER_PAGE_CONCURRENCY (0: derived)")
    parser.add_argument("--huey-workers", type=int, default=4, help="threads of the Huey worker")
    parser.add_argument(
        "--worker-nice", type=int, default=10, help="the Huey worker's lower CPU priority (nice; 0: none)"
    )
    parser.add_argument("--emulator-processes", type=int, default=2)
    parser.add_argument("--emulator-threads", type=int, default=16)


@contextmanager
def city_running(options: argparse.Namespace, residents: int) -> Iterator[City]:
    """Fresh databases, the emulator, civicline's web and worker, ``residents`` friends, emergency on."""
    var_dir = Path(tempfile.mkdtemp(prefix="civicline-peak-"))
    env = _environment(var_dir, options)
    _recreate_databases(env)
    _manage(env, "migrate", "-v0")
    _manage(env, "migrate", "--database", "linesim", "-v0")
    processes: dict[str, subprocess.Popen] = {}

    def log(name: str) -> dict:
        # Each server's output in a file of the run's directory (printed at the start), for a look
        # at what went wrong; nothing of it reaches the report.
        file = (var_dir / f"{name}.log").open("w")
        return {"stdout": file, "stderr": subprocess.STDOUT}

    emulator = ["linesim", "--port", str(EMULATOR_PORT)]
    emulator += ["--processes", str(options.emulator_processes), "--threads", str(options.emulator_threads)]
    gunicorn = ["-m", "gunicorn", "--config", "deploy/gunicorn.conf.py", "civicline.wsgi:application"]
    try:
        processes["emulator"] = subprocess.Popen(
            [sys.executable, "manage.py", *emulator], cwd=ROOT, env=env, **log("emulator")
        )
        _wait(f"{env['LINE_API_BASE_URL']}/sim/api/liff/apps", list(processes.values()))
        _seed(env)
        processes["web"] = subprocess.Popen([sys.executable, *gunicorn], cwd=ROOT, env=env, **log("web"))
        nice = ["nice", "-n", str(options.worker_nice)] if options.worker_nice else []
        processes["worker"] = subprocess.Popen(
            [*nice, sys.executable, "manage.py", "run_huey"], cwd=ROOT, env=env, **log("worker")
        )
        _wait(f"{env['SITE_URL']}/healthz", list(processes.values()))
        users = _residents_create(env, residents)
        emergency = _scenario_result(_scenario(env, "emergency"))
        yield City(
            env=env,
            roots={name: process.pid for name, process in processes.items()},
            users=users,
            emergency=emergency,
            shelter_list=_has_shelter_list(env["SITE_URL"]),
        )
    finally:
        for process in processes.values():
            process.terminate()
        for process in processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


# --- main ----------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", default="250,500,1000", help="concurrent residents per level")
    parser.add_argument("--seconds", type=float, default=30, help="measured seconds per level")
    parser.add_argument("--ramp", type=float, default=60, help="seconds over which the residents arrive")
    add_server_options(parser)
    parser.add_argument("--profile", default="", help="directory for py-spy profiles of each level")
    parser.add_argument("--json", action="store_true", help="one JSON object per level on stdout")
    options = parser.parse_args()
    levels = [int(level) for level in options.levels.split(",")]
    out = sys.stderr if options.json else sys.stdout

    results = []
    with city_running(options, max(levels)) as city:
        options.shelter_list = city.shelter_list
        print(
            f"set-up: {len(city.users)} residents are friends; emergency menu on for "
            f"{city.emergency['friends']} friends in {city.emergency['seconds']} s "
            f"({city.emergency['switch']})"
            + ("" if city.shelter_list else "; no shelter list page in this build: its step opens the map")
            + f"; servers' logs in {city.env['CIVICLINE_VAR_DIR']}",
            file=out,
        )
        _report_header(options, out)
        for level, residents in enumerate(levels, start=1):
            accounts = accounts_for(city.env, city.users[:residents])
            result = _run_level(city.env, options, accounts, city.roots, level)
            results.append(result)
            _report_level(result, out)
            if options.json:
                print(json.dumps(result, ensure_ascii=False), flush=True)
    _report_target(results, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
