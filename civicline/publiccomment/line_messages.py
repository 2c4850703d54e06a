"""LINE messages of public comments. They carry no personal data (PC-4, X-1): the consultation,
the receipt number and the date, never a name, an address or the comment itself.

They speak the language being spoken and name the consultation in it (issue 21): a reply is built
in the resident's; a push from staff's action inside ``speaking_to``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from civicline.core.translations import translated
from civicline.line.liff.links import liff_url

from .models import Consultation, Submission

FEATURE = "publiccomment"
ALT_TEXT_LIMIT = 400
CAROUSEL_LIMIT = 10  # LINE's limit of bubbles in a carousel


def postback(action: str, **params: Any) -> str:
    return urlencode({"feature": FEATURE, "action": action, **params})


def _date(moment: Any) -> str:
    return formats.date_format(timezone.localtime(moment), "DATE_FORMAT")


def _text(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "text", "text": text, "wrap": True, **extra}


def _row(label: str, value: str) -> dict[str, Any]:
    return {
        "type": "box",
        "layout": "baseline",
        "spacing": "sm",
        "contents": [
            _text(label, color="#8c8c8c", size="sm", flex=2),
            _text(value, size="sm", flex=5),
        ],
    }


def _bubble(consultation: Consultation, *, talk: bool) -> dict[str, Any]:
    footer = [
        {
            "type": "button",
            "style": "primary",
            "height": "sm",
            "action": {
                "type": "uri",
                "label": _("入力画面で答える"),
                "uri": liff_url(reverse("publiccomment_liff:detail", args=[consultation.pk])),
            },
        }
    ]
    if talk and consultation.talk_enabled:
        footer.append(
            {
                "type": "button",
                "style": "secondary",
                "height": "sm",
                "action": {
                    "type": "postback",
                    "label": _("トークで答える"),
                    "data": postback("talk", c=consultation.pk),
                    "displayText": _("トークで答える"),
                },
            }
        )
    return {
        "type": "bubble",
        "body": {
            "type": "box",
            "layout": "vertical",
            "spacing": "md",
            "contents": [
                _text(_("意見募集（パブリックコメント）"), weight="bold", color="#06c755", size="sm"),
                _text(translated(consultation, "title"), weight="bold", size="lg"),
                _row(
                    _("募集期間"),
                    _("%(start)s〜%(end)s")
                    % {"start": _date(consultation.opens_at), "end": _date(consultation.closes_at)},
                ),
                _row(_("担当"), consultation.department.resident_name),
            ],
        },
        "footer": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": footer},
    }


def announcement(consultations: list[Consultation]) -> dict[str, Any]:
    """The open consultations as cards, each with "answer in the form" and "answer in the talk"."""
    bubbles = [_bubble(c, talk=True) for c in consultations[:CAROUSEL_LIMIT]]
    contents = bubbles[0] if len(bubbles) == 1 else {"type": "carousel", "contents": bubbles}
    titles = _("、").join(translated(c, "title") for c in consultations[:CAROUSEL_LIMIT])
    return {"type": "flex", "altText": (_("意見募集: ") + titles)[:ALT_TEXT_LIMIT], "contents": contents}


def none_open() -> str:
    return _("現在、意見を募集している案件はありません。")


def received(submission: Submission) -> dict[str, Any]:
    """The receipt (PC-9): sent by LINE when a comment is submitted."""
    consultation = submission.consultation
    return {
        "type": "flex",
        "altText": _("ご意見を受け付けました（受付番号 %(n)s）") % {"n": submission.receipt_number},
        "contents": {
            "type": "bubble",
            "body": {
                "type": "box",
                "layout": "vertical",
                "spacing": "md",
                "contents": [
                    _text(_("ご意見を受け付けました"), weight="bold", color="#06c755", size="sm"),
                    _text(translated(consultation, "title"), weight="bold", size="lg"),
                    _row(_("受付番号"), submission.receipt_number),
                    _row(_("受付日"), _date(submission.created_at)),
                    _row(_("担当"), consultation.department.resident_name),
                    _text(
                        _(
                            "お問い合わせの際は受付番号をお伝えください。いただいたご意見への個別の回答は行っておりません。"
                        ),
                        size="xs",
                        color="#8c8c8c",
                    ),
                ],
            },
        },
    }


def staff_message(submission: Submission, text: str) -> list[dict[str, Any]]:
    """A department's message to the one resident who made ``submission`` (PC-8)."""
    heading = _("【%(title)s】受付番号 %(n)s のご意見について、%(department)sからのお知らせです。") % {
        "title": translated(submission.consultation, "title"),
        "n": submission.receipt_number,
        "department": submission.consultation.department.resident_name,
    }
    return [{"type": "text", "text": f"{heading}\n\n{text}"[:5000]}]


def talk_handover(consultation: Consultation, *, personal_left: bool) -> dict[str, Any]:
    """The end of the talk part: the rest (personal questions) and the confirmation are in LIFF."""
    if personal_left:
        text = _(
            "ここまでの回答を保存しました。お名前などの個人情報は、LINEのトークではなく次の入力画面でお伺いします。"
            "内容を確認してから送信してください。"
        )
        label = _("続きを入力する")
    else:
        text = _("ここまでの回答を保存しました。次の画面で内容を確認して送信してください。")
        label = _("確認して送信する")
    uri = liff_url(reverse("publiccomment_liff:resume", args=[consultation.pk]))
    return {
        "type": "template",
        "altText": text[:ALT_TEXT_LIMIT],
        "template": {
            "type": "buttons",
            "text": text[:160],
            "actions": [{"type": "uri", "label": label, "uri": uri}],
        },
    }


def talk_stopped(consultation: Consultation) -> dict[str, Any]:
    return {
        "type": "text",
        "text": _("「%(title)s」の入力を中断しました。ここまでの回答は保存されています。")
        % {"title": translated(consultation, "title")},
        "quickReply": {
            "items": [
                {
                    "type": "action",
                    "action": {
                        "type": "postback",
                        "label": _("続きから答える"),
                        "data": postback("talk", c=consultation.pk),
                        "displayText": _("続きから答える"),
                    },
                }
            ]
        },
    }
