"""The resident's report form (PH-1, PH-2): category, photos, place, message, optional contact."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from civicline.core.images import ACCEPT_ATTRIBUTE
from civicline.core.translations import translated
from civicline.line.models import Friend

from .. import selectors
from ..models import LocationSource
from ..services import MAX_MESSAGE_LENGTH, MAX_PHOTOS, Location


class MultiplePhotoInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotoFilesField(forms.FileField):
    """Several files from one input (Django's documented pattern); each is checked on its own later."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultiplePhotoInput(attrs={"accept": ACCEPT_ATTRIBUTE}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list:
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        return [super(PhotoFilesField, self).clean(f, initial) for f in files]


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return translated(obj, "name")  # in the resident's language (issue 21)


class ReportForm(forms.Form):
    category = CategoryChoiceField(
        label=_("種類"),
        queryset=selectors.categories_for_residents(),
        empty_label=None,
        widget=forms.RadioSelect,
        error_messages={"required": _("通報の種類を選んでください。")},
    )
    photos = PhotoFilesField(
        # Lazy, so that each resident reads it in their language (a % here would fix it at import).
        label=lazy(lambda: _("写真（%(n)s枚まで）") % {"n": MAX_PHOTOS}, str)(),
        required=False,
        help_text=_("JPEG・PNG・HEIC、1枚15MBまで。写真の位置情報などは取り除いて保存します。"),
    )
    photo = forms.TypedMultipleChoiceField(coerce=int, required=False, widget=forms.MultipleHiddenInput)
    latitude = forms.FloatField(required=False, min_value=-90, max_value=90, widget=forms.HiddenInput)
    longitude = forms.FloatField(required=False, min_value=-180, max_value=180, widget=forms.HiddenInput)
    location_source = forms.ChoiceField(
        required=False, choices=[("", ""), *LocationSource.choices], widget=forms.HiddenInput
    )
    place_note = forms.CharField(
        label=_("場所の目印（任意）"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("例: ○○公園の北側入口、電柱番号 など")}),
    )
    message = forms.CharField(
        label=_("内容"),
        max_length=MAX_MESSAGE_LENGTH,
        required=False,
        widget=forms.Textarea(
            attrs={"rows": 4, "placeholder": _("例: 歩道に深さ10cmほどの穴があいています")}
        ),
    )
    contact_name = forms.CharField(
        label=_("お名前（任意）"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    contact = forms.CharField(
        label=_("電話番号またはメールアドレス（任意）"),
        max_length=200,
        required=False,
        help_text=_("詳しい状況を伺うことがあります。市のシステムにだけ保存され、LINEには送られません。"),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )

    def __init__(self, *args: Any, friend: Friend, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.friend = friend
        # Only the resident's own photos waiting for a report can be attached.
        self.fields["photo"].choices = [(p.pk, p.pk) for p in selectors.pending_photos_of(friend=friend)]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        latitude, longitude = data.get("latitude"), data.get("longitude")
        if (latitude is None) != (longitude is None):
            raise ValidationError(_("場所をもう一度指定してください。"))
        if latitude is None and not data.get("place_note"):
            raise ValidationError(
                _("場所を地図で指定するか、場所の目印を入力してください。"), code="no_place"
            )
        if not (data.get("photo") or data.get("photos") or data.get("message")):
            raise ValidationError(_("写真を選ぶか、内容を入力してください。"), code="empty")
        return data

    def location(self) -> Location | None:
        data = self.cleaned_data
        if data.get("latitude") is None:
            return None
        return Location(
            latitude=data["latitude"],
            longitude=data["longitude"],
            source=data.get("location_source") or LocationSource.PIN,
        )


class AddPhotosForm(forms.Form):
    photos = PhotoFilesField(label=_("追加する写真"), required=True)
