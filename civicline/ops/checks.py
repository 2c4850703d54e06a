"""Production checks (X-12, X-16): ``python manage.py check --deploy`` fails on unsafe settings.

Registered with ``deploy=True``, so they run with ``--deploy`` only (development and tests opt out
of TLS on purpose); ``--tag civicline`` runs these alone.
"""

from __future__ import annotations

import ipaddress

from cryptography.fernet import Fernet
from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register

from .conf import setting
from .scheduling import crontab_from

TAG = "civicline"
MIN_SECRET_KEY_LENGTH = 50
MIN_SECRET_KEY_CHARACTERS = 5
# Phrases of sample and generated-for-development keys; long enough not to occur in a random key.
SAMPLE_PHRASES = ("insecure", "not-for-production", "change", "example", "secret-key", "test-", "demo-")


def _valid_fernet(key: str) -> bool:
    try:
        Fernet(key.encode())
    except (ValueError, TypeError):
        return False
    return True


def _secret_key_weak(key: str) -> bool:
    return (
        len(key) < MIN_SECRET_KEY_LENGTH
        or len(set(key)) < MIN_SECRET_KEY_CHARACTERS
        or any(phrase in key.lower() for phrase in SAMPLE_PHRASES)
    )


def _open_to_world(cidr: str) -> bool:
    try:
        return ipaddress.ip_network(cidr, strict=False).prefixlen == 0
    except ValueError:
        return False


@register(TAG, deploy=True)
def production_settings(app_configs=None, **kwargs) -> list[CheckMessage]:
    problems: list[CheckMessage] = []
    if settings.DEBUG:
        problems.append(
            Error(
                "DEBUG is on: error pages would show settings and personal data.",
                hint="Unset DEBUG.",
                id="civicline.E001",
            )
        )
    if _secret_key_weak(settings.SECRET_KEY):
        problems.append(
            Error(
                "SECRET_KEY is short, repetitive or a sample value.",
                hint=f"Use {MIN_SECRET_KEY_LENGTH}+ random characters, e.g. "
                "python -c 'import secrets; print(secrets.token_urlsafe(64))'.",
                id="civicline.E002",
            )
        )
    field_keys = list(settings.FIELD_ENCRYPTION_KEYS)
    if not field_keys or not all(_valid_fernet(k) for k in field_keys):
        problems.append(
            Error(
                "FIELD_ENCRYPTION_KEYS is missing or holds a key that is not a Fernet key.",
                hint="See docs/operations.md: Keys.",
                id="civicline.E003",
            )
        )
    open_networks = [c for c in settings.CONSOLE_ALLOWED_NETWORKS if _open_to_world(c)]
    if open_networks:
        problems.append(
            Error(
                f"CONSOLE_ALLOWED_NETWORKS lets every address into the console ({', '.join(open_networks)}).",
                hint="List the city's own networks (LGWAN, office NAT) only.",
                id="civicline.E004",
            )
        )
    if not getattr(settings, "SECURE_SSL_REDIRECT", False) and not settings.TRUSTED_PROXIES:
        problems.append(
            Error(
                "No TLS: SECURE_SSL_REDIRECT is off and no TLS proxy is configured (TRUSTED_PROXIES).",
                hint="Serve behind the TLS proxy of deploy/compose.yaml and set TRUSTED_PROXIES to it.",
                id="civicline.E005",
            )
        )
    if getattr(settings, "DEMO", False):
        problems.append(
            Error(
                "CIVICLINE_DEMO is on: cookies travel over plain HTTP and HSTS is off.",
                hint="Unset CIVICLINE_DEMO.",
                id="civicline.E006",
            )
        )
    if not settings.SITE_URL.startswith("https://"):
        problems.append(
            Error(
                "SITE_URL is not https://: LINE only opens LIFF pages and webhooks over TLS.",
                id="civicline.E007",
            )
        )
    problems += _backup_problems(field_keys)
    return problems


def _backup_problems(field_keys: list[str]) -> list[CheckMessage]:
    problems: list[CheckMessage] = []
    backup_keys = setting("BACKUP_ENCRYPTION_KEY")
    if not backup_keys:
        problems.append(
            Warning(
                "BACKUP_ENCRYPTION_KEY is not set: `backup` cannot run.",
                hint="See docs/operations.md: Backups.",
                id="civicline.W001",
            )
        )
    elif not all(_valid_fernet(k) for k in backup_keys):
        problems.append(
            Error("BACKUP_ENCRYPTION_KEY holds a key that is not a Fernet key.", id="civicline.E008")
        )
    elif set(backup_keys) & set(field_keys):
        problems.append(
            Error(
                "BACKUP_ENCRYPTION_KEY reuses a field encryption key: one leaked key would open both.",
                id="civicline.E009",
            )
        )
    schedule = setting("BACKUP_SCHEDULE")
    if schedule:
        try:
            crontab_from(schedule)
        except ValueError as exc:
            problems.append(Error(f"BACKUP_SCHEDULE is not a crontab line: {exc}", id="civicline.E010"))
    return problems
