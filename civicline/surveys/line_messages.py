"""The survey's invitation, composed as a delivery's card (SV-5) and sent to test devices as a
preview (X-11). It carries the title and description only, never anything a resident answered (SV-3).

Everything here speaks the language being spoken and picks the survey's texts in it (issue 21):
build inside ``languages.speaking`` (a delivery's versions) or a resident's reply.
"""

from __future__ import annotations

from typing import Any

from django.core import signing
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from civicline.core import languages
from civicline.core.translations import Translations, translated
from civicline.delivery.line_messages import ALT_TEXT_LIMIT, MessageDraft, build
from civicline.delivery.models import DeliveryMessage
from civicline.line.liff.links import liff_url

from .models import Survey

PREVIEW_SALT = "surveys.preview"
CAROUSEL_LIMIT = 10  # LINE's limit of bubbles in a carousel
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
    text = translated(survey, "description").strip() or _("アンケートへのご協力をお願いします。")
    return text if len(text) <= CARD_TEXT_LIMIT else text[: CARD_TEXT_LIMIT - 1] + "…"


def invitation(survey: Survey, *, preview: bool = False) -> MessageDraft:
    """The invitation as a delivery's card: the title, the description, one "回答する" link."""
    title = translated(survey, "title")
    return MessageDraft(
        kind=DeliveryMessage.Kind.CARD,
        title=(_("【プレビュー】") if preview else "") + title,
        text=invitation_text(survey),
        alt_text=(_("アンケートのお願い: ") + title)[:400],
        actions=[{"label": _("回答する"), "value": liff_url(survey_path(survey, preview=preview))}],
    )


def invitation_versions(survey: Survey) -> Translations:
    """The invitation in every offered language but Japanese, as a delivery message's translations:
    the delivery sends each resident theirs. Every language gets one, the survey's texts by the
    city's fallbacks where staff wrote none: the card's own words still come in the resident's."""
    versions: Translations = {}
    for code in languages.translation_languages():
        with languages.speaking(code):
            versions[code] = invitation(survey).texts()
    return versions


def preview_message(survey: Survey) -> dict[str, Any]:
    """What a test device receives: the same card the delivery will send, linking to the preview."""
    return build(invitation(survey, preview=True))


def _text(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "text", "text": text, "wrap": True, **extra}


def _button(label: str, uri: str, style: str = "primary") -> dict[str, Any]:
    action = {"type": "uri", "label": label, "uri": uri}
    return {"type": "button", "style": style, "height": "sm", "action": action}


def _bubble(survey: Survey) -> dict[str, Any]:
    contents = [
        _text(_("アンケート"), weight="bold", color="#06c755", size="sm"),
        _text(translated(survey, "title"), weight="bold", size="lg"),
        _text(invitation_text(survey), size="sm", color="#555555", maxLines=4),
        _text(
            _("担当: %(department)s") % {"department": survey.department.resident_name},
            size="xs",
            color="#8c8c8c",
        ),
    ]
    if survey.closes_at:
        closes = formats.date_format(timezone.localtime(survey.closes_at), "DATETIME_FORMAT")
        contents.append(_text(_("回答期限: %(date)s") % {"date": closes}, size="xs", color="#8c8c8c"))
    return {
        "type": "bubble",
        "body": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": contents},
        "footer": {
            "type": "box",
            "layout": "vertical",
            "contents": [_button(_("回答する"), liff_url(survey_path(survey)))],
        },
    }


def open_surveys(surveys: list[Survey]) -> dict[str, Any]:
    """The surveys a resident may answer now, as cards with 「回答する」 (SV-1): 「アンケート」 in the talk.

    More than a carousel holds: the first ones, and a last card linking to the list of them all.
    """
    shown = surveys[: CAROUSEL_LIMIT - 1] if len(surveys) > CAROUSEL_LIMIT else surveys
    bubbles = [_bubble(s) for s in shown]
    if len(shown) < len(surveys):
        bubbles.append(
            {
                "type": "bubble",
                "body": {
                    "type": "box",
                    "layout": "vertical",
                    "contents": [_text(_("ほかのアンケートもあります。"), weight="bold")],
                },
                "footer": {
                    "type": "box",
                    "layout": "vertical",
                    "contents": [
                        _button(_("すべて見る"), liff_url(reverse("surveys_liff:index")), "secondary")
                    ],
                },
            }
        )
    contents = bubbles[0] if len(bubbles) == 1 else {"type": "carousel", "contents": bubbles}
    titles = _("、").join(translated(s, "title") for s in shown)
    alt_text = (_("回答できるアンケート: ") + titles)[:ALT_TEXT_LIMIT]
    return {"type": "flex", "altText": alt_text, "contents": contents}


def none_open() -> str:
    return _("いまお答えいただけるアンケートはありません。新しいアンケートはこのトークでお知らせします。")
