"""Answering a form in the talk screen, one question per message (PC-5).

Only questions that are not personal and that a message can answer are asked here (texts,
choices, numbers, dates, scales); personal questions, photos and places are left to the LIFF page,
so nothing personal ever passes through LINE (X-1). The owning feature keeps the conversation
(which question is waiting, in the draft) and builds the postback data of the quick replies;
this module decides what to ask next, how to ask it and how to read a typed answer.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from . import schema
from .schema import Answers, Question

MAX_QUICK_REPLIES = 13  # LINE's limit
LABEL_LIMIT = 20  # a quick reply button's label
# Choices beyond this are listed in the message and answered by number (skip and stop need room).
MAX_CHOICE_BUTTONS = 11
TEXT_LIMIT = 5000
LIST_SEPARATORS = re.compile(r"[、,，\s・/／]+")
# Labels in English or Vietnamese have spaces inside ("1 to 2"): a list is first read split on
# punctuation only, then on spaces too.
LIST_PUNCTUATION = re.compile(r"[、,，・/／]+")
DATE_PATTERN = re.compile(r"^(\d{4})\s*[-/年.]\s*(\d{1,2})\s*[-/月.]\s*(\d{1,2})\s*日?$")

# ``postback(action, params)`` → the postback data of a quick reply, in the owner's namespace.
Postback = Callable[[str, dict[str, Any]], str]


def talkable(question: Question) -> bool:
    return not question["personal"] and question["type"] in schema.TALK_TYPES


def next_question(questions: list[Question], answers: Answers, *, after: str = "") -> Question | None:
    """The next question to ask: shown, answerable in the talk, unanswered, and after ``after``
    (the question just answered or skipped). None when the talk has nothing more to ask."""
    kept = schema.effective_answers(questions, answers)
    visible = schema.visible_questions(questions, kept)
    keys = [q["key"] for q in visible]
    start = keys.index(after) + 1 if after in keys else 0
    for question in visible[start:]:
        if talkable(question) and schema.is_empty(kept.get(question["key"])):
            return question
    return None


def needs_liff(questions: list[Question], answers: Answers) -> bool:
    """Whether questions the talk cannot ask (personal, photo, place) are shown and unanswered."""
    kept = schema.effective_answers(questions, answers)
    return any(
        not talkable(q) and schema.is_empty(kept.get(q["key"]))
        for q in schema.visible_questions(questions, kept)
    )


def _label(text: str) -> str:
    return text if len(text) <= LABEL_LIMIT else text[: LABEL_LIMIT - 1] + "…"


def _postback(label: str, data: str, display: str) -> dict[str, Any]:
    return {
        "type": "action",
        "action": {"type": "postback", "label": _label(label), "data": data, "displayText": display[:300]},
    }


def _options(question: Question, answers: Answers) -> list[str]:
    if question["type"] == "scale":
        return [str(n) for n in schema.SCALE]
    return schema.choices_for(question, answers)


def question_message(
    question: Question, answers: Answers, *, position: int, total: int, postback: Postback
) -> dict[str, Any]:
    """The message asking ``question``, with quick replies for its choices, skip and stop, in the
    language being spoken (the handler speaks the resident's)."""
    question = schema.localized(question)
    kind, key = question["type"], question["key"]
    lines = [f"【{position}/{total}】{question['label']}"]
    if question.get("help"):
        lines.append(question["help"])
    items: list[dict[str, Any]] = []
    options = _options(question, answers)
    if kind in ("single", "dropdown", "scale", "multiple"):
        chosen = answers.get(key) if kind == "multiple" and isinstance(answers.get(key), list) else []
        if kind == "scale":
            lines.append(_("1（低い）〜5（高い）から選んでください。"))
        elif kind == "multiple":
            lines.append(_("当てはまるものをすべて選び、最後に「選び終わった」を押してください。"))
            if chosen:
                lines.append(_("選択中: %(items)s") % {"items": schema.display(question, chosen)})
        else:
            lines.append(_("下のボタンから選んでください。"))
        if len(options) > MAX_CHOICE_BUTTONS:
            lines.append(_("番号を送ってください。"))
            lines += [
                f"{n}. {schema.choice_label(question, option)}" for n, option in enumerate(options, start=1)
            ]
        else:
            items += [
                _postback(
                    ("✓ " if option in chosen else "") + schema.choice_label(question, option),
                    postback("talk_answer", {"q": key, "v": index}),
                    schema.choice_label(question, option),
                )
                for index, option in enumerate(options)
            ]
        if kind == "multiple" and (chosen or not question["required"]):
            items.append(_postback(_("選び終わった"), postback("talk_done", {"q": key}), _("選び終わった")))
    elif kind == "date":
        lines.append(_("下のボタンで日付を選ぶか、「2025-04-01」の形で送ってください。"))
        items.append(
            {
                "type": "action",
                "action": {
                    "type": "datetimepicker",
                    "label": _("日付を選ぶ"),
                    "data": postback("talk_answer", {"q": key}),
                    "mode": "date",
                },
            }
        )
    elif kind == "number":
        lines.append(_("数字を送ってください。"))
    else:
        lines.append(_("メッセージで入力して送ってください。"))
    if not question["required"] and kind != "multiple":
        items.append(_postback(_("回答しない"), postback("talk_skip", {"q": key}), _("回答しない")))
    items.append(_postback(_("中断する"), postback("talk_stop", {}), _("中断する")))
    message: dict[str, Any] = {"type": "text", "text": "\n".join(lines)[:TEXT_LIMIT]}
    message["quickReply"] = {"items": items[:MAX_QUICK_REPLIES]}
    return message


def _normal(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").strip()


def _choice(question: Question, options: list[str], text: str) -> str | None:
    """The option a typed text names: by the option itself, its label in the resident's language, or
    its number."""
    wanted = _normal(text)
    shown = schema.localized(question)
    for option in options:
        if wanted.casefold() in (
            _normal(option).casefold(),
            _normal(schema.choice_label(shown, option)).casefold(),
        ):
            return option
    if wanted.isdigit() and 1 <= int(wanted) <= len(options):
        return options[int(wanted) - 1]
    return None


def answer_from_text(question: Question, text: str, answers: Answers) -> Any:
    """The value a typed message gives ``question``; ValidationError (Japanese) if it does not fit."""
    kind = question["type"]
    value = _normal(text) if kind not in schema.TEXT_TYPES else (text or "").strip()
    if not value:
        raise ValidationError(_("回答を入力してください。"))
    options = _options(question, answers)
    if kind in ("single", "dropdown", "scale"):
        label = _choice(question, options, value)
        if label is None:
            raise ValidationError(_("選択肢の中から選んでください。"))
        return int(label) if kind == "scale" else label
    if kind == "multiple":
        for separators in (LIST_PUNCTUATION, LIST_SEPARATORS):
            picked = [
                _choice(question, options, part.strip()) for part in separators.split(value) if part.strip()
            ]
            if picked and None not in picked:
                return list(dict.fromkeys(picked))
        raise ValidationError(_("選択肢の中から選んでください。"))
    if kind == "number":
        try:
            number = Decimal(value.replace(",", ""))
        except InvalidOperation:
            raise ValidationError(_("数字で入力してください。")) from None
        if not number.is_finite():
            raise ValidationError(_("数字で入力してください。"))
        if "min" in question and number < Decimal(str(question["min"])):
            raise ValidationError(
                _("%(n)s以上の数を入力してください。") % {"n": schema.display(question, question["min"])}
            )
        if "max" in question and number > Decimal(str(question["max"])):
            raise ValidationError(
                _("%(n)s以下の数を入力してください。") % {"n": schema.display(question, question["max"])}
            )
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == "date":
        return date_from_text(value)
    limit = question.get("max_length", schema.SHORT_TEXT_LIMIT)
    if len(value) > limit:
        raise ValidationError(_("%(n)s文字以内で入力してください。") % {"n": limit})
    return value


def date_from_text(value: str) -> str:
    match = DATE_PATTERN.match(_normal(value))
    try:
        if not match:
            raise ValueError(value)
        return date(int(match[1]), int(match[2]), int(match[3])).isoformat()
    except ValueError:
        raise ValidationError(_("日付は「2025-04-01」の形で入力してください。")) from None


def choice_at(question: Question, answers: Answers, index: Any) -> str | None:
    """The option a quick reply named by its index (None if the options changed meanwhile)."""
    options = _options(question, answers)
    try:
        position = int(index)
    except (TypeError, ValueError):
        return None
    return options[position] if 0 <= position < len(options) else None


def progress(questions: list[Question], answers: Answers, question: Question) -> tuple[int, int]:
    """(position, total) of ``question`` among the questions the talk asks, as things stand."""
    kept = schema.effective_answers(questions, answers)
    asked = [q["key"] for q in schema.visible_questions(questions, kept) if talkable(q)]
    return (asked.index(question["key"]) + 1 if question["key"] in asked else 1), max(len(asked), 1)
