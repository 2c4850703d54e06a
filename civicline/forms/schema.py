"""A form's questions as data: types, validation of the schema, branching (PC-6), pages, display.

A form version's schema is a JSON list of questions, in order::

    [{"key": "q1", "type": "single", "label": "満足度", "help": "", "required": true,
      "personal": false, "page_break": false, "choices": ["満足", "不満"]},
     {"key": "q2", "type": "long_text", "label": "不満な点", "required": false, ...,
      "condition": {"action": "show", "question": "q1", "op": "is", "value": "不満"}},
     {"key": "q3", "type": "single", "label": "改善してほしいこと", ...,
      "choices": ["窓口", "手続き"],
      "alt_choices": {"question": "q1", "op": "is", "value": "満足", "choices": ["継続", "拡充"]}}]

Keys are stable across versions (a question keeps its key when edited, a new one gets a new key),
so answers given to an earlier version stay comparable. A condition or a choice switch only refers
to an earlier question; a question that depends on another of its own page starts a new page, so
every branch is decided by answers already given and no page needs script to hide a question.

A question may carry its texts in other languages (issue 21)::

    "translations": {"en": {"label": "Satisfaction", "help": "", "choices": ["Satisfied", "Not"]}}

Choices are translated position by position; answers keep the Japanese choice (what conditions,
results and exports count), and ``localized`` gives the question as a reader of a language sees it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicline.core import languages

TYPES = {
    "short_text": gettext_lazy("記述（1行）"),
    "long_text": gettext_lazy("記述（複数行）"),
    "single": gettext_lazy("単一選択（ラジオボタン）"),
    "multiple": gettext_lazy("複数選択（チェックボックス）"),
    "dropdown": gettext_lazy("プルダウン"),
    "number": gettext_lazy("数値"),
    "date": gettext_lazy("日付"),
    "scale": gettext_lazy("5段階評価"),
    "email": gettext_lazy("メールアドレス"),
    "phone": gettext_lazy("電話番号"),
    "photo": gettext_lazy("写真"),
    "location": gettext_lazy("場所（位置情報）"),
}
CHOICE_TYPES = frozenset({"single", "multiple", "dropdown"})
TEXT_TYPES = frozenset({"short_text", "long_text"})
NUMERIC_TYPES = frozenset({"number", "scale"})
# Contact details identify a resident whatever the form says: always sealed, never asked in the talk.
ALWAYS_PERSONAL = frozenset({"email", "phone"})
# What can be answered with a text message or a quick reply in the talk screen (PC-5).
TALK_TYPES = frozenset(
    {"short_text", "long_text", "single", "multiple", "dropdown", "number", "date", "scale"}
)
SCALE = (1, 2, 3, 4, 5)

OPERATORS = {
    "is": gettext_lazy("が次の値のとき"),
    "is_not": gettext_lazy("が次の値でないとき"),
    "answered": gettext_lazy("に回答したとき"),
    "not_answered": gettext_lazy("に回答していないとき"),
    "gte": gettext_lazy("が次の値以上のとき"),
    "lte": gettext_lazy("が次の値以下のとき"),
}
VALUELESS_OPERATORS = frozenset({"answered", "not_answered"})
CONDITION_ACTIONS = {
    "show": gettext_lazy("次の場合だけ表示する"),
    "skip": gettext_lazy("次の場合は表示しない"),
}

MAX_QUESTIONS = 100
MAX_CHOICES = 50
MAX_LABEL = 200
MAX_HELP = 500
MAX_CHOICE_LABEL = 100
SHORT_TEXT_LIMIT = 200
LONG_TEXT_LIMIT = 4000
KEY_PATTERN = re.compile(r"^q[1-9][0-9]{0,5}$")

Question = dict[str, Any]
Answers = dict[str, Any]


# --- validating a schema ---------------------------------------------------------------------------


def _number(value: Any) -> float | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ValueError(value) from exc
    if not number.is_finite():
        raise ValueError(value)
    return float(number)


def _choices(raw: Any, where: str) -> list[str]:
    items = [str(c).strip() for c in (raw or []) if str(c).strip()]
    items = list(dict.fromkeys(items))
    if len(items) < 2:
        raise ValidationError(_("%(where)s: 選択肢を2つ以上入力してください。") % {"where": where})
    if len(items) > MAX_CHOICES:
        raise ValidationError(_("%(where)s: 選択肢は%(n)s個までです。") % {"where": where, "n": MAX_CHOICES})
    if any(len(c) > MAX_CHOICE_LABEL for c in items):
        raise ValidationError(
            _("%(where)s: 選択肢は1つ%(n)s文字までです。") % {"where": where, "n": MAX_CHOICE_LABEL}
        )
    return items


def _rule(raw: Any, where: str, earlier: dict[str, Question]) -> dict[str, Any]:
    """A condition on an earlier question: {"question", "op", "value"}, checked against that question."""
    if not isinstance(raw, dict):
        raise ValidationError(_("%(where)s: 条件の形式が正しくありません。") % {"where": where})
    key, op = raw.get("question"), raw.get("op")
    if key not in earlier:
        raise ValidationError(
            _("%(where)s: 条件には、この質問より前にある質問を選んでください。") % {"where": where}
        )
    if op not in OPERATORS:
        raise ValidationError(_("%(where)s: 条件の種類を選んでください。") % {"where": where})
    target = earlier[key]
    value = "" if op in VALUELESS_OPERATORS else str(raw.get("value", "")).strip()
    if op in ("gte", "lte"):
        if target["type"] not in NUMERIC_TYPES:
            raise ValidationError(
                _("%(where)s: 「以上」「以下」は数値か5段階評価の質問にだけ使えます。") % {"where": where}
            )
        try:
            if _number(value) is None:
                raise ValueError(value)
        except ValueError as exc:
            raise ValidationError(
                _("%(where)s: 条件の値には数値を入力してください。") % {"where": where}
            ) from exc
    elif op in ("is", "is_not"):
        if not value:
            raise ValidationError(_("%(where)s: 条件の値を入力してください。") % {"where": where})
        if target["type"] in CHOICE_TYPES and value not in all_choices(target):
            raise ValidationError(
                _("%(where)s: 条件の値「%(value)s」は、選んだ質問の選択肢にありません。")
                % {"where": where, "value": value}
            )
    return {"question": key, "op": op, "value": value}


def all_choices(question: Question) -> list[str]:
    alternative = (question.get("alt_choices") or {}).get("choices", [])
    return list(dict.fromkeys([*question.get("choices", []), *alternative]))


def question_validate(raw: Any, *, index: int, earlier: dict[str, Question]) -> Question:
    """One question normalised; ``earlier`` maps the keys of the questions before it."""
    where = _("%(n)s番目の質問") % {"n": index}
    if not isinstance(raw, dict):
        raise ValidationError(_("%(where)s: 形式が正しくありません。") % {"where": where})
    kind = raw.get("type")
    if kind not in TYPES:
        raise ValidationError(_("%(where)s: 質問の種類を選んでください。") % {"where": where})
    label = str(raw.get("label", "")).strip()
    if not label:
        raise ValidationError(_("%(where)s: 質問文を入力してください。") % {"where": where})
    if len(label) > MAX_LABEL:
        raise ValidationError(_("%(where)s: 質問文は%(n)s文字までです。") % {"where": where, "n": MAX_LABEL})
    key = raw.get("key")
    if not isinstance(key, str) or not KEY_PATTERN.match(key):
        raise ValidationError(_("%(where)s: 質問の識別子が正しくありません。") % {"where": where})
    question: Question = {
        "key": key,
        "type": kind,
        "label": label,
        "help": str(raw.get("help") or "").strip()[:MAX_HELP],
        "required": bool(raw.get("required")),
        "personal": bool(raw.get("personal")) or kind in ALWAYS_PERSONAL,
        "page_break": bool(raw.get("page_break")),
    }
    if kind in CHOICE_TYPES:
        question["choices"] = _choices(raw.get("choices"), where)
    if kind == "number":
        try:
            low, high = _number(raw.get("min")), _number(raw.get("max"))
        except ValueError as exc:
            raise ValidationError(
                _("%(where)s: 最小値・最大値には数値を入力してください。") % {"where": where}
            ) from exc
        if low is not None and high is not None and low > high:
            raise ValidationError(_("%(where)s: 最小値は最大値以下にしてください。") % {"where": where})
        question.update({k: v for k, v in (("min", low), ("max", high)) if v is not None})
    if kind in TEXT_TYPES:
        ceiling = SHORT_TEXT_LIMIT if kind == "short_text" else LONG_TEXT_LIMIT
        try:
            limit = int(raw.get("max_length") or ceiling)
        except (TypeError, ValueError) as exc:
            raise ValidationError(
                _("%(where)s: 最大文字数には数値を入力してください。") % {"where": where}
            ) from exc
        question["max_length"] = max(1, min(limit, ceiling))
    if raw.get("condition"):
        condition = raw["condition"]
        action = condition.get("action") if isinstance(condition, dict) else None
        if action not in CONDITION_ACTIONS:
            raise ValidationError(_("%(where)s: 表示条件の種類を選んでください。") % {"where": where})
        question["condition"] = {"action": action, **_rule(condition, where, earlier)}
    if raw.get("alt_choices"):
        if kind not in CHOICE_TYPES:
            raise ValidationError(
                _("%(where)s: 選択肢の切り替えは選択式の質問にだけ設定できます。") % {"where": where}
            )
        alternative = raw["alt_choices"]
        rule = _rule(alternative, where, earlier)
        question["alt_choices"] = {**rule, "choices": _choices(alternative.get("choices"), where)}
    translations = _translations(raw.get("translations"), question, where)
    if translations:
        question["translations"] = translations
    return question


def _master_choices(question: Question, field: str) -> list[str]:
    if field == "choices":
        return question.get("choices", [])
    return (question.get("alt_choices") or {}).get("choices", [])


def _translations(raw: Any, question: Question, where: str) -> dict[str, dict[str, Any]]:
    """The question's texts in the offered languages, blanks dropped; a translated choice list must
    match the Japanese one item for item, as answers are kept in Japanese."""
    if not raw:
        return {}
    if not isinstance(raw, dict):
        raise ValidationError(_("%(where)s: 翻訳の形式が正しくありません。") % {"where": where})
    names = languages.names()
    result: dict[str, dict[str, Any]] = {}
    for code in languages.translation_languages():
        version = raw.get(code) or {}
        if not isinstance(version, dict):
            raise ValidationError(_("%(where)s: 翻訳の形式が正しくありません。") % {"where": where})
        place = {"where": where, "language": names[code]}
        kept: dict[str, Any] = {}
        label = str(version.get("label") or "").strip()
        if len(label) > MAX_LABEL:
            raise ValidationError(
                _("%(where)s（%(language)s）: 質問文は%(n)s文字までです。") % {**place, "n": MAX_LABEL}
            )
        if label:
            kept["label"] = label
        help_text = str(version.get("help") or "").strip()[:MAX_HELP]
        if help_text:
            kept["help"] = help_text
        for field in ("choices", "alt_choices"):
            master = _master_choices(question, field)
            items = [str(c).strip() for c in (version.get(field) or []) if str(c).strip()]
            if not items or not master:
                continue
            if len(items) != len(master):
                raise ValidationError(
                    _(
                        "%(where)s（%(language)s）: 選択肢の訳は、日本語の選択肢と同じ順に"
                        "同じ数（%(n)s個）だけ1行に1つずつ入力してください。"
                    )
                    % {**place, "n": len(master)}
                )
            if any(len(c) > MAX_CHOICE_LABEL for c in items):
                raise ValidationError(
                    _("%(where)s（%(language)s）: 選択肢は1つ%(n)s文字までです。")
                    % {**place, "n": MAX_CHOICE_LABEL}
                )
            kept[field] = items
        if kept:
            result[code] = kept
    return result


def schema_validate(raw: Any) -> list[Question]:
    """The questions normalised; a ValidationError in Japanese names the first problem."""
    if not isinstance(raw, list):
        raise ValidationError(_("質問の形式が正しくありません。"))
    if len(raw) > MAX_QUESTIONS:
        raise ValidationError(_("質問は%(n)s個までです。") % {"n": MAX_QUESTIONS})
    earlier: dict[str, Question] = {}
    result = []
    for index, item in enumerate(raw, start=1):
        question = question_validate(item, index=index, earlier=earlier)
        if question["key"] in earlier:
            raise ValidationError(_("%(n)s番目の質問の識別子が重複しています。") % {"n": index})
        earlier[question["key"]] = question
        result.append(question)
    return result


# --- languages (issue 21) ----------------------------------------------------------------------------


def localized(question: Question, language: str | None = None) -> Question:
    """``question`` as a reader of ``language`` (default: the language being spoken) sees it: label and
    help in the first language of their fallback chain that has them, and ``choice_labels`` mapping
    each Japanese choice to the label shown. Keys, choices and conditions stay the Japanese master's,
    so everything that reads answers works on a localized question alike."""
    versions = question.get("translations") or {}
    chain = []
    for code in languages.fallback_chain(language or languages.current()):
        if code == languages.JAPANESE:
            break
        if code in versions:
            chain.append(versions[code])
    shown = dict(question)
    for field in ("label", "help"):
        text = next((version[field] for version in chain if version.get(field)), None)
        if text:
            shown[field] = text
    labels: dict[str, str] = {}
    for field in ("choices", "alt_choices"):
        master = _master_choices(question, field)
        items = next((v[field] for v in chain if master and len(v.get(field) or []) == len(master)), None)
        if items:
            labels.update(zip(master, items, strict=True))
    if labels:
        shown["choice_labels"] = labels
    return shown


def choice_label(question: Question, choice: str) -> str:
    """How a choice reads to the reader ``question`` was localized for (the choice itself otherwise)."""
    return str((question.get("choice_labels") or {}).get(choice, choice))


# --- branching (PC-6) -------------------------------------------------------------------------------


def is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def rule_holds(rule: dict[str, Any], answers: Answers) -> bool:
    value = answers.get(rule["question"])
    op = rule["op"]
    if op == "answered":
        return not is_empty(value)
    if op == "not_answered":
        return is_empty(value)
    if op == "is_not":
        return not rule_holds({**rule, "op": "is"}, answers)
    if is_empty(value):
        return False
    if op == "is":
        values = value if isinstance(value, list) else [value]
        return any(_same(v, rule["value"]) for v in values)
    try:
        number, bound = float(value), float(rule["value"])
    except (TypeError, ValueError):
        return False
    return number >= bound if op == "gte" else number <= bound


def _same(answer: Any, expected: str) -> bool:
    if isinstance(answer, int | float) and not isinstance(answer, bool):
        try:
            return float(answer) == float(expected)
        except ValueError:
            return False
    return str(answer) == expected


def is_shown(question: Question, answers: Answers) -> bool:
    condition = question.get("condition")
    if not condition:
        return True
    holds = rule_holds(condition, answers)
    return holds if condition["action"] == "show" else not holds


def choices_for(question: Question, answers: Answers) -> list[str]:
    """The choices this resident sees: the switched set when its rule holds (PC-6)."""
    alternative = question.get("alt_choices")
    if alternative and rule_holds(alternative, answers):
        return alternative["choices"]
    return question.get("choices", [])


def effective_answers(questions: list[Question], answers: Answers) -> Answers:
    """The answers that count: those to questions shown, given the answers before them.

    An answer to a question that a later change of mind hid is dropped, and so is a choice that is
    no longer offered after the choices switched.
    """
    kept: Answers = {}
    for question in questions:
        key = question["key"]
        if key not in answers or not is_shown(question, kept):
            continue
        value = answers[key]
        if question["type"] in CHOICE_TYPES:
            offered = choices_for(question, kept)
            if isinstance(value, list):
                value = [v for v in value if v in offered]
            elif value not in offered:
                continue
        if not is_empty(value):
            kept[key] = value
    return kept


def visible_questions(questions: list[Question], answers: Answers) -> list[Question]:
    kept = effective_answers(questions, answers)
    shown = []
    for question in questions:
        if is_shown(question, kept):
            shown.append(question)
    return shown


# --- pages -------------------------------------------------------------------------------------------


def _depends_on(question: Question) -> set[str]:
    return {rule["question"] for rule in (question.get("condition"), question.get("alt_choices")) if rule}


def pages(questions: list[Question]) -> list[list[Question]]:
    """The questions split into pages: at each page break, and before a question that depends on
    another question of the page it would join."""
    result: list[list[Question]] = []
    current: list[Question] = []
    for question in questions:
        on_page = {q["key"] for q in current}
        if current and (question.get("page_break") or _depends_on(question) & on_page):
            result.append(current)
            current = []
        current.append(question)
    if current:
        result.append(current)
    return result


@dataclass(frozen=True)
class Page:
    number: int  # 1-based, among all pages of the version
    questions: list[Question]  # the questions shown on it, given the answers


def visible_pages(questions: list[Question], answers: Answers) -> list[Page]:
    """The pages that show at least one question, given the answers so far."""
    kept = effective_answers(questions, answers)
    result = []
    for number, page in enumerate(pages(questions), start=1):
        shown = [q for q in page if is_shown(q, kept)]
        if shown:
            result.append(Page(number, shown))
    return result


def missing_required(questions: list[Question], answers: Answers) -> list[Question]:
    kept = effective_answers(questions, answers)
    return [q for q in visible_questions(questions, kept) if q["required"] and is_empty(kept.get(q["key"]))]


# --- values --------------------------------------------------------------------------------------------


def display(question: Question, value: Any) -> str:
    """An answer as people read it (confirmation screen, console, CSV)."""
    if is_empty(value):
        return ""
    kind = question.get("type")
    if isinstance(value, list):
        if kind == "photo" or (value and isinstance(value[0], dict)):
            return _("写真 %(n)s枚") % {"n": len(value)}
        return _("、").join(choice_label(question, str(v)) for v in value)
    if kind == "location" and isinstance(value, dict):
        place = value.get("place", "")
        if value.get("lat") is not None and value.get("lng") is not None:
            coordinates = f"{value['lat']}, {value['lng']}"
            return f"{place}（{coordinates}）" if place else coordinates
        return place
    if kind == "photo" and isinstance(value, dict):
        return _("写真 1枚")
    if kind == "date" and isinstance(value, str):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            return value
        return formats.date_format(day, "DATE_FORMAT")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if kind in CHOICE_TYPES:
        return choice_label(question, str(value))
    return str(value)


def displayed(questions: list[Question], answers: Answers) -> list[tuple[Question, str]]:
    """(question, answer as people read it) for each question shown, given the answers, both in the
    language being spoken: what a resident checks before sending."""
    kept = effective_answers(questions, answers)
    shown = [localized(q) for q in visible_questions(questions, kept)]
    return [(q, display(q, kept.get(q["key"]))) for q in shown]


def question_by_key(questions: list[Question]) -> dict[str, Question]:
    return {q["key"]: q for q in questions}
