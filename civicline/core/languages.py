"""Residents' languages (issue 21): which the city offers, which one a resident reads, and how
content staff wrote per language is picked for them.

A resident's language is theirs, not the request's: a LINE reply built by the worker, a push sent
by a staff action and a LIFF page all use the same ``language`` chosen here from what the resident
set in 受信設定 or, failing that, the language of their LINE app. Interface strings come from the
gettext catalogues (``translation.override``); content staff write (a delivery, an FAQ answer, a
facility's name) is kept per language in a model's ``translations`` (``civicline.core.translations``)
and shown through ``fallback_chain`` — never machine-translated at run time.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TypeVar

from django.conf import settings
from django.utils import translation

JAPANESE = "ja"
EASY_JAPANESE = "ja-easy"

T = TypeVar("T")

# LINE gives a BCP 47 tag (``language`` in the profile); its primary subtag, or the whole tag for
# Chinese scripts and regions, says which of our languages fits.
_FROM_LINE = {
    "ja": JAPANESE,
    "en": "en",
    "ko": "ko",
    "vi": "vi",
    "zh": "zh-hans",
    "zh-hans": "zh-hans",
    "zh-cn": "zh-hans",
    "zh-sg": "zh-hans",
    # Traditional Chinese is not offered: simplified characters are far closer to it than English.
    "zh-hant": "zh-hans",
    "zh-tw": "zh-hans",
    "zh-hk": "zh-hans",
}


def names() -> dict[str, str]:
    """Every language Django knows here, named in itself (日本語, English, Tiếng Việt…)."""
    return dict(settings.LANGUAGES)


def resident_languages() -> list[str]:
    """The languages the city offers residents, Japanese first."""
    offered = [code for code in settings.RESIDENT_LANGUAGES if code in names()]
    return [JAPANESE, *(code for code in offered if code != JAPANESE)]


def resident_choices() -> list[tuple[str, str]]:
    """(code, name in itself) for a resident's language list."""
    return [(code, names()[code]) for code in resident_languages()]


def translation_languages() -> list[str]:
    """Languages staff may write content in besides the Japanese master."""
    return [code for code in resident_languages() if code != JAPANESE]


def from_line(tag: str) -> str:
    """Our language for a LINE profile's language tag; "" when LINE gave none.

    A language the city does not offer maps to ``RESIDENT_LANGUAGE_OTHERS`` (English by default):
    a Thai or Portuguese speaker reads English more often than Japanese.
    """
    tag = (tag or "").strip().lower().replace("_", "-")
    if not tag:
        return ""
    code = _FROM_LINE.get(tag) or _FROM_LINE.get(tag.split("-")[0]) or settings.RESIDENT_LANGUAGE_OTHERS
    if code not in resident_languages():
        code = settings.RESIDENT_LANGUAGE_OTHERS
    return code if code in resident_languages() else JAPANESE


def choose(*, preferred: str = "", line_language: str = "") -> str:
    """A resident's language: what they set in 受信設定, else their LINE app's, else Japanese."""
    if preferred in resident_languages():
        return preferred
    return from_line(line_language) or JAPANESE


def fallback_chain(language: str) -> list[str]:
    """Where to look for content, in order: the language itself, the city's fallbacks, Japanese."""
    chain = [language, *settings.RESIDENT_LANGUAGE_FALLBACK, JAPANESE]
    return list(dict.fromkeys(code for code in chain if code))


def pick(versions: Mapping[str, T], language: str) -> tuple[str, T] | None:
    """The version a resident of ``language`` should get, with the language it is in (None if none)."""
    for code in fallback_chain(language):
        if code in versions:
            return code, versions[code]
    return None


@contextmanager
def speaking(language: str | None) -> Iterator[str]:
    """Interface strings (gettext) in ``language`` inside the block; its content language yielded.

    Use around everything built for one resident: a LINE reply or push, a LIFF page, an e-mail.
    """
    code = language if language in names() else JAPANESE
    with translation.override(code):
        yield code


def current() -> str:
    """The language gettext is speaking now, as one of ours (for picking content alongside it)."""
    code = translation.get_language() or JAPANESE
    return code if code in names() else JAPANESE
