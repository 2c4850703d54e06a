"""Console forms: login, one-time code, password change, departments, staff, allowlist, audit filter."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib.auth.forms import PasswordChangeForm as DjangoPasswordChangeForm
from django.utils.translation import gettext_lazy as _

from .models import AllowedNetwork, AuditEntry, Department, Staff
from .selectors import AuditFilters, department_choices_for, staff_choices_for
from .translations import TranslationsFormMixin


def model_choice_field(form: forms.BaseForm, name: str) -> forms.ModelChoiceField:
    """``form.fields[name]``, a model choice field whose queryset depends on who asks.

    ``fields`` is typed as plain ``Field``s, which have no ``queryset``.
    """
    return cast(forms.ModelChoiceField, form.fields[name])


class ConsoleForm(forms.Form):
    required_css_class = "required"


class ConsoleModelForm(forms.ModelForm):
    required_css_class = "required"


class LoginForm(ConsoleForm):
    username = forms.CharField(
        label=_("ユーザーID"),
        max_length=150,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    password = forms.CharField(
        label=_("パスワード"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class OTPTokenForm(ConsoleForm):
    token = forms.RegexField(
        label=_("確認コード（6桁）"),
        regex=r"^\d{6}$",
        error_messages={"invalid": _("6桁の数字を入力してください。")},
        widget=forms.TextInput(
            attrs={
                "autofocus": True,
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "pattern": "[0-9]{6}",
                "maxlength": "6",
                "class": "otp-input",
            }
        ),
    )

    def clean_token(self) -> str:
        return self.cleaned_data["token"].strip()


class PasswordChangeForm(DjangoPasswordChangeForm):
    """Django's form (it runs AUTH_PASSWORD_VALIDATORS); the service saves and audits."""

    required_css_class = "required"

    def save(self, commit: bool = True):  # pragma: no cover - the view calls the service instead
        raise NotImplementedError("use services.staff_change_password")


class DepartmentForm(TranslationsFormMixin, ConsoleModelForm):
    class Meta:
        model = Department
        fields = ["code", "name", "email", "is_active"]
        help_texts = {"code": _("半角英数字とハイフン。例: digital-strategy")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.translation_fields_add(self.instance, fields=("name",))


class StaffForm(ConsoleModelForm):
    class Meta:
        model = Staff
        fields = ["username", "display_name", "email", "department", "role", "is_active"]
        labels = {"username": _("ユーザーID"), "email": _("メールアドレス"), "is_active": _("有効")}
        help_texts = {"username": _("半角英数字と @ . + - _ が使えます。")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].required = True
        model_choice_field(self, "department").queryset = Department.objects.filter(is_active=True)


class StaffCreateForm(StaffForm):
    class Meta(StaffForm.Meta):
        fields = ["username", "display_name", "email", "department", "role"]


class AllowedNetworkForm(ConsoleModelForm):
    class Meta:
        model = AllowedNetwork
        fields = ["cidr", "note"]
        help_texts = {"cidr": _("例: 10.20.0.0/16（1台だけなら 10.20.1.5/32）")}


class AuditFilterForm(ConsoleForm):
    required_css_class = ""
    date_from = forms.DateField(
        label=_("期間（から）"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("期間（まで）"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    actor = forms.ModelChoiceField(label=_("操作者"), queryset=Staff.objects.none(), required=False)
    department = forms.ModelChoiceField(label=_("課"), queryset=Department.objects.none(), required=False)
    action = forms.ChoiceField(
        label=_("操作"), required=False, choices=[("", _("すべて")), *AuditEntry.Action.choices]
    )
    text = forms.CharField(label=_("キーワード"), required=False, max_length=100)

    def __init__(self, *args, staff: Staff, **kwargs):
        super().__init__(*args, **kwargs)
        actor, department = model_choice_field(self, "actor"), model_choice_field(self, "department")
        actor.queryset = staff_choices_for(fetched_by=staff)
        department.queryset = department_choices_for(fetched_by=staff)
        actor.empty_label = department.empty_label = _("すべて")

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise forms.ValidationError(_("期間の開始日は終了日以前の日付にしてください。"))
        return data

    def filters(self) -> AuditFilters:
        """The filters to apply; an invalid form filters nothing rather than failing the page."""
        if not self.is_valid():
            return AuditFilters()
        return AuditFilters(**self.cleaned_data)
