"""Segment delivery benchmark (SD-1, SD-13): counting a segment and sending to it, 100,000 friends.

    .venv/bin/python -m bench.delivery [--friends 100000] [--scaling]

Fills fresh databases (civicline's: SQLite under a temporary directory, or a database of its own on
DATABASE_URL's PostgreSQL server; the LINE emulator's: SQLite) with friends who registered 受信設定
(topics, area, birth year, children) and the same users on the emulator's side, about 5 % of them
blocked. The segment is 「子育て AND NOT 北部」, about half of the friends. Then it times, with the
emulator serving LINE's API from a thread as the tests do:

* counting the segment (SD-13), median of 5;
* "send now" until every multicast request of the delivery has been accepted by the emulator:
  the audience fixed by one INSERT … SELECT, then batches of 500 recorded and sent in order;

and reports the SQL statements per batch and the peak Python memory during the send, which stay
flat whatever the audience: no per-friend query, no list of every friend. ``--scaling`` repeats
the run at a quarter and half the size to show the time growing linearly with the audience.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from contextlib import contextmanager
from datetime import date
from pathlib import Path

SEED = 20261125
BENCH_DATABASE = "civicline_bench_delivery"
CHUNK = 5000
TOPICS = ["子育て", "検診・予防接種", "イベント", "防災", "ごみ・リサイクル"]
AREAS = ["北部", "中部", "南部", "東部", "西部"]


def _setup(var_dir: Path) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    os.environ["CIVICLINE_VAR_DIR"] = str(var_dir)
    os.environ["HUEY_IMMEDIATE"] = "1"  # the worker's tasks run in this process, in order
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    call_command("migrate", database="linesim", verbosity=0)


def _user_id(index: int) -> str:
    return f"U{index:032x}"


def _fill(friends: int, rng: random.Random) -> None:
    """Friends with settings, in chunks; the emulator gets the same users (it refuses unknown ids)."""
    from django.utils import timezone

    from civicline.delivery.models import Area, Child, ResidentAttributes, Topic, TopicChoice
    from civicline.line.models import Friend
    from civicline.linesim.models import VirtualUser

    topics = [Topic.objects.create(name=name) for name in TOPICS]
    areas = [Area.objects.create(name=name) for name in AREAS]
    now = timezone.now()
    this_year = timezone.localdate().year
    for start in range(0, friends, CHUNK):
        indexes = range(start, min(start + CHUNK, friends))
        blocked = {i for i in indexes if rng.random() < 0.05}
        VirtualUser.objects.bulk_create(
            VirtualUser(
                user_id=_user_id(i), display_name=f"住民{i}", following=i not in blocked, blocked=i in blocked
            )
            for i in indexes
        )
        rows = Friend.objects.bulk_create(
            Friend(
                user_id=_user_id(i),
                state=Friend.State.BLOCKED if i in blocked else Friend.State.FOLLOWING,
                first_seen=now,
                last_seen=now,
            )
            for i in indexes
        )
        ResidentAttributes.objects.bulk_create(
            ResidentAttributes(
                friend=f, area=rng.choice(areas), birth_year=rng.randint(this_year - 80, this_year - 18)
            )
            for f in rows
        )
        choices = []
        for friend in rows:
            wanted = [topics[0]] if rng.random() < 0.66 else []
            wanted += [t for t in topics[1:] if rng.random() < 0.3]
            choices += [TopicChoice(friend=friend, topic=t) for t in wanted]
        TopicChoice.objects.bulk_create(choices)
        children = []
        for friend in rows:
            for _ in range(rng.choice((0, 0, 1, 1, 2))):
                born = date(
                    rng.randint(this_year - 15, this_year - 1), rng.randint(1, 12), rng.randint(1, 28)
                )
                children.append(
                    Child(friend=friend, birth_date=born.isoformat(), birth_month=born.replace(day=1))
                )
        Child.objects.bulk_create(children)


def _segment_and_delivery():
    from civicline.core.models import Department, Staff
    from civicline.delivery.models import Area, Delivery, DeliveryMessage, Segment, SegmentGrant, Topic

    department = Department.objects.create(code="kosodate", name="こども相談課")
    staff = Staff.objects.create(username="bench", department=department)
    segment = Segment.objects.create(
        department=department,
        name="子育て（北部を除く）",
        conditions={
            "op": "and",
            "negate": False,
            "items": [
                {"kind": "topic", "negate": False, "topics": [Topic.objects.get(name="子育て").pk]},
                {"kind": "area", "negate": True, "areas": [Area.objects.get(name="北部").pk]},
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


@contextmanager
def _counting_queries():
    from django.db import connection

    counter = {"n": 0}

    def count(execute, sql, params, many, context):
        counter["n"] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        yield counter


def run(friends: int, *, measure_memory: bool = True) -> dict:
    from django.conf import settings

    from civicline.delivery import selectors, services
    from civicline.delivery.models import Delivery
    from civicline.line import client
    from civicline.line.models import OutboundSend
    from civicline.linesim.models import DeliveredMessage
    from civicline.linesim.server import start_server

    rng = random.Random(SEED)
    started = time.perf_counter()
    _fill(friends, rng)
    fill_seconds = time.perf_counter() - started
    staff, segment, delivery = _segment_and_delivery()

    counts = []
    for _ in range(5):
        t0 = time.perf_counter()
        count = selectors.segment_count(segment)
        counts.append(time.perf_counter() - t0)

    server = start_server("127.0.0.1", 0, threads=4)
    settings.LINE_API_BASE_URL = settings.LINE_API_DATA_BASE_URL = server.base_url
    client.reset_rate_limits()
    try:
        if measure_memory:
            tracemalloc.start()
        with _counting_queries() as queries:
            t0 = time.perf_counter()
            services.delivery_schedule(staff=staff, delivery=delivery, at=None)
            send_seconds = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1] if measure_memory else 0
        if measure_memory:
            tracemalloc.stop()
    finally:
        server.stop()

    delivery = Delivery.objects.get(pk=delivery.pk)
    batches = delivery.batches.count()
    sends = OutboundSend.objects.filter(kind=OutboundSend.Kind.MULTICAST)
    delivered = DeliveredMessage.objects.filter(api="multicast").values("user_id").distinct().count()
    assert delivery.status == Delivery.Status.SENT, (delivery.status, delivery.error)
    assert sends.exclude(status=OutboundSend.Status.SENT).count() == 0
    assert delivered == delivery.target_count == count.following, (delivered, delivery.target_count, count)
    return {
        "friends": friends,
        "fill_s": fill_seconds,
        "count_ms": statistics.median(counts) * 1000,
        "audience": delivery.target_count,
        "blocked": delivery.blocked_count,
        "batches": batches,
        "send_s": send_seconds,
        "per_batch_ms": send_seconds / batches * 1000,
        "queries": queries["n"],
        "queries_per_batch": queries["n"] / batches,
        "peak_mb": peak / 1e6,
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


def _child(friends: int, memory: bool) -> dict:
    """One run in a fresh process and fresh databases, so runs do not share caches or rows."""
    import json
    import subprocess

    env = os.environ.copy()
    if env.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        env["DATABASE_URL"] = _fresh_postgres(env["DATABASE_URL"])
    flags = [] if memory else ["--no-memory"]
    out = subprocess.run(
        [sys.executable, "-m", "bench.delivery", "--friends", str(friends), "--json", *flags],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--friends", type=int, default=100_000)
    parser.add_argument("--scaling", action="store_true", help="also run at 1/4 and 1/2 of --friends")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--no-memory", action="store_true", help="skip tracemalloc (it slows Python down)")
    options = parser.parse_args()

    if options.json:
        import json

        with tempfile.TemporaryDirectory(prefix="civicline-bench-delivery-") as var_dir:
            _setup(Path(var_dir))
            result = run(options.friends, measure_memory=not options.no_memory)
        print(json.dumps(result))
        return 0

    sizes = (
        [options.friends // 4, options.friends // 2, options.friends]
        if options.scaling
        else [options.friends]
    )
    rows = [_child(size, memory=not options.no_memory) for size in sizes]
    database = "PostgreSQL" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "SQLite"
    print(
        f"delivery benchmark — segment 「子育て AND NOT 北部」, 2 messages, {database}, "
        f"{os.cpu_count()} cores"
    )
    print(
        f"{'friends':>9}{'audience':>10}{'blocked':>9}{'count ms':>10}{'batches':>9}{'send s':>9}"
        f"{'ms/batch':>10}{'µs/friend':>11}{'SQL/batch':>11}{'peak MB':>9}"
    )
    for r in rows:
        print(
            f"{r['friends']:>9}{r['audience']:>10}{r['blocked']:>9}{r['count_ms']:>10.0f}{r['batches']:>9}"
            f"{r['send_s']:>9.1f}{r['per_batch_ms']:>10.0f}{r['send_s'] / r['audience'] * 1e6:>11.0f}"
            f"{r['queries_per_batch']:>11.1f}{r['peak_mb']:>9.1f}"
        )
    print("send s: from 'send now' until the emulator has accepted every multicast request (500 users each)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
