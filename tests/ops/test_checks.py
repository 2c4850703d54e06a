"""Production checks (X-12, X-16): `check --deploy` fails on each unsafe setting, passes on a safe set."""

from __future__ import annotations

import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command

from civicline.ops.checks import production_settings


@pytest.fixture
def production(settings):
    settings.DEBUG = False
    settings.DEMO = False
    settings.SECRET_KEY = "vJ3kq9Zr_8WbT2yNfLx0uA7mCpE4hGs1RdK6oYi5Qz-wVnSbX2"  # 51 random characters
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    settings.BACKUP_ENCRYPTION_KEY = Fernet.generate_key().decode()
    settings.BACKUP_SCHEDULE = "0 3 * * *"
    settings.CONSOLE_ALLOWED_NETWORKS = ["10.20.0.0/16"]
    settings.SECURE_SSL_REDIRECT = False
    settings.TRUSTED_PROXIES = ["172.18.0.0/16"]
    settings.SITE_URL = "https://line.city.example.jp"
    settings.ALLOWED_HOSTS = ["line.city.example.jp"]
    settings.AUDIT_HMAC_KEYS = ["Hq7vN2xLr9Tz4KwB8cYm1PdS6fGj3UaE0oZi5Xn"]
    settings.LINE_CHANNEL_SECRET = "8f2c1d9e4b7a6c3f0e5d2b1a9c8e7f6d"
    settings.LINE_CHANNEL_ACCESS_TOKEN = "issued-by-line"
    settings.LIFF_ID = "2000000001-AbCdEfGh"
    settings.LIFF_CHANNEL_ID = "2000000001"
    return settings


def _ids() -> set[str]:
    return {m.id for m in production_settings()}


def test_safe_production_settings_pass(production):
    assert _ids() == set()
    call_command("check", "--deploy", "--tag", "civicline", stdout=io.StringIO())


@pytest.mark.parametrize(
    ("name", "value", "error"),
    [
        ("DEBUG", True, "civicline.E001"),
        ("SECRET_KEY", "short", "civicline.E002"),
        ("SECRET_KEY", "test-secret-key-not-for-production-but-long-enough-0123456789", "civicline.E002"),
        ("FIELD_ENCRYPTION_KEYS", ["not-a-key"], "civicline.E003"),
        ("CONSOLE_ALLOWED_NETWORKS", ["10.0.0.0/8", "0.0.0.0/0"], "civicline.E004"),
        ("CONSOLE_ALLOWED_NETWORKS", ["::/0"], "civicline.E004"),
        # The whole address space split in parts is still the whole address space.
        ("CONSOLE_ALLOWED_NETWORKS", ["0.0.0.0/1", "128.0.0.0/1"], "civicline.E004"),
        ("CONSOLE_ALLOWED_NETWORKS", ["10.0.0.0/8", "0.0.0.0/2", "64.0.0.0/2", "128.0.0.0/1"],
         "civicline.E004"),
        ("TRUSTED_PROXIES", ["0.0.0.0/0"], "civicline.E011"),
        ("TRUSTED_PROXIES", ["172.18.0.1/32", "::/1", "8000::/1"], "civicline.E011"),
        ("ALLOWED_HOSTS", ["*"], "civicline.E012"),
        ("ALLOWED_HOSTS", ["line.city.example.jp", "*"], "civicline.E012"),
        ("AUDIT_HMAC_KEYS", [], "civicline.E013"),
        ("AUDIT_HMAC_KEYS", ["short"], "civicline.E014"),
        ("LINE_CHANNEL_SECRET", "", "civicline.E015"),
        ("LINE_CHANNEL_ACCESS_TOKEN", "", "civicline.E016"),
        ("LIFF_ID", "", "civicline.E017"),
        ("LIFF_CHANNEL_ID", "", "civicline.E017"),
        ("TRUSTED_PROXIES", [], "civicline.E005"),
        ("DEMO", True, "civicline.E006"),
        ("SITE_URL", "http://line.city.example.jp", "civicline.E007"),
        ("BACKUP_ENCRYPTION_KEY", "", "civicline.W001"),
        ("BACKUP_ENCRYPTION_KEY", "nope", "civicline.E008"),
        ("BACKUP_SCHEDULE", "every night", "civicline.E010"),
        ("BACKUP_SCHEDULE", "0 25 * * *", "civicline.E010"),
    ],
)
def test_each_unsafe_setting_is_named(production, name, value, error):
    setattr(production, name, value)
    assert error in _ids()


def test_tls_redirect_alone_is_enough(production):
    production.TRUSTED_PROXIES = []
    production.SECURE_SSL_REDIRECT = True
    assert "civicline.E005" not in _ids()


def test_backup_key_must_differ_from_the_field_keys(production):
    production.BACKUP_ENCRYPTION_KEY = production.FIELD_ENCRYPTION_KEYS[0]
    assert "civicline.E009" in _ids()


def test_check_deploy_command_fails_on_the_test_settings():
    """The test settings are the demo's (plain HTTP): exactly what production must refuse."""
    with pytest.raises(CommandError) as raised:
        call_command("check", "--deploy", "--tag", "civicline", stdout=io.StringIO(), stderr=io.StringIO())
    assert "civicline.E006" in str(raised.value)


def test_broad_but_partial_ranges_are_not_mistaken_for_everything(production):
    production.CONSOLE_ALLOWED_NETWORKS = ["0.0.0.0/1", "10.0.0.0/8"]  # half the space: unwise, not open
    production.TRUSTED_PROXIES = ["172.18.0.0/16", "fd00::/8"]
    assert not {"civicline.E004", "civicline.E011"} & _ids()
