"""civicline settings, read only from the environment.

Defaults are the safe production ones; the demo and the tests opt out explicitly
(see ``civicline.demo`` and ``tests/settings.py``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("CIVICLINE_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool = False) -> bool:
    value = env(name)
    if not value:
        return default
    return value.lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).replace("\n", ",").split(",") if item.strip()]


def env_map(name: str) -> dict[str, str]:
    """``key=value,key=value`` (rate limits per endpoint, say) as a dict."""
    pairs = (item.partition("=") for item in env_list(name))
    return {key.strip(): value.strip() for key, _sep, value in pairs}


DEBUG = env_bool("DEBUG")
# The demo runs on plain http on loopback; production is always behind TLS.
DEMO = env_bool("CIVICLINE_DEMO")

SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set (see README: Configuration).")

# Fernet keys, newest first; older ones stay until `rotate_encryption_keys` has run.
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS")
if not FIELD_ENCRYPTION_KEYS:
    raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS must be set (see README: Configuration).")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "huey.contrib.djhuey",
    "civicline.core",
    "civicline.line",
    "civicline.linesim",
    "civicline.chatbot",
    "civicline.facilities",
    "civicline.reservations",
    "civicline.delivery",
    "civicline.reports",
    "civicline.ops",
    "civicline.richmenu",
    "civicline.forms",
    "civicline.surveys",
    "civicline.publiccomment",
    "civicline.conversations",
    "civicline.alerts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "civicline.ops.middleware.MetricsMiddleware",
    "civicline.core.middleware.RequestIdMiddleware",
    "civicline.core.middleware.ConsoleAllowlistMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "civicline.core.capacity.CapacityMiddleware",
    # Django's, renewing idle expiry without a write per request (civicline/core/sessions.py).
    "civicline.core.sessions.SessionMiddleware",
    "civicline.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # After X-Frame-Options: it answers first, and lets resident pages be framed by the emulator.
    "civicline.line.csp.ContentSecurityPolicyMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "civicline.urls"
WSGI_APPLICATION = "civicline.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "civicline.core.context_processors.console",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'civicline.sqlite3'}"), conn_max_age=60
    ),
    # The LINE emulator keeps "LINE's" state apart from ours, as the real platform does.
    "linesim": dj_database_url.parse(
        env("LINESIM_DATABASE_URL", f"sqlite:///{VAR_DIR / 'linesim.sqlite3'}"), conn_max_age=60
    ),
}
for _db in DATABASES.values():
    if _db["ENGINE"].endswith("sqlite3"):
        # WAL and a busy timeout let the web server, worker and emulator share SQLite files.
        # synchronous=NORMAL: WAL commits skip the fsync (a power cut may lose the last commits,
        # never corrupt the file), which the webhook's acknowledge-fast budget needs on SQLite.
        # transaction_mode IMMEDIATE: a transaction takes the write lock when it begins. Begun
        # deferred, one that read first and then wrote while another process had written meanwhile
        # failed at once with "database is locked", the busy timeout notwithstanding (the demo's
        # web server, worker and seeding at start); now it waits its turn.
        _db.setdefault("OPTIONS", {}).update(
            {
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
            }
        )
DATABASE_ROUTERS = ["civicline.linesim.routers.EmulatorRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL")
HUEY = {
    "name": "civicline",
    "immediate": env_bool("HUEY_IMMEDIATE"),
    "consumer": {"workers": int(env("HUEY_WORKERS", "2")), "worker_type": "thread", "verbose": False},
}
if REDIS_URL:
    HUEY.update({"huey_class": "huey.RedisHuey", "url": REDIS_URL})
else:
    # No fsync per enqueue: the queue is not the record. Webhook events and sends are rows in the
    # database, and line's sweep task re-queues whatever a lost queue entry left behind.
    HUEY.update({"huey_class": "huey.SqliteHuey", "filename": str(VAR_DIR / "huey.sqlite3"), "fsync": False})

AUTH_USER_MODEL = "core.Staff"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "console:login"
LOGIN_REDIRECT_URL = "console:home"
# Shown in the console header and as the issuer in staff's authenticator apps.
CITY_NAME = env("CITY_NAME")
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", f"{CITY_NAME} civicline".strip())

# Lockout after repeated failures: per account, whatever address the attempts come from.
AXES_FAILURE_LIMIT = int(env("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(env("LOGIN_LOCKOUT_HOURS", "0.5"))
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "civicline.core.netaddr.client_ip"
AXES_LOCKOUT_CALLABLE = "civicline.core.console.auth_views.locked_out"
AXES_VERBOSE = False

# Idle expiry: the session is renewed on each request and ends after this many idle minutes.
SESSION_COOKIE_AGE = int(env("SESSION_IDLE_MINUTES", "30")) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE: Literal["Lax"] = "Lax"
SESSION_COOKIE_SECURE = not DEMO
CSRF_COOKIE_SECURE = not DEMO
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEMO:
    SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]

# --- Content-Security-Policy and Permissions-Policy (django-csp, django-permissions-policy) -------
# Scripts and styles come only from our own static files: no inline <script>, no on…= handlers, no
# style="" attributes (tests/core/test_security_headers.py scans the templates), so markup someone
# manages to inject runs and restyles nothing. A <script> that must carry data uses json_script;
# a nonce ({{ request.csp_nonce }}) is there for the rare inline script that cannot avoid it.
# The origins that follow other settings (map tiles, the LIFF SDK, LINE's API, the emulator that
# frames resident pages) are added per response by civicline.line.csp.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        # blob: the photo report's preview of a picture the resident has chosen, before upload.
        # data: Leaflet cancels the download of a map tile it drops by pointing it at a data: GIF.
        "img-src": [SELF, "data:", "blob:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# Origins LINE's LIFF SDK talks to on resident pages besides LINE_API_BASE_URL's: LINE Login and the
# CDN the SDK reads its own settings from.
LIFF_CONNECT_SOURCES = env_list(
    "LIFF_CONNECT_SOURCES", "https://api.line.me,https://access.line.me,https://liffsdk.line-scdn.net"
)
# Resident pages use the position (facility map, reports, forms) and may take a photo; nothing else
# powerful is used, so nothing else is allowed, to our pages or to anything they might embed.
PERMISSIONS_POLICY = {
    "geolocation": "self",
    "camera": "self",
    **{
        feature: []
        for feature in (
            "accelerometer", "browsing-topics", "display-capture", "gyroscope", "hid",
            "idle-detection", "magnetometer", "microphone", "midi", "payment", "publickey-credentials-get",
            "screen-wake-lock", "serial", "usb", "xr-spatial-tracking",
        )
    },
}
# --- end of Content-Security-Policy and Permissions-Policy -----------------------------------------

# Networks (CIDR) allowed to reach /console/ (X-5); the system administrator may add more in the console.
CONSOLE_ALLOWED_NETWORKS = env_list("CONSOLE_ALLOWED_NETWORKS", "127.0.0.0/8,::1/128")
# Proxies whose X-Forwarded-For we believe (CIDR list). Empty: the direct peer is the client.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")
if TRUSTED_PROXIES:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

AUDIT_RETENTION_DAYS = int(env("AUDIT_RETENTION_DAYS", str(365 * 5)))
# Keys of the audit chain's HMAC, newest first; kept outside the database so that someone who
# can write to it cannot recompute the chain. Older keys stay while entries signed with them remain.
# Unset: a key derived from SECRET_KEY (`check --deploy` refuses that in production).
AUDIT_HMAC_KEYS = env_list("AUDIT_HMAC_KEYS")
# Signed checkpoints of the chain's head, written outside the database (also into every backup and
# mailed to the system administrators): truncating the log after a checkpoint is caught.
AUDIT_CHECKPOINT_DIR = Path(env("AUDIT_CHECKPOINT_DIR", str(VAR_DIR / "audit-checkpoints")))
AUDIT_CHECKPOINT_KEEP = int(env("AUDIT_CHECKPOINT_KEEP", "500"))

# LINE. Unset base URLs mean the real LINE platform; the demo and tests point them at linesim.
LINE_CHANNEL_ID = env("LINE_CHANNEL_ID")
LINE_CHANNEL_SECRET = env("LINE_CHANNEL_SECRET")
LINE_CHANNEL_ACCESS_TOKEN = env("LINE_CHANNEL_ACCESS_TOKEN")
# A reply token is honoured about a minute; an event answered later (a backlog, a worker that was
# down) is answered by push instead, so nobody goes unanswered (free on LINE's municipal plan).
LINE_ANSWER_BY_PUSH = env_bool("LINE_ANSWER_BY_PUSH", True)
LINE_REPLY_TOKEN_SECONDS = int(env("LINE_REPLY_TOKEN_SECONDS", "50"))
# Calls to LINE (or any other service) made while a web request waits: short timeouts, no waiting
# for retries, and at most this many at once per process, so a slow LINE never takes every thread.
OUTBOUND_ON_REQUEST_TIMEOUT = tuple(float(x) for x in env_list("OUTBOUND_ON_REQUEST_TIMEOUT", "2,5"))
OUTBOUND_ON_REQUEST_CONCURRENCY = int(env("OUTBOUND_ON_REQUEST_CONCURRENCY", "2"))
# Requests of each pool one web process serves at once (0: no limit); more get the 「混み合っています」
# page at once. Keep the resident pool below the process's threads, so threads stay free for the
# webhook (never limited) and the shelter map (its own pool). deploy/gunicorn.conf.py sets both.
CAPACITY_POOLS = [
    ("shelters", ["/liff/facilities/"], int(env("SHELTER_PAGE_CONCURRENCY", "0"))),
    ("resident", ["/liff/"], int(env("RESIDENT_PAGE_CONCURRENCY", "0"))),
]
# Sending at LINE's ceiling: every process shares one token bucket per endpoint (Redis with
# REDIS_URL), set to this share of LINE's limit (LINE advises headroom: requests reach it unevenly);
# a delivery keeps this many multicast requests in flight at once per worker.
LINE_RATE_HEADROOM = float(env("LINE_RATE_HEADROOM", "0.9"))
LINE_SEND_CONCURRENCY = int(env("LINE_SEND_CONCURRENCY", "32"))
# At most this many segment deliveries reach one resident in 7 days (0: no cap); deliveries to
# everyone (LINE's broadcast) cannot leave anyone out and are not capped.
DELIVERY_WEEKLY_CAP = int(env("DELIVERY_WEEKLY_CAP", "0"))
# LINE's documented limits per endpoint (civicline.line.client.RATE_LIMITS) replaced where LINE has
# granted the account others, in ``limits`` syntax: "multicast=400/second,push=4000/second".
LINE_RATE_LIMITS = env_map("LINE_RATE_LIMITS")
# Retries of a call to LINE: civicline.line.messaging.BackoffPolicy's fields (max_attempts, base, cap,
# max_in_process_wait) to change; empty keeps the policy's own. Tests shorten it; not an operator's knob.
LINE_SEND_BACKOFF: dict[str, Any] = {}
LINE_API_BASE_URL = env("LINE_API_BASE_URL", "https://api.line.me").rstrip("/")
LINE_API_DATA_BASE_URL = env(
    "LINE_API_DATA_BASE_URL", LINE_API_BASE_URL if env("LINE_API_BASE_URL") else "https://api-data.line.me"
).rstrip("/")
LIFF_ID = env("LIFF_ID")
LIFF_CHANNEL_ID = env("LIFF_CHANNEL_ID", LIFF_ID.split("-", 1)[0] if LIFF_ID else "")
# LINE's LIFF SDK; the demo and tests load the emulator's stand-in (<emulator>/sim/liff-sdk.js) instead.
LIFF_SDK_URL = env("LIFF_SDK_URL", "https://static.line-scdn.net/liff/edge/2/sdk.js")
# A resident's session opened from a LIFF ID token ends after this many idle minutes.
LIFF_SESSION_MINUTES = int(env("LIFF_SESSION_MINUTES", "30"))
# How LIFF ID tokens are verified: "local" checks their ES256 signature against LINE's public keys,
# cached and refreshed outside requests (no call to LINE per sign-in); "endpoint" asks LINE's verify
# endpoint at every sign-in, a fallback only (a disaster's peak then waits on LINE).
LIFF_TOKEN_VERIFICATION = env("LIFF_TOKEN_VERIFICATION", "local")
if LIFF_TOKEN_VERIFICATION not in {"local", "endpoint"}:
    raise ImproperlyConfigured('LIFF_TOKEN_VERIFICATION must be "local" or "endpoint".')
# LINE Login's public keys (JWKS). Empty: <LINE_API_BASE_URL>/oauth2/v2.1/certs (LINE's, or the emulator's).
LIFF_JWKS_URL = env("LIFF_JWKS_URL")
# A LINE account pairing as a staff member's test device may try so often (``limits`` syntax,
# ";" between windows); empty: civicline.line.preview.PAIRING_RATE_LIMITS (5/10 minutes;20/day).
PREVIEW_PAIRING_RATE_LIMITS = env("PREVIEW_PAIRING_RATE_LIMITS")
# Where the emulator delivers webhooks, and where its LIFF pages live.
LINESIM_WEBHOOK_URL = env("LINESIM_WEBHOOK_URL", f"{SITE_URL}/line/webhook")
# The emulator answers the Messaging API after this many milliseconds (LINE over the internet: tens)
# and applies LINE's rate limits ("" ), none ("off") or overrides ("multicast=50/second,...").
LINESIM_LATENCY_MS = int(env("LINESIM_LATENCY_MS", "0"))
LINESIM_RATE_LIMITS = env("LINESIM_RATE_LIMITS")
# The emulator's phone page (staff preview, X-11). Empty: derived from LINE_API_BASE_URL unless that is
# real LINE, where there is no phone page to link to.
LINESIM_PHONE_URL = env("LINESIM_PHONE_URL").rstrip("/")
# The account's name and picture on the emulator's phone and in its bot info (GET /v2/bot/info); real
# LINE takes them from the LINE Official Account Manager. The demo shows the city's name.
LINESIM_BOT_NAME = env("LINESIM_BOT_NAME", CITY_NAME or "civicline")
LINESIM_BOT_PICTURE_URL = env("LINESIM_BOT_PICTURE_URL")

# Facility map (MP-1): tiles from 国土地理院 by default (OpenStreetMap-style URL templates work too);
# the centre (lat,lng; default 豊中市役所) is where the list is sorted from without the resident's position.
MAP_TILE_URL = env("MAP_TILE_URL", "https://cyberjapandata.gsi.go.jp/xyz/std/{z}/{x}/{y}.png")
MAP_TILE_ATTRIBUTION = env(
    "MAP_TILE_ATTRIBUTION", '<a href="https://maps.gsi.go.jp/development/ichiran.html">地理院タイル</a>'
)
MAP_CENTER = [float(x) for x in env("MAP_CENTER", "34.7812,135.4699").split(",")]

# Official alerts (気象庁防災情報XML, PULL feeds): polled by the worker only, with conditional
# requests; nothing is fetched until the system administrator has set the city's area codes.
JMA_FEEDS = env_list(
    "JMA_FEEDS",
    "https://www.data.jma.go.jp/developer/xml/feed/extra.xml,https://www.data.jma.go.jp/developer/xml/feed/eqvol.xml",
)
JMA_POLL_ENABLED = env_bool("JMA_POLL_ENABLED", True)
JMA_POLL_SECONDS = int(env("JMA_POLL_SECONDS", "60"))  # the worker checks every minute; at least 60
# After a gap longer than the short feed reaches back (a stopped worker), the long feed catches up.
JMA_LONG_FEED_AFTER_SECONDS = int(env("JMA_LONG_FEED_AFTER_SECONDS", "600"))
JMA_ALLOWED_HOSTS = env_list("JMA_ALLOWED_HOSTS", "www.data.jma.go.jp")
JMA_TIMEOUT = (5, float(env("JMA_TIMEOUT", "20")))
JMA_USER_AGENT = env("JMA_USER_AGENT", f"civicline ({CITY_NAME or 'city'}; {SITE_URL})")
# Shelter check-in (MP-4): a shelter shows 混雑 from this share of its capacity, 満員 at capacity.
SHELTER_CROWDED_PERCENT = int(env("SHELTER_CROWDED_PERCENT", "80"))
# Reports (damage, potholes) and their photos one resident may send, per kind ("report", "photo"),
# in ``limits`` syntax: "report=5/hour;20/day"; a kind left out keeps civicline.reports.services.RATE_LIMITS.
REPORTS_RATE_LIMITS = env_map("REPORTS_RATE_LIMITS")
# Chatbot: where an oversized-garbage pickup is booked (empty: the reservations LIFF page) and what
# 「問い合わせ」 answers (empty: the city switchboard sentence in civicline.chatbot.handlers).
CHATBOT_OVERSIZED_GARBAGE_URL = env("CHATBOT_OVERSIZED_GARBAGE_URL")
CHATBOT_CONTACT_TEXT = env("CHATBOT_CONTACT_TEXT")
# The FAQ web import (CB-9): seconds between requests to one host, and whether addresses on the
# server's own networks may be fetched (a city site on an internal address; off against request forgery).
CHATBOT_WEB_IMPORT = {
    "delay": float(env("CHATBOT_WEB_IMPORT_DELAY", "1")),
    "allow_private": env_bool("CHATBOT_WEB_IMPORT_ALLOW_PRIVATE"),
}
# Rich menu images are drawn with this font (a .ttf/.otf/.ttc); empty: Noto Sans CJK JP from fonts-noto-cjk.
RICHMENU_FONT = env("RICHMENU_FONT")

# Mail: SMTP in production; the demo and browser tests use linesim's loopback SMTP mailbox.
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("EMAIL_PORT", "25"))
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL")
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "civicline <no-reply@localhost>")

LANGUAGE_CODE = "ja"
# Each language is named in itself: a resident picks theirs from a list they can read (issue 21).
LANGUAGES = [
    ("ja", "日本語"),
    ("ja-easy", "やさしい にほんご"),
    ("en", "English"),
    ("zh-hans", "简体中文"),
    ("ko", "한국어"),
    ("vi", "Tiếng Việt"),
]
# The staff console ships in these (a complete catalogue each); residents' pages in all of LANGUAGES.
CONSOLE_LANGUAGES = ["ja", "en"]
# Languages the city offers its residents (受信設定, per-language content), from LANGUAGES.
RESIDENT_LANGUAGES = env_list("RESIDENT_LANGUAGES", "ja,ja-easy,en,zh-hans,ko,vi")
# Content missing in a resident's language is shown in the first of these that it has, else Japanese.
RESIDENT_LANGUAGE_FALLBACK = env_list("RESIDENT_LANGUAGE_FALLBACK", "ja-easy,ja")
# A resident whose LINE language the city does not offer (e.g. Thai) reads this one.
RESIDENT_LANGUAGE_OTHERS = env("RESIDENT_LANGUAGE_OTHERS", "en")
# Dotted path of a callable(text, source, target) -> str offering staff a draft translation of
# content (never at a resident's request); empty: no machine translation, staff write each version.
CONTENT_TRANSLATOR = env("CONTENT_TRANSLATOR")
LOCALE_PATHS = [BASE_DIR / "civicline" / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns on every start until collectstatic has run
WHITENOISE_USE_FINDERS = True
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(VAR_DIR / "media")))
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "civicline.core.logging.RequestIdFilter"}},
    "formatters": {"json": {"()": "civicline.core.logging.JsonFormatter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["request_id"]}
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.server": {"level": "WARNING"},
        "huey": {"level": "WARNING"},
    },
}

CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# Staff log in from behind the city's NAT, so one address is many people: lock accounts, not addresses.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
