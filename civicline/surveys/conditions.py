"""Survey answers as a segment condition for later deliveries (SV-6): 「アンケートXの質問Qに『満足』と
回答した」. Registered with the delivery package's condition registry from ``apps.ready``.

Only choice and 5-point questions that are not personal can be conditions, and only surveys that
have been published are offered. The condition compiles to ``pk IN (SELECT friend_id …)`` over the
answers, so a segment with it is still one query.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicline.delivery.conditions import ConditionType, Names, Posted, friends_in
from civicline.forms.models import Response
from civicline.forms.selectors import answer_values, tabulable

from .models import Survey

SEPARATOR = "|"


def _published() -> list[Survey]:
    return list(Survey.objects.exclude(status=Survey.Status.DRAFT).select_related("form__current_version"))


def _question(survey: Survey, key: str) -> dict[str, Any] | None:
    return next((q for q in tabulable(survey.form) if q["key"] == key), None)


class AnsweredSurvey(ConditionType):
    key = "survey_answer"
    label = gettext_lazy("アンケートの回答")
    template = "surveys/console/condition.html"

    def from_post(self, posted: Posted) -> dict[str, Any]:
        survey, _sep, rest = (posted("answer") or [""])[0].partition(SEPARATOR)
        question, _sep, value = rest.partition(SEPARATOR)
        return {"survey": survey, "question": question, "value": value}

    def clean(self, params: dict[str, Any]) -> dict[str, Any]:
        try:
            survey = Survey.objects.exclude(status=Survey.Status.DRAFT).get(pk=int(params.get("survey") or 0))
        except (Survey.DoesNotExist, TypeError, ValueError):
            raise ValidationError(_("アンケートの回答を選んでください。")) from None
        question = _question(survey, str(params.get("question", "")))
        value = str(params.get("value", ""))
        if question is None or value not in answer_values(question):
            raise ValidationError(
                _("アンケートの質問と回答を選び直してください（質問が変更された可能性があります）。")
            )
        return {"survey": survey.pk, "question": question["key"], "value": value}

    def q(self, params: dict[str, Any], *, on: Any) -> Q:
        survey = Survey.objects.select_related("form__current_version").filter(pk=params["survey"]).first()
        question = _question(survey, params["question"]) if survey else None
        if survey is None or question is None:
            return Q(pk__in=[])
        column = (
            {"answers__number": float(params["value"])}
            if question["type"] == "scale"
            else {"answers__choice": params["value"]}
        )
        responses = Response.objects.filter(form=survey.form, answers__question=question["key"], **column)
        return friends_in(responses.exclude(friend=None))

    def describe(self, params: dict[str, Any], names: Names) -> str:
        survey = Survey.objects.filter(pk=params["survey"]).first()
        question = _question(survey, params["question"]) if survey else None
        return _("アンケート「%(survey)s」の「%(question)s」に「%(value)s」と回答した") % {
            "survey": survey.title if survey else "?",
            "question": question["label"] if question else "?",
            "value": params["value"],
        }

    def choices(self) -> Any:
        """(value, label) of every answer a published survey's tabulable questions can take."""
        options = []
        for survey in _published():
            for question in tabulable(survey.form):
                for value in answer_values(question):
                    options.append(
                        (
                            SEPARATOR.join([str(survey.pk), question["key"], value]),
                            f"{survey.title} ／ {question['label']} ／ {value}",
                        )
                    )
        return options

    def default(self) -> dict[str, Any]:
        return {"survey": "", "question": "", "value": ""}


def selected_value(node: dict[str, Any]) -> str:
    return SEPARATOR.join(
        [str(node.get("survey", "")), str(node.get("question", "")), str(node.get("value", ""))]
    )
