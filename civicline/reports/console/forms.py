"""Forms of the staff pages: inbox filters, handling a report, and the city's report settings."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from civicline.core.forms import ConsoleForm, ConsoleModelForm
from civicline.core.models import Department
from civicline.core.translations import TranslationsFormMixin
from civicline.line.direct import DirectMessageConfirmForm
from civicline.line.preview import MAX_TEXT_LENGTH

from ..models import Area, Category, RoutingRule, Status, StatusTemplate
from ..routing import boundary_geometry
from ..selectors import ReportFilters


class ReportFilterForm(ConsoleForm):
    required_css_class = ""
    status = forms.ChoiceField(label=_("状況"), required=False, choices=[("", _("すべて")), *Status.choices])
    category = forms.ModelChoiceField(
        label=_("種類"), required=False, queryset=Category.objects.all(), empty_label=_("すべて")
    )

    def filters(self, *, triage: bool = False) -> ReportFilters:
        """The filters to apply; an invalid form filters nothing rather than failing the page."""
        if not self.is_valid():
            return ReportFilters(triage=triage)
        return ReportFilters(triage=triage, **self.cleaned_data)


class StatusForm(ConsoleForm):
    status = forms.ChoiceField(label=_("新しい状況"), choices=Status.choices)
    note = forms.CharField(
        label=_("メモ（職員のみ）"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )
    notify = forms.BooleanField(label=_("送信者にLINEでお知らせする（次の画面で確認します）"), required=False)


class StatusSendForm(DirectMessageConfirmForm):
    """The confirmation step of a status change with a notice: what was chosen, and the receipt number."""

    status = forms.ChoiceField(choices=Status.choices, widget=forms.HiddenInput)
    note = forms.CharField(required=False, max_length=1000, widget=forms.HiddenInput)


class ReassignForm(ConsoleForm):
    department = forms.ModelChoiceField(label=_("担当課"), queryset=Department.objects.none())
    reason = forms.CharField(label=_("理由"), required=False, max_length=500)

    def __init__(self, *args: Any, current: Department | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        departments = Department.objects.filter(is_active=True).order_by("code")
        if current is not None:
            departments = departments.exclude(pk=current.pk)
        self.fields["department"].queryset = departments


class NoteForm(ConsoleForm):
    text = forms.CharField(
        label=_("内部メモ"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("職員だけが見るメモです。送信者には送られません。"),
    )


class ReplyForm(ConsoleForm):
    text = forms.CharField(
        label=_("送信者へのメッセージ"),
        max_length=MAX_TEXT_LENGTH - 200,  # room for the heading naming the report
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("LINEのトークに届きます。個人情報（氏名・住所・電話番号など）は書かないでください。"),
    )


class ReplySendForm(DirectMessageConfirmForm):
    text = forms.CharField(max_length=MAX_TEXT_LENGTH - 200, widget=forms.HiddenInput)


# --- settings (system administrator) --------------------------------------------------------------


class CategoryForm(TranslationsFormMixin, ConsoleModelForm):
    class Meta:
        model = Category
        fields = ["name", "description", "department", "notification_email", "order", "is_active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = Department.objects.filter(is_active=True)
        self.fields["department"].empty_label = _("（振り分け待ちにする）")
        self.translation_fields_add(self.instance, fields=Category.TRANSLATED_FIELDS)


class RoutingRuleForm(ConsoleModelForm):
    class Meta:
        model = RoutingRule
        fields = ["name", "priority", "category", "area", "keywords", "department", "is_active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = Department.objects.filter(is_active=True)
        self.fields["category"].empty_label = _("（種類を問わない）")
        self.fields["area"].empty_label = _("（地域を問わない）")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not (data.get("category") or data.get("area") or (data.get("keywords") or "").strip()):
            raise ValidationError(_("種類・地域・キーワードのうち少なくとも1つを指定してください。"))
        return data


class AreaForm(ConsoleModelForm):
    boundary = forms.CharField(
        label=_("範囲（GeoJSON）"),
        widget=forms.Textarea(attrs={"rows": 5, "class": "code-input", "spellcheck": "false"}),
        help_text=_(
            "地図をクリックして頂点を順に置くと自動で入力されます。"
            "GIS等で作成したGeoJSONのPolygon / MultiPolygon（またはFeature）を貼り付けることもできます。"
        ),
    )

    class Meta:
        model = Area
        fields = ["name", "boundary"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["boundary"] = json.dumps(self.instance.boundary, ensure_ascii=False)

    def clean_boundary(self) -> dict[str, Any]:
        try:
            value = json.loads(self.cleaned_data["boundary"])
        except json.JSONDecodeError as exc:
            raise ValidationError(_("GeoJSONとして読み取れません。")) from exc
        if isinstance(value, dict) and value.get("type") == "Feature":
            value = value.get("geometry")
        if not isinstance(value, dict):
            raise ValidationError(_("範囲はGeoJSONのPolygonまたはMultiPolygonで指定してください。"))
        boundary_geometry(value)
        return value


class StatusTemplateForm(TranslationsFormMixin, ConsoleModelForm):
    class Meta:
        model = StatusTemplate
        fields = ["text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.translation_fields_add(self.instance, fields=StatusTemplate.TRANSLATED_FIELDS)
