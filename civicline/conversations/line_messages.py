"""What conversations say in the LINE talk. Nothing here carries personal data (X-1): topics,
departments, hours and receipt numbers only. A personal topic's words stay on the LIFF page; LINE
only says that there is something to read there.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _

from civicline.core.translations import translated
from civicline.line.liff.links import liff_url

from . import hours
from .models import Conversation, Topic

FEATURE = "conversations"
QUICK_REPLY_LABEL = 20  # LINE's limit for a quick reply button's label
MAX_QUICK_REPLIES = 13
TEXT_LIMIT = 5000


def postback(action: str, **params: Any) -> str:
    return urlencode({"feature": FEATURE, "action": action, **params})


def _label(text: str) -> str:
    return text if len(text) <= QUICK_REPLY_LABEL else text[: QUICK_REPLY_LABEL - 1] + "…"


def _postback_item(label: str, data: str) -> dict[str, Any]:
    return {
        "type": "action",
        "action": {"type": "postback", "label": _label(label), "data": data, "displayText": label[:300]},
    }


def _uri_item(label: str, uri: str) -> dict[str, Any]:
    return {"type": "action", "action": {"type": "uri", "label": _label(label), "uri": uri}}


def _text(text: str, items: Sequence[dict[str, Any]] = ()) -> dict[str, Any]:
    message: dict[str, Any] = {"type": "text", "text": text[:TEXT_LIMIT]}
    if items:
        message["quickReply"] = {"items": list(items)[:MAX_QUICK_REPLIES]}
    return message


def _end_item(conversation: Conversation) -> dict[str, Any]:
    return _postback_item(_("相談を終える"), postback("end", c=conversation.receipt_number))


def _button_card(*, alt: str, lines: Sequence[str], label: str, uri: str) -> dict[str, Any]:
    body = [{"type": "text", "text": line, "wrap": True, "size": "sm"} for line in lines if line]
    body[0].update(weight="bold", size="md")
    return {
        "type": "flex",
        "altText": alt[:400],
        "contents": {
            "type": "bubble",
            "body": {"type": "box", "layout": "vertical", "spacing": "md", "contents": body},
            "footer": {
                "type": "box",
                "layout": "vertical",
                "contents": [
                    {
                        "type": "button",
                        "style": "primary",
                        "color": "#06c755",
                        "height": "sm",
                        "action": {"type": "uri", "label": label[:40], "uri": uri},
                    }
                ],
            },
        },
    }


# --- choosing a topic -----------------------------------------------------------------------------


def topic_menu(topics: Sequence[Topic]) -> dict[str, Any]:
    """The question 「どの相談ですか」 with a quick reply per topic (the full list on the LIFF page)."""
    if not topics:
        return _text(
            _(
                "申し訳ありません。現在、LINEで職員がお受けしている相談はありません。市役所の各窓口へお問い合わせください。"
            )
        )
    items = [_postback_item(translated(t, "name"), postback("topic", topic=t.pk)) for t in topics]
    if len(items) > MAX_QUICK_REPLIES:
        items = items[: MAX_QUICK_REPLIES - 1]
        items.append(_uri_item(_("ほかの相談"), liff_url(reverse("conversations_liff:index"))))
    return _text(_("職員がお話を伺います。ご相談の内容を下のボタンから選んでください。"), items)


def hours_line(topic: Topic) -> str:
    return _("受付時間: %(hours)s") % {"hours": hours.hours_text(topic)}


def closed_line(topic: Topic, now: datetime) -> str:
    """Why nobody answers now, and when someone will; ends with the topic's own note."""
    opening = hours.next_opening(topic, now)
    text = _("ただいま受付時間外です。")
    if opening is not None:
        text += _("次の受付開始は %(when)s です。") % {"when": hours.moment_text(opening)}
    return text + (f"\n{translated(topic, 'closed_message')}" if topic.closed_message else "")


def personal_topic(topic: Topic, now: datetime) -> dict[str, Any]:
    """A personal topic: the resident goes on in the LIFF chat page, never in the talk."""
    lines = [
        _("「%(topic)s」のご相談（%(department)s）")
        % {"topic": translated(topic, "name"), "department": topic.department.resident_name},
        _("個人情報を守るため、このご相談は専用の画面でお伺いします。下のボタンから開いてください。"),
        hours_line(topic),
        "" if hours.is_open(topic, now) else closed_line(topic, now),
    ]
    url = liff_url(reverse("conversations_liff:start", args=[topic.pk]))
    return _button_card(alt=lines[0], lines=lines, label=_("専用画面で相談する"), uri=url)


def topic_unavailable() -> dict[str, Any]:
    return _text(
        _("この相談は現在受け付けていません。お手数ですが、もう一度「職員と話したい」と送ってください。")
    )


# --- a conversation in the talk -----------------------------------------------------------------


def started(conversation: Conversation, now: datetime) -> dict[str, Any]:
    topic = conversation.topic
    lines = [
        _("「%(topic)s」のご相談を受け付けました。担当: %(department)s、受付番号: %(number)s")
        % {
            "topic": translated(topic, "name"),
            "department": conversation.department.resident_name,
            "number": conversation.receipt_number,
        },
        _("ご用件をこのトークに送ってください。写真や位置情報も送れます。"),
        _("※氏名・住所・電話番号などの個人情報は、トークに書かないでください。"),
        hours_line(topic),
    ]
    if not hours.is_open(topic, now):
        lines.append(closed_line(topic, now) + _("いただいたメッセージは、受付時間に担当者が確認します。"))
    lines.append(_("ご相談が終わったら「相談を終える」を押してください。"))
    return _text("\n".join(lines), [_end_item(conversation)])


def busy(conversation: Conversation) -> dict[str, Any]:
    return _text(
        _(
            "ただいま「%(topic)s」のご相談（受付番号 %(number)s）が続いています。"
            "別のご相談は、この相談を終えてからお選びください。"
        )
        % {"topic": translated(conversation.topic, "name"), "number": conversation.receipt_number},
        [_end_item(conversation)],
    )


def delivered(conversation: Conversation) -> dict[str, Any]:
    return _text(
        _("担当者にお届けしました。お返事はこのトークでお送りします。しばらくお待ちください。"),
        [_end_item(conversation)],
    )


def still_talking(conversation: Conversation, *, keep_items: Sequence[dict[str, Any]] = ()) -> dict[str, Any]:
    return _text(
        _(
            "%(department)sの担当者とのご相談（受付番号 %(number)s）が続いています。"
            "このトークに送った内容は担当者に届きます。"
            "チャットボットなどほかの機能を使うときは「相談を終える」を押してください。"
        )
        % {"department": conversation.department.resident_name, "number": conversation.receipt_number},
        [*keep_items[: MAX_QUICK_REPLIES - 1], _end_item(conversation)],
    )


def out_of_hours(text: str, conversation: Conversation) -> dict[str, Any]:
    return _text(text, [_end_item(conversation)])


def out_of_hours_text(topic: Topic, now: datetime) -> str:
    """The automatic answer outside the hours; also kept in the conversation for staff to see."""
    return "\n".join(
        [
            _("メッセージを受け付けました。") + closed_line(topic, now),
            _("担当者が受付時間に確認してお返事します。"),
            hours_line(topic),
        ]
    )


def ended(conversation: Conversation) -> dict[str, Any]:
    return _text(
        _("ご相談（受付番号 %(number)s）を終了しました。ご利用ありがとうございました。")
        % {"number": conversation.receipt_number}
    )


def nothing_to_end() -> dict[str, Any]:
    return _text(_("続いているご相談はありません。"))


# --- sent by staff (through civicline.line.direct) ------------------------------------------------


def chat_url(conversation: Conversation) -> str:
    return liff_url(reverse("conversations_liff:chat", args=[conversation.receipt_number]))


def staff_reply(conversation: Conversation, text: str) -> list[dict[str, Any]]:
    """A staff reply as the resident receives it: in the talk for a general topic, else a notice."""
    if conversation.channel == Conversation.Channel.TALK:
        return [_text(text, [_end_item(conversation)])]
    return [reply_notice(conversation)]


def reply_notice(conversation: Conversation) -> dict[str, Any]:
    lines = [
        _("%(department)sから返信がありました") % {"department": conversation.department.resident_name},
        _("ご相談（受付番号 %(number)s）への返信です。内容は下のボタンからご確認ください。")
        % {"number": conversation.receipt_number},
    ]
    return _button_card(alt=lines[0], lines=lines, label=_("返信を見る"), uri=chat_url(conversation))


def closed_notice(conversation: Conversation) -> list[dict[str, Any]]:
    text = _(
        "%(department)sです。ご相談（受付番号 %(number)s）への対応を終了しました。"
        "ご利用ありがとうございました。"
    ) % {
        "department": conversation.department.resident_name,
        "number": conversation.receipt_number,
    }
    if conversation.channel == Conversation.Channel.TALK:
        text += _("\nこれからのご質問には、これまでどおり自動応答でお答えします。")
    return [_text(text)]
