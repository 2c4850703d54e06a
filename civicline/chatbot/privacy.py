"""What the learning loop keeps of a resident's question (CB-4, X-1): masked, sealed, scoped.

Residents type anything into the talk — 「DV被害の相談をしたい 豊中市中桜塚3-1-1」. The log keeps
the question for staff to learn from with names, phone numbers, e-mail addresses, long numbers and
street addresses masked; the text is stored encrypted, and questions asked the same way are found
by a keyed hash rather than by their words.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from django.conf import settings

from .text import REDACTED, compact, strip_personal_data

# Place names are kanji and katakana; a hiragana particle (は, の…) ends one, so 「住所は」 stays.
_PLACE = r"[一-龥ァ-ヶー々]"
# 「3丁目」「三丁目2番5号」「2-28-8」「1番地」「5番12号」, optionally a room: 「101号室」.
_NUMBERED = (
    r"(?:(?:\d+|[一二三四五六七八九十]+)丁目(?:\d+(?:番地?|[-－ー−の])?)?(?:\d+号?)?"
    r"|\d+(?:[-－ー−の]\d+){1,3}(?:号)?"
    r"|\d+番地?(?:\d+号?)?)"
    r"(?:\s*\S{0,20}?\d+号室)?"
)
# The place names in front of the numbers: prefecture, city, ward, town… and the block's own name.
_ADDRESS = re.compile(rf"(?:{_PLACE}{{1,10}}?[都道府県市区郡町村])*{_PLACE}{{0,12}}{_NUMBERED}")


def mask_personal_data(text: str) -> str:
    """The question as logged: names, phones, e-mails, long numbers and street addresses masked."""
    masked = _ADDRESS.sub(REDACTED, strip_personal_data(text))
    return re.sub(f"(?:{re.escape(REDACTED)})+", REDACTED, masked)


def question_key(masked: str) -> str:
    """The same question typed differently, as one key that does not reveal the words."""
    return hmac.new(
        settings.SECRET_KEY.encode(), f"chatbot-question:{compact(masked)}".encode(), hashlib.sha256
    ).hexdigest()
