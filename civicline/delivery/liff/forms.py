"""Forms of the resident's 受信設定 page and of the public email subscription page."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicline.core import languages
from civicline.core.translations import translated

from .. import selectors
from ..models import Gender

CHILD_FIELD = "child"


def japanese_era(year: int) -> str:
    """「令和6年」: residents often know their year by era. Eras start on 1 January here for brevity."""
    for start, name in ((2019, "令和"), (1989, "平成"), (1926, "昭和"), (1912, "大正")):
        if year >= start:
            number = year - start + 1
            return f"{name}{'元' if number == 1 else number}年"
    return ""


def birth_year_choices() -> list[tuple[str, str]]:
    this_year = timezone.localdate().year
    years = [(str(y), f"{y}年（{japanese_era(y)}）") for y in range(this_year - 15, this_year - 101, -1)]
    return [("", _("答えない")), *years]


def _names_translated(form: forms.Form) -> None:
    """The city's topics and areas named in the language being spoken (issue 21)."""
    for name in ("topics", "area"):
        if name in form.fields:
            form.fields[name].label_from_instance = lambda item: translated(item, "name")  # type: ignore[attr-defined]


class ResidentSettingsForm(forms.Form):
    topics = forms.ModelMultipleChoiceField(
        label=_("受け取りたいお知らせ"),
        queryset=selectors.topic_list(active_only=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    area = forms.ModelChoiceField(
        label=_("お住まいの地域"),
        queryset=selectors.area_list(active_only=True),
        required=False,
        empty_label=_("選択しない"),
    )
    birth_year = forms.TypedChoiceField(
        label=_("生まれた年"), required=False, coerce=int, empty_value=None, choices=()
    )
    gender = forms.ChoiceField(
        label=_("性別"), required=False, widget=forms.RadioSelect, choices=Gender.choices
    )
    # Issue 21: the language the resident reads everything in; blank follows their LINE app's.
    language = forms.ChoiceField(
        label=_("表示言語"),
        required=False,
        widget=forms.RadioSelect,
        choices=(),
        error_messages={"invalid_choice": _("選べない言語です。一覧から選んでください。")},
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [("", _("LINEの設定に合わせる")), *languages.resident_choices()]
        self.fields["birth_year"].choices = birth_year_choices()
        self.fields["topics"].queryset = selectors.topic_list(active_only=True)
        self.fields["area"].queryset = selectors.area_list(active_only=True)
        _names_translated(self)

    def clean(self) -> dict[str, Any]:
        """Children's birth dates come as any number of ``child`` inputs; the service checks them."""
        data = super().clean()
        children: list[date] = []
        for value in self.data.getlist(CHILD_FIELD) if self.is_bound else []:
            if not value.strip():
                continue
            try:
                children.append(date.fromisoformat(value.strip()))
            except ValueError:
                self.add_error(None, _("お子さんの生年月日は「2024-05-10」の形で入力してください。"))
        data["children"] = children
        return data


class EmailSubscribeForm(forms.Form):
    email = forms.EmailField(
        label=_("メールアドレス"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "inputmode": "email"}),
    )
    topics = forms.ModelMultipleChoiceField(
        label=_("受け取りたいお知らせ"),
        queryset=selectors.topic_list(active_only=True),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("受け取る分野を1つ以上選んでください。")},
    )
    agree = forms.BooleanField(
        label=_("登録したメールアドレスにお知らせが届くことに同意します（いつでも配信を停止できます）"),
        error_messages={"required": _("同意のうえ登録してください。")},
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["topics"].queryset = selectors.topic_list(active_only=True)
        _names_translated(self)
