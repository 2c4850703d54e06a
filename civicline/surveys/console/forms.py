"""Console forms of surveys: the survey's settings, a preview on a test device, the invitation."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from civicline.core.forms import ConsoleForm, ConsoleModelForm, model_choice_field
from civicline.core.models import Department, Staff
from civicline.core.translations import TranslationsFormMixin
from civicline.delivery import selectors as delivery_selectors
from civicline.delivery.models import Delivery, Segment
from civicline.line.models import PreviewRecipient
from civicline.line.preview import preview_recipient_list_for

from ..models import Survey
from ..services import SURVEY_FIELDS

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class SurveyForm(TranslationsFormMixin, ConsoleModelForm):
    department = forms.ModelChoiceField(label=_("担当課"), queryset=Department.objects.filter(is_active=True))

    class Meta:
        model = Survey
        fields = ["department", *SURVEY_FIELDS]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "thanks_text": forms.Textarea(attrs={"rows": 2}),
            "opens_at": DATETIME,
            "closes_at": DATETIME,
            "answer_policy": forms.RadioSelect,
        }

    def __init__(self, *args: Any, staff: Staff, creating: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if creating and staff.is_system_admin:
            self.fields["department"].initial = staff.department_id
        else:
            del self.fields["department"]
        self.translation_fields_add(self.instance, fields=Survey.TRANSLATED_FIELDS)

    def survey_data(self) -> dict[str, Any]:
        return {
            **{name: self.cleaned_data[name] for name in SURVEY_FIELDS},
            "translations": self.translations_cleaned(),
        }


class PreviewForm(ConsoleForm):
    recipient = forms.ModelChoiceField(
        label=_("テスト端末"), queryset=PreviewRecipient.objects.none(), empty_label=None
    )

    def __init__(self, *args: Any, staff: Staff, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "recipient").queryset = preview_recipient_list_for(fetched_by=staff)


class InviteForm(ConsoleForm):
    """Who gets the invitation: segments this department may use, or (if allowed) every friend."""

    segments = forms.ModelMultipleChoiceField(
        label=_("依頼するセグメント"),
        queryset=Segment.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    combine = forms.ChoiceField(
        label=_("セグメントを複数選んだとき"), choices=Delivery.Combine.choices, initial=Delivery.Combine.ANY
    )
    to_all = forms.BooleanField(label=_("セグメントを使わず友だち全員に送る"), required=False)

    def __init__(self, *args: Any, staff: Staff, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "segments").queryset = delivery_selectors.segment_usable_by(staff=staff)
        if not delivery_selectors.may_send_to_all(staff=staff):
            del self.fields["to_all"]

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if not cleaned.get("to_all") and not cleaned.get("segments"):
            raise forms.ValidationError(_("依頼するセグメントを選んでください。"))
        return cleaned
