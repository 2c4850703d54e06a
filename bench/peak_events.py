"""The LINE events bench.peak's residents send (and bench.peak_costs measures), signed as LINE signs them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import time

QUESTIONS = [
    "避難所はどこ",
    "近くの避難所",
    "給水所はどこですか",
    "停電はいつ復旧しますか",
    "罹災証明書の申請",
    "ペットと避難できますか",
    "電池の捨て方",
    "粗大ごみの申し込み",
    "住民票をコンビニで取りたい",
    "マイナンバーカードの受け取り",
]
# Around 豊中市 (the demo city's map): residents asking for shelters from where they stand.
PLACES = [(34.7812, 135.4699), (34.8073, 135.4958), (34.7538, 135.4667), (34.7925, 135.4479)]


def destination(channel_id: str) -> str:
    """The bot's user id as the emulator names it in every webhook (linesim.webhooks.bot_user_id)."""
    return "U" + hashlib.sha256(f"linesim-bot:{channel_id}".encode()).hexdigest()[:32]


def location(rng: random.Random = random._inst) -> dict:  # type: ignore[attr-defined]
    lat, lng = rng.choice(PLACES)
    return {
        "type": "location",
        "latitude": lat + rng.uniform(-0.01, 0.01),
        "longitude": lng + rng.uniform(-0.01, 0.01),
        "address": "大阪府豊中市",
    }


def question(rng: random.Random = random._inst) -> dict:  # type: ignore[attr-defined]
    return {"type": "text", "text": rng.choice(QUESTIONS), "quoteToken": "q"}


def webhook(
    *, secret: str, to: str, user_id: str, message: dict, reply_token: str, event_id: str
) -> tuple[bytes, dict[str, str]]:
    """A webhook body with one message event from ``user_id``, and its headers (the signature)."""
    event = {
        "type": "message",
        "message": {"id": str(random.getrandbits(60)), **message},
        "mode": "active",
        "timestamp": int(time.time() * 1000),
        "source": {"type": "user", "userId": user_id},
        "webhookEventId": event_id,
        "deliveryContext": {"isRedelivery": False},
        "replyToken": reply_token,
    }
    body = json.dumps({"destination": to, "events": [event]}).encode()
    signature = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    return body, {"Content-Type": "application/json", "x-line-signature": signature}
