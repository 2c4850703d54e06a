"""Extra questions of a service (RS-13), kept as a small JSON schema the shared form engine can take over:

[{"key": "q1", "label": "相談したい内容", "type": "text", "required": true},
 {"key": "q2", "label": "品目", "type": "choice", "choices": ["家具", "家電"], "required": true},
 {"key": "q3", "label": "点数", "type": "number", "required": false},
 {"key": "q4", "label": "希望日", "type": "date", "required": false}]
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

TYPES = {
    "text": gettext_lazy("自由記述"),
    "choice": gettext_lazy("選択肢"),
    "number": gettext_lazy("数値"),
    "date": gettext_lazy("日付"),
}
MAX_QUESTIONS = 20
MAX_TEXT_ANSWER = 1000


def questions_validate(value: Any) -> list[dict[str, Any]]:
    """The schema normalised (keys q1, q2… in order); a ValidationError names what is wrong."""
    if not isinstance(value, list) or len(value) > MAX_QUESTIONS:
        raise ValidationError(_("追加の質問は%(n)s個までです。"), params={"n": MAX_QUESTIONS})
    result = []
    for index, item in enumerate(value, start=1):
        if not isinstance(item, dict):
            raise ValidationError(_("%(n)s番目の質問の形式が正しくありません。"), params={"n": index})
        label = str(item.get("label", "")).strip()
        kind = item.get("type")
        if not label:
            raise ValidationError(_("%(n)s番目の質問の文を入力してください。"), params={"n": index})
        if kind not in TYPES:
            raise ValidationError(_("%(n)s番目の質問の種類を選んでください。"), params={"n": index})
        choices = [str(c).strip() for c in item.get("choices") or [] if str(c).strip()]
        if kind == "choice" and len(choices) < 2:
            raise ValidationError(
                _("%(n)s番目の質問（選択肢）には選択肢を2つ以上入力してください。"), params={"n": index}
            )
        question = {
            "key": f"q{index}",
            "label": label[:200],
            "type": kind,
            "required": bool(item.get("required")),
        }
        if kind == "choice":
            question["choices"] = list(dict.fromkeys(choices))
        result.append(question)
    return result


def form_fields(questions: list[dict[str, Any]]) -> dict[str, forms.Field]:
    """One Django form field per question, named by the question's key."""
    fields: dict[str, forms.Field] = {}
    for q in questions:
        common = {"label": q["label"], "required": q["required"]}
        if q["type"] == "choice":
            field: forms.Field = forms.ChoiceField(
                choices=[(c, c) for c in q["choices"]], widget=forms.RadioSelect, **common
            )
        elif q["type"] == "number":
            field = forms.DecimalField(max_digits=12, decimal_places=2, **common)
        elif q["type"] == "date":
            field = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
        else:
            field = forms.CharField(
                max_length=MAX_TEXT_ANSWER, widget=forms.Textarea(attrs={"rows": 3}), **common
            )
        fields[q["key"]] = field
    return fields


def answers_from(questions: list[dict[str, Any]], cleaned: dict[str, Any]) -> dict[str, Any]:
    """The answers as JSON-ready values, keyed like the questions; unanswered ones left out."""
    answers = {}
    for q in questions:
        value = cleaned.get(q["key"])
        if value in (None, ""):
            continue
        if isinstance(value, date):
            value = value.isoformat()
        elif q["type"] == "number":
            value = float(value) if value % 1 else int(value)
        answers[q["key"]] = value
    return answers


def answers_display(questions: list[dict[str, Any]], answers: dict[str, Any]) -> list[tuple[str, str]]:
    """(question, answer) for each question, in order; answers to removed questions keep their key."""
    rows = [(q["label"], str(answers.get(q["key"], ""))) for q in questions]
    known = {q["key"] for q in questions}
    rows += [(key, str(value)) for key, value in answers.items() if key not in known]
    return rows
