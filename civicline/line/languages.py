"""The language a LINE resident reads (issue 21), for everything built for them outside a request
of theirs: a reply built by the worker, a push sent by a staff action, a reminder, an e-mail.

    with speaking_to(booking.user_id):
        push(user_id, confirmation_message(booking))   # gettext and content in their language

Inside a resident's LIFF request the language is already theirs (``resident_required``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from django.dispatch import Signal

from civicline.core import languages

from .models import Friend

# Sent with ``friend``, ``old`` and ``new`` when the language a resident reads changes (they chose
# another in 受信設定, or their LINE app's changed): the rich menu follows it.
resident_language_changed = Signal()


def resident_language(user_id: str) -> str:
    """The language of the resident with LINE user ``user_id`` (Japanese for one we do not know)."""
    friend = Friend.objects.filter(user_id=user_id).only("language", "preferred_language").first()
    return friend.resident_language if friend else languages.JAPANESE


def language_reader() -> Callable[[str, str], str]:
    """``reading(preferred, line_tag)`` → the language of a resident with those two columns,
    remembered per pair: code reading many friends asks it for each, and there are only a few pairs."""
    known: dict[tuple[str, str], str] = {}

    def reading(preferred: str, line_tag: str) -> str:
        key = (preferred, line_tag)
        if key not in known:
            known[key] = languages.choose(preferred=preferred, line_language=line_tag)
        return known[key]

    return reading


def resident_languages(user_ids: Iterable[str]) -> dict[str, str]:
    """{user_id: language} for many residents at once (a delivery's audience): one query a chunk."""
    ids = list(dict.fromkeys(user_ids))
    result = dict.fromkeys(ids, languages.JAPANESE)
    reading = language_reader()
    for start in range(0, len(ids), 5000):
        rows = Friend.objects.filter(user_id__in=ids[start : start + 5000]).exclude(
            language="", preferred_language=""
        )
        for user_id, line_tag, preferred in rows.values_list("user_id", "language", "preferred_language"):
            result[user_id] = reading(preferred, line_tag)
    return result


@contextmanager
def speaking_to(user_id: str | Friend | None) -> Iterator[str]:
    """Interface strings in the resident's language inside the block; the language is yielded."""
    if isinstance(user_id, Friend):
        language = user_id.resident_language
    else:
        language = resident_language(user_id) if user_id else languages.JAPANESE
    with languages.speaking(language) as code:
        yield code
