"""Large survey results (SV-7, SV-8, X-14): the results page of a survey with 100,000 responses and the
streamed CSV export of its 1,000,000 answers.

    .venv/bin/python -m bench.forms [--responses 100000] [--runs 3]

Fills a fresh SQLite database (or DATABASE_URL's) under a temporary directory with one survey of ten
questions — single and multiple choice, dropdown, 5-point scale, number, date, two free texts, a
personal name — answered by ``--responses`` residents (about ten answer rows each), then, through the
real console views over Django's test client (login, OTP, middleware, templates):

* the results page: every question's aggregates and charts; again with a filter on one answer; again
  with a cross-tabulation by a question and by a resident attribute (target: under 3 seconds);
* the raw answers CSV: time to stream it all, its size, and the peak of Python's traced memory while
  streaming (bounded: it must not grow with the number of answers).
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
from datetime import date, timedelta
from pathlib import Path

SEED = 20251125
DAY0 = date(2025, 4, 1)
BATCH = 5_000
SATISFACTION = ["満足", "やや満足", "どちらともいえない", "やや不満", "不満"]
PLACES = ["本庁舎", "支所", "図書館", "公民館", "スポーツ施設", "オンライン"]
AGES = ["10代", "20代", "30代", "40代", "50代", "60代", "70代以上"]
FIELDS = ["子育て", "福祉", "防災", "交通", "環境", "デジタル化"]
OPINIONS = [
    "窓口の待ち時間が長いので予約制を広げてほしい。",
    "子育て支援の情報がLINEで届くのは便利です。",
    "駅前の道路が狭く自転車が危ない。",
    "図書館の開館時間を延ばしてほしい。",
    "オンラインでできる手続きを増やしてほしい。",
    "公園の遊具を新しくしてほしい。",
    "ごみの分別が分かりにくい。",
    "職員の対応がとても丁寧でした。",
]
QUESTIONS = [
    {"ref": "a", "type": "single", "label": "満足度", "required": True, "choices": SATISFACTION},
    {"ref": "b", "type": "multiple", "label": "利用した施設", "choices": PLACES},
    {"ref": "c", "type": "dropdown", "label": "年代", "choices": AGES},
    {"ref": "d", "type": "scale", "label": "職員の対応"},
    {"ref": "e", "type": "number", "label": "待ち時間（分）"},
    {"ref": "f", "type": "date", "label": "来庁日"},
    {"ref": "g", "type": "single", "label": "力を入れてほしい分野", "choices": FIELDS},
    {"ref": "h", "type": "short_text", "label": "ひとことで"},
    {"ref": "i", "type": "long_text", "label": "ご意見"},
    {"ref": "j", "type": "short_text", "label": "お名前", "personal": True},
]


def _setup(var_dir: Path) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    os.environ["CIVICLINE_VAR_DIR"] = str(var_dir)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def _answers(response, form, keys: list[str], rng: random.Random, terms: dict[str, str], n: int) -> list:
    """About ten answer rows of one synthetic respondent."""
    from civicline.forms.models import Answer

    def row(key: str, **columns) -> Answer:
        return Answer(response=response, form=form, question=key, **columns)

    opinion = rng.choice(OPINIONS)
    return [
        row(keys[0], choice=rng.choices(SATISFACTION, weights=[3, 5, 4, 2, 1])[0]),
        *(row(keys[1], choice=place) for place in rng.sample(PLACES, rng.randint(0, 2))),
        row(keys[2], choice=rng.choice(AGES)),
        row(keys[3], number=float(rng.randint(1, 5))),
        row(keys[4], number=float(rng.randint(0, 90))),
        row(keys[5], text=(DAY0 + timedelta(days=rng.randint(0, 180))).isoformat()),
        row(keys[6], choice=rng.choice(FIELDS)),
        row(keys[7], text=rng.choice(["便利", "普通", "不便", '=HYPERLINK("http://x","y")'])),
        row(keys[8], text=opinion, terms=terms[opinion]),
        row(keys[9], sealed=f"住民 {n}"),
    ]


def _fill(count: int, rng: random.Random):
    """The survey and ``count`` responses, written with bulk inserts (no service per response)."""
    from django.db import transaction
    from django.utils import timezone

    from civicline.core.models import Department, Staff
    from civicline.forms import words
    from civicline.forms.models import Answer, Response
    from civicline.forms.services import form_create
    from civicline.line.models import Friend
    from civicline.surveys.models import Survey

    department = Department.objects.create(code="bench", name="ベンチ課")
    staff = Staff.objects.create(username="bench", department=department, role=Staff.Role.SYSTEM_ADMIN)
    form = form_create(department=department, title="市民満足度アンケート", questions=QUESTIONS)
    survey = Survey.objects.create(form=form, title="市民満足度アンケート", status=Survey.Status.OPEN)
    keys = [q["key"] for q in form.questions]
    version = form.current_version
    terms = {text: " ".join(words.terms(text)) for text in OPINIONS}
    now = timezone.now()
    made = 0
    while made < count:
        size = min(BATCH, count - made)
        with transaction.atomic():
            friends = Friend.objects.bulk_create(
                Friend(user_id=f"U{made + i:032x}", first_seen=now, last_seen=now) for i in range(size)
            )
            responses = Response.objects.bulk_create(
                Response(form=form, version=version, friend=f, submitted_at=now - timedelta(seconds=made + i))
                for i, f in enumerate(friends)
            )
            answers = [a for r in responses for a in _answers(r, form, keys, rng, terms, made)]
            Answer.objects.bulk_create(answers, batch_size=2_000)
        made += size
    return survey, staff


def _client(staff):
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client(SERVER_NAME="localhost")  # an allowed host; the console allows loopback addresses
    client.force_login(staff)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.create(
        user=staff, name="bench", confirmed=True
    ).persistent_id
    session.save()
    return client


def _timed_get(client, url: str, params: dict, runs: int) -> list[float]:
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url, params)
        assert response.status_code == 200, response.status_code
        timings.append(time.perf_counter() - start)
    return timings


def _stream(client, url: str) -> tuple[int, int]:
    response = client.get(url)
    assert response.status_code == 200 and response.streaming
    size = lines = 0
    for chunk in response.streaming_content:
        size += len(chunk)
        lines += chunk.count(b"\n")
    return size, lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    rng = random.Random(SEED)

    with tempfile.TemporaryDirectory(prefix="civicline-bench-") as var_dir:
        _setup(Path(var_dir))
        from django.db import connection

        from civicline.forms.models import Answer

        start = time.perf_counter()
        survey, staff = _fill(options.responses, rng)
        fill_s = time.perf_counter() - start
        answers = Answer.objects.filter(form=survey.form).count()
        client = _client(staff)
        results = f"/console/surveys/{survey.pk}/results"
        first, *_rest = survey.form.questions
        third = survey.form.questions[2]
        cases = [
            ("results page", {}),
            ("results, filtered by one answer", {"only": f"{first['key']}|不満"}),
            ("results + cross-tab by a question", {"row": first["key"], "col": third["key"]}),
            ("results + cross-tab by area", {"row": first["key"], "col": "attr:area"}),
        ]
        _timed_get(client, results, {}, 1)  # warm-up: Sudachi, templates, statement caches
        rows = [(name, _timed_get(client, results, params, options.runs)) for name, params in cases]

        export = f"/console/surveys/{survey.pk}/export"
        start = time.perf_counter()
        size, lines = _stream(client, export)
        export_s = time.perf_counter() - start
        tracemalloc.start()
        _stream(client, export)
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        vendor = connection.vendor

    print(
        f"survey results benchmark — {options.responses:,} responses, {answers:,} answers, {vendor}, "
        f"{os.cpu_count()} cores, Python {sys.version.split()[0]} (data written in {fill_s:.0f} s)"
    )
    print(f"{'page':<36}{'runs':>5}{'median s':>10}{'max s':>8}")
    for name, timings in rows:
        print(f"{name:<36}{len(timings):>5}{statistics.median(timings):>10.2f}{max(timings):>8.2f}")
    print(
        f"raw CSV export: {lines - 1:,} rows, {size / 1024 / 1024:.1f} MiB streamed in {export_s:.1f} s "
        f"({answers / export_s:,.0f} answers/s); peak traced Python memory while streaming "
        f"{peak / 1024 / 1024:.1f} MiB"
    )
    print("targets: results page under 3 s (X-14); export memory bounded, not growing with the answers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
