"""Tracked links: a delivery's URLs go through civicline's counting redirect (SD-8)."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db.models import F
from django.urls import reverse

from .. import line_messages
from ..models import (
    Delivery,
    TrackedLink,
)


def tracked_url(link: TrackedLink) -> str:
    return settings.SITE_URL + reverse("delivery_liff:link", args=[link.token])


def linker(delivery: Delivery, *, preview: bool = False) -> line_messages.Linker:
    """Links through civicline's counting redirect; a preview's clicks are not counted."""

    def link(url: str) -> str:
        if len(url) > TrackedLink._meta.get_field("url").max_length:
            return url
        tracked, _created = TrackedLink.objects.get_or_create(
            delivery=delivery, url=url, defaults={"token": secrets.token_urlsafe(12)}
        )
        return tracked_url(tracked) + ("?preview=1" if preview else "")

    return link


def link_follow(*, token: str, count: bool) -> str | None:
    """Where a tracked link leads (None if unknown), counting the click unless it is a preview's."""
    tracked = TrackedLink.objects.filter(token=token).first()
    if tracked is None:
        return None
    if count:
        TrackedLink.objects.filter(pk=tracked.pk).update(clicks=F("clicks") + 1)
    return tracked.url
