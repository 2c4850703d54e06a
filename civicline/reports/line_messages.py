"""The LINE messages of photo reports. They carry no personal data (X-1): the receipt number, the
category and the status; what residents wrote, their contact and the photos stay in our database.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicline.core import languages
from civicline.core.translations import translated
from civicline.line.liff.links import liff_url

from .models import Report, Status, StatusTemplate

FEATURE = "reports"
PLACEHOLDER = re.compile(r"\{(receipt_number|category)\}")

# Sent when the city wrote no message of its own for a status, in the reporter's language.
DEFAULT_STATUS_TEXTS = {
    Status.RECEIVED: gettext_lazy(
        "受付番号 {receipt_number} の通報（{category}）を受け付けました。内容を確認します。"
    ),
    Status.IN_PROGRESS: gettext_lazy(
        "受付番号 {receipt_number} の通報（{category}）について、担当課が対応を始めました。"
    ),
    Status.DONE: gettext_lazy(
        "受付番号 {receipt_number} の通報（{category}）の対応が完了しました。ご連絡ありがとうございました。"
    ),
    Status.REJECTED: gettext_lazy(
        "受付番号 {receipt_number} の通報（{category}）は、市で対応できない内容でした。"
        "詳しくは担当課からのご連絡をお待ちください。"
    ),
}


def form_uri() -> str:
    return liff_url(reverse("reports_liff:form"))


def mine_uri() -> str:
    return liff_url(reverse("reports_liff:mine"))


def postback(action: str) -> str:
    return urlencode({"feature": FEATURE, "action": action})


def fill(template: str, report: Report) -> str:
    """The two placeholders filled in; anything else in braces stays as written (no str.format).

    The category is named in the language being spoken (the reporter's, issue 21).
    """
    values = {"receipt_number": report.receipt_number, "category": translated(report.category, "name")}
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], str(template))


def status_text(report: Report, status: str) -> str:
    """The message for ``status`` in the language being spoken (the reporter's, issue 21).

    The city's own message where staff wrote it in that language (Japanese readers: its master);
    otherwise the standard message, which the catalogue has in every language — better than the
    city's wording in a language the reporter may not read.
    """
    template = StatusTemplate.objects.filter(status=status).first()
    language = languages.current()
    if template is not None and (
        language == languages.JAPANESE or (template.translations.get(language) or {}).get("text")
    ):
        return fill(translated(template, "text", language), report)
    return fill(DEFAULT_STATUS_TEXTS[Status(status)], report)


def status_message(report: Report, status: str) -> dict[str, Any]:
    """The templated notice for a status (its template names the report itself).

    Build it inside ``speaking_to(report.friend)``: staff's action runs in the console's language.
    """
    return {"type": "text", "text": status_text(report, status)}


def reply_message(report: Report, text: str) -> dict[str, Any]:
    """Staff's own words about the report, headed so the resident knows which report it is about."""
    head = _("受付番号 %(number)s の通報について") % {"number": report.receipt_number}
    if settings.CITY_NAME:
        head = f"【{settings.CITY_NAME}】{head}"
    return {"type": "text", "text": f"{head}\n\n{text.strip()}"}


def received(report: Report) -> dict[str, Any]:
    """The receipt the resident gets in the talk once the report is filed."""
    return {
        "type": "template",
        "altText": _("通報を受け付けました（受付番号 %(n)s）") % {"n": report.receipt_number},
        "template": {
            "type": "buttons",
            # No title: with one, LINE allows only 60 characters of text.
            "text": (
                _("通報を受け付けました。\n受付番号 %(n)s\n種類: %(c)s\n")
                % {"n": report.receipt_number, "c": translated(report.category, "name")}
            )
            + _("対応の状況はこのトークでお知らせします。"),
            "actions": [{"type": "uri", "label": _("通報の状況を見る"), "uri": mine_uri()}],
        },
    }


def _open_form(label: str) -> dict[str, Any]:
    return {"type": "action", "action": {"type": "uri", "label": label, "uri": form_uri()}}


def ask_to_report() -> dict[str, Any]:
    """The rich menu's 「通報する」 (postback): what to do, with the form and the talk's own way."""
    return {
        "type": "text",
        "text": _(
            "道路の穴、公園の遊具の破損、街灯の球切れなどを見つけたら、写真と場所を送ってください。\n"
            "通報フォームから送るか、このトークに写真と位置情報を送ってからフォームで仕上げることもできます。"
        ),
        "quickReply": {
            "items": [
                _open_form(_("通報フォーム")),
                {"type": "action", "action": {"type": "cameraRoll", "label": _("写真を送る")}},
            ]
        },
    }


def photos_received(count: int, *, has_location: bool) -> dict[str, Any]:
    """After photos in the talk: ask for the place (if not known yet), then the form."""
    if has_location:
        text = _(
            "写真を受け取りました（%(n)s枚）。下の「通報フォームで送信」から、種類と内容を入力して送信してください。"
        )
        items = [_open_form(_("通報フォームで送信"))]
    else:
        text = _(
            "写真を受け取りました（%(n)s枚）。破損などの通報でしたら、場所を「位置情報」で送ってください。"
            "そのあと通報フォームで種類と内容を入力して送信すると、受付となります。"
        )
        items = [
            {"type": "action", "action": {"type": "location", "label": _("位置情報を送る")}},
            _open_form(_("通報フォームへ")),
        ]
    return {"type": "text", "text": text % {"n": count}, "quickReply": {"items": items}}


def location_received() -> dict[str, Any]:
    return {
        "type": "template",
        "altText": _("場所を受け取りました。通報フォームで送信してください。"),
        "template": {
            "type": "buttons",
            "text": _("場所を受け取りました。通報フォームで種類と内容を確認して送信してください。"),
            "actions": [{"type": "uri", "label": _("通報フォームで送信"), "uri": form_uri()}],
        },
    }


def photo_refused(reason: str) -> dict[str, Any]:
    return {
        "type": "text",
        "text": _("写真を受け付けられませんでした。%(reason)s") % {"reason": reason},
        "quickReply": {"items": [_open_form(_("通報フォーム"))]},
    }
