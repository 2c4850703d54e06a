"""LIFF as LINE runs it: the app registry (liff.yml), LIFF URLs opened in the phone, and LINE Login ID tokens.

ID tokens are JWTs with LINE Login's claims, signed HS256 with the channel secret (what LINE Login does
for web logins). Only the emulator reads the signature: civicline verifies a token the way it must on
LINE, by ``POST /oauth2/v2.1/verify``, so its code is the same against either.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import secrets
import string
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import jwt
from django.conf import settings
from linebot.v3.liff import AddLiffAppRequest, UpdateLiffAppRequest

from .models import LiffApp, VirtualUser
from .validation import ApiError, _details, body_error

ISSUER = "https://access.line.me"
ID_TOKEN_LIFETIME = 3600  # seconds; LINE's ID tokens last one hour too
MAX_APPS = 30
SCOPES = {"openid", "email", "profile", "chat_message.write"}
DEFAULT_SCOPE = ["profile", "chat_message.write"]
# The key in the URL fragment through which the phone hands the opened page its LIFF context.
FRAGMENT_KEY = "linesim"
_ID_CHARS = string.ascii_letters + string.digits


def channel_id() -> str:
    """The LINE Login channel the LIFF apps belong to (the part of the LIFF ID before the dash)."""
    return settings.LIFF_CHANNEL_ID or settings.LINE_CHANNEL_ID


def _secret() -> str:
    return settings.LINE_CHANNEL_SECRET


# The registry


def _check_endpoint(url: str) -> None:
    """LINE wants https and no fragment; plain http is let through for loopback, where the demo runs."""
    parts = urlsplit(url)
    loopback = parts.hostname == "localhost" or _is_loopback(parts.hostname or "")
    if (
        parts.fragment
        or not parts.netloc
        or not (parts.scheme == "https" or (parts.scheme == "http" and loopback))
    ):
        raise body_error([{"message": "invalid uri", "property": "view.url"}])


def _is_loopback(host: str) -> bool:
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
    return jwt.encode(claims, _secret(), algorithm="HS256")


class VerifyError(Exception):
    """LINE Login's answer to a token it will not vouch for: ``error_description`` is the message."""


def verify_id_token(
    id_token: str, client_id: str, *, nonce: str | None = None, user_id: str | None = None
) -> dict[str, Any]:
    """The claims, checked in LINE Login's order: signature, issuer, expiry, audience, nonce, subject."""
    try:
        claims = jwt.decode(
            id_token,
            _secret(),
            algorithms=["HS256"],
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
