"""The survey's invitation, composed as a delivery's card (SV-5) and sent to test devices as a
preview (X-11). It carries the title and description only, never anything a resident answered (SV-3)."""

from __future__ import annotations

from typing import Any

from django.core import signing
from django.urls import reverse
from django.utils.translation import gettext as _

from civicline.delivery.line_messages import MessageDraft, build
from civicline.delivery.models import DeliveryMessage
from civicline.line.liff.links import liff_url

from .models import Survey

PREVIEW_SALT = "surveys.preview"
PREVIEW_MAX_AGE = 7 * 24 * 3600  # a preview link works for a week
CARD_TEXT_LIMIT = 300


def survey_path(survey: Survey, *, preview: bool = False) -> str:
    """The survey's resident page; a preview link carries a signed token for the test device."""
    path = reverse("surveys_liff:start", args=[survey.pk])
    return f"{path}?preview={preview_token(survey)}" if preview else path


def preview_token(survey: Survey) -> str:
    return signing.dumps(survey.pk, salt=PREVIEW_SALT)


def preview_survey_id(token: str) -> int | None:
    try:
        return int(signing.loads(token, salt=PREVIEW_SALT, max_age=PREVIEW_MAX_AGE))
    except (signing.BadSignature, TypeError, ValueError):
        return None


def invitation_text(survey: Survey) -> str:
    text = survey.description.strip() or _("アンケートへのご協力をお願いします。")
    return text if len(text) <= CARD_TEXT_LIMIT else text[: CARD_TEXT_LIMIT - 1] + "…"


def invitation(survey: Survey, *, preview: bool = False) -> MessageDraft:
    """The invitation as a delivery's card: the title, the description, one "回答する" link."""
    return MessageDraft(
        kind=DeliveryMessage.Kind.CARD,
        title=(_("【プレビュー】") if preview else "") + survey.title,
        text=invitation_text(survey),
        alt_text=(_("アンケートのお願い: ") + survey.title)[:400],
        actions=[{"label": _("回答する"), "value": liff_url(survey_path(survey, preview=preview))}],
    )


def preview_message(survey: Survey) -> dict[str, Any]:
    """What a test device receives: the same card the delivery will send, linking to the preview."""
    return build(invitation(survey, preview=True))
