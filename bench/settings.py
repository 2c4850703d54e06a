"""Benchmark settings: civicline's own, plus a bare Django view to compare the webhook against."""

import os

from cryptography.fernet import Fernet

os.environ.setdefault("SECRET_KEY", "bench-secret-key")
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", Fernet.generate_key().decode())
os.environ.setdefault("CIVICLINE_DEMO", "1")
os.environ.setdefault("LINE_CHANNEL_SECRET", "bench-channel-secret")
os.environ.setdefault("LINE_CHANNEL_ACCESS_TOKEN", "bench-token")

from civicline.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
LOGGING = {**LOGGING, "root": {"handlers": ["console"], "level": "WARNING"}}  # noqa: F405
