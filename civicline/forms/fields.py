"""Django form fields for the questions of one page, and the answers they give back as JSON values.

Answer values (as drafts and ``Answer`` rows keep them): text types, email, phone, single choice and
dropdown → str; multiple choice → list[str]; number → int or float; scale → int; date → "YYYY-MM-DD";
photo → {"name", "width", "height"} (already checked and stored); location → {"place", "lat", "lng"}.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from civicline.core.images import ACCEPT_ATTRIBUTE

from . import schema
from .schema import Answers, Question

PHONE = RegexValidator(
    r"^\+?[0-9][0-9\-]{8,15}$", _("電話番号は半角数字とハイフンで入力してください（例: 06-1234-5678）。")
)
LAT, LNG = "_lat", "_lng"


def _scale_label(n: int) -> str:
    ends = {1: _("1（低い）"), 5: _("5（高い）")}
    return str(ends.get(n, n))


def _choices(question: Question, values: list[str]) -> list[tuple[str, str]]:
    """(Japanese choice posted and kept, label the reader sees) for a localized question."""
    return [(value, schema.choice_label(question, value)) for value in values]


def question_field(question: Question, answers: Answers, *, has_photo: bool = False) -> forms.Field:
    """The field for ``question`` as this resident sees it (choices switched by earlier answers;
    texts in their language when ``question`` was localized)."""
    kind = question["type"]
    common: dict[str, Any] = {
        "label": question["label"],
        "required": question["required"],
        "help_text": question.get("help", ""),
    }
    if kind in schema.CHOICE_TYPES:
        choices = _choices(question, schema.choices_for(question, answers))
        if kind == "multiple":
            return forms.MultipleChoiceField(choices=choices, widget=forms.CheckboxSelectMultiple, **common)
        if kind == "dropdown":
            return forms.ChoiceField(choices=[("", _("選択してください")), *choices], **common)
        return forms.ChoiceField(choices=choices, widget=forms.RadioSelect, **common)
    if kind == "scale":
        return forms.TypedChoiceField(
            choices=[(n, _scale_label(n)) for n in schema.SCALE],
            coerce=int,
            widget=forms.RadioSelect,
            **common,
        )
    if kind == "number":
        limits = {}
        if "min" in question:
            limits["min_value"] = Decimal(str(question["min"]))
        if "max" in question:
            limits["max_value"] = Decimal(str(question["max"]))
        return forms.DecimalField(
            max_digits=15,
            decimal_places=4,
            widget=forms.NumberInput(attrs={"inputmode": "decimal"}),
            **limits,
            **common,
        )
    if kind == "date":
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if kind == "email":
        return forms.EmailField(
            max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"}), **common
        )
    if kind == "phone":
        return forms.CharField(
            max_length=20,
            validators=[PHONE],
            widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
            **common,
        )
    if kind == "photo":
        # A photo chosen on an earlier visit is kept unless another is chosen.
        common["required"] = question["required"] and not has_photo
        return forms.FileField(widget=forms.ClearableFileInput(attrs={"accept": ACCEPT_ATTRIBUTE}), **common)
    if kind == "location":
        return forms.CharField(
            max_length=200, widget=forms.TextInput(attrs={"placeholder": _("住所・目印など")}), **common
        )
    limit = question.get("max_length", schema.SHORT_TEXT_LIMIT)
    widget = forms.Textarea(attrs={"rows": 5}) if kind == "long_text" else forms.TextInput
    return forms.CharField(max_length=limit, widget=widget, **common)


def _value(question: Question, cleaned: Any) -> Any:
    kind = question["type"]
    if cleaned in (None, "", []):
        return None
    if kind == "number":
        number = Decimal(cleaned)
        return int(number) if number == number.to_integral_value() else float(number)
    if isinstance(cleaned, date):
        return cleaned.isoformat()
    if isinstance(cleaned, str):
        return cleaned.strip() or None
    return cleaned


def value_ok(question: Question, value: Any) -> bool:
    """Whether a stored value still fits ``question`` (used when a draft moves to a newer version)."""
    kind = question["type"]
    if schema.is_empty(value):
        return False
    if kind == "multiple":
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    if kind in ("single", "dropdown", *schema.TEXT_TYPES, "email", "phone"):
        return isinstance(value, str)
    if kind in schema.NUMERIC_TYPES:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "date":
        try:
            date.fromisoformat(value)
        except (TypeError, ValueError):
            return False
        return True
    return isinstance(value, dict)


class PageForm(forms.Form):
    """The questions shown on one page, initialised from the draft's answers, in the language being
    spoken (issue 21): every form a resident fills in, whichever feature owns it."""

    def __init__(self, *args: Any, questions: list[Question], answers: Answers, **kwargs: Any) -> None:
        questions = [schema.localized(q) for q in questions]
        initial = {}
        for question in questions:
            value = answers.get(question["key"])
            if question["type"] == "location" and isinstance(value, dict):
                initial.update(
                    {
                        question["key"]: value.get("place", ""),
                        question["key"] + LAT: value.get("lat"),
                        question["key"] + LNG: value.get("lng"),
                    }
                )
            elif question["type"] != "photo" and value is not None:
                initial[question["key"]] = value
        super().__init__(*args, initial=initial, **kwargs)
        self.questions = questions
        self.previous = answers
        for question in questions:
            key = question["key"]
            has_photo = question["type"] == "photo" and isinstance(answers.get(key), dict)
            self.fields[key] = question_field(question, answers, has_photo=has_photo)
            if question["type"] == "location":
                self.fields[key + LAT] = forms.FloatField(
                    required=False, min_value=-90, max_value=90, widget=forms.HiddenInput
                )
                self.fields[key + LNG] = forms.FloatField(
                    required=False, min_value=-180, max_value=180, widget=forms.HiddenInput
                )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        for question in self.questions:
            key = question["key"]
            if question["type"] == "location" and question["required"]:
                has_point = cleaned.get(key + LAT) is not None and cleaned.get(key + LNG) is not None
                if not cleaned.get(key) and not has_point and key not in self.errors:
                    self.add_error(key, _("場所を入力するか、「現在地を使う」を押してください。"))
        return cleaned

    def rows(self) -> list[tuple[Question, forms.BoundField, list[forms.BoundField]]]:
        """(question, its field, its hidden companions) for the template."""
        result = []
        for question in self.questions:
            key = question["key"]
            hidden = [self[key + LAT], self[key + LNG]] if question["type"] == "location" else []
            result.append((question, self[key], hidden))
        return result

    def page_answers(self, store_photo: Callable[[UploadedFile], dict[str, Any]]) -> Answers:
        """The page's answers as JSON values (None: left empty); photos are stored by ``store_photo``,
        whose ValidationError is reported on the photo's field."""
        result: Answers = {}
        for question in self.questions:
            key = question["key"]
            if question["type"] == "photo":
                upload = self.cleaned_data.get(key)
                if upload:
                    try:
                        result[key] = store_photo(upload)
                    except ValidationError as exc:
                        self.add_error(key, exc)
                else:
                    result[key] = self.previous.get(key)
            elif question["type"] == "location":
                place = (self.cleaned_data.get(key) or "").strip()
                lat, lng = self.cleaned_data.get(key + LAT), self.cleaned_data.get(key + LNG)
                location: dict[str, Any] = {"place": place} if place else {}
                if lat is not None and lng is not None:
                    location.update(lat=round(lat, 6), lng=round(lng, 6))
                result[key] = location or None
            else:
                result[key] = _value(question, self.cleaned_data.get(key))
        return result

    def valid_answers(self) -> Answers:
        """The answers of the fields that are valid, for saving a half-filled page when going back."""
        result: Answers = {}
        for question in self.questions:
            key = question["key"]
            if question["type"] in ("photo", "location") or key in self.errors:
                continue
            result[key] = _value(question, self.cleaned_data.get(key))
        return result


class WholeForm(PageForm):
    """Every question of a form on one page, for a feature that asks them inside a page of its own
    (a booking's form, a booking taken on the phone).

    Nothing on one page can wait for an earlier answer, so a question shown only on an answer is
    asked always but required only when shown, and a switched question offers both of its choice
    lists; ``clean`` then applies the branching to the answers given, as the paged flow would.
    """

    def __init__(self, *args: Any, questions: list[Question], answers: Answers, **kwargs: Any) -> None:
        super().__init__(*args, questions=questions, answers=answers, **kwargs)
        for question in self.questions:
            field = self.fields[question["key"]]
            if question.get("condition"):
                field.required = False
            if question.get("alt_choices"):
                offered = _choices(question, schema.all_choices(question))
                if question["type"] == "dropdown":
                    offered = [("", _("選択してください")), *offered]
                field.choices = offered

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        given = {
            key: value
            for key, value in self.valid_answers().items()
            if key not in self.errors and not schema.is_empty(value)
        }
        kept = schema.effective_answers(self.questions, given)
        for question in schema.visible_questions(self.questions, kept):
            key = question["key"]
            if key in self.errors or question["type"] in ("photo", "location") or key in kept:
                continue
            if key in given:
                self.add_error(key, _("前の質問への回答では、この選択肢は選べません。"))
            elif question["required"]:
                self.add_error(key, forms.Field.default_error_messages["required"])
        return cleaned
