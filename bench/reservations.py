"""Booking benchmark (RS-2, X-14): N residents book the same service at the same moment on PostgreSQL.

    .venv/bin/python -m bench.reservations [--residents 200] [--seats 20] [--threads 8]

Each resident has a LIFF session and goes through the real pages over HTTP: the form (answers kept
in the session), then the confirmation POST that takes the seat. Everyone starts with the first
slot of the day; a resident who finds it full moves on to the next one, as people do. Reported:
bookings per second, the p50/p95 latency of the confirmation request, and a check of every slot
against its seats (zero overbooking) and of every resident against the one-booking limit.

Uses DATABASE_URL when it names PostgreSQL, else postgres://postgres@127.0.0.1:5432/; the bench
database (civicline_bench_reservations) is dropped and created afresh on each run. The worker is
not running: LINE confirmations and emails stay queued, as the resident does not wait for them.
"""

from __future__ import annotations

import argparse
import http.client
import os
import secrets
import statistics
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


def seed(residents: int, seats: int) -> tuple[int, list[str], list[str], int]:
    """A service open every day 09:00-12:00 in 30-minute slots; one LIFF session per resident."""
    import django

    django.setup()
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils import timezone

    from civicline.core.models import Department
    from civicline.line.liff.auth import SESSION_KEY
    from civicline.line.models import Friend
    from civicline.reservations import schedule
    from civicline.reservations.models import Counter, Service

    department = Department.objects.create(code="kankyo", name="環境政策課", email="kankyo@bench.example")
    counter = Counter.objects.create(
        department=department, name="粗大ごみ受付センター", category="ごみ・環境"
    )
    every_day = {str(d): [["09:00", "12:00"]] for d in range(7)}
    service = Service.objects.create(
        counter=counter,
        name="粗大ごみ収集",
        slot_minutes=30,
        seats_per_slot=seats,
        hours={**every_day, "holiday": every_day["0"]},
        year_end_closed=False,
        book_from_days=1,
        book_until_days=60,
        max_open_per_resident=1,
        questions=[{"key": "q1", "label": "品目", "type": "text", "required": True}],
    )
    day = timezone.localdate() + timezone.timedelta(days=1)
    starts = [
        timezone.localtime(s).strftime("%Y%m%d%H%M")
        for s in schedule.slot_starts(schedule.day_plan(service, day), service.slot_minutes)
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
    return service.pk, starts, cookies, service.seats_per_slot


def resident(
    service: int, starts: list[str], session_key: str, go: threading.Barrier
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
    go.wait()
    for start in starts:
        form = "name=%E4%BD%8F%E6%B0%91&contact=090-0000-0000&q1=%E6%A4%85%E5%AD%90"
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=200)
    parser.add_argument("--seats", type=int, default=20, help="seats per slot (6 slots in the day)")
    parser.add_argument("--threads", type=int, default=8, help="server threads")
    options = parser.parse_args()

    url = database_url()
    recreate_database(url)
    var_dir = Path(tempfile.mkdtemp(prefix="civicline-bench-"))
    os.environ.update(
        {"DJANGO_SETTINGS_MODULE": "bench.settings", "CIVICLINE_VAR_DIR": str(var_dir), "DATABASE_URL": url}
    )
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True)
    service, starts, sessions, seats = seed(options.residents, options.seats)
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "waitress",
            f"--listen=127.0.0.1:{PORT}",
            f"--threads={options.threads}",
            "civicline.wsgi:application",
        ],
        cwd=ROOT,
        stderr=subprocess.DEVNULL,
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
        go = threading.Barrier(len(sessions) + 1)
        with ThreadPoolExecutor(len(sessions)) as pool:
            futures = [pool.submit(resident, service, starts, key, go) for key in sessions]
            go.wait()
            began = time.perf_counter()
            results = [f.result() for f in futures]
            elapsed = time.perf_counter() - began
    finally:
        server.terminate()
        server.wait()

    booked = sum(1 for ok, _ in results if ok)
    latencies = sorted(t for _, ts in results for t in ts)
    problems = verify(service, seats, options.residents)
    print(
        f"booking benchmark — {options.residents} residents at once, {len(starts)} slots × {seats} seats, "
        f"waitress {options.threads} threads, PostgreSQL ({DATABASE}), {os.cpu_count()} cores"
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
        f"latency p50 / p95     {statistics.median(latencies) * 1000:.0f} ms / "
        f"{latencies[int(len(latencies) * 0.95) - 1] * 1000:.0f} ms (confirmation POST)"
    )
    if problems:
        print("OVERBOOKING OR LIMIT BROKEN:\n  " + "\n  ".join(problems))
        return 1
    print("overbooking           none: every slot within its seats, one booking per resident")
    return 0


if __name__ == "__main__":
    sys.exit(main())
