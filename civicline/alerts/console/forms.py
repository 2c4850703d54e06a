from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from civicline.core.features import emergency_actions
from civicline.core.forms import model_choice_field
from civicline.core.models import Department
from civicline.core.translations import TranslationsFormMixin

from ..jma import LEVELS, Kind
from ..models import AlertSettings, AreaCode, Policy
from ..services import SETTINGS_FIELDS


class SettingsForm(TranslationsFormMixin, forms.ModelForm):
    class Meta:
        model = AlertSettings
        fields = ["department", "notify_emails", "topic_name", "message_template"]
        widgets = {
            "notify_emails": forms.Textarea(attrs={"rows": 3}),
            "message_template": forms.Textarea(attrs={"rows": 5}),
        }

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        model_choice_field(self, "department").queryset = Department.objects.filter(is_active=True)
        self.translation_fields_add(self.instance, fields=AlertSettings.TRANSLATED_FIELDS)

    def settings_data(self) -> dict[str, Any]:
        return {
            **{name: self.cleaned_data[name] for name in SETTINGS_FIELDS},
            "translations": self.translations_cleaned(),
        }

    def clean_notify_emails(self) -> str:
        lines = [line.strip() for line in self.cleaned_data["notify_emails"].splitlines() if line.strip()]
        field = forms.EmailField()
        for line in lines:
            field.clean(line)
        return "\n".join(lines)


class AreaCodeForm(forms.ModelForm):
    class Meta:
        model = AreaCode
        fields = ["code_type", "code", "name", "resident_areas"]


def level_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Levels grouped by kind, each value "<kind>:<level>" (one select for both)."""
    return [(str(label), [(f"{kind}:{v}", text) for v, text in LEVELS[kind]]) for kind, label in Kind.CHOICES]


class PolicyForm(forms.Form):
    threshold = forms.ChoiceField(label=_("情報の種類とレベル（このレベル以上で行う）"))
    notify = forms.BooleanField(label=_("職員に通知（管理画面の表示・メール）"), required=False, initial=True)
    delivery_everyone = forms.BooleanField(
        label=_("緊急配信は友だち全員に（対象地域と優先分野の住民を先に）"), required=False
    )

    def __init__(self, *args: Any, policy: Policy | None = None, **kwargs: Any):
        if policy is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "threshold": f"{policy.kind}:{policy.min_level}",
                "notify": policy.notify,
                "delivery_everyone": policy.delivery_everyone,
                **{f"action_{k}": v for k, v in policy.actions.items()},
            }
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["threshold"]).choices = level_choices()
        for key, action in emergency_actions().items():
            self.fields[f"action_{key}"] = forms.ChoiceField(
                label=str(action.label), choices=Policy.Mode.choices, required=False
            )

    def policy_data(self) -> dict[str, Any]:
        kind, level = self.cleaned_data["threshold"].split(":")
        return {
            "kind": kind,
            "min_level": int(level),
            "notify": self.cleaned_data["notify"],
            "delivery_everyone": self.cleaned_data["delivery_everyone"],
            "actions": {
                name[len("action_") :]: value
                for name, value in self.cleaned_data.items()
                if name.startswith("action_") and value
            },
        }
