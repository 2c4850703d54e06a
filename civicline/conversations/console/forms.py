"""Console forms of conversations: topics (hours as text), canned replies, the inbox filter, replies,
notes, status and assignment, and the receipt-number confirmation before a message leaves (PH-5)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from civicline.core.console.forms import HOURS_FIELDS, WeeklyHoursFields, model_data
from civicline.core.forms import ConsoleForm, ConsoleModelForm
from civicline.core.models import Department, Staff
from civicline.core.translations import TranslationsFormMixin
from civicline.line.direct import DirectMessageConfirmForm

from ..models import CannedReply, Conversation, Topic
from ..selectors import ConversationFilters
from ..services import MAX_TEXT


class _DepartmentChoice:
    """The system administrator chooses the department; department staff always work for their own."""

    def _department_field(self, staff: Staff) -> None:
        if staff.is_system_admin:
            self.fields["department"] = forms.ModelChoiceField(
                label=_("担当課"), queryset=Department.objects.filter(is_active=True)
            )
            self.order_fields(["department", *[name for name in self.fields if name != "department"]])

    def department_for(self, staff: Staff) -> Department:
        return self.cleaned_data.get("department") or staff.department

    def model_data(self) -> dict[str, Any]:
        return model_data(self)


class TopicForm(_DepartmentChoice, WeeklyHoursFields, TranslationsFormMixin, ConsoleModelForm):
    class Meta:
        model = Topic
        fields = [
            "name",
            "description",
            "is_personal",
            "year_end_closed",
            "closed_message",
            "order",
            "is_active",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "closed_message": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, staff: Staff, creating: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.hours_fields_add(self.instance.hours, label=_("受付時間（%(day)s）"))
        self.order_fields(["name", "description", "is_personal", *HOURS_FIELDS, "year_end_closed"])
        if creating:
            self._department_field(staff)
        self.translation_fields_add(self.instance, fields=Topic.TRANSLATED_FIELDS)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        hours = self.hours_clean(cleaned)
        if not hours and not self.errors:
            self.add_error(HOURS_FIELDS[0], _("受付時間を少なくとも1つ入力してください。"))
        cleaned["hours"] = hours
        return cleaned

    def topic_data(self) -> dict[str, Any]:
        return {**self.model_data(), "hours": self.cleaned_data["hours"]}


class CannedReplyForm(_DepartmentChoice, ConsoleModelForm):
    class Meta:
        model = CannedReply
        fields = ["title", "body", "order"]
        widgets = {"body": forms.Textarea(attrs={"rows": 5})}
        help_texts = {"body": _("返信欄に挿入して使います。送る前に内容を確認・修正できます。")}

    def __init__(self, *args: Any, staff: Staff, creating: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if creating:
            self._department_field(staff)


STATUS_FILTERS = [
    ("", _("対応が必要なもの（未対応・対応中）")),
    *Conversation.Status.choices,
    ("all", _("すべて")),
]


class ConversationFilterForm(ConsoleForm):
    required_css_class = ""
    status = forms.ChoiceField(label=_("状態"), required=False, choices=STATUS_FILTERS)
    topic = forms.TypedChoiceField(label=_("相談の種類"), required=False, coerce=int, empty_value=None)
    assignee = forms.ChoiceField(
        label=_("担当者"),
        required=False,
        choices=[("", _("すべて")), ("me", _("自分")), ("none", _("未割当"))],
    )
    receipt_number = forms.CharField(label=_("受付番号"), required=False, max_length=20)

    def __init__(self, *args: Any, topics: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["topic"].choices = [("", _("すべて"))] + [(t.pk, str(t)) for t in topics]

    def filters(self) -> ConversationFilters:
        if not self.is_bound or not self.is_valid():
            return ConversationFilters()
        return ConversationFilters(**self.cleaned_data)


def _text_field(label: str, rows: int) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": rows, "maxlength": MAX_TEXT}),
        error_messages={"required": _("入力してください。")},
    )


class ReplyForm(ConsoleForm):
    text = _text_field(_("返信"), 4)


class NoteForm(ConsoleForm):
    text = _text_field(_("内部メモ（住民には表示されません）"), 2)


class StatusForm(ConsoleForm):
    status = forms.ChoiceField(choices=Conversation.Status.choices)


class ReplyConfirmForm(DirectMessageConfirmForm):
    """The reply, carried through the confirmation screen unchanged."""

    text = forms.CharField(max_length=MAX_TEXT, widget=forms.HiddenInput)


class StatusConfirmForm(DirectMessageConfirmForm):
    status = forms.ChoiceField(choices=Conversation.Status.choices, widget=forms.HiddenInput)


class AssignForm(ConsoleForm):
    assignee = forms.ModelChoiceField(
        label=_("担当者"), queryset=Staff.objects.none(), required=False, empty_label=_("（未割当）")
    )

    def __init__(self, *args: Any, choices: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = choices
