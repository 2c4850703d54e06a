"""The demo city's consultation: 総合計画（案）への意見募集, with a branch (修正案 only for a proposed
change) and personal questions that the talk screen leaves to the form. Idempotent."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.utils import timezone

from civicline.core.models import Department
from civicline.forms import services as form_services

from .models import Consultation, Document

TITLE = "総合計画（案）への意見募集"
SUMMARY = (
    "市では、これから10年間のまちづくりの方向を示す「第5次総合計画（案）」をまとめました。"
    "計画を決める前に、市民の皆さんからご意見を募集します。\n"
    "いただいたご意見とそれに対する市の考え方は、個人が特定されない形で後日公表します。"
    "個別の回答はいたしませんのでご了承ください。"
)
QUESTIONS = [
    {
        "ref": "a",
        "type": "single",
        "label": "ご意見の対象",
        "required": True,
        "choices": ["第1章 総論", "第2章 まちの将来像", "第3章 施策の展開", "計画全体"],
    },
    {
        "ref": "b",
        "type": "single",
        "label": "ご意見の種類",
        "required": True,
        "choices": ["賛成", "反対", "修正の提案", "その他"],
    },
    {
        "ref": "c",
        "type": "long_text",
        "label": "ご意見",
        "required": True,
        "max_length": 2000,
        "help": "該当するページや項目があればお書きください。",
    },
    {
        "ref": "d",
        "type": "long_text",
        "label": "修正案",
        "required": False,
        "max_length": 2000,
        "condition": {"action": "show", "question": "b", "op": "is", "value": "修正の提案"},
    },
    {
        "ref": "e",
        "type": "short_text",
        "label": "お名前",
        "required": True,
        "personal": True,
        "page_break": True,
    },
    {
        "ref": "f",
        "type": "short_text",
        "label": "ご住所",
        "required": True,
        "personal": True,
        "help": "市外の方は、市内の勤務先・通学先の所在地をお書きください。",
    },
    {
        "ref": "g",
        "type": "single",
        "label": "お住まい・お勤めなど",
        "required": True,
        "personal": True,
        "choices": ["市内に住んでいる", "市内に勤めている", "市内の学校に通っている", "市内に事業所がある"],
    },
]


def seed() -> None:
    department = Department.objects.filter(code="koho").first()
    if department is None or Consultation.objects.filter(title=TITLE).exists():
        return
    now = timezone.now()
    form = form_services.form_create(department=department, title=TITLE, questions=QUESTIONS)
    consultation = Consultation.objects.create(
        form=form,
        title=TITLE,
        summary=SUMMARY,
        status=Consultation.Status.OPEN,
        opens_at=now - timedelta(days=3),
        # 23:59 in the city's time: the date residents read is the last day they may comment.
        closes_at=timezone.make_aware(
            datetime.combine(timezone.localdate(now) + timedelta(days=27), time(23, 59))
        ),
    )
    Document.objects.create(
        consultation=consultation,
        title="第5次総合計画（案）本文",
        url="https://www.demo-city.example/keikaku/sogo-keikaku-an.pdf",
        position=0,
    )
    Document.objects.create(
        consultation=consultation,
        title="第5次総合計画（案）概要版",
        url="https://www.demo-city.example/keikaku/sogo-keikaku-gaiyo.pdf",
        position=1,
    )
