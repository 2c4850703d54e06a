"""Console forms of reservations: counters, services (hours as text), special days, the booking
filter, phone bookings (the service's questions by the form engine), cancellation."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from civicline.core.calendar import HOURS_HELP, ranges_parse
from civicline.core.console.forms import HOURS_FIELDS, WeeklyHoursFields, model_data
from civicline.core.forms import ConsoleForm, ConsoleModelForm
from civicline.core.models import Department, Staff
from civicline.core.translations import TranslationsFormMixin
from civicline.forms.fields import WholeForm
from civicline.forms.files import photo_store

from .. import contact
from ..models import Booking, Counter, Service, SpecialDay
from ..selectors import BookingFilters


class CounterForm(TranslationsFormMixin, ConsoleModelForm):
    department = forms.ModelChoiceField(label=_("担当課"), queryset=Department.objects.filter(is_active=True))

    class Meta:
        model = Counter
        fields = ["department", "name", "category", "place", "description", "is_active"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, staff: Staff, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not staff.is_system_admin:
            # Department staff always work for their own department; the field is not theirs to choose.
            del self.fields["department"]
        self.translation_fields_add(self.instance, fields=Counter.TRANSLATED_FIELDS)

    def counter_data(self) -> dict[str, Any]:
        return model_data(self, exclude=("department",))


SERVICE_SECTIONS = [
    (_("基本"), ["name", "description", "is_active"]),
    (_("枠"), ["slot_minutes", "seats_per_slot"]),
    (_("受付時間"), [*HOURS_FIELDS, "year_end_closed"]),
    (
        _("予約の受付期間と取消"),
        [
            "book_from_days",
            "book_until_days",
            "book_cutoff",
            "cancel_days_before",
            "cancel_cutoff",
            "max_open_per_resident",
        ],
    ),
    (_("写真・場所"), ["allow_photos", "allow_location"]),
    (_("通知"), ["notification_email", "notify_with_answers", "reminder_time", "reminder_text"]),
]


class ServiceForm(TranslationsFormMixin, WeeklyHoursFields, ConsoleModelForm):
    class Meta:
        model = Service
        fields = [
            name for _title, names in SERVICE_SECTIONS for name in names if not name.startswith("hours_")
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "reminder_text": forms.Textarea(attrs={"rows": 2}),
            "book_cutoff": forms.TimeInput(attrs={"type": "time"}),
            "cancel_cutoff": forms.TimeInput(attrs={"type": "time"}),
            "reminder_time": forms.TimeInput(attrs={"type": "time"}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.hours_fields_add(self.instance.hours)
        self.translation_fields_add(self.instance, fields=Service.TRANSLATED_FIELDS)

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        cleaned["hours"] = self.hours_clean(cleaned)
        until, start = cleaned.get("book_until_days"), cleaned.get("book_from_days")
        if until is not None and start is not None and until < start:
            self.add_error("book_until_days", _("「何日後まで」は「何日後から」以上にしてください。"))
        return cleaned

    def sections(self) -> list[tuple[str | Promise, list[forms.BoundField]]]:
        return [(title, [self[name] for name in names]) for title, names in SERVICE_SECTIONS]

    def service_data(self) -> dict[str, Any]:
        return {**model_data(self), "hours": self.cleaned_data["hours"]}


class SpecialDayForm(TranslationsFormMixin, ConsoleModelForm):
    hours_text = forms.CharField(label=_("受付時間（臨時開設の場合）"), required=False, help_text=HOURS_HELP)

    class Meta:
        model = SpecialDay
        fields = ["date", "kind", "note"]
        widgets = {"date": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.translation_fields_add(self.instance, fields=SpecialDay.TRANSLATED_FIELDS)

    def master_fields(self) -> list[forms.BoundField]:
        """The Japanese fields, laid out in a row; the other languages fold below them."""
        return [f for f in self.visible_fields() if not getattr(f.field, "translation_language", "")]

    def clean_hours_text(self) -> list[list[str]]:
        return ranges_parse(self.cleaned_data["hours_text"])


class BookingFilterForm(ConsoleForm):
    service = forms.TypedChoiceField(label=_("予約メニュー"), required=False, coerce=int, empty_value=None)
    status = forms.ChoiceField(
        label=_("状態"), required=False, choices=[("", _("すべて")), *Booking.Status.choices]
    )
    channel = forms.ChoiceField(
        label=_("受付方法"), required=False, choices=[("", _("すべて")), *Booking.Channel.choices]
    )
    date_from = forms.DateField(
        label=_("日付（から）"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("日付（まで）"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    receipt_number = forms.CharField(label=_("受付番号"), required=False, max_length=20)

    def __init__(self, *args: Any, services: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["service"]).choices = [("", _("すべて"))] + [
            (s.pk, f"{s.counter.name} / {s.name}") for s in services
        ]

    def filters(self) -> BookingFilters:
        if not self.is_bound or not self.is_valid():
            return BookingFilters()
        return BookingFilters(**self.cleaned_data)


class PhoneBookingForm(ConsoleForm):
    start = forms.ChoiceField(label=_("時間"), widget=forms.RadioSelect)
    name = forms.CharField(label=_("氏名"), max_length=100)
    contact = forms.CharField(
        label=_("電話番号"), max_length=200, widget=forms.TextInput(attrs={"inputmode": "tel"})
    )
    capacity_override = forms.BooleanField(
        label=_("満席でも定員を超えて登録する（記録されます）"), required=False
    )

    def __init__(self, *args: Any, service: Service, slots: list, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.service = service
        cast(forms.ChoiceField, self.fields["start"]).choices = [
            (s.starts_at.isoformat(), f"{s.starts_at:%H:%M}〜{s.ends_at:%H:%M}（{s.taken}/{s.seats}）")
            for s in slots
        ]
        # The service's questions, asked by the form engine on the same page (names q1, q2…).
        self.questions = WholeForm(
            self.data if self.is_bound else None,
            self.files if self.is_bound else None,
            questions=service.form.questions,
            answers={},
        )

    def clean_contact(self) -> str:
        # Taken on the phone: the number the resident called from or gave, checked like theirs.
        return contact.phone_number(self.cleaned_data["contact"])

    def is_valid(self) -> bool:
        return all([super().is_valid(), self.questions.is_valid()])

    def answers(self) -> dict[str, Any]:
        """The answers as the form engine keeps them; a photo it refuses raises ValidationError."""
        answers = self.questions.page_answers(photo_store)
        if self.questions.errors:
            raise ValidationError(_("添付された写真を確認してください。"))
        return answers


class CancelForm(ConsoleForm):
    reason = forms.CharField(
        label=_("取消理由"),
        max_length=300,
        help_text=_("LINEで予約した住民には、この理由をLINEでお知らせします。個人情報は書かないでください。"),
    )
