"""Health checks for a load balancer (X-19) and request ids in structured logs."""

import json
import logging

import pytest
import requests

from civicline.core import health
from civicline.core.logging import JsonFormatter, RequestIdFilter, request_id_var


@pytest.fixture
def line_reachable(monkeypatch):
    monkeypatch.setitem(health.CHECKS, "line", lambda: None)


@pytest.mark.django_db
def test_readyz_is_ok_when_database_queue_and_line_answer(client, line_reachable):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "queue": "ok", "line": "ok"}}


@pytest.mark.django_db
def test_readyz_fails_with_503_and_names_the_broken_dependency(client, settings):
    settings.LINE_API_BASE_URL = "http://127.0.0.1:9"  # nothing listens on the discard port
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["line"] == "fail"
    assert response.json()["checks"]["database"] == "ok"


def test_line_check_treats_any_http_answer_as_reachable(monkeypatch, settings):
    settings.LINE_API_BASE_URL = "https://line.invalid"
    monkeypatch.setattr(requests, "get", lambda *a, **k: type("R", (), {"status_code": 401})())
    health.CHECKS["line"]()  # does not raise


def test_a_load_balancer_polling_readyz_asks_line_at_most_every_15_seconds(monkeypatch, settings):
    """X-14: a slow LINE must not hold a web thread per health check."""
    settings.LINE_API_BASE_URL = "https://line-polled.invalid"
    asked = []
    monkeypatch.setattr(requests, "get", lambda *a, **k: asked.append(k["timeout"]))

    for _ in range(5):
        health.CHECKS["line"]()

    assert len(asked) == 1


@pytest.mark.django_db
def test_every_response_carries_a_request_id_and_keeps_a_well_formed_incoming_one(client):
    assert len(client.get("/healthz")["X-Request-ID"]) == 32
    assert client.get("/healthz", HTTP_X_REQUEST_ID="lb-abc.123")["X-Request-ID"] == "lb-abc.123"
    assert client.get("/healthz", HTTP_X_REQUEST_ID="bad id\n")["X-Request-ID"] != "bad id\n"


def test_log_lines_are_json_with_the_request_id_and_extra_fields():
    record = logging.LogRecord("civicline", logging.WARNING, __file__, 1, "送信失敗 %s", ("U1",), None)
    record.send_id = 42
    token = request_id_var.set("req-1")
    try:
        RequestIdFilter().filter(record)
    finally:
        request_id_var.reset(token)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "送信失敗 U1"
    assert line["request_id"] == "req-1"
    assert line["send_id"] == 42
    assert line["level"] == "WARNING"
