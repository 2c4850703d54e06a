"""Reads of the form engine: results counted by the database (SV-8), cross-tabulation, and rows for
streamed CSV exports (SV-7, PC-2).

Callers pass a form they already reached through their own access check; ``responses`` narrows the
results to a subset (a filter on another answer), given as a queryset of the form's responses.
Answers to personal questions are counted as answered but never aggregated or listed here.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from django.db.models import Avg, Count, F, Max, Min, Q, QuerySet
from django.db.models.functions import Floor, Substr
from django.utils.translation import gettext as _

from . import schema
from .answers import value_of
from .models import Answer, Form, Response
from .schema import Question

WORDS_SHOWN = 30
LATEST_TEXTS = 5
HISTOGRAM_BINS = 10


@dataclass
class Tally:
    label: str
    count: int
    share: float = 0.0  # % of those who answered the question
    retired: bool = False  # a choice of an earlier version only


@dataclass
class QuestionResult:
    number: int
    question: Question
    answered: int = 0
    counts: list[Tally] = field(default_factory=list)
    mean: float | None = None
    minimum: float | None = None
    maximum: float | None = None
    words: list[tuple[str, int]] = field(default_factory=list)
    latest: list[str] = field(default_factory=list)

    @property
    def kind(self) -> str:
        """How the console shows it: choices, scale, number, date, text or count (answered only)."""
        kind = self.question["type"]
        if self.question["personal"]:
            return "count"
        if kind in schema.CHOICE_TYPES:
            return "choices"
        if kind in ("scale", "number", "date"):
            return kind
        if kind in schema.TEXT_TYPES:
            return "text"
        return "count"


def _answers(form: Form, responses: QuerySet[Response] | None) -> QuerySet[Answer]:
    answers = Answer.objects.filter(form=form)
    return answers if responses is None else answers.filter(response__in=responses.values("pk"))


def _shares(counts: list[Tally], answered: int) -> list[Tally]:
    for item in counts:
        item.share = round(100 * item.count / answered, 1) if answered else 0.0
    return counts


def _choice_counts(question: Question, found: dict[str, int]) -> list[Tally]:
    labels = _labels(question)
    counts = [Tally(label, found.get(label, 0)) for label in labels]
    counts += [Tally(label, n, retired=True) for label, n in found.items() if label not in labels]
    return counts


def question_results(*, form: Form, responses: QuerySet[Response] | None = None) -> list[QuestionResult]:
    """Per-question aggregates of ``form``'s current questions, each in a few grouped queries."""
    questions = form.questions
    answers = _answers(form, responses)
    results = {q["key"]: QuestionResult(number, q) for number, q in enumerate(questions, start=1)}
    by_kind: dict[str, list[str]] = {}
    for result in results.values():
        by_kind.setdefault(result.kind, []).append(result.question["key"])
    multiple = [q["key"] for q in questions if q["type"] == "multiple" and not q["personal"]]

    # How many answered each question: one row per answer, except multiple choices (one per item).
    for row in answers.exclude(question__in=multiple).values("question").annotate(n=Count("id")):
        if row["question"] in results:
            results[row["question"]].answered = row["n"]
    for row in (
        answers.filter(question__in=multiple).values("question").annotate(n=Count("response", distinct=True))
    ):
        results[row["question"]].answered = row["n"]

    found: dict[str, dict[str, int]] = {}
    for row in (
        answers.filter(question__in=by_kind.get("choices", []))
        .values("question", "choice")
        .annotate(n=Count("id"))
    ):
        found.setdefault(row["question"], {})[row["choice"]] = row["n"]
    for key in by_kind.get("choices", []):
        results[key].counts = _shares(
            _choice_counts(results[key].question, found.get(key, {})), results[key].answered
        )

    numeric = by_kind.get("scale", []) + by_kind.get("number", [])
    for row in (
        answers.filter(question__in=numeric)
        .values("question")
        .annotate(low=Min("number"), high=Max("number"), mean=Avg("number"))
    ):
        result = results[row["question"]]
        result.minimum, result.maximum = row["low"], row["high"]
        result.mean = round(row["mean"], 2) if row["mean"] is not None else None
    scale_found: dict[str, dict[int, int]] = {}
    for row in (
        answers.filter(question__in=by_kind.get("scale", []))
        .values("question", "number")
        .annotate(n=Count("id"))
    ):
        scale_found.setdefault(row["question"], {})[int(row["number"])] = row["n"]
    for key in by_kind.get("scale", []):
        counts = [Tally(str(n), scale_found.get(key, {}).get(n, 0)) for n in schema.SCALE]
        results[key].counts = _shares(counts, results[key].answered)
    for key in by_kind.get("number", []):
        results[key].counts = _shares(_histogram(answers, results[key]), results[key].answered)
    for key in by_kind.get("date", []):
        months = answers.filter(question=key).annotate(month=Substr("text", 1, 7)).values("month")
        counts = [Tally(row["month"], row["n"]) for row in months.annotate(n=Count("id")).order_by("month")]
        results[key].counts = _shares(counts, results[key].answered)
    for key in by_kind.get("text", []):
        texts = answers.filter(question=key)
        results[key].words = word_list(texts)
        results[key].latest = list(texts.order_by("-id").values_list("text", flat=True)[:LATEST_TEXTS])
    return [results[q["key"]] for q in questions]


def _histogram(answers: QuerySet[Answer], result: QuestionResult) -> list[Tally]:
    low, high = result.minimum, result.maximum
    if low is None or high is None:
        return []
    integers = float(low).is_integer() and float(high).is_integer()
    span = high - low
    width = max(1.0, math.ceil((span + 1) / HISTOGRAM_BINS)) if integers else (span / HISTOGRAM_BINS or 1.0)
    rows = (
        answers.filter(question=result.question["key"])
        .annotate(bin=Floor((F("number") - low) / width))
        .values("bin")
        .annotate(n=Count("id"))
    )
    found = {int(row["bin"]): row["n"] for row in rows}
    bins = max(found, default=0) + 1
    counts = []
    for index in range(bins):
        start = low + index * width
        if integers:
            end = start + width - 1
            label = f"{int(start)}" if end == start else f"{int(start)}〜{int(end)}"
        else:
            label = f"{start:g}〜{start + width:g}"
        counts.append(Tally(label, found.get(index, 0)))
    return counts


def word_list(texts: QuerySet[Answer], limit: int = WORDS_SHOWN) -> list[tuple[str, int]]:
    """The words most answers used (each answer counts a word once)."""
    counter: Counter[str] = Counter()
    for terms in texts.exclude(terms="").values_list("terms", flat=True).iterator(chunk_size=5000):
        counter.update(terms.split())
    return heapq.nlargest(limit, counter.items(), key=lambda item: (item[1], item[0]))


# --- filters and cross-tabulation (SV-8) --------------------------------------------------------------


def tabulable(form: Form) -> list[Question]:
    """Questions whose answers can filter results or be a side of a cross-tabulation."""
    return [
        q
        for q in form.questions
        if not q["personal"] and (q["type"] in schema.CHOICE_TYPES or q["type"] == "scale")
    ]


def answer_values(question: Question) -> list[str]:
    """The values a tabulable question's answers take, as labels, in order."""
    if question["type"] == "scale":
        return [str(n) for n in schema.SCALE]
    return _labels(question)


def _labels(question: Question) -> list[str]:
    alternative = (question.get("alt_choices") or {}).get("choices", [])
    return list(dict.fromkeys([*question.get("choices", []), *alternative]))


def _answer_match(question: Question, value: str, prefix: str = "") -> Q:
    if question["type"] == "scale":
        try:
            return Q(**{prefix + "question": question["key"], prefix + "number": float(value)})
        except ValueError:
            return Q(pk__in=[])
    return Q(**{prefix + "question": question["key"], prefix + "choice": value})


def responses_answering(*, form: Form, question: Question, value: str) -> QuerySet[Response]:
    """The form's responses that gave ``value`` to ``question`` (the results' filter)."""
    matching = Answer.objects.filter(Q(form=form) & _answer_match(question, value)).values("response_id")
    return Response.objects.filter(pk__in=matching)


@dataclass(frozen=True)
class Dimension:
    """A side of a cross-tabulation other than a question: a resident attribute (SV-8).

    ``values`` are (stored value as text, label) pairs in display order; ``value_of_friend(path)``
    gives an expression that, on a queryset of ``Answer``, evaluates to the attribute's stored value
    for the answer's resident, ``path`` leading from the answer to the Friend.
    """

    key: str
    label: str
    values: list[tuple[str, str]]
    value_of_friend: Callable[[str], Any]

    def label_of(self, value: Any) -> str:
        if value is None or value == "":
            return _("（未登録）")
        text = _label(value)
        return dict(self.values).get(text, text)


@dataclass
class CrossTab:
    row_label: str
    column_label: str
    columns: list[str]
    rows: list[tuple[str, list[int], int]]  # (row value, counts per column, row total)
    totals: list[int]
    total: int

    def share(self, count: int, row_total: int) -> float:
        return round(100 * count / row_total, 1) if row_total else 0.0

    @property
    def table(self) -> list[tuple[str, list[tuple[int, float]], int]]:
        return [
            (label, [(n, self.share(n, total)) for n in counts], total) for label, counts, total in self.rows
        ]


def _value_column(question: Question, prefix: str = "") -> str:
    return prefix + ("number" if question["type"] == "scale" else "choice")


def _label(value: Any) -> str:
    if value is None or value == "":
        return _("（回答なし）")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def crosstab(
    *,
    form: Form,
    row: Question,
    column: Question | Dimension,
    responses: QuerySet[Response] | None = None,
) -> CrossTab:
    """Respondents counted by their answer to ``row`` and their answer to ``column`` (or their
    attribute); a multiple choice counts a respondent under each item chosen."""
    answers = _answers(form, responses).filter(question=row["key"])
    row_field = _value_column(row)
    if isinstance(column, Dimension):
        pairs = answers.annotate(col=column.value_of_friend("response__friend")).values(row_field, "col")
        column_label, known_columns, column_name = (
            column.label,
            [v[1] for v in column.values],
            column.label_of,
        )
    else:
        pairs = answers.filter(response__answers__question=column["key"]).values(
            row_field, col=F(_value_column(column, "response__answers__"))
        )
        column_label, known_columns, column_name = column["label"], answer_values(column), _label
    counts: dict[tuple[str, str], int] = {}
    for item in pairs.annotate(n=Count("response_id", distinct=True)):
        key = (_label(item[row_field]), column_name(item["col"]))
        counts[key] = counts.get(key, 0) + item["n"]
    if isinstance(column, Dimension):
        # An attribute has many possible values (every age band): show those someone has.
        seen = {c for _r, c in counts}
        known_columns = [c for c in known_columns if c in seen]
    row_values = list(dict.fromkeys([*answer_values(row), *(r for r, _c in counts)]))
    columns = list(dict.fromkeys([*known_columns, *(c for _r, c in counts)]))
    table = []
    for value in row_values:
        cells = [counts.get((value, c), 0) for c in columns]
        table.append((value, cells, sum(cells)))
    totals = [sum(cells[i] for _v, cells, _t in table) for i in range(len(columns))]
    return CrossTab(row["label"], column_label, columns, table, totals, sum(totals))


# --- exports ---------------------------------------------------------------------------------------------


def export_questions(form: Form) -> list[Question]:
    """Every question any version asked, current ones first in their order, then retired ones."""
    current = list(form.questions)
    known = {q["key"] for q in current}
    retired: dict[str, Question] = {}
    for version in form.versions.order_by("-number"):
        for question in version.schema:
            if question["key"] not in known and question["key"] not in retired:
                retired[question["key"]] = {**question, "label": question["label"] + _("（旧）")}
    return current + list(retired.values())


def export_rows(
    *,
    form: Form,
    responses: QuerySet[Response],
    leading: Callable[[Response], list[Any]],
    questions: list[Question],
    chunk_size: int = 2000,
) -> Iterator[list[Any]]:
    """One row per response: ``leading(response)`` then one cell per question, in bounded memory.

    Responses and answers are read in two ordered streams and merged, so a million answers never
    sit in memory at once. Answers of responses ``responses`` leaves out are skipped.
    """
    by_key = schema.question_by_key(questions)
    # Named rows, not model instances: a million of them are built while streaming.
    answers = (
        Answer.objects.filter(form=form)
        .order_by("response_id", "question", "id")
        .values_list("response_id", "question", "choice", "number", "text", "data", "sealed", named=True)
        .iterator(chunk_size=chunk_size)
    )
    grouped = groupby(answers, key=lambda a: a.response_id)
    pending = next(grouped, None)
    for response in responses.order_by("pk").iterator(chunk_size=chunk_size):
        while pending is not None and pending[0] < response.pk:
            pending = next(grouped, None)
        values: dict[str, Any] = {}
        if pending is not None and pending[0] == response.pk:
            for key, rows in groupby(pending[1], key=lambda a: a.question):
                values[key] = value_of(by_key.get(key), rows)
            pending = next(grouped, None)
        yield [*leading(response), *(schema.display(q, values.get(q["key"])) for q in questions)]


def aggregate_rows(results: list[QuestionResult]) -> Iterator[list[Any]]:
    """The results as a table: question, value, count, share (SV-7)."""
    for result in results:
        label = f"Q{result.number} {result.question['label']}"
        yield [label, _("回答数"), result.answered, ""]
        for item in result.counts:
            name = item.label + (_("（旧選択肢）") if item.retired else "")
            yield [label, name, item.count, item.share]
        if result.mean is not None:
            yield [label, _("平均"), result.mean, ""]
        for word, count in result.words:
            yield [label, _("語: %(word)s") % {"word": word}, count, ""]


def response_answers(response: Response) -> list[tuple[Question, str]]:
    """(question, answer as text) for each question of the response's version, in order."""
    questions = response.version.schema
    by_key = schema.question_by_key(questions)
    rows = sorted(response.answers.all(), key=lambda a: (a.question, a.pk))
    values = {key: value_of(by_key.get(key), group) for key, group in groupby(rows, key=lambda a: a.question)}
    return [(q, schema.display(q, values.get(q["key"]))) for q in questions]
