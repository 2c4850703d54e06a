"""The console's question builder, shared by every feature that owns a form.

One row per question (a Django formset): type, text, help, required, personal, page break, the
type's settings, and the branching (PC-6) — show or skip the question on an earlier answer, and
switch its choices on an earlier answer. Rules name the earlier question by its row, so a rule may
refer to a question added in the same save. Rows are reordered by their number; an emptied row or
a ticked 削除 removes the question. Each row folds its texts in the other languages (issue 21):
question, help and choices, the choices one a line in the Japanese order.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicline.core.translations import TranslationsFormMixin

from .. import schema, services
from ..models import Form

EXTRA_ROWS = 2
NEW_REF = "new"


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


# The texts of a question that are written per language; choices as lines, like the master's.
TRANSLATED = ("label", "help", "choices", "alt_choices")
LISTS = ("choices", "alt_choices")


class QuestionForm(TranslationsFormMixin, forms.Form):
    key = forms.CharField(required=False, widget=forms.HiddenInput)
    ref = forms.CharField(required=False, widget=forms.HiddenInput)
    label = forms.CharField(label=gettext_lazy("質問文"), max_length=schema.MAX_LABEL, required=False)
    type = forms.ChoiceField(label=gettext_lazy("種類"), choices=list(schema.TYPES.items()), initial="single")
    help = forms.CharField(
        label=gettext_lazy("補足説明"),
        max_length=schema.MAX_HELP,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    required = forms.BooleanField(label=gettext_lazy("必須"), required=False)
    personal = forms.BooleanField(
        label=gettext_lazy("個人情報（暗号化して保存し、トークでは尋ねません）"), required=False
    )
    page_break = forms.BooleanField(label=gettext_lazy("この質問から次のページ"), required=False)
    choices = forms.CharField(
        label=gettext_lazy("選択肢（1行に1つ）"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    min = forms.DecimalField(label=gettext_lazy("最小値"), required=False)
    max = forms.DecimalField(label=gettext_lazy("最大値"), required=False)
    max_length = forms.IntegerField(label=gettext_lazy("最大文字数"), required=False, min_value=1)
    cond_action = forms.ChoiceField(
        label=gettext_lazy("表示条件"),
        required=False,
        choices=[("", gettext_lazy("常に表示する")), *schema.CONDITION_ACTIONS.items()],
    )
    cond_question = forms.ChoiceField(label=gettext_lazy("条件の質問"), required=False)
    cond_op = forms.ChoiceField(
        label=gettext_lazy("条件"), required=False, choices=list(schema.OPERATORS.items())
    )
    cond_value = forms.CharField(label=gettext_lazy("値"), required=False, max_length=schema.MAX_CHOICE_LABEL)
    alt_question = forms.ChoiceField(label=gettext_lazy("選択肢を切り替える質問"), required=False)
    alt_op = forms.ChoiceField(
        label=gettext_lazy("条件"),
        required=False,
        choices=[(k, v) for k, v in schema.OPERATORS.items() if k not in schema.VALUELESS_OPERATORS],
    )
    alt_value = forms.CharField(label=gettext_lazy("値"), required=False, max_length=schema.MAX_CHOICE_LABEL)
    alt_choices = forms.CharField(
        label=gettext_lazy("そのときの選択肢（1行に1つ）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.translation_fields_add(self.initial.get("translations") or {}, fields=TRANSLATED)

    def question_translations(self) -> dict[str, dict[str, Any]]:
        return {
            code: {field: _lines(text) if field in LISTS else text for field, text in version.items()}
            for code, version in self.translations_cleaned().items()
        }

    def question(self) -> dict[str, Any] | None:
        """The row as a question for ``schema``; None for an empty row."""
        data = self.cleaned_data
        if not data.get("label", "").strip():
            return None
        question: dict[str, Any] = {
            "key": data.get("key") or None,
            "ref": data.get("ref") or "",
            "type": data["type"],
            "label": data["label"],
            "help": data.get("help", ""),
            "required": data.get("required", False),
            "personal": data.get("personal", False),
            "page_break": data.get("page_break", False),
            "choices": _lines(data.get("choices", "")),
            "min": data.get("min"),
            "max": data.get("max"),
            "max_length": data.get("max_length"),
            "translations": self.question_translations(),
        }
        if data.get("cond_action"):
            question["condition"] = {
                "action": data["cond_action"],
                "question": data.get("cond_question"),
                "op": data.get("cond_op"),
                "value": data.get("cond_value", ""),
            }
        if data.get("alt_question"):
            question["alt_choices"] = {
                "question": data["alt_question"],
                "op": data.get("alt_op") or "is",
                "value": data.get("alt_value", ""),
                "choices": _lines(data.get("alt_choices", "")),
            }
        return question


QuestionFormSet = forms.formset_factory(
    QuestionForm, extra=EXTRA_ROWS, can_order=True, can_delete=True, max_num=schema.MAX_QUESTIONS
)


def _initial(question: dict[str, Any]) -> dict[str, Any]:
    row = {
        **{
            k: question.get(k) for k in ("key", "label", "type", "help", "required", "personal", "page_break")
        },
        "ref": question["key"],
        "choices": "\n".join(question.get("choices", [])),
        "min": question.get("min"),
        "max": question.get("max"),
        "max_length": question.get("max_length"),
        "translations": {
            code: {field: "\n".join(text) if field in LISTS else text for field, text in version.items()}
            for code, version in (question.get("translations") or {}).items()
        },
    }
    condition = question.get("condition")
    if condition:
        row.update(
            cond_action=condition["action"],
            cond_question=condition["question"],
            cond_op=condition["op"],
            cond_value=condition["value"],
        )
    alternative = question.get("alt_choices")
    if alternative:
        row.update(
            alt_question=alternative["question"],
            alt_op=alternative["op"],
            alt_value=alternative["value"],
            alt_choices="\n".join(alternative["choices"]),
        )
    return row


def question_formset(data: Any = None, *, form: Form) -> forms.BaseFormSet:
    initial = [_initial(q) for q in form.questions]
    formset = QuestionFormSet(data, initial=initial, prefix="q")
    targets = [("", "—")]
    for index, row in enumerate(formset.forms):
        if index >= len(initial) and not data:
            row.initial["ref"] = f"{NEW_REF}{index}"
        ref = row["ref"].value() or f"{NEW_REF}{index}"
        row.row_ref = ref
        label = row["label"].value() or _("（新しい質問）")
        targets.append((ref, f"{index + 1}. {label}"[:60]))
    for row in formset.forms:
        row.fields["cond_question"].choices = targets
        row.fields["alt_question"].choices = targets
        if form.all_personal:
            # Shown ticked and fixed: the service seals every answer whatever is posted.
            row.fields["personal"].initial = True
            row.fields["personal"].disabled = True
    return formset


def questions_from(formset: forms.BaseFormSet) -> list[dict[str, Any]]:
    """The formset's rows in their order, empty and deleted ones left out."""
    rows = [f for f in formset.ordered_forms if not (formset.can_delete and formset._should_delete_form(f))]
    return [q for q in (f.question() for f in rows) if q is not None]


def questions_page(
    request: HttpRequest, *, form: Form, template: str, context: dict[str, Any], done_url: str
) -> HttpResponse:
    """GET: the builder; POST: save the questions (a new version if the form has responses)."""
    formset = question_formset(request.POST or None, form=form)
    error = ""
    if request.method == "POST" and formset.is_valid():
        try:
            version = services.form_questions_save(
                actor=request.user, form=form, questions=questions_from(formset)
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, _("質問を保存しました（第%(n)s版）。") % {"n": version.number})
            return redirect(request.get_full_path() if "add" in request.POST else done_url)
    has_responses = form.current_version.responses.exists()
    context = {
        **context,
        "formset": formset,
        "builder_error": error,
        "version": form.current_version,
        "has_responses": has_responses,
    }
    refused = request.method == "POST" and (bool(error) or not formset.is_valid())
    return render(request, template, context, status=400 if refused else 200)
