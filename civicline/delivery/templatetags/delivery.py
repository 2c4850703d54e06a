"""Template helpers of delivery's console pages."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from civicline.core import languages

from .. import line_messages
from ..insight import PRIVACY_FLOOR
from ..line_messages import MessageDraft
from ..models import Delivery

register = template.Library()


@register.filter
def image_path(name: str) -> str:
    """The path (on this site) of a stored delivery picture, for the console's own previews."""
    return reverse("delivery_liff:image", args=[name.rsplit("/", 1)[-1]]) if name else ""


@register.filter
def line_count(value: Any) -> Any:
    """A LINE statistic: LINE hides counts under 20 (null); shown as 「—」."""
    return "—" if value is None else value


@register.simple_tag
def privacy_floor() -> int:
    return PRIVACY_FLOOR


@register.filter
def unfollow_rate(unfollows: int | None, reached: int) -> str:
    """Unfollows as a share of the friends reached, e.g. "0.12%" ("" when there is nothing to divide)."""
    if unfollows is None or not reached:
        return ""
    return f"{100 * unfollows / reached:.2f}%"


@register.inclusion_tag("delivery/console/delivery_languages.html")
def delivery_languages(delivery: Delivery) -> dict[str, Any]:
    """A delivery's languages in the list (issue 21): those it goes out in when more than Japanese,
    and the 未翻訳 badge naming those some of its texts have no version in."""
    names = languages.names()
    drafts = [MessageDraft.of(m) for m in delivery.messages.all()]
    versions = line_messages.versions_of(drafts)
    return {
        "versions": [names[code] for code in versions] if len(versions) > 1 else [],
        "missing": [names[code] for code in line_messages.missing_of(drafts)],
    }
