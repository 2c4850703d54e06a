"""Console forms of delivery: composing a delivery and its messages, scheduling, segments, grants, lists."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicline.core import languages
from civicline.core.forms import ConsoleForm, ConsoleModelForm
from civicline.core.models import Staff
from civicline.core.translations import TranslationsFormMixin
from civicline.line import preview
from civicline.line.models import PreviewRecipient

from .. import selectors
from ..images import StoredImage, image_store
from ..line_messages import MAX_ACTIONS, MAX_MESSAGES, label_field
from ..models import Area, Delivery, DeliveryMessage, Segment, Topic
from ..services import MessageInput

ACTION_SLOTS = max(MAX_ACTIONS.values())


class DeliveryForm(ConsoleForm):
    title = forms.CharField(
        label=_("件名"), max_length=100, help_text=_("配信の一覧に表示され、メールの件名にもなります。")
    )
    audience = forms.ChoiceField(
        label=_("配信先"),
        choices=Delivery.Audience.choices,
        widget=forms.RadioSelect,
        initial=Delivery.Audience.SEGMENTS,
    )
    segments = forms.ModelMultipleChoiceField(
        label=_("セグメント"),
        queryset=Segment.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("この課が使用を許可されたセグメントだけが表示されます。"),
    )
    combine = forms.ChoiceField(
        label=_("複数のセグメントを選んだとき"),
        choices=Delivery.Combine.choices,
        widget=forms.RadioSelect,
        initial=Delivery.Combine.ANY,
    )
    email_too = forms.BooleanField(
        label=_("メール配信の登録者にも送る"),
        required=False,
        help_text=_(
            "セグメントの条件にある分野（全員への配信ではすべての分野）をメールで受け取る登録をした方に、同じ内容をメールで送ります。"
        ),
    )
    emergency = forms.BooleanField(
        label=_("緊急配信（避難情報など）"),
        required=False,
        help_text=_(
            "1週間の配信上限を適用せず、対象の全員に届けます。命に関わるお知らせだけに使ってください。"
        ),
    )

    def __init__(self, *args: Any, staff: Staff, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["segments"].queryset = selectors.segment_usable_by(staff=staff)
        if not selectors.may_send_to_all(staff=staff):
            self.fields["audience"].choices = [(Delivery.Audience.SEGMENTS, Delivery.Audience.SEGMENTS.label)]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("audience") == Delivery.Audience.SEGMENTS and not data.get("segments"):
            self.add_error("segments", _("配信先のセグメントを選んでください。"))
        return data


# Which kinds of message show a text (the compose page hides the rest, its versions too).
FIELD_KINDS = {
    "title": "buttons card",
    "text": "text buttons confirm card",
    "alt_text": "buttons confirm card",
    **{label_field(i): "buttons confirm card" for i in range(1, ACTION_SLOTS + 1)},
}


class MessageForm(TranslationsFormMixin, forms.Form):
    """One of the five message slots; a slot whose kind is empty is not used.

    Each text a resident reads (and each button's label) may be written in the other languages the
    city offers (issue 21): folded per language below the slot, marked 未翻訳 where one is missing.
    """

    kind = forms.ChoiceField(
        label=_("種類"), required=False, choices=[("", _("（使わない）")), *DeliveryMessage.Kind.choices]
    )
    title = forms.CharField(label=_("見出し"), max_length=100, required=False)
    text = forms.CharField(
        label=_("本文"), required=False, strip=False, widget=forms.Textarea(attrs={"rows": 5})
    )
    image = forms.FileField(
        label=_("画像"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    remove_image = forms.BooleanField(label=_("画像を外す"), required=False)
    alt_text = forms.CharField(
        label=_("通知に表示する文"),
        max_length=400,
        required=False,
        help_text=_(
            "ボタン・確認・カードのメッセージで、通知やトーク一覧に表示されます。空欄なら見出しか本文の冒頭。"
        ),
    )

    def __init__(
        self,
        *args: Any,
        position: int,
        current_image: Any = None,
        translations: dict[str, Any] | None = None,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.position = position
        self.current_image = current_image
        for i in range(1, ACTION_SLOTS + 1):
            self.fields[label_field(i)] = forms.CharField(
                label=_("ボタン%(i)dの表示名") % {"i": i}, max_length=40, required=False
            )
            self.fields[f"value{i}"] = forms.CharField(
                label=_("ボタン%(i)dのリンク先URL、または送る言葉") % {"i": i},
                max_length=1000,
                required=False,
            )
        self.translation_fields_add(translations or {}, fields=tuple(FIELD_KINDS))

    def language_versions(self) -> list[dict[str, Any]]:
        """``translation_groups`` with each field's kinds, for the page to show only what applies."""
        groups = self.translation_groups()
        for group in groups:
            group["rows"] = [
                (bound, FIELD_KINDS[name])
                for bound, name in zip(group["fields"], self.translated_field_names, strict=True)
            ]
        return groups

    @property
    def action_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"label{i}"], self[f"value{i}"]) for i in range(1, ACTION_SLOTS + 1)]

    @property
    def used(self) -> bool:
        return bool(self.cleaned_data.get("kind"))

    def _used_rows(self) -> list[int]:
        """The button rows filled in (a row left blank between two is skipped)."""
        data = self.cleaned_data
        return [
            i
            for i in range(1, ACTION_SLOTS + 1)
            if data.get(label_field(i), "").strip() or data.get(f"value{i}", "").strip()
        ]

    def actions(self) -> list[dict[str, str]]:
        data = self.cleaned_data
        return [
            {"label": data.get(label_field(i), "").strip(), "value": data.get(f"value{i}", "").strip()}
            for i in self._used_rows()
        ]

    def translations(self) -> dict[str, dict[str, str]]:
        """The versions written, a button's label kept under the place its button will have."""
        renumbered = {
            label_field(row): label_field(place) for place, row in enumerate(self._used_rows(), start=1)
        }
        result = {}
        for code, texts in self.translations_cleaned().items():
            kept = {
                renumbered.get(name, name): text
                for name, text in texts.items()
                if not name.startswith("label") or name in renumbered
            }
            if kept:
                result[code] = kept
        return result

    def to_input(self, new_image: StoredImage | None) -> MessageInput:
        data = self.cleaned_data
        return MessageInput(
            kind=data["kind"],
            text=data["text"],
            title=data["title"].strip(),
            alt_text=data["alt_text"].strip(),
            actions=self.actions(),
            new_image=new_image,
            keep_image=not data["remove_image"],
            slot=self.position,
            translations=self.translations(),
        )


def message_forms(
    data: Any = None, files: Any = None, *, delivery: Delivery | None = None
) -> list[MessageForm]:
    existing = {m.position: m for m in delivery.messages.select_related("image")} if delivery else {}
    forms_ = []
    for position in range(1, MAX_MESSAGES + 1):
        message = existing.get(position)
        initial: dict[str, Any] = {}
        if message is not None:
            initial = {
                "kind": message.kind,
                "title": message.title,
                "text": message.text,
                "alt_text": message.alt_text,
            }
            for i, action in enumerate(message.actions, start=1):
                initial[label_field(i)], initial[f"value{i}"] = (
                    action.get("label", ""),
                    action.get("value", ""),
                )
        elif delivery is None and position == 1:
            initial = {"kind": DeliveryMessage.Kind.TEXT}
        forms_.append(
            MessageForm(
                data,
                files,
                prefix=f"m{position}",
                position=position,
                initial=initial,
                current_image=message.image if message else None,
                translations=message.translations if message else None,
            )
        )
    return forms_


class ScheduleForm(ConsoleForm):
    when = forms.ChoiceField(
        label=_("配信のタイミング"),
        widget=forms.RadioSelect,
        initial="later",
        choices=[("now", _("今すぐ配信する")), ("later", _("日時を指定して予約する"))],
    )
    at = forms.DateTimeField(
        label=_("配信日時"),
        required=False,
        input_formats=["%Y-%m-%dT%H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("when") == "later" and not data.get("at"):
            self.add_error("at", _("配信日時を入力してください。"))
        return data

    def moment(self) -> datetime | None:
        at = self.cleaned_data.get("at")
        if self.cleaned_data["when"] == "now" or at is None:
            return None
        return timezone.make_aware(at) if timezone.is_naive(at) else at


class TestSendForm(ConsoleForm):
    recipients = forms.ModelMultipleChoiceField(
        label=_("テスト端末"),
        queryset=PreviewRecipient.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("テスト送信先のテスト端末を選んでください。")},
    )
    language = forms.ChoiceField(
        label=_("言語"),
        required=False,
        choices=(),
        help_text=_(
            "その言語の住民に届く版を送ります（その言語の版がなければ、住民と同じく代わりの言語の版）。"
        ),
        error_messages={"invalid_choice": _("選べない言語です。一覧から選んでください。")},
    )

    def __init__(self, *args: Any, staff: Staff, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["recipients"].queryset = preview.preview_recipient_list_for(fetched_by=staff)
        self.fields["language"].choices = [("", _("テスト端末のLINEの言語")), *languages.resident_choices()]


class SegmentForm(ConsoleForm):
    name = forms.CharField(label=_("セグメント名"), max_length=80)
    description = forms.CharField(label=_("説明"), max_length=200, required=False)


class GrantForm(ConsoleForm):
    may_send_to_all = forms.BooleanField(label=_("友だち全員への配信を許可する"), required=False)
    segments = forms.ModelMultipleChoiceField(
        label=_("使用を許可するセグメント"),
        queryset=Segment.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["segments"].queryset = Segment.objects.select_related("department")
        self.fields["segments"].label_from_instance = lambda s: f"{s.name}（{s.department.name}）"


class TopicForm(TranslationsFormMixin, ConsoleModelForm):
    class Meta:
        model = Topic
        fields = ["name", "description", "position", "is_active"]

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.translation_fields_add(self.instance, fields=Topic.TRANSLATED_FIELDS)


class AreaForm(TranslationsFormMixin, ConsoleModelForm):
    class Meta:
        model = Area
        fields = ["name", "position", "is_active"]

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.translation_fields_add(self.instance, fields=Area.TRANSLATED_FIELDS)


def stored_image_or_error(form: MessageForm) -> StoredImage | None:
    """The form's uploaded picture stored for LINE, or None; a refusal is put on the form."""
    upload = form.cleaned_data.get("image")
    if not upload or not form.used:
        return None
    try:
        return image_store(upload)
    except ValidationError as exc:
        form.add_error("image", exc)
        return None
