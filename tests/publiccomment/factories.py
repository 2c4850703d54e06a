"""A consultation open for comments, with a branching question and personal ones."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from civicline.core.models import Department
from civicline.forms import services as form_services
from civicline.publiccomment.models import Consultation
from tests.fixtures.core import DepartmentFactory

QUESTIONS = [
    {
        "ref": "kind",
        "type": "single",
        "label": "ご意見の種類",
        "required": True,
        "choices": ["賛成", "反対", "修正の提案"],
    },
    {"ref": "opinion", "type": "long_text", "label": "ご意見", "required": True},
    {
        "ref": "fix",
        "type": "long_text",
        "label": "修正案",
        "required": False,
        "condition": {"action": "show", "question": "kind", "op": "is", "value": "修正の提案"},
    },
    {"ref": "name", "type": "short_text", "label": "お名前", "required": True, "personal": True},
    {"ref": "address", "type": "short_text", "label": "ご住所", "required": True, "personal": True},
]


def make_consultation(
    *, department: Department | None = None, questions: list[dict[str, Any]] | None = None, **fields: Any
) -> Consultation:
    department = department or DepartmentFactory()
    now = timezone.now()
    values = {
        "title": "総合計画（案）への意見募集",
        "summary": "10年間のまちづくりの計画案です。",
        "status": Consultation.Status.OPEN,
        "opens_at": now - timedelta(days=1),
        "closes_at": now + timedelta(days=20),
        **fields,
    }
    form = form_services.form_create(
        department=department, title=values["title"], questions=QUESTIONS if questions is None else questions
    )
    return Consultation.objects.create(form=form, **values)


def key_of(consultation: Consultation, label: str) -> str:
    return next(q["key"] for q in consultation.form.questions if q["label"] == label)


def submit(consultation: Consultation, friend: Any, by_label: dict[str, Any]) -> Any:
    """A resident's submission through the same service as the LIFF confirmation."""
    from civicline.publiccomment import services

    draft = form_services.draft_for(form=consultation.form, friend=friend)
    form_services.draft_update(draft=draft, answers={key_of(consultation, k): v for k, v in by_label.items()})
    return services.submission_create(consultation=consultation, friend=friend, draft=draft)


COMMENT = {
    "ご意見の種類": "賛成",
    "ご意見": "良い計画です",
    "お名前": "豊中 花子",
    "ご住所": "豊中市中桜塚3-1-1",
}
