"""The demo city's survey: 市民満足度アンケート, open, with a branch (the reasons are asked only of
those who rated 2 or lower) and sample answers so that the results page has something to show.
Idempotent."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from django.utils import timezone

from civicline.core.models import Department
from civicline.forms import services as form_services

from .models import Survey

TITLE = "市民満足度アンケート"
DESCRIPTION = (
    "市のサービスをより良くするため、満足度や日ごろ感じていることをお聞かせください。"
    "回答は5分ほどで終わります。回答内容は統計的に処理し、個人が特定されることはありません。"
)
REASONS = ["窓口の待ち時間", "手続きの分かりにくさ", "職員の対応", "情報の届き方", "施設の使いやすさ"]
PLACES = ["市役所本庁舎", "支所・出張所", "図書館", "公民館", "スポーツ施設", "オンライン手続き"]
FIELDS = ["子育て支援", "高齢者福祉", "防災・安全", "道路・交通", "環境・ごみ", "行政のデジタル化"]
QUESTIONS = [
    {
        "ref": "score",
        "type": "scale",
        "label": "市のサービス全体にどの程度満足していますか",
        "required": True,
        "help": "1（不満）〜5（満足）でお答えください。",
    },
    {
        "ref": "reasons",
        "type": "multiple",
        "label": "不満に感じる点を選んでください（複数可）",
        "required": True,
        "choices": REASONS,
        "condition": {"action": "show", "question": "score", "op": "lte", "value": "2"},
    },
    {
        "ref": "places",
        "type": "multiple",
        "label": "この1年に利用した窓口・施設（複数可）",
        "choices": PLACES,
        "page_break": True,
    },
    {
        "ref": "field",
        "type": "single",
        "label": "今後、特に力を入れてほしい分野",
        "required": True,
        "choices": FIELDS,
    },
    {
        "ref": "opinion",
        "type": "long_text",
        "label": "市政へのご意見・ご提案（自由記述）",
        "max_length": 1000,
    },
]
OPINIONS = [
    "窓口の待ち時間が長いので、予約制を広げてほしい。",
    "子育て支援の情報がLINEで届くのは便利です。",
    "駅前の道路が狭く、自転車が危ない。",
    "図書館の開館時間を延ばしてほしい。",
    "オンラインでできる手続きを増やしてほしい。",
    "公園の遊具を新しくしてほしい。",
    "ごみの分別が分かりにくい。",
    "",
]
SAMPLE_SIZE = 60


def _sample(rng: random.Random, keys: dict[str, str]) -> dict:
    score = rng.choices([1, 2, 3, 4, 5], weights=[1, 2, 4, 5, 3])[0]
    answers = {
        keys["score"]: score,
        keys["places"]: sorted(rng.sample(PLACES, rng.randint(0, 3)), key=PLACES.index),
        keys["field"]: rng.choice(FIELDS),
        keys["opinion"]: rng.choice(OPINIONS),
    }
    if score <= 2:
        answers[keys["reasons"]] = sorted(rng.sample(REASONS, rng.randint(1, 3)), key=REASONS.index)
    return answers


def seed() -> None:
    department = Department.objects.filter(code="koho").first()
    if department is None or Survey.objects.filter(title=TITLE).exists():
        return
    now = timezone.now()
    form = form_services.form_create(department=department, title=TITLE, questions=QUESTIONS)
    Survey.objects.create(
        form=form,
        title=TITLE,
        description=DESCRIPTION,
        status=Survey.Status.OPEN,
        opens_at=now - timedelta(days=7),
        # 23:59 in the city's time: the date residents read is the last day they may answer.
        closes_at=timezone.make_aware(
            datetime.combine(timezone.localdate(now) + timedelta(days=21), time(23, 59))
        ),
        answer_policy=Survey.Policy.ONCE,
    )
    refs = [str(q["ref"]) for q in QUESTIONS]
    keys = {ref: q["key"] for ref, q in zip(refs, form.questions, strict=True)}
    rng = random.Random(20251201)  # noqa: S311 - sample data, not security
    for _n in range(SAMPLE_SIZE):
        form_services.response_submit(form=form, friend=None, answers=_sample(rng, keys))
