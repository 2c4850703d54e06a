"""Segment delivery benchmark (SD-1, SD-13): counting a segment and sending to it at LINE's ceiling.

    .venv/bin/python -m bench.delivery [--friends 100000] [--share 0.53] [--latency-ms 50] [--json]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python -m bench.delivery \
        --friends 2100000 --share 1

Fresh databases for each run: civicline's (SQLite under a temporary directory, or a database of its
own on DATABASE_URL's PostgreSQL server) and the LINE emulator's (SQLite, as in the demo). Friends
are made by SQL (INSERT … SELECT over a series) with 受信設定: topics, area, birth year, children;
about 5 % of them blocked, on both sides. The segment is 「子育て AND NOT 北部」; ``--share`` of the
friends are in it (0.53 by default; 1: every friend not blocked).

The emulator runs as LINE does, in processes of its own (``manage.py linesim --processes 2``), with
LINE's rate limits and ``--latency-ms`` on every answer. Then, in this process, as the worker:

* counting the segment (SD-13), median of 5;
* "send now" until LINE has accepted every multicast of the delivery (the worker's task runs here);

and checks on the emulator's side that every friend of the audience got the notice exactly once.
JSON (``--json``): friends, audience, count_ms, send_s, requests (made to LINE, retries included),
peak_rss_mb (this process: the worker), the emulator's CPU seconds during the send and its share of
the machine, and the worker's.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DATABASE = "civicline_bench_delivery"
TOPICS = ["子育て", "検診・予防接種", "イベント", "防災", "ごみ・リサイクル"]
AREAS = ["北部", "中部", "南部", "東部", "西部"]
CHUNK = 20_000
# Who is blocked and who is in the segment follow from the friend's number, the same on both sides.
HASH = 2654435761


def _setup(var_dir: Path) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    os.environ["CIVICLINE_VAR_DIR"] = str(var_dir)
    os.environ["HUEY_IMMEDIATE"] = "1"  # the worker's tasks run in this process, in order
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    call_command("migrate", database="linesim", verbosity=0)


def _lists() -> tuple[dict[str, int], dict[str, int]]:
    from civicline.delivery.models import Area, Topic

    # The demo's lists may already be there (the demo seeds them after migrating).
    topics = {name: Topic.objects.get_or_create(name=name)[0].pk for name in TOPICS}
    areas = {name: Area.objects.get_or_create(name=name)[0].pk for name in AREAS}
    return topics, areas


class _Modulo:
    """A cursor for SQL written with SQL's modulo ``%``, doubled for the driver's placeholders."""

    def __init__(self, cursor: object) -> None:
        self._cursor = cursor

    def execute(self, sql: str, params: list | None = None) -> None:
        self._cursor.execute(sql.replace(" % ", " %% ") if params else sql, params)


def _fill_postgres(friends: int, share: float, topics: dict[str, int], areas: dict[str, int]) -> None:
    """Every row made by PostgreSQL itself; nothing of the two million passes through Python."""
    from django.db import connection

    from civicline.core.crypto import seal

    empty, born = seal(""), seal("2020-01-01")
    this_year = date.today().year
    kosodate, hokubu = topics["子育て"], areas["北部"]
    others = [topics[t] for t in TOPICS[1:]]
    other_areas = [areas[a] for a in AREAS[1:]]
    in_segment = f"((i::bigint * 40503) % 1000) < {round(share * 1000)}"
    with connection.cursor() as raw:
        cursor = _Modulo(raw)
        cursor.execute(
            "INSERT INTO line_friend (id, user_id, display_name, picture_url, language, state, first_seen, "
            "last_seen, preferred_language) SELECT i, 'U' || lpad(to_hex(i - 1), 32, '0'), %s, %s, '', "
            f"CASE WHEN (i::bigint * {HASH}) % 100 < 5 THEN 'blocked' ELSE 'following' END, now(), now(), '' "
            "FROM generate_series(1, %s) i",
            [empty, empty, friends],
        )
        cursor.execute("SELECT setval(pg_get_serial_sequence('line_friend', 'id'), %s)", [friends])
        # In the segment: 子育て, not 北部. Outside: half 子育て in 北部, half neither.
        cursor.execute(
            "INSERT INTO delivery_residentattributes (friend_id, area_id, birth_year, gender, updated_at) "
            f"SELECT i, CASE WHEN {in_segment} THEN (ARRAY{other_areas})[1 + (i * 31) % 4] "
            f"WHEN (i::bigint * 7919) % 2 = 0 THEN {hokubu} ELSE (ARRAY{other_areas})[1 + (i * 37) % 4] END, "
            f"{this_year - 18} - (i * 13) % 63, '', now() FROM generate_series(1, %s) i",
            [friends],
        )
        cursor.execute(
            "INSERT INTO delivery_topicchoice (friend_id, topic_id) "
            f"SELECT i, {kosodate} FROM generate_series(1, %s) i "
            f"WHERE {in_segment} OR (i::bigint * 7919) % 2 = 0",
            [friends],
        )
        for prime, topic in zip((101, 103, 107, 109), others, strict=True):
            cursor.execute(
                "INSERT INTO delivery_topicchoice (friend_id, topic_id) "
                f"SELECT i, {topic} FROM generate_series(1, %s) i WHERE (i::bigint * {prime}) % 100 < 30",
                [friends],
            )
        cursor.execute(
            "INSERT INTO delivery_child (friend_id, birth_date, birth_month) "
            "SELECT i, %s, make_date(" + str(this_year - 15) + " + (i * 7 + k) % 15, 1 + (i + k) % 12, 1) "
            "FROM generate_series(1, %s) i CROSS JOIN generate_series(1, 2) k "
            "WHERE k <= (ARRAY[0, 0, 1, 1, 2])[1 + (i * 17) % 5]",
            [born, friends],
        )
        # VACUUM as autovacuum would have long since done on a city's friends: the visibility map
        # it sets lets the count read its indexes alone (ANALYZE only left 2,000,000 heap fetches).
        cursor.execute("VACUUM ANALYZE")


def _fill_sqlite(friends: int, share: float, topics: dict[str, int], areas: dict[str, int]) -> None:
    """The same friends, made in chunks from Python (SQLite has no series)."""
    from django.db import connection, transaction

    from civicline.core.crypto import seal

    empty, born = seal(""), seal("2020-01-01")
    this_year = date.today().year
    other_areas = [areas[a] for a in AREAS[1:]]
    for start in range(1, friends + 1, CHUNK):
        numbers = range(start, min(start + CHUNK, friends + 1))
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO line_friend (id, user_id, display_name, picture_url, language, state, "
                "first_seen, last_seen, preferred_language) "
                "VALUES (%s, %s, %s, %s, '', %s, datetime('now'), datetime('now'), '')",
                [
                    (i, f"U{i - 1:032x}", empty, empty, "blocked" if (i * HASH) % 100 < 5 else "following")
                    for i in numbers
                ],
            )
            attributes, choices, children = [], [], []
            for i in numbers:
                segment = (i * 40503) % 1000 < round(share * 1000)
                half = (i * 7919) % 2 == 0
                area = (
                    other_areas[(i * 31) % 4]
                    if segment
                    else (areas["北部"] if half else other_areas[(i * 37) % 4])
                )
                attributes.append((i, area, this_year - 18 - (i * 13) % 63))
                if segment or half:
                    choices.append((i, topics["子育て"]))
                for prime, topic in zip((101, 103, 107, 109), TOPICS[1:], strict=True):
                    if (i * prime) % 100 < 30:
                        choices.append((i, topics[topic]))
                for k in range((0, 0, 1, 1, 2)[(i * 17) % 5]):
                    children.append(
                        (i, born, date(this_year - 15 + (i * 7 + k + 1) % 15, 1 + (i + k + 1) % 12, 1))
                    )
            cursor.executemany(
                "INSERT INTO delivery_residentattributes (friend_id, area_id, birth_year, gender, "
                "updated_at) VALUES (%s, %s, %s, '', datetime('now'))",
                attributes,
            )
            cursor.executemany(
                "INSERT INTO delivery_topicchoice (friend_id, topic_id) VALUES (%s, %s)", choices
            )
            cursor.executemany(
                "INSERT INTO delivery_child (friend_id, birth_date, birth_month) VALUES (%s, %s, %s)",
                children,
            )


def _fill_emulator(friends: int) -> None:
    """LINE's side: the same users, following unless blocked (one statement, in SQLite)."""
    from django.db import connections

    with connections["linesim"].cursor() as cursor:
        cursor.execute(
            "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < %s) "
            "INSERT INTO linesim_virtualuser (user_id, display_name, picture_url, status_message, language, "
            "following, blocked, created_at) "
            f"SELECT printf('U%%032x', i - 1), '住民', '', '', 'ja', (i * {HASH}) % 100 >= 5, "
            f"(i * {HASH}) % 100 < 5, datetime('now') FROM c",
            [friends],
        )
    connections["linesim"].close()


def _segment_and_delivery(topics: dict[str, int], areas: dict[str, int]):
    from civicline.core.models import Department, Staff
    from civicline.delivery.models import Delivery, DeliveryMessage, Segment, SegmentGrant

    department = Department.objects.create(code="kosodate", name="こども相談課")
    staff = Staff.objects.create(username="bench", department=department)
    segment = Segment.objects.create(
        department=department,
        name="子育て（北部を除く）",
        conditions={
            "op": "and",
            "negate": False,
            "items": [
                {"kind": "topic", "negate": False, "topics": [topics["子育て"]]},
                {"kind": "area", "negate": True, "areas": [areas["北部"]]},
            ],
        },
    )
    SegmentGrant.objects.create(segment=segment, department=department)
    delivery = Delivery.objects.create(department=department, title="子育て応援フェアのご案内")
    delivery.segments.set([segment])
    DeliveryMessage.objects.create(
        delivery=delivery,
        position=1,
        kind=DeliveryMessage.Kind.TEXT,
        text="子育て応援フェアを開きます。詳しくは https://www.city.example.jp/fair",
    )
    DeliveryMessage.objects.create(
        delivery=delivery,
        position=2,
        kind=DeliveryMessage.Kind.BUTTONS,
        title="子育て応援フェア",
        text="11月30日（土）市民会館",
        actions=[{"label": "申し込む", "value": "https://www.city.example.jp/fair/apply"}],
    )
    return staff, segment, delivery


class Emulator:
    """``manage.py linesim`` in processes of its own, on this run's emulator database."""

    def __init__(self, *, latency_ms: int, processes: int, threads: int) -> None:
        env = {**os.environ, "LINESIM_LATENCY_MS": str(latency_ms)}
        env.pop("HUEY_IMMEDIATE", None)
        self.process = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "linesim",
                "--port",
                "0",
                "--processes",
                str(processes),
                "--threads",
                str(threads),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.base_url = re.search(r"http://[\d.]+:\d+", self.process.stdout.readline())[0]
        self._wait()

    def _wait(self) -> None:
        import urllib.error
        import urllib.request

        for _ in range(300):
            try:
                with urllib.request.urlopen(f"{self.base_url}/sim/api/webhooks", timeout=2):
                    return
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.1)
        raise SystemExit("the emulator did not start")

    def cpu_seconds(self) -> float:
        import psutil

        parent = psutil.Process(self.process.pid)
        return sum(sum(p.cpu_times()[:2]) for p in [parent, *parent.children(recursive=True)])

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def run(friends: int, *, share: float, latency_ms: int, processes: int, threads: int) -> dict:
    from django.conf import settings
    from django.db import connection
    from django.db.models import Count, Sum

    from civicline.delivery import selectors, services
    from civicline.delivery.models import Delivery
    from civicline.line import client
    from civicline.linesim.models import Recipient, SentRequest

    started = time.perf_counter()
    topics, areas = _lists()
    if connection.vendor == "postgresql":
        _fill_postgres(friends, share, topics, areas)
    else:
        _fill_sqlite(friends, share, topics, areas)
    _fill_emulator(friends)
    fill_seconds = time.perf_counter() - started
    staff, segment, delivery = _segment_and_delivery(topics, areas)

    counts = []
    for _ in range(5):
        t0 = time.perf_counter()
        count = selectors.segment_count(segment)
        counts.append(time.perf_counter() - t0)

    emulator = Emulator(latency_ms=latency_ms, processes=processes, threads=threads)
    settings.LINE_API_BASE_URL = settings.LINE_API_DATA_BASE_URL = emulator.base_url
    client.reset_rate_limits()
    try:
        rss_before = _rss_mb()
        cpu_before, worker_before = emulator.cpu_seconds(), time.process_time()
        t0 = time.perf_counter()
        services.delivery_schedule(actor=staff, delivery=delivery, at=None)
        send_seconds = time.perf_counter() - t0
        emulator_cpu, worker_cpu = emulator.cpu_seconds() - cpu_before, time.process_time() - worker_before
    finally:
        emulator.stop()

    delivery = Delivery.objects.get(pk=delivery.pk)
    batches = delivery.batches.aggregate(n=Count("pk"), attempts=Sum("attempts"))
    sent = SentRequest.objects.filter(api=SentRequest.Api.MULTICAST)
    per_user = Recipient.objects.filter(request__in=sent).values("user").annotate(n=Count("pk"))
    reached = per_user.count()
    twice = per_user.filter(n__gt=1).count()
    assert delivery.status == Delivery.Status.SENT, (delivery.status, delivery.error)
    assert reached == delivery.target_count == count.following and twice == 0, (reached, count, twice)
    cores = os.cpu_count() or 1
    return {
        "friends": friends,
        "audience": delivery.target_count,
        "count_ms": round(statistics.median(counts) * 1000, 1),
        "send_s": round(send_seconds, 2),
        "requests": batches["attempts"],
        "batches": batches["n"],
        "peak_rss_mb": round(_rss_mb(), 1),
        "rss_before_send_mb": round(rss_before, 1),
        "emulator_cpu_s": round(emulator_cpu, 1),
        "emulator_cpu_share": round(emulator_cpu / (send_seconds * cores), 2),
        "worker_cpu_s": round(worker_cpu, 1),
        "recipients_per_s": round(delivery.target_count / send_seconds),
        "latency_ms": latency_ms,
        "database": connection.vendor,
        "fill_s": round(fill_seconds, 1),
    }


def _fresh_postgres(url: str) -> str:
    """A database of the bench's own on DATABASE_URL's server, dropped and created afresh."""
    from urllib.parse import urlparse, urlunparse

    import psycopg

    admin = urlunparse(urlparse(url)._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{BENCH_DATABASE}"')
    return urlunparse(urlparse(url)._replace(path=f"/{BENCH_DATABASE}"))


def _child(friends: int, options: argparse.Namespace) -> dict:
    """One run in a fresh process and fresh databases, so runs do not share caches or rows."""
    env = os.environ.copy()
    if env.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        env["DATABASE_URL"] = _fresh_postgres(env["DATABASE_URL"])
    out = subprocess.run(
        [sys.executable, "-m", "bench.delivery", "--json", *_run_flags(friends, options)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def _run_flags(friends: int, options: argparse.Namespace) -> list[str]:
    return [
        "--friends",
        str(friends),
        "--share",
        str(options.share),
        "--latency-ms",
        str(options.latency_ms),
        "--processes",
        str(options.processes),
        "--threads",
        str(options.threads),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--friends", type=int, default=100_000)
    parser.add_argument("--share", type=float, default=0.53, help="share of friends in the segment (0–1)")
    parser.add_argument("--latency-ms", type=int, default=50, help="the emulator's response time")
    parser.add_argument("--processes", type=int, default=2, help="the emulator's worker processes")
    parser.add_argument("--threads", type=int, default=64, help="threads per emulator process")
    parser.add_argument("--scaling", action="store_true", help="also run at 1/4 and 1/2 of --friends")
    parser.add_argument("--json", action="store_true", help="one run here, its figures as JSON")
    options = parser.parse_args()

    if options.json:
        database = os.environ.get("DATABASE_URL", "")
        if database.startswith(("postgres://", "postgresql://")):
            # Never the database named in DATABASE_URL itself: the bench's own, made afresh.
            os.environ["DATABASE_URL"] = _fresh_postgres(database)
        with tempfile.TemporaryDirectory(prefix="civicline-bench-delivery-") as var_dir:
            _setup(Path(var_dir))
            result = run(
                options.friends,
                share=options.share,
                latency_ms=options.latency_ms,
                processes=options.processes,
                threads=options.threads,
            )
        print(json.dumps(result))
        return 0

    sizes = (
        [options.friends // 4, options.friends // 2, options.friends]
        if options.scaling
        else [options.friends]
    )
    rows = [_child(size, options) for size in sizes]
    print(
        f"delivery benchmark — segment 「子育て AND NOT 北部」 ({options.share:.0%} of friends), 2 messages, "
        f"{rows[0]['database']}, LINE emulator: {options.latency_ms} ms, {options.processes} processes, "
        f"{os.cpu_count()} cores"
    )
    print(
        f"{'friends':>9}{'audience':>10}{'count ms':>10}{'send s':>8}{'per s':>9}{'requests':>10}"
        f"{'peak MB':>9}{'emu CPU':>9}{'worker CPU':>11}"
    )
    for r in rows:
        print(
            f"{r['friends']:>9}{r['audience']:>10}{r['count_ms']:>10.0f}{r['send_s']:>8.1f}"
            f"{r['recipients_per_s']:>9}{r['requests']:>10}{r['peak_rss_mb']:>9.0f}"
            f"{r['emulator_cpu_s']:>8.1f}s{r['worker_cpu_s']:>10.1f}s"
        )
    print("send s: from 'send now' until LINE has accepted every multicast request (500 users each)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
