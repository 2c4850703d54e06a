"""The talk side of the shelter search (MP-4).

A resident who sends a location gets the nearest open shelters for the current disaster kind;
「近くの避難所」 (postback ``feature=facilities&action=nearest``, from the rich menu, or typed) asks
for the location with LINE's location quick reply.

In an emergency (any feature reporting one: the emergency menu on, a disaster kind set) these two
answers come first, whatever flow the resident is in — a conversation with staff, a survey in the
talk: a resident looking for shelter must never be met with silence (X-14, MP-4).
"""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext as _

from civicline.core import languages
from civicline.core.features import city_in_emergency
from civicline.core.translations import translated
from civicline.line.liff.links import liff_url
from civicline.line.registry import LineContext

from . import selectors
from .geo import distance_label, google_maps_route_url
from .models import DisasterKind, Shelter

FEATURE_KEY = "facilities"
NEAREST_ACTION = "nearest"
SHELTERS_IN_REPLY = 5
# Run after features that hold a conversation: a location sent for their question is theirs.
LOCATION_PRIORITY = 500
# In an emergency: before every feature that holds a conversation (the earliest claims at 50).
EMERGENCY_PRIORITY = 15
# 「近くの避難所」「避難所はどこ？」「避難場所を教えて」: a short request for shelters, not a sentence.
# The same short request in the other languages residents read (issue 21): "shelter", "nearest
# shelter?", 避难所, 대피소, nơi sơ tán — a resident who cannot write Japanese must find one too.
ASK_SHELTER = re.compile(
    r"^(?:(?:近くの|最寄りの?|一番近い)?避難(?:所|場所|先)(?:は|を|が)?"
    r"(?:どこ\w*|探\w*|教えて\w*|知りたい\w*|開いて\w*|開設\w*)?"
    r"|(?:where\s+is\s+(?:the\s+)?)?(?:(?:the\s+)?(?:nearest|nearby|closest)\s+)?"
    r"(?:evacuation\s+)?(?:shelters?|evacuation\s+(?:site|center|centre|area)s?)"
    r"|(?:最近的|附近的)?避难(?:所|场所)(?:在哪(?:里|儿)?)?"
    r"|(?:가까운\s*)?(?:대피소|피난소)(?:\s*(?:어디|어디예요|어디에\s*있어요))?"
    r"|(?:nơi|điểm|trung\s+tâm)\s+(?:sơ\s+tán|trú\s+ẩn|lánh\s+nạn)(?:\s+(?:gần\s+nhất|ở\s+đâu))?"
    r")[。．.!！?？\s]*$",
    re.IGNORECASE,
)

STATUS_COLOURS = {
    Shelter.Status.OPEN: "#06c755",
    Shelter.Status.CROWDED: "#e8710a",
    Shelter.Status.FULL: "#d93025",
    Shelter.Status.CLOSED: "#6b7280",
}


def on_emergency_message(ctx: LineContext) -> None:
    """In an emergency, a location or a request for shelters is answered before any other flow."""
    if ctx.handled:
        return
    message = getattr(ctx.event, "message", None)
    is_location = getattr(message, "type", None) == "location"
    asks = ctx.text is not None and ASK_SHELTER.match(ctx.text.strip()) is not None
    if not (is_location or asks) or not city_in_emergency():
        return
    if is_location:
        on_location(ctx)
    else:
        ask_location(ctx)


def ask_location(ctx: LineContext) -> None:
    ctx.reply(
        {
            "type": "text",
            "text": _(
                "現在地から近い、開設中の避難所をお探しします。下の「位置情報を送る」から現在地を送ってください。"
            ),
            "quickReply": {
                "items": [
                    {"type": "action", "action": {"type": "location", "label": _("位置情報を送る")}},
                    {
                        "type": "action",
                        "action": {
                            "type": "uri",
                            "label": _("地図で探す"),
                            "uri": map_link(),
                        },
                    },
                ]
            },
        }
    )


def on_location(ctx: LineContext) -> None:
    message = getattr(ctx.event, "message", None)
    if ctx.handled or getattr(message, "type", None) != "location":
        return
    shelters, kind = selectors.nearest_open_shelters(
        latitude=message.latitude, longitude=message.longitude, limit=SHELTERS_IN_REPLY
    )
    ctx.reply(shelter_carousel(shelters, kind) if shelters else no_open_shelter(kind))


def map_link(*, facility_pk: int | None = None) -> str:
    """The map page as a resident's LINE opens it: in the LIFF view when a LIFF app is configured,
    in the language the reply is built in (the resident's, issue 21)."""
    return liff_url(selectors.map_url(facility_pk=facility_pk, language=languages.current()))


def _kind_note(kind: str) -> str:
    return (
        _("災害種別「%(kind)s」に対応した避難先です。") % {"kind": DisasterKind(kind).label} if kind else ""
    )


def no_open_shelter(kind: str) -> dict[str, Any]:
    text = (
        _("お近くに開設中の避難所はありません。")
        + _kind_note(kind)
        + _("指定避難所・指定緊急避難場所の場所は地図でご確認いただけます。")
    )
    return {
        "type": "text",
        "text": text,
        "quickReply": {
            "items": [
                {
                    "type": "action",
                    "action": {
                        "type": "uri",
                        "label": _("地図で見る"),
                        "uri": map_link(),
                    },
                },
            ]
        },
    }


def shelter_carousel(shelters: list[selectors.Nearby], kind: str) -> dict[str, Any]:
    """A Flex carousel: one bubble per shelter, nearest first (name, distance, status, map link)."""
    alt = _("近くの開設中の避難所: ") + _("、").join(
        _("%(name)s（%(distance)s）")
        % {"name": translated(s, "name"), "distance": distance_label(s.distance_m)}
        for s in shelters
    )
    return {
        "type": "flex",
        "altText": alt[:400],
        "contents": {"type": "carousel", "contents": [_bubble(s, kind) for s in shelters]},
    }


def _bubble(shelter: selectors.Nearby, kind: str) -> dict[str, Any]:
    status = Shelter.Status(shelter.status)
    body: list[dict[str, Any]] = [
        {"type": "text", "text": translated(shelter, "name"), "weight": "bold", "size": "lg", "wrap": True},
        {
            "type": "box",
            "layout": "baseline",
            "spacing": "sm",
            "contents": [
                {
                    "type": "text",
                    "text": str(status.label),
                    "color": STATUS_COLOURS[status],
                    "weight": "bold",
                    "size": "sm",
                    "flex": 0,
                },
                {
                    "type": "text",
                    "text": _("現在地から約 %(d)s") % {"d": distance_label(shelter.distance_m)},
                    "size": "sm",
                    "color": "#555555",
                    "flex": 1,
                    "align": "end",
                },
            ],
        },
    ]
    if shelter.address:
        address = translated(shelter, "address")
        body.append({"type": "text", "text": address, "size": "sm", "color": "#555555", "wrap": True})
    if kind:
        body.append(
            {"type": "text", "text": _kind_note(kind), "size": "xs", "color": "#888888", "wrap": True}
        )
    return {
        "type": "bubble",
        "size": "kilo",
        "body": {"type": "box", "layout": "vertical", "spacing": "md", "contents": body},
        "footer": {
            "type": "box",
            "layout": "vertical",
            "spacing": "sm",
            "contents": [
                {
                    "type": "button",
                    "style": "primary",
                    "color": "#06c755",
                    "height": "sm",
                    "action": {
                        "type": "uri",
                        "label": _("経路を調べる"),
                        "uri": google_maps_route_url(shelter.latitude, shelter.longitude),
                    },
                },
                {
                    "type": "button",
                    "style": "secondary",
                    "height": "sm",
                    "action": {
                        "type": "uri",
                        "label": _("地図で見る"),
                        "uri": map_link(facility_pk=shelter.pk),
                    },
                },
            ],
        },
    }
