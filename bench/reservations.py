"""Booking benchmark (RS-2, X-14): N residents book the same service at the same moment on PostgreSQL.

    .venv/bin/python -m bench.reservations [--residents 200] [--seats 20] [--threads 8]
        [--server gunicorn|waitress] [--workers N] [--calibration 30]

Each resident has a LIFF session and goes through the real pages over HTTP: the form (answers kept
in the session), then the confirmation POST that takes the seat. Everyone starts with the first
slot of the day; a resident who finds it full moves on to the next one at once (the harshest rush:
nobody pauses). Reported: bookings per second, the p50/p95 latency of the confirmation request, the
same latency with residents booking one at a time (another service, before the rush: what one
booking costs the server, the rest of the rush's latency being waiting), and a check of every slot
against its seats (zero overbooking) and of every resident against the one-booking limit.

The server is gunicorn with deploy/gunicorn.conf.py (``--workers`` processes, 2 × cores + 1 by
default, × ``--threads``), as deployed, or one waitress process (``--server waitress``, how this
bench ran before). Its resident pool is as large as its threads: this bench measures bookings, not
the 「混み合っています」 page. Uses DATABASE_URL when it names PostgreSQL, else
postgres://postgres@127.0.0.1:5432/; the bench database (civicline_bench_reservations) is dropped
and created afresh on each run, and so is Redis database 8 (REDIS_URL to change it) for the cache
and the queue, as in production. The worker is not running: LINE confirmations and emails stay
queued, as the resident does not wait for them.
"""

from __future__ import annotations

import argparse
import http.client
import math
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
PORT = 8791
DATABASE = "civicline_bench_reservations"


def database_url() -> str:
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith(("postgres://", "postgresql://")):
        base = "postgres://postgres@127.0.0.1:5432/postgres"
    return urlunparse(urlparse(base)._replace(path=f"/{DATABASE}"))


def recreate_database(url: str) -> None:
    import psycopg

    admin = urlunparse(urlparse(url)._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{DATABASE}"')


def seed(residents: int, seats: int) -> tuple[dict[str, int], list[str], list[str], int]:
    """Two services open every day 09:00-12:00 in 30-minute slots — the rush's, and one for the
    one-at-a-time calibration — and one LIFF session per resident."""
    import django

    django.setup()
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils import timezone

    from civicline.core.models import Department
    from civicline.forms.services import form_create
    from civicline.line.liff.auth import SESSION_KEY
    from civicline.line.models import Friend
    from civicline.reservations import schedule
    from civicline.reservations.models import Counter, Service

    department = Department.objects.create(code="kankyo", name="環境政策課", email="kankyo@bench.example")
    counter = Counter.objects.create(
        department=department, name="粗大ごみ受付センター", category="ごみ・環境"
    )
    every_day = {str(d): [["09:00", "12:00"]] for d in range(7)}
    services = {
        key: Service.objects.create(
            counter=counter,
            name=name,
            slot_minutes=30,
            seats_per_slot=seats,
            hours={**every_day, "holiday": every_day["0"]},
            year_end_closed=False,
            book_from_days=1,
            book_until_days=60,
            max_open_per_resident=1,
            form=form_create(
                department=department,
                title=name,
                questions=[{"label": "品目", "type": "short_text", "required": True}],
                all_personal=True,
            ),
        )
        for key, name in (("rush", "粗大ごみ収集"), ("calibration", "粗大ごみ収集（較正用）"))
    }
    day = timezone.localdate() + timezone.timedelta(days=1)
    starts = [
        timezone.localtime(s).strftime("%Y%m%d%H%M")
        for s in schedule.slot_starts(schedule.day_plan(services["rush"], day), 30)
    ]
    now = timezone.now()
    cookies = []
    for n in range(residents):
        friend = Friend.objects.create(
            user_id=f"U{n:032x}", display_name=f"住民{n}", first_seen=now, last_seen=now
        )
        session = SessionStore()
        session[SESSION_KEY] = {"user_id": friend.user_id, "seen": time.time()}
        session.create()
        cookies.append(session.session_key)
    return {key: service.pk for key, service in services.items()}, starts, cookies, seats


def resident(
    service: int, starts: list[str], session_key: str, go: threading.Barrier | None
) -> tuple[bool, list[float]]:
    """One resident's attempts: (booked?, latency of each confirmation POST)."""
    csrf = secrets.token_hex(16)  # Django accepts a 32-character secret in cookie and header alike
    headers = {
        "Cookie": f"sessionid={session_key}; csrftoken={csrf}",
        "X-CSRFToken": csrf,
        "Content-Type": "application/x-www-form-urlencoded",
    }
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=120)
    latencies = []
    if go is not None:
        go.wait()
    for start in starts:
        form = "name=%E4%BD%8F%E6%B0%91&contact=090-1234-5678&q1=%E6%A4%85%E5%AD%90"
        connection.request(
            "POST", f"/liff/reservations/s/{service}/form?start={start}", body=form, headers=headers
        )
        answer = connection.getresponse()
        answer.read()
        if answer.status != 302:
            raise RuntimeError(f"form answered {answer.status}")
        began = time.perf_counter()
        connection.request("POST", f"/liff/reservations/s/{service}/confirm", body="", headers=headers)
        answer = connection.getresponse()
        answer.read()
        latencies.append(time.perf_counter() - began)
        if answer.status == 302:
            return True, latencies
        if answer.status != 409:
            raise RuntimeError(f"confirm answered {answer.status}")
    return False, latencies


def verify(service: int, seats: int, residents: int) -> list[str]:
    from django.db.models import Count

    from civicline.reservations.models import Booking, SlotLock

    problems = []
    per_slot = Booking.objects.filter(service_id=service).values("starts_at").annotate(n=Count("id"))
    for row in per_slot:
        if row["n"] > seats:
            problems.append(f"slot {row['starts_at']:%H:%M} has {row['n']} bookings for {seats} seats")
    per_resident = Booking.objects.values("friend_id").annotate(n=Count("id")).filter(n__gt=1)
    problems += [f"resident {row['friend_id']} holds {row['n']} bookings" for row in per_resident]
    slots = SlotLock.objects.filter(service_id=service).count()
    expected = min(residents, slots * seats)
    total = Booking.objects.filter(service_id=service).count()
    if total != expected:
        problems.append(f"{total} bookings, expected {expected}")
    return problems


def _server_command(options: argparse.Namespace) -> list[str]:
    if options.server == "waitress":
        return [
            sys.executable,
            "-m",
            "waitress",
            f"--listen=127.0.0.1:{PORT}",
            f"--threads={options.threads}",
            "civicline.wsgi:application",
        ]
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        "deploy/gunicorn.conf.py",
        "civicline.wsgi:application",
    ]


def _server_environment(options: argparse.Namespace) -> dict[str, str]:
    """gunicorn as deploy/gunicorn.conf.py runs it; the resident pool as large as the threads, because
    this bench measures the booking, not the overload page (bench.peak measures that)."""
    env = {
        "GUNICORN_BIND": f"127.0.0.1:{PORT}",
        "GUNICORN_THREADS": str(options.threads),
        "RESIDENT_PAGE_CONCURRENCY": str(options.threads),
    }
    if options.workers:
        env["WEB_CONCURRENCY"] = str(options.workers)
    return env


def _server_label(options: argparse.Namespace) -> str:
    if options.server == "waitress":
        return f"waitress {options.threads} threads"
    workers = options.workers or 2 * (os.cpu_count() or 1) + 1
    return f"gunicorn {workers} workers × {options.threads} threads"


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)] * 1000


def _rush(
    service: int, starts: list[str], sessions: list[str]
) -> tuple[list[tuple[bool, list[float]]], float]:
    go = threading.Barrier(len(sessions) + 1)
    with ThreadPoolExecutor(len(sessions)) as pool:
        futures = [pool.submit(resident, service, starts, key, go) for key in sessions]
        go.wait()
        began = time.perf_counter()
        results = [f.result() for f in futures]
        return results, time.perf_counter() - began


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=200)
    parser.add_argument("--seats", type=int, default=20, help="seats per slot (6 slots in the day)")
    parser.add_argument("--threads", type=int, default=8, help="server threads (per worker process)")
    parser.add_argument(
        "--server", choices=["gunicorn", "waitress"], default="gunicorn", help="gunicorn: as deployed"
    )
    parser.add_argument("--workers", type=int, default=0, help="gunicorn worker processes (0: its default)")
    parser.add_argument("--calibration", type=int, default=30, help="residents booking one at a time first")
    options = parser.parse_args()

    url = database_url()
    recreate_database(url)
    var_dir = Path(tempfile.mkdtemp(prefix="civicline-bench-"))
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/8")
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "CIVICLINE_VAR_DIR": str(var_dir),
            "DATABASE_URL": url,
            "REDIS_URL": redis_url,
        }
    )
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True)
    services, starts, sessions, seats = seed(options.residents + options.calibration, options.seats)
    calibrating, rushing = sessions[: options.calibration], sessions[options.calibration :]
    server = subprocess.Popen(
        _server_command(options),
        cwd=ROOT,
        stderr=subprocess.DEVNULL,
        env=os.environ | _server_environment(options),
    )
    try:
        for _ in range(100):
            try:
                probe = http.client.HTTPConnection("127.0.0.1", PORT, timeout=1)
                probe.request("GET", "/healthz")
                probe.getresponse().read()
                break
            except OSError:
                time.sleep(0.1)
        # One at a time: what a booking costs with nobody else asking (and every worker warmed up).
        alone = [t for key in calibrating for t in resident(services["calibration"], starts, key, None)[1]]
        results, elapsed = _rush(services["rush"], starts, rushing)
    finally:
        server.terminate()
        server.wait()

    booked = sum(1 for ok, _ in results if ok)
    latencies = [t for _, ts in results for t in ts]
    problems = verify(services["rush"], seats, options.residents)
    print(
        f"booking benchmark — {options.residents} residents at once, {len(starts)} slots × {seats} seats, "
        f"{_server_label(options)}, PostgreSQL ({DATABASE}), {os.cpu_count()} cores"
    )
    print(
        f"bookings made         {booked} of {len(starts) * seats} seats "
        f"({options.residents - booked} found the day full)"
    )
    print(
        f"confirmation requests {len(latencies)} in {elapsed:.2f} s ({len(latencies) / elapsed:.0f}/s, "
        "each after its form POST)"
    )
    print(f"bookings per second   {booked / elapsed:.0f}")
    print(
        f"latency p50 / p95     {_percentile(latencies, 0.5):.0f} ms / {_percentile(latencies, 0.95):.0f} ms "
        "(confirmation POST)"
    )
    # What the server spends on one booking when nobody else asks; the rest of a rush's latency is
    # waiting — for a thread, for the CPU, for the slot's lock.
    print(
        f"one at a time         p50 {_percentile(alone, 0.5):.0f} ms / p95 {_percentile(alone, 0.95):.0f} ms "
        f"(confirmation POST; {options.calibration} residents booking one after another, first)"
    )
    if problems:
        print("OVERBOOKING OR LIMIT BROKEN:\n  " + "\n  ".join(problems))
        return 1
    print("overbooking           none: every slot within its seats, one booking per resident")
    return 0


if __name__ == "__main__":
    sys.exit(main())
