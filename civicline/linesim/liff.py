"""LIFF as LINE runs it: the app registry (liff.yml), LIFF URLs opened in the phone, and LINE Login ID tokens.

ID tokens are JWTs with LINE Login's claims, signed as LINE signs the tokens of LIFF apps: ES256 with
a P-256 key named by the header's ``kid``, whose public half LINE publishes as a JWKS at
``/oauth2/v2.1/certs`` (listed by ``/.well-known/openid-configuration``). civicline verifies them
locally against that JWKS, or, as a fallback, by ``POST /oauth2/v2.1/verify``, which the emulator
answers too; either way its code is the same against LINE and the emulator. The key can be rotated
(``key_rotate``) to try what a rotation by LINE does to civicline.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import secrets
import string
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from jwt.algorithms import ECAlgorithm
from linebot.v3.liff import AddLiffAppRequest, UpdateLiffAppRequest

from .models import LiffApp, LoginKey, VirtualUser
from .routers import EMULATOR_DB
from .validation import ApiError, _details, body_error

# LINE's real issuer, also in the emulator's tokens: civicline checks ``iss`` against it either way.
ISSUER = "https://access.line.me"
ID_TOKEN_LIFETIME = 3600  # seconds; LINE's ID tokens last one hour too
ALGORITHM = "ES256"  # what LINE signs LIFF apps' ID tokens with (web logins get HS256; not emulated)
MAX_APPS = 30
SCOPES = {"openid", "email", "profile", "chat_message.write"}
DEFAULT_SCOPE = ["profile", "chat_message.write"]
# The key in the URL fragment through which the phone hands the opened page its LIFF context.
FRAGMENT_KEY = "linesim"
_ID_CHARS = string.ascii_letters + string.digits


def channel_id() -> str:
    """The LINE Login channel the LIFF apps belong to (the part of the LIFF ID before the dash)."""
    return settings.LIFF_CHANNEL_ID or settings.LINE_CHANNEL_ID


# The registry


def _check_endpoint(url: str) -> None:
    """LINE wants https and no fragment; plain http is let through for loopback, where the demo runs."""
    parts = urlsplit(url)
    loopback = is_loopback(parts.hostname or "")
    if (
        parts.fragment
        or not parts.netloc
        or not (parts.scheme == "https" or (parts.scheme == "http" and loopback))
    ):
        raise body_error([{"message": "invalid uri", "property": "view.url"}])


def is_loopback(host: str) -> bool:
    """``host`` is this machine: "localhost" or a loopback address."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _parse(model: type, data: dict[str, Any]) -> Any:
    try:
        return model.from_dict(data)
    except (ValueError, TypeError, KeyError) as exc:
        raise body_error(_details(exc)) from None


def _apply(app: LiffApp, data: dict[str, Any]) -> None:
    """Copy the fields present in an add/update request (already schema-checked) onto ``app``."""
    view = data.get("view") or {}
    if "url" in view:
        _check_endpoint(view["url"])
        app.endpoint_url = view["url"]
    app.view_type = view.get("type", app.view_type)
    app.module_mode = view.get("moduleMode", app.module_mode)
    app.description = data.get("description", app.description)
    app.features = data.get("features", app.features)
    app.permanent_link_pattern = data.get("permanentLinkPattern", app.permanent_link_pattern)
    app.bot_prompt = data.get("botPrompt", app.bot_prompt)
    if "scope" in data:
        if not set(data["scope"]) <= SCOPES:
            raise body_error([{"message": "invalid scope", "property": "scope"}])
        app.scope = data["scope"]


def new_liff_id() -> str:
    return f"{channel_id()}-{''.join(secrets.choice(_ID_CHARS) for _ in range(8))}"


def app_create(data: dict[str, Any], *, liff_id: str | None = None) -> LiffApp:
    _parse(AddLiffAppRequest, data)
    if LiffApp.objects.count() >= MAX_APPS:
        raise ApiError(400, "The number of LIFF apps has reached the upper limit")
    app = LiffApp(liff_id=liff_id or new_liff_id(), scope=list(DEFAULT_SCOPE))
    _apply(app, data)
    app.save()
    return app


def access_app(liff_id: str) -> LiffApp:
    app = LiffApp.objects.filter(liff_id=liff_id).first()
    if app is None:
        raise ApiError(404, "Not found")
    return app


def app_update(app: LiffApp, data: dict[str, Any]) -> None:
    _parse(UpdateLiffAppRequest, data)
    _apply(app, data)
    app.save()


def app_ensure(liff_id: str, endpoint_url: str, view_type: str = "full") -> LiffApp:
    """The app with exactly this id (LINE never lets one choose it, but the demo's LIFF_ID is fixed)."""
    data = {"view": {"type": view_type, "url": endpoint_url}}
    app = LiffApp.objects.filter(liff_id=liff_id).first()
    if app is None:
        return app_create(data, liff_id=liff_id)
    app_update(app, data)
    return app


# Opening a LIFF URL


@dataclass
class Opened:
    app: LiffApp
    url: str  # the endpoint URL with the LIFF URL's path, query and fragment, plus the phone's context


def _liff_target(url: str) -> tuple[str, str] | None:
    """(liffId, "/path?query#fragment") for the URL forms LINE opens as LIFF apps, else None."""
    parts = urlsplit(url)
    if (parts.scheme, parts.netloc) in {("https", "liff.line.me"), ("line", "app")}:
        rest = parts.path.lstrip("/")
    elif parts.scheme == "https" and parts.netloc == "line.me" and parts.path.startswith("/R/app/"):
        rest = parts.path[len("/R/app/") :]
    else:
        return None
    liff_id, _, path = rest.partition("/")
    if not liff_id:
        return None
    tail = ("/" + path if path else "") + (f"?{parts.query}" if parts.query else "")
    return liff_id, tail + (f"#{parts.fragment}" if parts.fragment else "")


def _concat(endpoint: str, tail: str) -> tuple[str, str]:
    """LINE's "concat" pattern: the LIFF URL's path is appended to the endpoint's, queries are merged."""
    extra = urlsplit(tail)
    base = urlsplit(endpoint)
    path = base.path.rstrip("/") + extra.path if extra.path else base.path
    query = urlencode(
        parse_qsl(base.query, keep_blank_values=True) + parse_qsl(extra.query, keep_blank_values=True)
    )
    return urlunsplit((base.scheme, base.netloc, path or "/", query, "")), extra.fragment


def encode_context(context: dict[str, Any]) -> str:
    raw = json.dumps(context, ensure_ascii=False, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def open_url(url: str, user: VirtualUser | None, *, api_base: str) -> Opened | None:
    """What the LINE app loads for a LIFF URL, or None if ``url`` is not a LIFF URL of a known app.

    With a user, the page's URL fragment carries the LIFF context and a fresh ID token (see
    ``static/linesim/liff-sdk.js``); without one, the page opens as in an external browser: logged out.
    """
    target = _liff_target(url)
    if target is None:
        return None
    app = LiffApp.objects.filter(liff_id=target[0]).first()
    if app is None:
        return None
    page, fragment = _concat(app.endpoint_url, target[1])
    if user is not None:
        context = {
            "liffId": app.liff_id,
            "viewType": app.view_type,
            "endpointUrl": app.endpoint_url,
            "userId": user.user_id,
            "idToken": issue_id_token(app, user),
            "language": user.language,
            "api": api_base.rstrip("/"),
        }
        fragment = "&".join(p for p in (fragment, f"{FRAGMENT_KEY}={encode_context(context)}") if p)
    return Opened(app, page + (f"#{fragment}" if fragment else ""))


# LINE Login's signing keys


def _new_private_key() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


_key_lock = threading.Lock()


def signing_key() -> LoginKey:
    """The key new ID tokens are signed with; the first one is made when first needed."""
    # One emulator process serves many threads: the first tokens issued at once share one new key.
    with _key_lock:
        key = LoginKey.objects.filter(retires_at__isnull=True).order_by("-id").first()
        return key or LoginKey.objects.create(private_key=_new_private_key())


def published_keys() -> list[LoginKey]:
    """The keys in the JWKS: the signing key, and rotated-out keys still within their grace period."""
    signing_key()  # a JWKS is never empty, even before the first token
    now = timezone.now()
    return [key for key in LoginKey.objects.order_by("id") if key.published(now)]


def key_rotate(*, grace_seconds: int = ID_TOKEN_LIFETIME) -> LoginKey:
    """Sign with a new key from now on; the previous keys stay published ``grace_seconds`` more.

    The default grace is a token's lifetime, so that no token issued before the rotation is orphaned;
    0 withdraws them at once (as after a compromised key).
    """
    retires_at = timezone.now() + timedelta(seconds=max(grace_seconds, 0))
    with transaction.atomic(using=EMULATOR_DB):
        LoginKey.objects.filter(retires_at__isnull=True).update(retires_at=retires_at)
        # Keys already retiring are not kept longer than they were meant to be.
        LoginKey.objects.filter(retires_at__gt=retires_at).update(retires_at=retires_at)
        return LoginKey.objects.create(private_key=_new_private_key())


def _public_jwk(key: LoginKey) -> dict[str, Any]:
    private = serialization.load_pem_private_key(key.private_key.encode(), password=None)
    assert isinstance(private, ec.EllipticCurvePrivateKey)
    jwk = ECAlgorithm.to_jwk(private.public_key(), as_dict=True)
    return {**jwk, "kid": key.kid, "alg": ALGORITHM, "use": "sig"}


def jwks() -> dict[str, Any]:
    """The body of ``GET /oauth2/v2.1/certs``."""
    return {"keys": [_public_jwk(key) for key in published_keys()]}


def openid_configuration(base_url: str) -> dict[str, Any]:
    """LINE Login's discovery document, with the emulator's address where LINE has its API hosts.

    The issuer stays LINE's own (tokens carry it). The emulator serves jwks_uri (and the verify endpoint,
    which the document does not list); the other endpoints are listed as LINE lists them, not served.
    """
    base = base_url.rstrip("/")
    return {
        "issuer": ISSUER,
        "authorization_endpoint": f"{base}/oauth2/v2.1/authorize",
        "token_endpoint": f"{base}/oauth2/v2.1/token",
        "revocation_endpoint": f"{base}/oauth2/v2.1/revoke",
        "userinfo_endpoint": f"{base}/oauth2/v2.1/userinfo",
        "scopes_supported": ["openid", "profile", "email"],
        "jwks_uri": f"{base}/oauth2/v2.1/certs",
        "response_types_supported": ["code"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": [ALGORITHM],
        "code_challenge_methods_supported": ["S256"],
    }


# ID tokens and their verification


def issue_id_token(
    app: LiffApp, user: VirtualUser, *, nonce: str | None = None, lifetime: int = ID_TOKEN_LIFETIME
) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "sub": user.user_id,
        "aud": app.channel_id,
        "exp": now + lifetime,
        "iat": now,
        "amr": ["linesso"],
        "name": user.display_name,
    }
    if user.picture_url:
        claims["picture"] = user.picture_url
    if nonce:
        claims["nonce"] = nonce
    key = signing_key()
    private = serialization.load_pem_private_key(key.private_key.encode(), password=None)
    return jwt.encode(claims, private, algorithm=ALGORITHM, headers={"kid": key.kid})


class VerifyError(Exception):
    """LINE Login's answer to a token it will not vouch for: ``error_description`` is the message."""


def _verification_key(id_token: str) -> Any:
    """The public key of the published key the token's header names, or raise VerifyError."""
    try:
        header = jwt.get_unverified_header(id_token)
    except jwt.InvalidTokenError:
        raise VerifyError("Invalid IdToken.") from None
    if header.get("alg") != ALGORITHM or not isinstance(header.get("kid"), str):
        raise VerifyError("Invalid IdToken.")
    key = LoginKey.objects.filter(kid=header["kid"]).first()
    if key is None or not key.published():
        raise VerifyError("Invalid IdToken.")
    private = serialization.load_pem_private_key(key.private_key.encode(), password=None)
    return private.public_key()


def verify_id_token(
    id_token: str, client_id: str, *, nonce: str | None = None, user_id: str | None = None
) -> dict[str, Any]:
    """The claims, checked in LINE Login's order: signature, issuer, expiry, audience, nonce, subject."""
    try:
        claims = jwt.decode(
            id_token,
            _verification_key(id_token),
            algorithms=[ALGORITHM],
            options={"verify_exp": False, "verify_aud": False, "verify_iss": False, "verify_iat": False},
        )
    except jwt.InvalidTokenError:
        raise VerifyError("Invalid IdToken.") from None
    if claims.get("iss") != ISSUER:
        raise VerifyError("Invalid IdToken Issuer.")
    if not isinstance(claims.get("exp"), int) or claims["exp"] <= time.time():
        raise VerifyError("IdToken expired.")
    if claims.get("aud") != client_id:
        raise VerifyError("Invalid IdToken Audience.")
    if nonce and claims.get("nonce") != nonce:
        raise VerifyError("Invalid IdToken Nonce.")
    if user_id and claims.get("sub") != user_id:
        raise VerifyError("Invalid IdToken Subject Identifier.")
    return claims


def user_for_token(id_token: str) -> VirtualUser | None:
    """The user an ID token issued by the emulator (to any of its LIFF apps) speaks for, if still valid."""
    try:
        audience = jwt.decode(id_token, options={"verify_signature": False}).get("aud")
        claims = verify_id_token(id_token, str(audience))
    except (jwt.InvalidTokenError, VerifyError):
        return None
    return VirtualUser.objects.filter(user_id=claims["sub"]).first()
