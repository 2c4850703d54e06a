"""LINE events of the rich menu: a resident switched tabs; a resident reading another language followed.

LINE sends a postback (``feature=richmenu&action=tab&tab=N``) after a richmenuswitch tap; it needs
no answer, but must not get the account's "we do not reply individually" message either.
"""

from __future__ import annotations

from django.db import transaction

from civicline.core import languages
from civicline.line.registry import LineContext


def tab_switched(ctx: LineContext) -> None:
    ctx.mark_handled()


def followed(ctx: LineContext) -> None:
    """Give a follower who reads another language the menu in theirs (issue 21).

    Friends who blocked the account are not relinked when a menu is published again, so one who
    comes back would see the Japanese default; at a first follow the profile's language has
    already relinked them (``resident_language_changed``), and this repeats it once. No reply.
    """
    from .tasks import resident_menu_task

    friend = ctx.friend
    if friend is not None and friend.resident_language != languages.JAPANESE:
        transaction.on_commit(lambda: resident_menu_task(friend.pk))
