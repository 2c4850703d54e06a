"""Under overload resident pages answer at once with 「混み合っています」, while the webhook and the
shelter map keep their own room (X-14)."""

from __future__ import annotations

import pytest
from django.test import Client

from civicline.core import capacity
from tests.fixtures.line import post_webhook, text_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def resident_pool_full(settings, monkeypatch):
    """One slot per pool, and the resident one taken by a request still being answered."""
    settings.CAPACITY_POOLS = [("shelters", ["/liff/facilities/"], 1), ("resident", ["/liff/"], 1)]
    pools = capacity._pools()
    resident = next(p for p in pools if p.name == "resident")
    resident.semaphore.acquire()
    monkeypatch.setattr(capacity, "_pools", lambda: pools)
    yield
    resident.semaphore.release()


def test_a_resident_page_beyond_capacity_gets_the_busy_page_at_once(client, resident_pool_full):
    response = client.get("/liff/")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    html = response.content.decode()
    assert "ただいま大変混み合っています" in html and "もう一度読み込む" in html
    assert 'href="/liff/facilities/"' in html  # the shelter map has room of its own


def test_the_shelter_map_and_the_webhook_keep_their_own_room(client, resident_pool_full, fake_line_api):
    assert client.get("/liff/facilities/").status_code == 200
    assert post_webhook(client, [text_event("U1", "こんにちは")]).status_code == 200


def test_without_limits_nothing_is_refused(client, settings):
    settings.CAPACITY_POOLS = [("resident", ["/liff/"], 0)]
    assert Client().get("/liff/facilities/").status_code == 200
