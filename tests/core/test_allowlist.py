"""The console is reachable only from allowed networks (X-5); resident and LINE paths are not."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import reverse

from civicline.core import services
from civicline.core.models import AuditEntry

pytestmark = pytest.mark.django_db

OUTSIDE = "203.0.113.9"
LOGIN = reverse("console:login")


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def test_console_refuses_addresses_outside_the_allowlist(client):
    response = client.get(LOGIN, REMOTE_ADDR=OUTSIDE)

    assert response.status_code == 403
    assert "このネットワークからは管理画面にアクセスできません" in response.content.decode()


def test_console_allows_configured_networks(client):
    assert client.get(LOGIN, REMOTE_ADDR="127.0.0.1").status_code == 200


def test_forwarded_for_is_ignored_from_an_untrusted_peer(client, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.1/32"]

    response = client.get(LOGIN, REMOTE_ADDR=OUTSIDE, HTTP_X_FORWARDED_FOR="127.0.0.1")

    assert response.status_code == 403


def test_forwarded_for_is_honoured_from_a_trusted_proxy(client, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.1/32"]
    settings.CONSOLE_ALLOWED_NETWORKS = ["192.168.10.0/24"]

    allowed = client.get(LOGIN, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="192.168.10.25")
    refused = client.get(LOGIN, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=f"192.168.10.25, {OUTSIDE}")

    assert allowed.status_code == 200
    # The right-most untrusted hop is the client: a spoofed left-most entry does not help.
    assert refused.status_code == 403


@pytest.mark.parametrize("path", ["/liff/anything/", "/line/webhook", "/healthz"])
def test_resident_and_line_paths_are_not_restricted(client, path):
    response = client.get(path, REMOTE_ADDR=OUTSIDE)

    assert response.status_code != 403


def test_a_range_added_by_the_administrator_takes_effect_at_once(client, system_admin):
    assert client.get(LOGIN, REMOTE_ADDR=OUTSIDE).status_code == 403  # now cached as refused

    network = services.allowed_network_add(actor=system_admin, cidr="203.0.113.0/24", note="本庁舎")

    assert client.get(LOGIN, REMOTE_ADDR=OUTSIDE).status_code == 200
    services.allowed_network_delete(network=network, actor=system_admin)
    assert client.get(LOGIN, REMOTE_ADDR=OUTSIDE).status_code == 403


def test_allowlist_page_adds_and_deletes_ranges_with_audit(system_admin_client):
    url = reverse("console:network-list")

    response = system_admin_client.post(url, {"cidr": "10.20.1.5/16", "note": "支所"})

    assert response.status_code == 302
    page = system_admin_client.get(url)
    assert "10.20.0.0/16" in page.content.decode()  # normalised
    assert "127.0.0.0/8" in page.content.decode()  # configured ranges shown read-only
    network = page.context["networks"][0]
    system_admin_client.post(reverse("console:network-delete", args=[network.pk]))
    assert not page.context["networks"].all().exists()
    actions = set(
        AuditEntry.objects.filter(target_type="core.allowednetwork").values_list("action", flat=True)
    )
    assert actions == {"create", "delete"}


def test_invalid_range_gets_a_clear_japanese_error(system_admin_client):
    response = system_admin_client.post(reverse("console:network-list"), {"cidr": "10.0.0.300/8"})

    assert response.status_code == 200
    assert "IPアドレス範囲（CIDR）として正しくありません" in response.content.decode()


def test_only_the_system_administrator_manages_the_allowlist(staff_client):
    assert staff_client.get(reverse("console:network-list")).status_code == 403


def test_the_administrator_cannot_open_the_console_to_every_address_by_halves(system_admin, settings):
    """X-5: 0.0.0.0/1 then 128.0.0.0/1 is 0.0.0.0/0 in two steps; the second is refused."""
    from django.core.exceptions import ValidationError

    from civicline.core.models import AllowedNetwork

    settings.CONSOLE_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    services.allowed_network_add(actor=system_admin, cidr="0.0.0.0/1", note="広すぎる範囲")

    with pytest.raises(ValidationError, match="すべてのIPアドレス"):
        services.allowed_network_add(actor=system_admin, cidr="128.0.0.0/1", note="残り半分")
    assert not AllowedNetwork.objects.filter(cidr="128.0.0.0/1").exists()


def test_the_console_form_shows_why_a_range_that_opens_everything_is_refused(system_admin_client, settings):
    settings.CONSOLE_ALLOWED_NETWORKS = ["127.0.0.0/8", "0.0.0.0/1"]

    response = system_admin_client.post(reverse("console:network-list"), {"cidr": "128.0.0.0/1", "note": "x"})

    assert response.status_code == 200
    assert "すべてのIPアドレスから管理画面に接続できる" in response.content.decode()
