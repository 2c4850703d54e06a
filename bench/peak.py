"""Disaster-peak load test (X-14): residents open the map and search shelters, chat with the bot and
look for booking slots while webhooks stream in — against civicline run as in production
(gunicorn, PostgreSQL, Redis, a Huey worker) with the LINE emulator standing in for LINE.

    .venv/bin/python -m bench.peak [--levels 25,100,200,400] [--seconds 30]

Uses the PostgreSQL and Redis on this machine (DATABASE_URL / REDIS_URL to override), a scratch
database `civicline_peak` that it creates afresh, and the demo city's data. Reports, per load
level, requests/s, p50/p95/p99 and failures, then the highest level at which p95 stays under 3 s
with no failed request, and the webhook acknowledgement p99 there. Everything runs on loopback and
stops by itself.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
HOST, WEB_PORT, EMULATOR_PORT = "127.0.0.1", 8700, 8701
DATABASE = "civicline_peak"
LIFF_ID = "1670000001-peak"


def _environment(var_dir: Path) -> dict[str, str]:
    site, emulator = f"http://{HOST}:{WEB_PORT}", f"http://{HOST}:{EMULATOR_PORT}"
    server = os.environ.get("PEAK_POSTGRES", "postgres://postgres@127.0.0.1:5432")
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "civicline.settings",
        "DATABASE_URL": os.environ.get("DATABASE_URL", f"{server}/{DATABASE}"),
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/7"),
        "SECRET_KEY": secrets.token_urlsafe(50),
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "AUDIT_HMAC_KEYS": secrets.token_urlsafe(48),
        "CIVICLINE_DEMO": "1",
        "CIVICLINE_VAR_DIR": str(var_dir),
        "SITE_URL": site,
        "LINE_CHANNEL_ID": "1670000000",
        "LINE_CHANNEL_SECRET": secrets.token_hex(16),
        "LINE_CHANNEL_ACCESS_TOKEN": secrets.token_urlsafe(40),
        "LIFF_ID": LIFF_ID,
        "LIFF_SDK_URL": f"{emulator}/sim/liff-sdk.js",
        "LINE_API_BASE_URL": emulator,
        "LINE_API_DATA_BASE_URL": emulator,
        "LINESIM_WEBHOOK_URL": f"{site}/line/webhook",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "GUNICORN_BIND": f"{HOST}:{WEB_PORT}",
        "LOG_LEVEL": "WARNING",
    }


def _recreate_database(env: dict[str, str]) -> None:
    import psycopg

    url = env["DATABASE_URL"]
    name = url.rsplit("/", 1)[1].split("?")[0]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _wait(url: str, processes: list[subprocess.Popen], timeout: float = 60) -> None:
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


def _seed(env: dict[str, str]) -> None:
    script = (
        "from pathlib import Path; from django.conf import settings;"
        "from civicline.demo.seed import seed_city; from civicline.linesim.client import EmulatorClient;"
        "seed_city(Path(settings.VAR_DIR) / 'credentials.json');"
        "EmulatorClient(settings.LINE_API_BASE_URL)"
        ".ensure_liff_app(settings.LIFF_ID, settings.SITE_URL + '/liff/')"
    )
    subprocess.run([sys.executable, "manage.py", "shell", "-c", script], cwd=ROOT, env=env, check=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", default="25,100,200,400", help="concurrent residents per step")
    parser.add_argument("--seconds", type=float, default=30, help="measured seconds per step")
    parser.add_argument("--workers", default="3", help="gunicorn worker processes")
    options = parser.parse_args()

    var_dir = Path(tempfile.mkdtemp(prefix="civicline-peak-"))
    env = _environment(var_dir) | {"WEB_CONCURRENCY": options.workers}
    _recreate_database(env)
    manage = [sys.executable, "manage.py"]
    for database in ("default", "linesim"):
        subprocess.run([*manage, "migrate", "--database", database, "-v0"], cwd=ROOT, env=env, check=True)

    processes: list[subprocess.Popen] = []
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    try:
        processes.append(
            subprocess.Popen(
                [*manage, "linesim", "--port", str(EMULATOR_PORT), "--threads", "16"],
                cwd=ROOT,
                env=env,
                **quiet,
            )
        )
        _wait(f"{env['LINE_API_BASE_URL']}/sim/api/users", processes)
        _seed(env)
        processes.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "--config",
                    "deploy/gunicorn.conf.py",
                    "civicline.wsgi:application",
                ],
                cwd=ROOT,
                env=env,
                **quiet,
            )
        )
        processes.append(subprocess.Popen([*manage, "run_huey"], cwd=ROOT, env=env, **quiet))
        _wait(f"{env['SITE_URL']}/healthz", processes)

        results = []
        for users in (int(level) for level in options.levels.split(",")):
            out = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "bench.peak_users",
                    env["SITE_URL"],
                    env["LINE_API_BASE_URL"],
                    LIFF_ID,
                    env["LINE_CHANNEL_SECRET"],
                    str(users),
                    str(options.seconds),
                ],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
            )
            if out.returncode != 0:
                raise SystemExit(f"the load generator failed:\n{out.stderr[-3000:]}")
            results.append(json.loads(out.stdout.strip().splitlines()[-1]))
            _report_level(results[-1])
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
    _report_summary(results, options)
    return 0


def _webhook_p99(result: dict) -> float:
    hooks = [row for name, row in result["by_request"].items() if name.startswith("webhook")]
    return max((row["p99_ms"] for row in hooks), default=0.0)


def _report_level(result: dict) -> None:
    print(
        f"{result['users']:>5} residents  {result['per_second']:7.1f} req/s  p50 {result['p50_ms']:6.0f} ms  "
        f"p95 {result['p95_ms']:6.0f} ms  p99 {result['p99_ms']:6.0f} ms  failures {result['failures']}  "
        f"webhook p99 {_webhook_p99(result):.0f} ms",
        flush=True,
    )
    for error in result["errors"]:
        print(f"        error: {error}")


def _report_summary(results: list[dict], options: argparse.Namespace) -> None:
    ok = [r for r in results if r["p95_ms"] < 3000 and r["failures"] == 0]
    print(
        f"\npeak load test — {options.seconds:.0f} s per step, "
        f"gunicorn {options.workers} workers × 4 threads, "
        f"PostgreSQL + Redis + Huey, {os.cpu_count()} cores (load generator on the same machine)"
    )
    if ok:
        best = max(ok, key=lambda r: r["users"])
        print(
            f"highest load with p95 < 3 s and no failed request: {best['users']} concurrent residents, "
            f"{best['per_second']:.1f} req/s, p95 {best['p95_ms']:.0f} ms; "
            f"webhook ack p99 {_webhook_p99(best):.0f} ms"
        )
    else:
        print("no level met p95 < 3 s with no failed request")
    print("per request at that level:")
    shown = max(ok, key=lambda r: r["users"]) if ok else results[-1]
    for name, row in sorted(shown["by_request"].items()):
        if not row["requests"]:  # sign-in requests, all made before the measured period
            continue
        print(
            f"  {name:<28} {row['requests']:>6}  p50 {row['p50_ms']:>5.0f}  p95 {row['p95_ms']:>5.0f}  "
            f"p99 {row['p99_ms']:>5.0f}  failures {row['failures']}"
        )


if __name__ == "__main__":
    sys.exit(main())
