"""The resident's booking form: name and contact, photos, location. The service's extra questions
are asked beside it by the form engine (``civicline.forms.fields.WholeForm``)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .. import contact
from ..models import Service
from ..photos import MAX_PHOTOS


class MultiplePhotoInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several files from one input (Django's documented pattern); each is checked by ``photos.py``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget", MultiplePhotoInput(attrs={"accept": "image/jpeg,image/png,image/webp,image/heic"})
        )
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list:
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if len(files) > MAX_PHOTOS:
            raise ValidationError(_("写真は%(n)s枚までです。"), params={"n": MAX_PHOTOS})
        return [super(PhotosField, self).clean(f, initial) for f in files]


class BookingForm(forms.Form):
    name = forms.CharField(
        label=_("お名前"), max_length=100, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    contact = forms.CharField(
        label=_("電話番号またはメールアドレス"),
        max_length=200,
        help_text=_("予約についてご連絡することがあります。例：06-1234-5678、taro@example.jp"),
        # No inputmode="tel": a phone keypad has no @, and an e-mail address is welcome too.
        widget=forms.TextInput(attrs={"autocomplete": "tel"}),
    )
    remember_contact = forms.BooleanField(
        label=_("お名前と連絡先を次回の予約のために保存する"), required=False
    )

    def __init__(self, *args: Any, service: Service, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.service = service
        if service.allow_photos:
            self.fields["photos"] = PhotosField(
                label=_("写真（%(n)s枚まで・任意）") % {"n": MAX_PHOTOS}, required=False
            )
        if service.allow_location:
            self.fields["place"] = forms.CharField(
                label=_("場所（住所・目印など・任意）"), max_length=200, required=False
            )
            self.fields["lat"] = forms.FloatField(
                required=False, min_value=-90, max_value=90, widget=forms.HiddenInput
            )
            self.fields["lng"] = forms.FloatField(
                required=False, min_value=-180, max_value=180, widget=forms.HiddenInput
            )

    def clean_contact(self) -> str:
        return contact.phone_or_email(self.cleaned_data["contact"])

    def location(self) -> dict[str, Any] | None:
        if not self.service.allow_location:
            return None
        place = self.cleaned_data.get("place", "").strip()
        lat, lng = self.cleaned_data.get("lat"), self.cleaned_data.get("lng")
        if not place and (lat is None or lng is None):
            return None
        location: dict[str, Any] = {"place": place}
        if lat is not None and lng is not None:
            location.update(lat=round(lat, 6), lng=round(lng, 6))
        return location
