"""LINE message JSON for deliveries (SD-12), LINE's limits checked in the city's words, and the
follow greeting that invites new friends to the 受信設定 page (SD-5)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from types import SimpleNamespace
from typing import Any, Protocol

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from linebot.v3.messaging import Message

from civicline.core import languages, translations
from civicline.line.liff.links import liff_url

from . import images
from .models import DeliveryMessage

Kind = DeliveryMessage.Kind
MAX_MESSAGES = 5
TEXT_LIMIT = 5000
ALT_TEXT_LIMIT = 400
LABEL_LIMIT = 20
URI_LIMIT = 1000
MESSAGE_ACTION_LIMIT = 300
BUTTONS_TITLE_LIMIT = 40
BUTTONS_TEXT_LIMIT = 160
BUTTONS_TEXT_LIMIT_WITH_HEADER = 60  # LINE's limit when the template has a title or an image
CONFIRM_TEXT_LIMIT = 240
CARD_TITLE_LIMIT = 100
CARD_TEXT_LIMIT = 2000
MAX_ACTIONS = {Kind.BUTTONS: 4, Kind.CONFIRM: 2, Kind.CARD: 3}
URL = re.compile(r"https?://[^\s<>\"'「」（）()、。]+")
LINK_SCHEMES = ("https://", "http://", "tel:")

SETTINGS_PATH = "/delivery/settings/"


class ImageLike(Protocol):
    name: str
    preview_name: str
    width: int
    height: int


@dataclass
class MessageDraft:
    """A message as staff composed it (a form's data, or a stored ``DeliveryMessage``)."""

    kind: str
    text: str = ""
    title: str = ""
    alt_text: str = ""
    image: ImageLike | None = None
    actions: list[dict[str, str]] = field(default_factory=list)
    # Other languages' texts: {language: {"title", "text", "alt_text", "label1"…}} (issue 21).
    translations: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def of(cls, message: DeliveryMessage) -> MessageDraft:
        return cls(
            kind=message.kind,
            text=message.text,
            title=message.title,
            alt_text=message.alt_text,
            image=message.image,
            actions=list(message.actions or []),
            translations=dict(message.translations or {}),
        )

    def texts(self) -> dict[str, str]:
        """The texts a resident reads, buttons' labels as ``label<n>``: a version in ``translations``."""
        return {
            "title": self.title,
            "text": self.text,
            "alt_text": self.alt_text,
            **{label_field(i): a.get("label", "") for i, a in enumerate(self.actions, start=1)},
        }

    def _content(self) -> SimpleNamespace:
        """The Japanese texts with their versions, for ``core.translations``."""
        return SimpleNamespace(**self.texts(), translations=self.translations)

    def translated_fields(self) -> list[str]:
        return [
            *DeliveryMessage.TRANSLATED_FIELDS,
            *(label_field(i) for i in range(1, len(self.actions) + 1)),
        ]

    def in_language(self, language: str) -> MessageDraft:
        """The version a reader of ``language`` gets: each text by the city's fallbacks, else Japanese."""
        if not self.translations:
            return self
        content = self._content()
        return replace(
            self,
            title=translations.translated(content, "title", language),
            text=translations.translated(content, "text", language),
            alt_text=translations.translated(content, "alt_text", language),
            actions=[
                {**a, "label": translations.translated(content, label_field(i), language)}
                for i, a in enumerate(self.actions, start=1)
            ],
            translations={},
        )

    def missing_languages(self) -> list[str]:
        return translations.missing_languages(self._content(), self.translated_fields())


def label_field(position: int) -> str:
    """Where the label of a message's ``position``-th button is kept among its translations."""
    return f"label{position}"


def versions_of(drafts: Sequence[MessageDraft]) -> list[str]:
    """The languages a delivery goes out in: Japanese, and each offered one some message is written in."""
    written = {code for draft in drafts for code, texts in draft.translations.items() if texts}
    return [languages.JAPANESE, *(code for code in languages.translation_languages() if code in written)]


def missing_of(drafts: Sequence[MessageDraft]) -> list[str]:
    """Offered languages in which some text of the delivery has no version (the console's 未翻訳)."""
    missing = {code for draft in drafts for code in draft.missing_languages()}
    return [code for code in languages.translation_languages() if code in missing]


def version_for(versions: Sequence[str], language: str) -> str:
    """Which of the delivery's ``versions`` a reader of ``language`` gets (by the city's fallbacks)."""
    found = languages.pick(dict.fromkeys(versions, True), language)
    return found[0] if found else languages.JAPANESE


def is_link(value: str) -> bool:
    return value.startswith(LINK_SCHEMES)


# --- checks ---------------------------------------------------------------------------------------


def draft_errors(draft: MessageDraft) -> list[str]:
    """What LINE would refuse in ``draft`` (or what makes no sense), as messages for staff."""
    errors: list[str] = []

    def over(value: str, limit: int, label: str) -> None:
        if len(value) > limit:
            errors.append(
                _("%(label)sは%(limit)d文字までです（いま%(n)d文字）。")
                % {"label": label, "limit": limit, "n": len(value)}
            )

    kind = draft.kind
    if kind in (Kind.TEXT, Kind.CONFIRM, Kind.BUTTONS) and not draft.text.strip():
        errors.append(_("本文を入力してください。"))
    if kind == Kind.IMAGE and draft.image is None:
        errors.append(_("画像を選んでください。"))
    if kind == Kind.CARD and not draft.title.strip():
        errors.append(_("カードの見出しを入力してください。"))
    if kind == Kind.TEXT:
        over(draft.text, TEXT_LIMIT, _("本文"))
    elif kind == Kind.BUTTONS:
        over(draft.title, BUTTONS_TITLE_LIMIT, _("見出し"))
        header = bool(draft.title.strip() or draft.image)
        over(
            draft.text,
            BUTTONS_TEXT_LIMIT_WITH_HEADER if header else BUTTONS_TEXT_LIMIT,
            _("本文（見出しか画像があるとき）") if header else _("本文"),
        )
    elif kind == Kind.CONFIRM:
        over(draft.text, CONFIRM_TEXT_LIMIT, _("本文"))
    elif kind == Kind.CARD:
        over(draft.title, CARD_TITLE_LIMIT, _("見出し"))
        over(draft.text, CARD_TEXT_LIMIT, _("本文"))
    over(draft.alt_text, ALT_TEXT_LIMIT, _("通知に表示する文"))
    errors.extend(_action_errors(draft))
    return errors


def _action_errors(draft: MessageDraft) -> list[str]:
    errors = []
    limit = MAX_ACTIONS.get(draft.kind)
    if limit is None:
        return []
    actions = draft.actions
    if draft.kind == Kind.CONFIRM and len(actions) != 2:
        errors.append(_("2択の確認メッセージには、ボタンを2つ設定してください。"))
    elif draft.kind == Kind.BUTTONS and not actions:
        errors.append(_("ボタンを1つ以上設定してください。"))
    elif len(actions) > limit:
        errors.append(_("ボタンは%(n)d個までです。") % {"n": limit})
    for index, action in enumerate(actions, start=1):
        label, value = action.get("label", ""), action.get("value", "")
        if not label or not value:
            errors.append(
                _("ボタン%(i)dの表示名と、リンク先または送る言葉の両方を入力してください。") % {"i": index}
            )
        elif len(label) > LABEL_LIMIT:
            errors.append(_("ボタン%(i)dの表示名は%(n)d文字までです。") % {"i": index, "n": LABEL_LIMIT})
        elif is_link(value) and len(value) > URI_LIMIT:
            errors.append(_("ボタン%(i)dのリンク先は%(n)d文字までです。") % {"i": index, "n": URI_LIMIT})
        elif not is_link(value) and len(value) > MESSAGE_ACTION_LIMIT:
            errors.append(
                _("ボタン%(i)dの送る言葉は%(n)d文字までです。") % {"i": index, "n": MESSAGE_ACTION_LIMIT}
            )
        elif not is_link(value) and re.match(r"^[a-z]+:", value):
            errors.append(_("ボタン%(i)dのリンク先は https:// か tel: で始めてください。") % {"i": index})
    return errors


# --- building -------------------------------------------------------------------------------------

Linker = Callable[[str], str]


def _identity(url: str) -> str:
    return url


def _alt_text(draft: MessageDraft) -> str:
    text = draft.alt_text.strip() or draft.title.strip() or draft.text.strip()
    return (text or _("お知らせ"))[:ALT_TEXT_LIMIT]


def _action(action: dict[str, str], link: Linker) -> dict[str, Any]:
    value = action["value"]
    if is_link(value):
        return {"type": "uri", "label": action["label"], "uri": link(value)}
    return {"type": "message", "label": action["label"], "text": value}


def _aspect_ratio(image: ImageLike) -> str:
    # Flex allows a height of at most three times the width.
    return f"{image.width}:{min(image.height, image.width * 3)}"


def _card(draft: MessageDraft, link: Linker) -> dict[str, Any]:
    body: list[dict[str, Any]] = [
        {"type": "text", "text": draft.title, "weight": "bold", "size": "lg", "wrap": True}
    ]
    if draft.text.strip():
        body.append({"type": "text", "text": draft.text, "size": "sm", "wrap": True, "margin": "md"})
    bubble: dict[str, Any] = {
        "type": "bubble",
        "body": {"type": "box", "layout": "vertical", "contents": body},
    }
    if draft.image is not None:
        bubble["hero"] = {
            "type": "image",
            "url": images.public_url(draft.image.preview_name),
            "size": "full",
            "aspectMode": "cover",
            "aspectRatio": _aspect_ratio(draft.image),
        }
    if draft.actions:
        bubble["footer"] = {
            "type": "box",
            "layout": "vertical",
            "spacing": "sm",
            "contents": [
                {
                    "type": "button",
                    "style": "primary" if i == 0 else "secondary",
                    "height": "sm",
                    "action": _action(a, link),
                }
                for i, a in enumerate(draft.actions)
            ],
        }
    return {"type": "flex", "altText": _alt_text(draft), "contents": bubble}


def build(draft: MessageDraft, link: Linker = _identity) -> dict[str, Any]:
    """LINE's JSON for one composed message; links go through ``link`` (civicline's tracked redirect)."""
    if draft.kind == Kind.TEXT:
        return {"type": "text", "text": URL.sub(lambda m: link(m[0]), draft.text)}
    if draft.kind == Kind.IMAGE:
        return {
            "type": "image",
            "originalContentUrl": images.public_url(draft.image.name),
            "previewImageUrl": images.public_url(draft.image.preview_name),
        }
    if draft.kind == Kind.BUTTONS:
        template: dict[str, Any] = {
            "type": "buttons",
            "text": draft.text,
            "actions": [_action(a, link) for a in draft.actions],
        }
        if draft.title.strip():
            template["title"] = draft.title
        if draft.image is not None:
            template["thumbnailImageUrl"] = images.public_url(draft.image.preview_name)
            template["imageSize"] = "cover"
        return {"type": "template", "altText": _alt_text(draft), "template": template}
    if draft.kind == Kind.CONFIRM:
        template = {
            "type": "confirm",
            "text": draft.text,
            "actions": [_action(a, link) for a in draft.actions],
        }
        return {"type": "template", "altText": _alt_text(draft), "template": template}
    if draft.kind == Kind.CARD:
        return _card(draft, link)
    raise ValidationError(_("メッセージの種類が正しくありません。"))


def build_all(drafts: Sequence[MessageDraft], link: Linker = _identity) -> list[dict[str, Any]]:
    """The delivery's messages for LINE, each checked against the SDK's models as the last word."""
    built = [build(d, link) for d in drafts]
    for message in built:
        Message.from_dict(message)
    return built


def links_of(drafts: Sequence[MessageDraft]) -> list[str]:
    """Web links in the drafts, in order, once each (they become tracked links)."""
    found: list[str] = []
    for draft in drafts:
        if draft.kind == Kind.TEXT:
            found.extend(URL.findall(draft.text))
        found.extend(
            a["value"] for a in draft.actions if a.get("value", "").startswith(("https://", "http://"))
        )
    return list(dict.fromkeys(found))


# --- the follow greeting (SD-5) -------------------------------------------------------------------


def settings_uri() -> str:
    """The 受信設定 page as a resident's LINE opens it (in the LIFF view when a LIFF app is set)."""
    return liff_url(f"/liff{SETTINGS_PATH}")


def invitation(*, registered: bool) -> dict[str, Any]:
    """A text with a quick-reply button: it comes last in the follow reply, where LINE shows the button;
    the rich menu's 受信設定 tile stays for later."""
    if registered:
        text = _("受け取るお知らせの分野やお住まいの地域は「受信設定」からいつでも確認・変更できます。")
        label = _("受信設定を確認する")
    else:
        text = _(
            "子育て・健診・イベント・防災など、受け取りたいお知らせを「受信設定」で登録すると、"
            "あなたに合った情報をお届けします。画面下のメニューからも、いつでも登録・変更できます。"
        )
        label = _("受信設定をする")
    return {
        "type": "text",
        "text": text,
        "quickReply": {
            "items": [{"type": "action", "action": {"type": "uri", "label": label, "uri": settings_uri()}}]
        },
    }
