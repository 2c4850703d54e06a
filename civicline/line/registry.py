"""The LINE dispatch table, built from the features' manifests (``Feature.line_handlers``).

    FEATURE = Feature(
        key="reservations", ...,
        line_handlers=(
            OnEvent("follow", welcome_coupon),                          # every follow event
            OnPostback("reservations", handlers.postback),              # data "feature=reservations&..."
            OnPostback("reservations", cancel, action="cancel"),
            OnText(r"^(ごみ|ゴミ)", handlers.garbage, priority=50),
        ),
    )

Postback data follows one convention, ``feature=<key>&action=<name>&<param>=<value>...`` (URL
query syntax), so each feature owns its own namespace. A handler gets a ``LineContext`` and
answers through ``ctx.reply(...)``.

Dispatch order for one event: the ``OnEvent`` handlers of its type, all of them, by priority
(unless one ``consume``s the event: then none after it); then, unless one of them marked the
event handled, the single routed handler (the postback's feature/action, or the first text
pattern that matches). Equal priorities keep the order of the manifests (the apps' order in
``INSTALLED_APPS``) and of each manifest's list. An event nobody handled gets the default reply
for its type (``Feature.line_default_replies``); a follow gets the greeting (features may add
messages after it or suppress it for one event).
This module never imports a feature.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from django.apps import apps
from django.core.exceptions import AppRegistryNotReady
from linebot.v3.webhooks import Event, PostbackEvent

from civicline.core.features import DEFAULT_HANDLER_PRIORITY as DEFAULT_PRIORITY
from civicline.core.features import Feature, OnEvent, OnPostback, OnText, all_features

from .messaging import MAX_MESSAGES_PER_REQUEST, Messages, TooManyMessagesError, normalize_messages

if TYPE_CHECKING:
    from .models import Friend, WebhookEvent

Handler = Callable[["LineContext"], Any]
DefaultReply = Callable[["LineContext"], Messages | None]


@dataclass(frozen=True)
class Postback:
    """A postback's data parsed by the ``feature=…&action=…`` convention."""

    data: str
    feature: str = ""
    action: str = ""
    params: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, data: str) -> Postback:
        params = dict(parse_qsl(data or "", keep_blank_values=True))
        return cls(
            data=data, feature=params.pop("feature", ""), action=params.pop("action", ""), params=params
        )


@dataclass
class LineContext:
    """What a handler gets: the SDK's typed event, the sender's Friend record, and ``reply``."""

    event: Event
    webhook_event: WebhookEvent
    friend: Friend | None = None
    postback: Postback | None = None
    match: re.Match[str] | None = None
    handled: bool = False
    consumed: bool = False
    _replies: list[dict[str, Any]] = field(default_factory=list)
    _default_replies: list[dict[str, Any]] = field(default_factory=list)

    @property
    def user_id(self) -> str:
        source = getattr(self.event, "source", None)
        return getattr(source, "user_id", None) or ""

    @property
    def reply_token(self) -> str:
        return getattr(self.event, "reply_token", None) or ""

    @property
    def text(self) -> str | None:
        """The text of a text message event, else None."""
        message = getattr(self.event, "message", None)
        return getattr(message, "text", None) if getattr(message, "type", None) == "text" else None

    def reply(self, messages: Messages) -> None:
        """Queue messages for the event's reply (sent once, after every handler has run).

        The reply token is single-use, so all handlers' answers and the greeting share one
        request of at most 5 messages; going over raises ``TooManyMessagesError`` here, in the
        handler that did it.
        """
        new = normalize_messages(messages)
        if len(self._default_replies) + len(self._replies) + len(new) > MAX_MESSAGES_PER_REQUEST:
            raise TooManyMessagesError(
                f"a reply carries at most {MAX_MESSAGES_PER_REQUEST} messages (greeting included)"
            )
        self._replies.extend(new)
        self.handled = True

    def mark_handled(self) -> None:
        """Claim the event without replying (no routed handler, no default reply)."""
        self.handled = True

    def consume(self) -> None:
        """Claim the event for this handler alone: no later handler runs, even one that also looks
        at handled events (an open conversation records everything). For messages no feature may
        keep, such as a test device's pairing code."""
        self.handled = True
        self.consumed = True

    def queue_default_reply(self, messages: Messages | None) -> None:
        """Used by dispatch: the greeting / default reply, kept apart so it can be suppressed."""
        if messages:
            self._default_replies.extend(normalize_messages(messages))

    def suppress_default_reply(self) -> None:
        """Send no greeting / default reply for this event (a feature answers differently)."""
        self._default_replies.clear()

    @property
    def reply_messages(self) -> list[dict[str, Any]]:
        return [*self._default_replies, *self._replies]


@dataclass(order=True)
class _Entry:
    priority: int
    order: int
    handler: Handler = field(compare=False)
    pattern: re.Pattern[str] | None = field(default=None, compare=False)


class Registry:
    def __init__(self) -> None:
        self._events: dict[str, list[_Entry]] = {}
        self._postbacks: dict[tuple[str, str], Handler] = {}
        self._texts: list[_Entry] = []
        self._defaults: dict[str, DefaultReply] = {}
        self._order = 0

    def _entry(self, handler: Handler, priority: int, pattern: re.Pattern[str] | None = None) -> _Entry:
        self._order += 1
        return _Entry(priority, self._order, handler, pattern)

    @classmethod
    def from_features(cls, features: list[Feature]) -> Registry:
        """The table the manifests describe, in their order."""
        built = cls()
        for feature in features:
            for event_type, factory in feature.line_default_replies.items():
                built.set_default_reply(event_type, factory)
            for handler in feature.line_handlers:
                if isinstance(handler, OnEvent):
                    built.on_event(handler.event_type, handler.handler, priority=handler.priority)
                elif isinstance(handler, OnText):
                    built.on_text(handler.pattern, handler.handler, priority=handler.priority)
                elif isinstance(handler, OnPostback):
                    built.on_postback(handler.feature, handler.handler, action=handler.action)
        return built

    def on_event(self, event_type: str, handler: Handler, *, priority: int = DEFAULT_PRIORITY) -> Handler:
        """Run ``handler`` for every event of ``event_type`` ("follow", "message", "postback", …)."""
        entries = self._events.setdefault(event_type, [])
        # A manifest listing the same handler twice changes nothing.
        if all(e.handler is not handler for e in entries):
            entries.append(self._entry(handler, priority))
            entries.sort()
        return handler

    def on_postback(self, feature: str, handler: Handler, *, action: str = "") -> Handler:
        """Route postbacks ``feature=<feature>[&action=<action>]``; a per-action handler wins."""
        key = (feature, action)
        if key in self._postbacks and self._postbacks[key] is not handler:
            raise ValueError(f"postback {feature!r}/{action or '*'} already has a handler")
        self._postbacks[key] = handler
        return handler

    def on_text(
        self, pattern: str | re.Pattern[str], handler: Handler, *, priority: int = DEFAULT_PRIORITY
    ) -> Handler:
        """Route text messages matching ``pattern`` (``re.search``); lower priority first, then order."""
        compiled = re.compile(pattern) if isinstance(pattern, str) else pattern
        if all(e.handler is not handler or e.pattern != compiled for e in self._texts):
            self._texts.append(self._entry(handler, priority, compiled))
            self._texts.sort()
        return handler

    def set_default_reply(self, event_type: str, factory: DefaultReply) -> None:
        """Replace what an event of this type gets by default (``None``/[] from it: nothing)."""
        self._defaults[event_type] = factory

    def event_handlers(self, event_type: str) -> list[Handler]:
        return [e.handler for e in self._events.get(event_type, [])]

    def route(self, ctx: LineContext) -> Handler | None:
        """The one handler a postback or text message goes to, setting ``ctx.postback``/``ctx.match``."""
        if isinstance(ctx.event, PostbackEvent):
            ctx.postback = Postback.parse(ctx.event.postback.data)
            if not ctx.postback.feature:
                return None
            return self._postbacks.get((ctx.postback.feature, ctx.postback.action)) or self._postbacks.get(
                (ctx.postback.feature, "")
            )
        text = ctx.text
        if text is None:
            return None
        for entry in self._texts:
            assert entry.pattern is not None
            match = entry.pattern.search(text)
            if match:
                ctx.match = match
                return entry.handler
        return None

    def default_reply(self, event_type: str) -> DefaultReply | None:
        return self._defaults.get(event_type)

    def copy(self) -> Registry:
        clone = Registry()
        clone._events = {event_type: list(entries) for event_type, entries in self._events.items()}
        clone._postbacks = dict(self._postbacks)
        clone._texts = list(self._texts)
        clone._defaults = dict(self._defaults)
        clone._order = self._order
        return clone


# Built from the manifests on first use, again when the registered features change; a test's own
# table (``isolated``) stands in for it while the test runs.
_built: tuple[tuple[Feature, ...], Registry] | None = None
_override: Registry | None = None


def current() -> Registry:
    global _built
    if _override is not None:
        return _override
    if not apps.ready:
        raise AppRegistryNotReady("the LINE dispatch is built from the features registered by then")
    features = tuple(all_features())
    if _built is None or _built[0] != features:
        _built = (features, Registry.from_features(list(features)))
    return _built[1]


@contextmanager
def isolated() -> Iterator[Registry]:
    """A registry of one's own for a while (tests): a copy of the current one."""
    global _override
    saved = _override
    own = current().copy()
    _override = own
    try:
        yield own
    finally:
        _override = saved
