"""How a booking's contact is checked (RS-2): a Japanese phone number or an e-mail address.

Staff must be able to reach the resident about the booking, so 「abc」 is refused with a clear
message instead of being stored. Phone numbers are checked with ``phonenumbers`` (Google's
libphonenumber data: real Japanese number ranges, fixed and mobile, 0120/0570, +81 written
internationally) and stored in the national format staff dial (06-1234-5678). Full-width digits and
hyphens, which Japanese keyboards often produce, are accepted.
"""

from __future__ import annotations

import unicodedata

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

REGION = "JP"
# Characters people write inside phone numbers; anything else (letters…) makes it not a number.
PHONE_CHARACTERS = set("0123456789+-() ")


def _normalized(value: str) -> str:
    # NFKC turns full-width digits, hyphens and ＠ into ASCII; the long dash variants into hyphens.
    text = unicodedata.normalize("NFKC", value or "").strip()
    return text.replace("ー", "-").replace("−", "-").replace("‐", "-").replace("―", "-")


def phone_number(value: str) -> str:
    """The number in national format (090-1234-5678); ValidationError in Japanese if it is not one."""
    text = _normalized(value)
    message = _("電話番号を市外局番から入力してください（例：06-1234-5678、090-1234-5678）。")
    if not text or not set(text) <= PHONE_CHARACTERS:
        raise ValidationError(message, code="phone")
    try:
        number = phonenumbers.parse(text, REGION)
    except phonenumbers.NumberParseException:
        raise ValidationError(message, code="phone") from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(message, code="phone")
    if number.country_code != phonenumbers.country_code_for_region(REGION):
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def phone_or_email(value: str) -> str:
    """A phone number (national format) or an e-mail address; ValidationError in Japanese otherwise."""
    text = _normalized(value)
    if "@" in text:
        try:
            validate_email(text)
        except ValidationError:
            raise ValidationError(
                _("メールアドレスの形式が正しくありません（例：taro@example.jp）。"), code="email"
            ) from None
        return text
    try:
        return phone_number(text)
    except ValidationError:
        raise ValidationError(
            _(
                "電話番号（例：06-1234-5678、090-1234-5678）またはメールアドレス（例：taro@example.jp）を"
                "入力してください。"
            ),
            code="contact",
        ) from None
