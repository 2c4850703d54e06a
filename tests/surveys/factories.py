"""A survey with a branch, residents answering it through the same service as the LIFF page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from civicline.core.models import Department
from civicline.forms import services as form_services
from civicline.line.models import Friend
from civicline.surveys import services
from civicline.surveys.models import Survey
from tests.fixtures.core import DepartmentFactory

QUESTIONS = [
    {"ref": "sat", "type": "single", "label": "満足度", "required": True, "choices": ["満足", "不満"]},
    {
        "ref": "why",
        "type": "long_text",
        "label": "不満な点",
        "required": True,
        "condition": {"action": "show", "question": "sat", "op": "is", "value": "不満"},
    },
    {"ref": "score", "type": "scale", "label": "職員の対応"},
    {"ref": "name", "type": "short_text", "label": "お名前", "personal": True},
]


def make_survey(
    *, department: Department | None = None, questions: list[dict[str, Any]] | None = None, **fields: Any
) -> Survey:
    department = department or DepartmentFactory()
    values = {
        "title": "市民満足度アンケート",
        "description": "市のサービスについてお聞きします。",
        "status": Survey.Status.OPEN,
        "opens_at": timezone.now() - timedelta(days=1),
        "closes_at": timezone.now() + timedelta(days=20),
        **fields,
    }
    form = form_services.form_create(
        department=department, title=values["title"], questions=QUESTIONS if questions is None else questions
    )
    return Survey.objects.create(form=form, **values)


def key_of(survey: Survey, label: str) -> str:
    return next(q["key"] for q in survey.form.questions if q["label"] == label)


def respond(survey: Survey, friend: Friend, by_label: dict[str, Any]):
    draft = form_services.draft_for(form=survey.form, friend=friend)
    form_services.draft_update(draft=draft, answers={key_of(survey, k): v for k, v in by_label.items()})
    return services.survey_response_submit(survey=survey, friend=friend, draft=draft)
