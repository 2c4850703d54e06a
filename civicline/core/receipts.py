"""Receipt numbers (受付番号) residents read out on the phone or type back: 「R-7KQM-2XPD」.

One generator for every feature. A number is the feature's prefix, then eight characters in two
groups of four, drawn from an alphabet without the characters people confuse (0/O, 1/I), so a
number heard over the phone is typed back right. ``civicline.line.direct.receipt_key`` compares
typed numbers ignoring width, case, spaces and dashes; numbers issued before the prefixes (bookings
and conversations had none) keep working, as lookups compare the stored number.
"""

from __future__ import annotations

import secrets
from enum import StrEnum

from django.db import models

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
LENGTH = 8


class ReceiptPrefix(StrEnum):
    """What a number is for, at a glance (for staff taking a call); each feature has its own."""

    BOOKING = "B"
    CONVERSATION = "C"
    PUBLIC_COMMENT = "PC"
    REPORT = "R"


def receipt_number_new(
    *, prefix: ReceiptPrefix, model: type[models.Model], field: str = "receipt_number"
) -> str:
    """A number that no ``model`` row holds in ``field`` yet (the field's unique index has the last word)."""
    while True:
        raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
        number = f"{prefix}-{raw[:4]}-{raw[4:]}"
        if not model._default_manager.filter(**{field: number}).exists():
            return number
