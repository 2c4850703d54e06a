"""The console's results of a form (SV-8): per-question aggregates with charts, a filter on one
answer, and a cross-tabulation by another question or a resident attribute.

Everything here is counted by the database in a handful of grouped queries, whatever the number of
responses; the owning feature adds its own figures (response rate…) and its resident attributes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import charts, selectors
from ..models import Form, Response
from ..selectors import Dimension, QuestionResult

SEPARATOR = "|"


class ResultsForm(forms.Form):
    """GET parameters of the results page: ``only`` (question|value), ``row`` and ``col``."""

    only = forms.ChoiceField(label=gettext_lazy("回答で絞り込む"), required=False)
    row = forms.ChoiceField(label=gettext_lazy("クロス集計: 行"), required=False)
    col = forms.ChoiceField(label=gettext_lazy("列"), required=False)

    def __init__(self, *args: Any, form: Form, dimensions: list[Dimension], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.questions = {q["key"]: q for q in selectors.tabulable(form)}
        self.dimensions = {d.key: d for d in dimensions}
        numbered = {q["key"]: n for n, q in enumerate(form.questions, start=1)}
        self.fields["only"].choices = [("", _("すべての回答"))] + [
            (f"{key}{SEPARATOR}{value}", f"Q{numbered[key]} {q['label']} ＝ {value}")
            for key, q in self.questions.items()
            for value in selectors.answer_values(q)
        ]
        question_choices = [(key, f"Q{numbered[key]} {q['label']}") for key, q in self.questions.items()]
        self.fields["row"].choices = [("", "—"), *question_choices]
        self.fields["col"].choices = [("", "—"), *question_choices, *((d.key, d.label) for d in dimensions)]

    def responses(self, form: Form) -> QuerySet[Response] | None:
        """The responses the filter keeps, or None for all of them."""
        if not self.is_valid() or not self.cleaned_data.get("only"):
            return None
        key, _sep, value = self.cleaned_data["only"].partition(SEPARATOR)
        return selectors.responses_answering(form=form, question=self.questions[key], value=value)

    def crosstab(self, form: Form, responses: QuerySet[Response] | None) -> selectors.CrossTab | None:
        if not self.is_valid():
            return None
        row, col = self.cleaned_data.get("row"), self.cleaned_data.get("col")
        if not row or not col or row == col:
            return None
        column = self.questions.get(col) or self.dimensions[col]
        return selectors.crosstab(form=form, row=self.questions[row], column=column, responses=responses)


@dataclass(frozen=True)
class Shown:
    result: QuestionResult
    chart: SafeString


def _chart(result: QuestionResult) -> SafeString:
    title = f"Q{result.number} {result.question['label']}"
    return charts.chart_for(
        result.kind, result.counts, title=title, many=result.question["type"] == "multiple"
    )


def results_context(*, form: Form, params: Any, dimensions: list[Dimension]) -> dict[str, Any]:
    """What ``forms/console/results.html`` shows for ``params`` (the request's GET)."""
    results_form = ResultsForm(params or None, form=form, dimensions=dimensions)
    responses = results_form.responses(form)
    results = selectors.question_results(form=form, responses=responses)
    return {
        "results_form": results_form,
        "filtered": responses is not None,
        "responses": responses,
        "shown": [Shown(r, _chart(r)) for r in results],
        "results": results,
        "crosstab": results_form.crosstab(form, responses),
    }
