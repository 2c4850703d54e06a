from django import forms
from django.utils.translation import gettext_lazy as _

from civicline.core.images import ACCEPT_ATTRIBUTE

from ..services import MAX_TEXT


class MessageForm(forms.Form):
    text = forms.CharField(
        label=_("メッセージ"),
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": MAX_TEXT, "placeholder": _("メッセージを入力")}),
    )
    photo = forms.FileField(
        label=_("写真を添える"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT_ATTRIBUTE}),
    )

    def clean(self):
        cleaned = super().clean()
        if not (cleaned.get("text") or "").strip() and not cleaned.get("photo") and not self.errors:
            raise forms.ValidationError(_("メッセージを入力するか、写真を選んでください。"))
        return cleaned
