from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from civicline.core.models import Department, Staff
from civicline.core.translations import TranslationsFormMixin

from ..models import DisasterKind, Facility, FacilityCategory, FacilityDataset, Shelter
from ..opendata import MAX_FILE_BYTES


class CategoryForm(TranslationsFormMixin, forms.ModelForm):
    class Meta:
        model = FacilityCategory
        fields = ["key", "name", "icon", "colour", "is_shelter", "order"]
        widgets = {"colour": forms.TextInput(attrs={"type": "color"})}

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.translation_fields_add(self.instance, fields=FacilityCategory.TRANSLATED_FIELDS)


def _department_field(staff: Staff) -> forms.ModelChoiceField:
    """Only the system administrator chooses a department; everyone else works for their own."""
    return forms.ModelChoiceField(
        label=_("担当課"), queryset=Department.objects.filter(is_active=True), initial=staff.department_id
    )


class DatasetForm(forms.ModelForm):
    class Meta:
        model = FacilityDataset
        fields = ["name", "code", "kind", "category", "attribution"]

    def __init__(self, *args: Any, staff: Staff, with_department: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if with_department and staff.is_system_admin:
            self.fields = {"department": _department_field(staff), **self.fields}


class FacilityForm(TranslationsFormMixin, forms.ModelForm):
    url = forms.URLField(label=_("URL"), max_length=500, required=False, assume_scheme="https")
    kinds = forms.MultipleChoiceField(
        label=_("対象の災害種別（避難先のみ）"),
        choices=DisasterKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("どれも選ばない場合は、災害種別を問わない避難先として扱います。"),
    )

    class Meta:
        model = Facility
        fields = [
            "category",
            "name",
            "kana",
            "address",
            "latitude",
            "longitude",
            "phone",
            "hours",
            "url",
            "capacity",
            "accessibility",
            "description",
            "notes",
        ]
        widgets = {
            "accessibility": forms.Textarea(attrs={"rows": 2}),
            "description": forms.Textarea(attrs={"rows": 3}),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, staff: Staff, with_department: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if with_department and staff.is_system_admin:
            self.fields = {"department": _department_field(staff), **self.fields}
        shelter = getattr(self.instance, "shelter", None) if self.instance.pk else None
        if shelter is not None:
            self.fields["kinds"].initial = [k.value for k in shelter.kinds]
        self.translation_fields_add(self.instance, fields=Facility.TRANSLATED_FIELDS)


class FacilityFilterForm(forms.Form):
    q = forms.CharField(label=_("名称・住所"), required=False)
    category = forms.ModelChoiceField(
        label=_("分類"), queryset=FacilityCategory.objects.all(), required=False
    )
    dataset = forms.ModelChoiceField(
        label=_("データセット"), queryset=FacilityDataset.objects.none(), required=False
    )

    def __init__(self, *args: Any, datasets: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["dataset"].queryset = datasets

    def filters(self) -> dict[str, Any]:
        if not self.is_valid():
            return {}
        return {
            "text": self.cleaned_data["q"].strip(),
            "category": self.cleaned_data["category"],
            "dataset": self.cleaned_data["dataset"],
        }


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("取り込むファイル（CSV または GeoJSON）"),
        help_text=_(
            "自治体標準オープンデータセットの形式のCSV（UTF-8 または Shift_JIS）、"
            "または国土地理院のGeoJSON。上限 5 MB。"
        ),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(_("ファイルが大きすぎます（上限 5 MB）。"))
        return upload


class ShelterFilterForm(forms.Form):
    q = forms.CharField(label=_("名称"), required=False)
    status = forms.ChoiceField(
        label=_("開設状況"), choices=[("", _("すべて")), *Shelter.Status.choices], required=False
    )


class DisasterKindForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("現在の災害種別"),
        choices=[("", _("指定なし（平常時）")), *DisasterKind.choices],
        required=False,
    )
