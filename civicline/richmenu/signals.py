"""The rich menu follows a resident's language (issue 21): connected through the feature manifest."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from civicline.line.languages import resident_language_changed
from civicline.line.models import Friend


def _language_changed(sender: Any, friend: Friend, old: str, new: str, **kwargs: Any) -> None:
    # Sent inside a resident's request (受信設定) or the follow's profile fetch: LINE is called from
    # the worker, once the change is committed.
    from .tasks import resident_menu_task

    transaction.on_commit(lambda: resident_menu_task(friend.pk))


def connect() -> None:
    resident_language_changed.connect(_language_changed, dispatch_uid="richmenu.resident_language_changed")
