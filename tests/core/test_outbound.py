"""Calls to LINE made while a web request waits are bounded (X-14): one short try, no waiting for
retries or for a free slot; the worker does the patient part."""

from __future__ import annotations

import pytest

from civicline.core import outbound
from civicline.line.messaging import message_push
from civicline.line.models import OutboundSend

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(monkeypatch):
    """Sends handed to the worker, recorded instead of run."""
    from civicline.line import messaging

    handed = []
    monkeypatch.setattr(
        messaging, "outbound_send_enqueue", lambda send, delay=0: handed.append((send.pk, delay))
    )
    return handed


def test_on_a_web_request_a_failing_push_is_tried_once_and_left_to_the_worker(
    fake_line_api, line_sleeps, queued
):
    fake_line_api.respond("/v2/bot/message/push", 503, {"message": "busy"}, times=5)

    with outbound.web_request():
        send = message_push(to="U1", messages="こんにちは")

    assert send.status == OutboundSend.Status.RETRYING
    assert len(fake_line_api.to("/v2/bot/message/push")) == 1 and line_sleeps == []
    assert queued == [(send.pk, 0)]


def test_in_the_worker_the_same_push_is_retried_patiently(fake_line_api, line_sleeps, queued):
    fake_line_api.respond("/v2/bot/message/push", 503, {"message": "busy"}, times=2)

    send = message_push(to="U1", messages="こんにちは")

    assert send.status == OutboundSend.Status.SENT
    assert len(fake_line_api.to("/v2/bot/message/push")) == 3 and len(line_sleeps) == 2


def test_when_every_slot_is_taken_a_request_does_not_wait_for_one(fake_line_api, settings, queued):
    settings.OUTBOUND_ON_REQUEST_CONCURRENCY = 1

    with outbound.web_request(), outbound.slot():  # another request's call to LINE, still waiting
        send = message_push(to="U1", messages="こんにちは")

    assert fake_line_api.to("/v2/bot/message/push") == []
    assert send.status == OutboundSend.Status.RETRYING and "busy" in send.error
    assert queued == [(send.pk, 0)]


def test_timeouts_are_short_on_requests_only(settings):
    settings.OUTBOUND_ON_REQUEST_TIMEOUT = (2, 5)

    assert outbound.timeout((5, 30)) == (5, 30)
    with outbound.web_request():
        assert outbound.timeout((5, 30)) == (2, 5)
        assert outbound.timeout((1, 3)) == (1, 3)


def test_every_request_through_the_middleware_is_bounded(client, monkeypatch):
    seen = []
    from civicline.core import health

    monkeypatch.setitem(health.CHECKS, "line", lambda: seen.append(outbound.on_web_request()))

    client.get("/readyz")

    assert seen == [True]
