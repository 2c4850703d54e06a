"""Residents' sessions, opened from a LIFF ID token verified against LINE's public keys (X-1, X-6).

A LIFF ID token is a JWT LINE signs ES256 with the key its header's ``kid`` names. By default
(``LIFF_TOKEN_VERIFICATION = "local"``) the server checks it itself: the signature against LINE's
published keys (kept in the cache by ``keys``, never fetched for a known key), the issuer, our LIFF
channel as audience, the expiry. A sign-in costs no call to LINE, so a disaster's peak of residents
does not wait on LINE. ``"endpoint"`` is the fallback: LINE's verify endpoint
(``POST /oauth2/v2.1/verify``) judges each token, one network call per sign-in. The same code runs
against real LINE and the emulator either way.

A resident session is a key in Django's session, apart from staff authentication: it holds only
the LINE user id and when it was last used, and it ends after ``LIFF_SESSION_MINUTES`` idle
minutes. Opening one rotates the session id (and the CSRF token), as a staff login does.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

import jwt
import requests
from django.conf import settings
from django.contrib import auth
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.middleware.csrf import rotate_token
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.translation import gettext_lazy as _
from django_otp import DEVICE_ID_SESSION_KEY

from civicline.core.http import CivicRequest

from .. import services
from ..languages import speaking_to
from ..models import Friend
from . import keys

logger = logging.getLogger(__name__)

SESSION_KEY = "civicline.resident"
STAFF_LOGIN_KEYS = frozenset(
    {auth.SESSION_KEY, auth.BACKEND_SESSION_KEY, auth.HASH_SESSION_KEY, DEVICE_ID_SESSION_KEY}
)
# "seen" is written at most this often: rewriting it on every page would make every resident page
# save the session (a database write) although the idle limit is counted in minutes.
SEEN_EVERY_SECONDS = 60
# Whose data the rest of the session holds (features keep drafts there); outlives the session's expiry.
OWNER_KEY = "civicline.resident.owner"
VERIFY_PATH = "/oauth2/v2.1/verify"
# connect, read (seconds): short, because a slow LINE Login holds a web thread while residents sign in.
VERIFY_TIMEOUT = (3, 5)
MAX_TOKEN_LENGTH = 8192  # a LINE ID token is ~1 KB; anything far larger is not one
# LINE Login's issuer, in every ID token it signs (and in the emulator's).
ISSUER = "https://access.line.me"
# Seconds of clock difference with LINE tolerated on exp and iat: a fresh token must not be refused
# because our clock is a little behind LINE's.
LEEWAY = 10
REQUIRED_CLAIMS = ["iss", "sub", "aud", "exp", "iat"]

# Why a resident sees no page, keyed by the reason the session endpoint and the gate page report.
REFUSALS: dict[str, Any] = {
    "not_in_line": _("LINEアプリから開いてください"),
    "invalid": _("本人確認ができませんでした。LINEアプリからもう一度開いてください"),
    "expired": _("認証の有効期限が切れました。もう一度開いてください"),
    "unavailable": _(
        "ただいまLINEと通信できないため、本人確認ができません。しばらくしてからもう一度お試しください"
    ),
    "failed": _("ページを開けませんでした。もう一度開いてください"),
}

View = Callable[..., HttpResponse]
Response = TypeVar("Response", bound=HttpResponseBase)


class ResidentRequest(CivicRequest):
    """A resident page's request past ``resident_required`` (for type hints)."""

    resident: Friend


class TokenRefused(Exception):
    """LINE answered that the token is not valid for us; ``reason`` is "expired" or "invalid"."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(detail or reason)
        self.reason = reason


class VerifyUnavailable(Exception):
    """LINE could not be asked (network, timeout, 5xx, garbled answer): nothing is known."""


@dataclass(frozen=True)
class VerifiedToken:
    user_id: str
    name: str  # the display name LINE put in the token (profile scope); may be empty


def id_token_verify(id_token: str, *, nonce: str | None = None) -> VerifiedToken:
    """Check that ``id_token`` is a valid LINE ID token of our LIFF channel (and carries ``nonce``, when
    given); raise TokenRefused if it is not, VerifyUnavailable if LINE's keys (or LINE) cannot be had."""
    client_id = settings.LIFF_CHANNEL_ID
    if not client_id:
        raise ImproperlyConfigured("LIFF_ID (or LIFF_CHANNEL_ID) must be set to verify LIFF ID tokens.")
    if not id_token or len(id_token) > MAX_TOKEN_LENGTH:
        raise TokenRefused("invalid", "no token")
    if settings.LIFF_TOKEN_VERIFICATION == "endpoint":
        return _verified_by_line(id_token, client_id, nonce)
    return _verified_locally(id_token, client_id, nonce)


def _verified_locally(id_token: str, client_id: str, nonce: str | None) -> VerifiedToken:
    try:
        header = jwt.get_unverified_header(id_token)
    except jwt.InvalidTokenError as exc:
        raise TokenRefused("invalid", f"not a JWT: {exc}") from exc
    kid = header.get("kid")
    # Only LINE's algorithm: "none", HS256 keyed with the public key, RS256… are refused before any key
    # is looked up (PyJWT is told the same below).
    if header.get("alg") != keys.ALGORITHM or not isinstance(kid, str) or not kid:
        raise TokenRefused("invalid", f"header {header.get('alg')!r}/{kid!r} is not LINE's ES256 with a kid")
    try:
        key = keys.verification_key(kid)
    except keys.UnknownKey as exc:
        raise TokenRefused("invalid", str(exc)) from exc
    except keys.KeysUnavailable as exc:
        raise VerifyUnavailable(str(exc)) from exc
    try:
        claims = jwt.decode(
            id_token,
            key,
            algorithms=[keys.ALGORITHM],
            audience=client_id,
            issuer=ISSUER,
            leeway=LEEWAY,
            options={"require": REQUIRED_CLAIMS, "strict_aud": True},
        )
    except jwt.ExpiredSignatureError as exc:
        raise TokenRefused("expired", str(exc)) from exc
    except jwt.InvalidTokenError as exc:
        raise TokenRefused("invalid", f"{type(exc).__name__}: {exc}") from exc
    if nonce is not None and claims.get("nonce") != nonce:
        raise TokenRefused("invalid", "nonce differs")
    return _token(claims)


def _verified_by_line(id_token: str, client_id: str, nonce: str | None) -> VerifiedToken:
    form = {"id_token": id_token, "client_id": client_id, **({"nonce": nonce} if nonce else {})}
    try:
        response = requests.post(settings.LINE_API_BASE_URL + VERIFY_PATH, data=form, timeout=VERIFY_TIMEOUT)
    except requests.RequestException as exc:
        raise VerifyUnavailable(str(exc)) from exc
    if response.status_code == 400:
        description = _error_description(response)
        # LINE says "IdToken expired." for an expired token, "Invalid IdToken…" for the rest.
        raise TokenRefused("expired" if "expired" in description.lower() else "invalid", description)
    if response.status_code != 200:
        raise VerifyUnavailable(f"verify answered HTTP {response.status_code}")
    try:
        claims = response.json()
    except ValueError as exc:
        raise VerifyUnavailable("verify answered something other than JSON") from exc
    return _checked(claims, client_id)


def _error_description(response: requests.Response) -> str:
    try:
        return str(response.json().get("error_description", ""))
    except (ValueError, AttributeError):
        return ""


def _checked(claims: Any, client_id: str) -> VerifiedToken:
    # LINE has checked all this; checking again is cheap and refuses a misrouted or partial answer.
    if not isinstance(claims, dict):
        raise VerifyUnavailable("verify answered an unexpected body")
    if claims.get("aud") != client_id:
        raise TokenRefused("invalid", "claims do not name our channel")
    expires = claims.get("exp")
    if not isinstance(expires, int | float) or expires <= time.time():
        raise TokenRefused("expired", "exp in the past")
    return _token(claims)


def _token(claims: dict[str, Any]) -> VerifiedToken:
    user_id = claims.get("sub")
    if not isinstance(user_id, str) or not user_id:
        raise TokenRefused("invalid", "claims name no user")
    name = claims.get("name")
    return VerifiedToken(user_id=user_id, name=name if isinstance(name, str) else "")


# --- the session ---------------------------------------------------------------------------------


def resident_login(request: HttpRequest, token: VerifiedToken, *, line_language: str = "") -> Friend:
    """Open a resident session for the token's user (their Friend is created if first seen).

    ``line_language`` is the LINE app's language as LIFF reports it, kept until the profile says.
    """
    friend = services.friend_liff_open(
        user_id=token.user_id, display_name=token.name, line_language=line_language
    )
    if request.session.get(OWNER_KEY) != friend.user_id:
        _forget_resident_data(request)
    # A new session id: whoever planted or saw the old id does not share the resident's session.
    request.session.cycle_key()
    rotate_token(request)
    request.session[SESSION_KEY] = {"user_id": friend.user_id, "seen": time.time()}
    request.session[OWNER_KEY] = friend.user_id
    return friend


def _forget_resident_data(request: HttpRequest) -> None:
    """Drop what features kept for another resident (a half-filled form…), keeping a staff login.

    One phone or browser may be used by several LINE accounts (and staff preview as several test
    residents); a resident must never find another's draft.
    """
    for key in list(request.session.keys()):
        if key not in STAFF_LOGIN_KEYS:
            del request.session[key]


def resident_logout(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)


def resident_from_request(request: HttpRequest) -> Friend | None:
    """The resident whose session this is, or None (no session, idle too long, unknown user)."""
    data = request.session.get(SESSION_KEY)
    if not isinstance(data, dict):
        return None
    now = time.time()
    if now - float(data.get("seen", 0)) > settings.LIFF_SESSION_MINUTES * 60:
        resident_logout(request)
        return None
    friend = Friend.objects.filter(user_id=data.get("user_id", "")).first()
    if friend is None:
        resident_logout(request)
        return None
    if now - float(data.get("seen", 0)) >= SEEN_EVERY_SECONDS:
        request.session[SESSION_KEY] = {**data, "seen": now}
    return friend


def resident_required(view: View) -> View:
    """For resident (LIFF) views: ``request.resident`` is the Friend whose LINE ID token was verified.

    Without a valid session the view does not run: the resident gets the sign-in page, whose
    script obtains an ID token from LIFF, opens the session and comes back (a POST is replayed).
    """

    @wraps(view)
    def wrapped(request: ResidentRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        resident = resident_from_request(request)
        if resident is None:
            return liff_response(request, gate(request))
        request.resident = resident
        # The resident's language, not the browser's: the one they chose in 受信設定 (issue 21).
        with speaking_to(resident) as language:
            request.LANGUAGE_CODE = language
            response = view(request, *args, **kwargs)
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()
        response.headers["Content-Language"] = language
        return liff_response(request, response)

    return wrapped


def gate(request: HttpRequest) -> HttpResponse:
    """The page shown instead of a resident page without a session: it shows no one's data."""
    replay = request.method == "POST" and not request.FILES
    context = {
        "refusals": {key: str(text) for key, text in REFUSALS.items()},
        # Fields of a POST whose session had ended, sent again once the resident is signed in.
        "replay_fields": [
            (name, value)
            for name, values in request.POST.lists()
            if name != "csrfmiddlewaretoken"
            for value in values
        ]
        if replay
        else None,
    }
    status = 200 if request.method == "GET" else 401
    return render(request, "line/liff/gate.html", context, status=status)


def liff_response(request: HttpRequest, response: Response) -> Response:
    """Headers every resident page gets: never cached (shared phones).

    Who may frame a resident page is said by the Content-Security-Policy of everything under /liff/
    (``civicline.line.csp``), so that public pages there (the mail sign-up) get it too.
    """
    add_never_cache_headers(response)
    patch_vary_headers(response, ["Cookie"])
    return response
