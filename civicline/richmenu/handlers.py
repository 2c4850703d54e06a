"""LINE events of the rich menu: a resident switched tabs.

LINE sends a postback (``feature=richmenu&action=tab&tab=N``) after a richmenuswitch tap; it needs
no answer, but must not get the account's "we do not reply individually" message either.
"""

from __future__ import annotations

from civicline.line.registry import LineContext


def tab_switched(ctx: LineContext) -> None:
    ctx.mark_handled()
