"""Forms of the staff preview: a draft for a test device, and registering a test device."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicline.core.forms import ConsoleForm
from civicline.core.models import Staff

from .. import preview
from ..models import Friend, PreviewRecipient


class PreviewForm(ConsoleForm):
    recipient = forms.ModelChoiceField(
        label=_("送信先のテスト端末"), queryset=PreviewRecipient.objects.none(), empty_label=None
    )
    message = forms.CharField(
        label=_("メッセージ"),
        strip=False,
        widget=forms.Textarea(attrs={"rows": 14, "spellcheck": "false", "class": "code-input"}),
        help_text=_(
            "テキストはそのまま入力します。Flexメッセージなどは、メッセージのJSON"
            "（Flex Message Simulatorの「View as JSON」の内容など。5件までの配列も可）を貼り付けてください。"
        ),
    )
    alt_text = forms.CharField(
        label=_("代替テキスト（Flexの場合）"),
        required=False,
        max_length=400,
        help_text=_("通知やトーク一覧に表示される文です。バブル・カルーセルのJSONだけを貼り付けたときに使います。"),
    )

    def __init__(self, *args: Any, staff: Staff, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["recipient"].queryset = preview.preview_recipient_list_for(fetched_by=staff)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if "message" in data:
            try:
                data["messages"] = preview.draft_messages_parse(
                    data["message"], alt_text=data.get("alt_text", "")
                )
            except ValidationError as exc:
                self.add_error("message", exc)
        return data


def _friend_choice(friend: Friend) -> tuple[str, str]:
    # The id's tail tells apart two devices with the same display name.
    label = _("%(name)s（…%(tail)s、%(seen)s）") % {
        "name": friend.display_name or _("（名前未取得）"),
        "tail": friend.user_id[-6:],
        "seen": timezone.localtime(friend.last_seen).strftime("%H:%M"),
    }
    return friend.user_id, label


class PreviewRecipientForm(ConsoleForm):
    label = forms.CharField(
        label=_("テスト端末の名前"), max_length=60, help_text=_("例：子育て支援課 共用iPhone、田中のAndroid")
    )
    recent = forms.ChoiceField(
        label=_("最近友だち追加・利用したアカウントから選ぶ"),
        required=False,
        widget=forms.RadioSelect,
        help_text=_("テスト端末でLINE公式アカウントを友だち追加すると、ここに表示されます（60分以内）。"),
    )
    user_id = forms.RegexField(
        label=_("またはLINEユーザーIDを入力"),
        regex=r"^U[0-9a-f]{32}$",
        required=False,
        error_messages={"invalid": _("LINEユーザーIDは「U」で始まる33文字です。")},
        help_text=_("LINE Developersコンソールの「あなたのユーザーID」に表示されます。"),
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["recent"].choices = [_friend_choice(f) for f in preview.friend_list_recent()]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        user_id = data.get("user_id") or data.get("recent")
        if data.get("user_id") and data.get("recent") and data["user_id"] != data["recent"]:
            raise ValidationError(
                _("アカウントを選ぶか、LINEユーザーIDを入力するか、どちらか一方にしてください。")
            )
        if not user_id:
            if not self.has_error("user_id"):
                raise ValidationError(
                    _("テスト端末にするLINEアカウントを選ぶか、LINEユーザーIDを入力してください。")
                )
            return data
        data["friend"] = Friend.objects.filter(user_id=user_id).first()
        if data["friend"] is None:
            self.add_error(
                "user_id",
                _("このLINEアカウントはまだ友だち追加していません。先にテスト端末でLINE公式アカウントを友だち追加してください。"),
            )
        return data
