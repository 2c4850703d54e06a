"""``{% liff_head %}``: what every resident page loads (styles, LIFF settings, liff.js)."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings
from django.middleware.csrf import get_token
from django.urls import reverse

register = template.Library()


@register.inclusion_tag("line/liff/head.html", takes_context=True)
def liff_head(context: template.Context) -> dict[str, Any]:
    request = context["request"]
    return {
        "liff_config": {
            "liffId": settings.LIFF_ID,
            "sdkUrl": settings.LIFF_SDK_URL,
            "sessionUrl": reverse("liff:session"),
            "csrfToken": get_token(request),
        }
    }


@register.simple_tag
def city_name() -> str:
    return settings.CITY_NAME
