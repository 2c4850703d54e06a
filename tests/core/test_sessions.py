"""Idle expiry without a database write per request (civicline.core.sessions, X-14)."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from civicline.core import sessions

HOME = reverse("console:home")

pytestmark = pytest.mark.django_db


def _expiry(client) -> timezone.datetime:
    return Session.objects.get(session_key=client.session.session_key).expire_date


def test_a_request_that_never_reads_the_session_neither_loads_nor_saves_it(
    console_client, staff_user, django_assert_num_queries
):
    client = console_client(staff_user)

    with django_assert_num_queries(0):
        response = client.get("/healthz")

    assert response.status_code == 200
    assert "sessionid" not in response.cookies


def test_a_session_in_use_is_renewed_at_most_once_a_minute(console_client, staff_user, monkeypatch):
    client = console_client(staff_user)
    assert client.get(HOME).status_code == 200  # renewed: expiry SESSION_COOKIE_AGE from now
    sooner = timezone.now() + timezone.timedelta(minutes=10)
    Session.objects.filter(session_key=client.session.session_key).update(expire_date=sooner)

    assert client.get(HOME).status_code == 200  # within the minute: not written again
    assert _expiry(client) == sooner

    later = time.time() + sessions.RENEW_SECONDS + 1
    monkeypatch.setattr(sessions, "time", SimpleNamespace(time=lambda: later))
    assert client.get(HOME).status_code == 200
    assert _expiry(client) > timezone.now() + timezone.timedelta(minutes=20)


def test_a_changed_session_is_saved_at_once():
    store = SessionStore()
    store["a"] = 1
    store.create()
    request = RequestFactory().get("/", HTTP_COOKIE=f"sessionid={store.session_key}")
    request.session = SessionStore(store.session_key)
    request.session["b"] = 2

    response = sessions.SessionMiddleware(lambda r: HttpResponse()).process_response(request, HttpResponse())

    assert SessionStore(store.session_key).load() | {} == {
        "a": 1,
        "b": 2,
        sessions.RENEWED_KEY: pytest.approx(time.time(), abs=5),
    }
    assert response.cookies["sessionid"].value == store.session_key
    assert "Cookie" in response["Vary"]


def test_an_emptied_session_loses_its_cookie():
    store = SessionStore()
    store["a"] = 1
    store.create()
    request = RequestFactory().get("/", HTTP_COOKIE=f"sessionid={store.session_key}")
    request.COOKIES["sessionid"] = store.session_key
    request.session = SessionStore(store.session_key)
    request.session.flush()

    response = sessions.SessionMiddleware(lambda r: HttpResponse()).process_response(request, HttpResponse())

    assert response.cookies["sessionid"].value == ""
