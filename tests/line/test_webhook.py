"""The webhook endpoint: signature, connection check, storage once per event."""

import base64
import hashlib
import hmac
import json
import logging

import pytest

from civicline.line.models import WebhookEvent
from tests.fixtures.line import follow_event, post_webhook, sign, text_event

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fake_line_api")]


def test_signed_events_are_stored_and_processed(client, run_on_commit):
    event = text_event("U1", "こんにちは")

    with run_on_commit():
        response = post_webhook(client, [event])

    assert response.status_code == 200
    stored = WebhookEvent.objects.get()
    assert stored.webhook_event_id == event["webhookEventId"]
    assert (stored.event_type, stored.user_id) == ("message", "U1")
    assert stored.payload == event
    assert stored.status == WebhookEvent.Status.DONE
    assert stored.attempts == 1 and stored.processed_at is not None


@pytest.mark.parametrize("signature", ["", "bm90LXRoZS1yaWdodC1zaWduYXR1cmU=", "wrong"])
def test_missing_or_bad_signature_is_refused_and_nothing_stored(client, signature):
    response = post_webhook(client, [follow_event("U1")], signature=signature)

    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()


def test_signature_made_with_another_secret_is_refused(client):
    body = json.dumps({"events": [follow_event("U1")]}).encode()

    response = client.post(
        "/line/webhook",
        body,
        content_type="application/json",
        HTTP_X_LINE_SIGNATURE=sign(body, "other-secret"),
    )

    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()


def test_connection_check_with_no_events_answers_200(client):
    response = post_webhook(client, {"destination": "Ubot", "events": []})

    assert response.status_code == 200
    assert not WebhookEvent.objects.exists()


@pytest.mark.parametrize("body", [{"destination": "Ubot"}, {"events": "x"}, {"events": [1]}])
def test_signed_but_malformed_body_is_refused(client, body):
    assert post_webhook(client, body).status_code == 400
    assert not WebhookEvent.objects.exists()


def test_get_is_not_allowed(client):
    assert client.get("/line/webhook").status_code == 405


def test_redelivered_event_is_noted_and_processed_once(client, run_on_commit, fake_line_api):
    event = text_event("U1", "おはよう")
    redelivery = {**event, "deliveryContext": {"isRedelivery": True}}

    with run_on_commit():
        post_webhook(client, [event])
    with run_on_commit():
        second = post_webhook(client, [redelivery])
        third = post_webhook(client, [redelivery])

    assert second.status_code == third.status_code == 200
    stored = WebhookEvent.objects.get()
    assert stored.redelivery_count == 2
    assert stored.last_redelivered_at is not None
    assert stored.attempts == 1
    assert len(fake_line_api.replies) == 1


def test_duplicates_within_one_body_are_stored_once(client, run_on_commit, fake_line_api):
    event = text_event("U1", "おはよう")

    with run_on_commit():
        post_webhook(client, [event, event])

    assert WebhookEvent.objects.count() == 1
    assert len(fake_line_api.replies) == 1


def test_first_copy_flagged_by_line_as_redelivery_is_processed(client, run_on_commit):
    # LINE redelivers when our earlier answer never arrived: if we never stored it, it is new to us.
    event = {**text_event("U1", "hi"), "deliveryContext": {"isRedelivery": True}}

    with run_on_commit():
        post_webhook(client, [event])

    stored = WebhookEvent.objects.get()
    assert stored.is_redelivery and stored.redelivery_count == 0
    assert stored.status == WebhookEvent.Status.DONE


def test_several_events_in_one_request(client, run_on_commit, fake_line_api):
    events = [follow_event("U1"), text_event("U2", "a"), text_event("U3", "b")]

    with run_on_commit():
        post_webhook(client, events)

    assert WebhookEvent.objects.filter(status=WebhookEvent.Status.DONE).count() == 3
    assert len(fake_line_api.replies) == 3


def test_without_a_channel_secret_every_webhook_is_refused_and_logged(client, settings, caplog):
    """Pen-test finding 3: with an empty secret, an HMAC anyone can compute must not be accepted."""
    settings.LINE_CHANNEL_SECRET = ""
    body = json.dumps({"destination": "Ubot", "events": [text_event("U" + "f" * 32, "偽物")]}).encode()
    forged = base64.b64encode(hmac.new(b"", body, hashlib.sha256).digest()).decode()

    with caplog.at_level(logging.ERROR, logger="civicline.line.views"):
        response = client.post(
            "/line/webhook", data=body, content_type="application/json", HTTP_X_LINE_SIGNATURE=forged
        )

    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()
    assert "LINE_CHANNEL_SECRET is not set" in caplog.text
