"""Test settings: the production settings with test secrets, in-process jobs and fast hashing."""

import os
from pathlib import Path

from cryptography.fernet import Fernet

os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", Fernet.generate_key().decode())
os.environ.setdefault("AUDIT_HMAC_KEYS", "test-audit-hmac-key-kept-outside-the-database")
os.environ.setdefault("CIVICLINE_DEMO", "1")
os.environ.setdefault("LINE_CHANNEL_ID", "1650000000")
os.environ.setdefault("LINE_CHANNEL_SECRET", "0123456789abcdef0123456789abcdef")
os.environ.setdefault("LINE_CHANNEL_ACCESS_TOKEN", "test-channel-access-token")
os.environ.setdefault("LIFF_ID", "1650000001-testliff")
os.environ.setdefault("CIVICLINE_VAR_DIR", str(Path(__file__).resolve().parent.parent / "var" / "test"))

from civicline.settings import *  # noqa: F403

HUEY = {**HUEY, "immediate": True}  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
LOGGING = {**LOGGING, "root": {"handlers": ["console"], "level": "WARNING"}}  # noqa: F405

# File-backed test databases, so that servers running in threads (live server, emulator) share them.
_worker = os.environ.get("PYTEST_XDIST_WORKER", f"pid{os.getpid()}")
for _alias, _db in DATABASES.items():  # noqa: F405
    if _db["ENGINE"].endswith("sqlite3"):
        _db["TEST"] = {"NAME": str(VAR_DIR / f"test_{_alias}_{_worker}.sqlite3")}  # noqa: F405

INSTALLED_APPS = [*INSTALLED_APPS, "tests.testapp"]  # noqa: F405

# Playwright's sync API runs an event loop in the test thread; Django would refuse ORM calls there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
