"""Console forms of public comments: the consultation, a document, a message to one submitter."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from civicline.core.forms import ConsoleForm, ConsoleModelForm
from civicline.core.models import Department, Staff
from civicline.core.translations import TranslationsFormMixin
from civicline.line.direct import DirectMessageConfirmForm

from ..models import Consultation, Document
from ..services import CONSULTATION_FIELDS, MESSAGE_MAX_LENGTH

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class ConsultationForm(TranslationsFormMixin, ConsoleModelForm):
    department = forms.ModelChoiceField(label=_("担当課"), queryset=Department.objects.filter(is_active=True))

    class Meta:
        model = Consultation
        fields = ["department", *CONSULTATION_FIELDS]
        widgets = {"summary": forms.Textarea(attrs={"rows": 8}), "opens_at": DATETIME, "closes_at": DATETIME}

    def __init__(self, *args: Any, staff: Staff, creating: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if creating and staff.is_system_admin:
            self.fields["department"].initial = staff.department_id
        else:
            # Department staff work for their own department; an existing case keeps its department.
            del self.fields["department"]
        self.translation_fields_add(self.instance, fields=Consultation.TRANSLATED_FIELDS)

    def consultation_data(self) -> dict[str, Any]:
        return {
            **{name: self.cleaned_data[name] for name in CONSULTATION_FIELDS},
            "translations": self.translations_cleaned(),
        }


class DocumentForm(TranslationsFormMixin, ConsoleForm):
    title = forms.CharField(label=_("資料名"), max_length=150)
    url = forms.URLField(
        label=_("リンク先（市のページなど）"), required=False, max_length=500, assume_scheme="https"
    )
    file = forms.FileField(
        label=_("またはPDFファイル"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.translation_fields_add({}, fields=Document.TRANSLATED_FIELDS)


class MessageForm(ConsoleForm):
    text = forms.CharField(
        label=_("メッセージ"),
        max_length=MESSAGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "この意見の提出者1人にだけLINEで届きます。案件名と受付番号が先頭に付きます。"
            "個人情報は書かないでください。"
        ),
    )


class MessageConfirmForm(DirectMessageConfirmForm):
    """The confirmation step: the message as written, carried over, and the receipt number typed."""

    text = forms.CharField(max_length=MESSAGE_MAX_LENGTH, widget=forms.HiddenInput)
