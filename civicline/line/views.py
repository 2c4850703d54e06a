"""The LINE webhook: verify, store, acknowledge. All work happens in the worker."""

from __future__ import annotations

import json
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from linebot.v3.webhook import SignatureValidator

from . import services


@lru_cache(maxsize=2)
def _validator(channel_secret: str) -> SignatureValidator:
    return SignatureValidator(channel_secret)


@csrf_exempt
@require_POST
def webhook(request: HttpRequest) -> HttpResponse:
    signature = request.headers.get("x-line-signature", "")
    try:
        body = request.body.decode("utf-8")
    except UnicodeDecodeError:
        return HttpResponseBadRequest("invalid body")
    if not signature or not _validator(settings.LINE_CHANNEL_SECRET).validate(body, signature):
        return HttpResponseBadRequest("invalid signature")
    try:
        events = json.loads(body)["events"]
    except (ValueError, KeyError, TypeError):
        return HttpResponseBadRequest("invalid body")
    if not isinstance(events, list) or not all(isinstance(event, dict) for event in events):
        return HttpResponseBadRequest("invalid body")
    if events:  # an empty list is LINE's connection check
        services.webhook_events_receive(events=events)
    return HttpResponse(status=200)
