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
