"""How an answer value becomes ``Answer`` rows, and rows become a value again."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from . import schema, words
from .models import Answer, Form, Response
from .schema import Question


def answer_rows(*, form: Form, response: Response, question: Question, value: Any) -> list[Answer]:
    def row(**columns: Any) -> Answer:
        return Answer(response=response, form=form, question=question["key"], **columns)

    if schema.is_empty(value):
        return []
    if question["personal"]:
        return [row(sealed=value)]
    kind = question["type"]
    if kind == "multiple":
        return [row(choice=item) for item in value]
    if kind in schema.CHOICE_TYPES:
        return [row(choice=value)]
    if kind in schema.NUMERIC_TYPES:
        return [row(number=float(value))]
    if kind in schema.TEXT_TYPES:
        return [row(text=value, terms=" ".join(words.terms(value)))]
    if kind == "location":
        point = {k: value[k] for k in ("lat", "lng") if value.get(k) is not None}
        return [row(text=value.get("place", ""), data=point or None)]
    if kind == "photo":
        return [row(data=value)]
    return [row(text=str(value))]


def value_of(question: Question | None, rows: Iterable[Answer]) -> Any:
    """The value the rows of one question hold (``question`` None: a key no version knows now)."""
    rows = list(rows)
    if not rows:
        return None
    if rows[0].sealed is not None:
        return rows[0].sealed
    kind = question["type"] if question else ""
    if kind == "multiple":
        return [r.choice for r in rows]
    first = rows[0]
    if first.choice:
        return first.choice
    if first.number is not None:
        return int(first.number) if first.number.is_integer() else first.number
    if kind == "location":
        return {"place": first.text, **(first.data or {})}
    if first.data is not None:
        return first.data
    return first.text
