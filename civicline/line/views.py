"""The LINE webhook: verify, store, acknowledge. All work happens in the worker."""

from __future__ import annotations

import json
import logging
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from linebot.v3.webhook import SignatureValidator

from . import services

logger = logging.getLogger(__name__)


@lru_cache(maxsize=2)
def _validator(channel_secret: str) -> SignatureValidator:
    return SignatureValidator(channel_secret)


@csrf_exempt
@require_POST
def webhook(request: HttpRequest) -> HttpResponse:
    if not settings.LINE_CHANNEL_SECRET:
        # An HMAC with an empty key is one anybody can compute: nothing is genuine without a secret.
        logger.error("LINE_CHANNEL_SECRET is not set: webhook refused (check --deploy names this)")
        return HttpResponseBadRequest("webhook not configured")
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
