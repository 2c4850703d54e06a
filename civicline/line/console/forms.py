"""Forms of the staff preview: a draft for a test device, and naming a device before pairing it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from civicline.core.forms import ConsoleForm, model_choice_field
from civicline.core.models import Staff

from .. import preview
from ..models import PreviewRecipient


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
        model_choice_field(self, "recipient").queryset = preview.preview_recipient_list_for(fetched_by=staff)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if "message" in data:
            try:
                data["messages"] = preview.draft_messages_parse(
                    data["message"], alt_text=data.get("alt_text", "")
                )
            except ValidationError as exc:
                self.add_error("message", exc)
        return data


class PairingCodeForm(ConsoleForm):
    """Only a name for the device: which LINE account it is, the owner proves from that phone."""

    label = forms.CharField(
        label=_("テスト端末の名前"), max_length=60, help_text=_("例：田中のiPhone、子育て支援課 共用Android")
    )

    def __init__(self, *args: Any, staff: Staff, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["label"].initial = _("%(name)sのスマートフォン") % {"name": staff}
