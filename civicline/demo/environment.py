"""The demo's settings: generated once into var/demo/demo.env so restarts keep data readable."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]
DEMO_DIR = Path(os.environ.get("CIVICLINE_DEMO_DIR", ROOT / "var" / "demo"))
ENV_FILE = DEMO_DIR / "demo.env"

WEB_PORT = int(os.environ.get("CIVICLINE_PORT", "8000"))
EMULATOR_PORT = int(os.environ.get("LINESIM_PORT", "8001"))
SMTP_PORT = int(os.environ.get("LINESIM_SMTP_PORT", "8025"))
HOST = "127.0.0.1"


def _generated() -> dict[str, str]:
    return {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "LINE_CHANNEL_ID": "1660000000",
        "LINE_CHANNEL_SECRET": secrets.token_hex(16),
        "LINE_CHANNEL_ACCESS_TOKEN": secrets.token_urlsafe(40),
        "LIFF_ID": "1660000001-demo",
        "AUDIT_HMAC_KEYS": secrets.token_urlsafe(48),
    }


def load() -> dict[str, str]:
    """The demo's environment, merged over the caller's; secrets are created on first use."""
    DEMO_DIR.mkdir(parents=True, exist_ok=True)
    if not ENV_FILE.exists():
        ENV_FILE.write_text("")
        ENV_FILE.chmod(0o600)
    stored = dict(line.split("=", 1) for line in ENV_FILE.read_text().splitlines() if "=" in line)
    # A demo made by an older version lacks secrets added since: generate just those.
    missing = {k: v for k, v in _generated().items() if k not in stored}
    if missing:
        with ENV_FILE.open("a") as out:
            out.write("".join(f"{k}={v}\n" for k, v in missing.items()))
        stored.update(missing)
    site = f"http://{HOST}:{WEB_PORT}"
    city = os.environ.get("CITY_NAME", "みどり市")
    emulator = f"http://{HOST}:{EMULATOR_PORT}"
    return {
        **os.environ,
        **stored,
        "DJANGO_SETTINGS_MODULE": "civicline.settings",
        "CIVICLINE_DEMO": "1",
        "CIVICLINE_VAR_DIR": str(DEMO_DIR),
        "SITE_URL": site,
        "LINE_API_BASE_URL": emulator,
        "LINE_API_DATA_BASE_URL": emulator,
        "LINESIM_WEBHOOK_URL": f"{site}/line/webhook",
        # Resident pages get their LIFF context and ID token from the emulator's phone.
        "LIFF_SDK_URL": f"{emulator}/sim/liff-sdk.js",
        "EMAIL_HOST": HOST,
        "EMAIL_PORT": str(SMTP_PORT),
        "CITY_NAME": city,
        # The emulator's phone shows the account as the city, as LINE shows a city's official account.
        "LINESIM_BOT_NAME": os.environ.get("LINESIM_BOT_NAME", city),
        "DEFAULT_FROM_EMAIL": f"{city}役所 <no-reply@demo-city.example>",
        "PYTHONUNBUFFERED": "1",
    }
