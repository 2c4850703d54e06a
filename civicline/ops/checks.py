"""Production checks (X-12, X-16): ``python manage.py check --deploy`` fails on unsafe settings.

Registered with ``deploy=True``, so they run with ``--deploy`` only (development and tests opt out
of TLS on purpose); ``--tag civicline`` runs these alone.
"""

from __future__ import annotations

from cryptography.fernet import Fernet
from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning

from civicline.core.netaddr import whole_families_covered

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


def _key_weak(key: str, min_length: int) -> bool:
    return (
        len(key) < min_length
        or len(set(key)) < MIN_SECRET_KEY_CHARACTERS
        or any(phrase in key.lower() for phrase in SAMPLE_PHRASES)
    )


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
    if _key_weak(settings.SECRET_KEY, MIN_SECRET_KEY_LENGTH):
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
    open_families = whole_families_covered(settings.CONSOLE_ALLOWED_NETWORKS)
    if open_families:
        problems.append(
            Error(
                f"CONSOLE_ALLOWED_NETWORKS lets every {'/'.join(open_families)} address into the console.",
                hint="List the city's own networks (LGWAN, office NAT) only.",
                id="civicline.E004",
            )
        )
    if not settings.SECURE_SSL_REDIRECT and not settings.TRUSTED_PROXIES:
        problems.append(
            Error(
                "No TLS: SECURE_SSL_REDIRECT is off and no TLS proxy is configured (TRUSTED_PROXIES).",
                hint="Serve behind the TLS proxy of deploy/compose.yaml and set TRUSTED_PROXIES to it.",
                id="civicline.E005",
            )
        )
    if settings.DEMO:
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
    problems += _exposure_problems()
    problems += _line_problems()
    return problems


# An HMAC key should hold at least as many random bits as the hash it keys (256).
MIN_AUDIT_KEY_LENGTH = 32


def _exposure_problems() -> list[CheckMessage]:
    problems: list[CheckMessage] = []
    proxy_families = whole_families_covered(settings.TRUSTED_PROXIES)
    if proxy_families:
        problems.append(
            Error(
                f"TRUSTED_PROXIES trusts every {'/'.join(proxy_families)} address: any client could name "
                "its own address in X-Forwarded-For and pass the console allowlist.",
                hint="List only the TLS proxy's own address(es).",
                id="civicline.E011",
            )
        )
    if "*" in settings.ALLOWED_HOSTS or any(host in {".", ""} for host in settings.ALLOWED_HOSTS):
        problems.append(
            Error(
                "ALLOWED_HOSTS accepts any host name: links in mails and LIFF redirects could be poisoned.",
                hint="List the service's host names, e.g. line.city.example.jp.",
                id="civicline.E012",
            )
        )
    audit_keys = list(settings.AUDIT_HMAC_KEYS)
    if not audit_keys:
        problems.append(
            Error(
                "AUDIT_HMAC_KEYS is not set: the audit log is sealed with a key derived from SECRET_KEY.",
                hint="Generate one with python -c 'import secrets; print(secrets.token_urlsafe(48))' "
                "and keep a copy off the server (docs/operations.md: Keys).",
                id="civicline.E013",
            )
        )
    elif _key_weak(audit_keys[0], MIN_AUDIT_KEY_LENGTH):
        problems.append(
            Error(
                f"The newest AUDIT_HMAC_KEYS key is short, repetitive or a sample value "
                f"(at least {MIN_AUDIT_KEY_LENGTH} random characters).",
                id="civicline.E014",
            )
        )
    return problems


def _line_problems() -> list[CheckMessage]:
    problems: list[CheckMessage] = []
    if not settings.LINE_CHANNEL_SECRET:
        problems.append(
            Error(
                "LINE_CHANNEL_SECRET is empty: the webhook refuses every request (without it, anyone "
                "could forge LINE's signature).",
                hint="Copy the channel secret from the LINE Developers console (Basic settings).",
                id="civicline.E015",
            )
        )
    if not settings.LINE_CHANNEL_ACCESS_TOKEN:
        problems.append(
            Error(
                "LINE_CHANNEL_ACCESS_TOKEN is empty: nothing can be sent to residents.",
                hint="Issue a channel access token in the LINE Developers console (Messaging API).",
                id="civicline.E016",
            )
        )
    if not settings.LIFF_ID or not settings.LIFF_CHANNEL_ID:
        problems.append(
            Error(
                "LIFF_ID (and the LINE Login channel id it starts with) is missing: resident pages "
                "cannot sign residents in.",
                hint="Create the LIFF app (endpoint <SITE_URL>/liff/), set LIFF_ID: docs/operations.md.",
                id="civicline.E017",
            )
        )
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
