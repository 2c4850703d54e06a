"""LIFF server API (liff.yml), LINE Login's ID token verification, and the phone's LIFF endpoints."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from . import liff, services
from .api_views import by_method, line_api
from .control_views import ControlError, _json, _user, control
from .models import LiffApp, LoginKey
from .validation import ApiError, parse_json

View = Callable[..., HttpResponse]
SDK_PATH = Path(__file__).resolve().parent / "static" / "linesim" / "liff-sdk.js"


# LIFF server API: https://api.line.me/liff/v1/apps


@line_api("POST")
def app_add(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"liffId": liff.app_create(parse_json(request.body)).liff_id})


@line_api("GET")
def app_list(request: HttpRequest) -> HttpResponse:
    apps = [app.as_dict() for app in LiffApp.objects.all()]
    if not apps:
        raise ApiError(404, "Not found")  # LINE's answer for a channel without LIFF apps
    return JsonResponse({"apps": apps})


@line_api("PUT")
def app_update(request: HttpRequest, liff_id: str) -> HttpResponse:
    liff.app_update(liff.access_app(liff_id), parse_json(request.body))
    return JsonResponse({})


@line_api("DELETE")
def app_delete(request: HttpRequest, liff_id: str) -> HttpResponse:
    liff.access_app(liff_id).delete()
    return JsonResponse({})


apps = by_method(POST=app_add, GET=app_list)
app = by_method(PUT=app_update, DELETE=app_delete)


# LINE Login: https://api.line.me/oauth2/v2.1/verify


@csrf_exempt
def verify_id_token(request: HttpRequest) -> HttpResponse:
    """Answers as LINE Login does: the claims, or 400 with ``invalid_request`` and a description."""
    if request.method != "POST":
        return JsonResponse(
            {"error": "invalid_request", "error_description": "Method Not Allowed"}, status=405
        )
    form = request.POST
    id_token, client_id = form.get("id_token", ""), form.get("client_id", "")
    if not client_id:
        return _login_error("client_id is required.")
    try:
        claims = liff.verify_id_token(
            id_token, client_id, nonce=form.get("nonce") or None, user_id=form.get("user_id") or None
        )
    except liff.VerifyError as exc:
        return _login_error(str(exc))
    return JsonResponse(claims)


def _method_not_allowed() -> JsonResponse:
    return JsonResponse({"error": "invalid_request", "error_description": "Method Not Allowed"}, status=405)


def _login_error(description: str) -> JsonResponse:
    return JsonResponse({"error": "invalid_request", "error_description": description}, status=400)


# LINE Login's public keys: https://api.line.me/oauth2/v2.1/certs, and its discovery document
# (https://access.line.me/.well-known/openid-configuration; one host here, as for every LINE API).


def certs(request: HttpRequest) -> HttpResponse:
    """The JWKS with the public keys of LIFF ID tokens (ES256, named by ``kid``)."""
    if request.method != "GET":
        return _method_not_allowed()
    return JsonResponse(liff.jwks())


def openid_configuration(request: HttpRequest) -> HttpResponse:
    if request.method != "GET":
        return _method_not_allowed()
    return JsonResponse(liff.openid_configuration(request.build_absolute_uri("/")))


# /sim/api/liff/…: the phone, tests and the demo


def cors(view: View) -> View:
    """Let pages on civicline's origin (LIFF pages running liff-sdk.js) call this endpoint."""

    @csrf_exempt
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = HttpResponse(status=204) if request.method == "OPTIONS" else view(request, *args, **kwargs)
        response["Access-Control-Allow-Origin"] = "*"
        response["Access-Control-Allow-Methods"] = "POST, OPTIONS"
        response["Access-Control-Allow-Headers"] = "Content-Type"
        return response

    return wrapper


def _control_call(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a LINE-side service from the control API, reporting its LINE error as a control error."""
    try:
        return func(*args, **kwargs)
    except ApiError as exc:
        detail = "; ".join(f"{d['property']}: {d['message']}" for d in exc.details)
        raise ControlError(exc.status, f"{exc.message}: {detail}" if detail else exc.message) from None


@control("GET", "POST")
def sim_apps(request: HttpRequest) -> HttpResponse:
    """POST {"endpointUrl", "viewType"?, "liffId"?}: a new app, or the one with liffId made to exist."""
    if request.method == "GET":
        return JsonResponse({"apps": [a.as_dict() for a in LiffApp.objects.all()]})
    data = _json(request)
    endpoint, view_type = data.get("endpointUrl"), data.get("viewType") or "full"
    if not isinstance(endpoint, str) or not endpoint:
        raise ControlError(400, "endpointUrl is required")
    if liff_id := data.get("liffId"):
        created = _control_call(liff.app_ensure, str(liff_id), endpoint, view_type)
    else:
        created = _control_call(liff.app_create, {"view": {"type": view_type, "url": endpoint}})
    return JsonResponse(created.as_dict())


@control("GET")
def resolve(request: HttpRequest) -> HttpResponse:
    """GET ?url=<LIFF URL>&user=<userId>: the page the phone opens for it (see liff-sdk.js)."""
    user_id = request.GET.get("user")
    user = _user(user_id) if user_id else None
    api_base = request.build_absolute_uri("/")
    opened = liff.open_url(request.GET.get("url", ""), user, api_base=api_base)
    if opened is None:
        raise ControlError(404, "not a LIFF URL of a registered LIFF app")
    return JsonResponse(
        {
            "liffId": opened.app.liff_id,
            "url": opened.url,
            "viewType": opened.app.view_type,
            "endpointUrl": opened.app.endpoint_url,
        }
    )


@cors
@control("POST")
def token(request: HttpRequest) -> HttpResponse:
    """POST {"liffId", "userId", "nonce"?, "expiresIn"?}: an ID token as liff.getIDToken() returns it."""
    data = _json(request)
    app = LiffApp.objects.filter(liff_id=str(data.get("liffId", ""))).first()
    if app is None:
        raise ControlError(404, "no LIFF app with this liffId")
    user = _user(str(data.get("userId", "")))
    lifetime = data.get("expiresIn", liff.ID_TOKEN_LIFETIME)
    if not isinstance(lifetime, int):
        raise ControlError(400, "expiresIn must be a number of seconds")
    # A lifetime of zero or less gives an already expired token, which tests need.
    id_token = liff.issue_id_token(app, user, nonce=data.get("nonce") or None, lifetime=lifetime)
    return JsonResponse({"idToken": id_token, "expiresIn": lifetime})


def _key_dict(key: LoginKey, signing: LoginKey) -> dict[str, Any]:
    return {
        "kid": key.kid,
        "signing": key.pk == signing.pk,
        "createdAt": key.created_at.isoformat(),
        "retiresAt": key.retires_at.isoformat() if key.retires_at else None,
    }


@control("GET")
def keys(request: HttpRequest) -> HttpResponse:
    """The published LINE Login keys (as in the JWKS), which one signs new tokens, and when each retires."""
    signing = liff.signing_key()
    return JsonResponse({"keys": [_key_dict(key, signing) for key in liff.published_keys()]})


@control("POST")
def keys_rotate(request: HttpRequest) -> HttpResponse:
    """POST {"graceSeconds"?}: sign with a new key; the previous ones stay in the JWKS that long.

    The default grace is a token's lifetime; 0 withdraws them at once.
    """
    grace = _json(request).get("graceSeconds", liff.ID_TOKEN_LIFETIME)
    if not isinstance(grace, int) or isinstance(grace, bool) or grace < 0:
        raise ControlError(400, "graceSeconds must be a number of seconds (0 or more)")
    signing = liff.key_rotate(grace_seconds=grace)
    return JsonResponse(
        {"kid": signing.kid, "keys": [_key_dict(key, signing) for key in liff.published_keys()]}
    )


@cors
@control("POST")
def send(request: HttpRequest) -> HttpResponse:
    """POST {"idToken", "messages"}: liff.sendMessages(); the messages arrive as the user's own."""
    data = _json(request)
    user = liff.user_for_token(str(data.get("idToken", "")))
    if user is None:
        raise ControlError(401, "the ID token is invalid or expired")
    if user.blocked:
        raise ControlError(403, "the user has blocked the account")
    messages = data.get("messages")
    if not isinstance(messages, list) or not 1 <= len(messages) <= 5:
        raise ControlError(400, "messages must be a list of 1 to 5 message objects")
    texts = []
    for message in messages:
        # The emulator's users can say text only; LINE would also take images, stickers and more.
        if not isinstance(message, dict) or message.get("type") != "text" or not message.get("text"):
            raise ControlError(400, "linesim sends only text messages from a LIFF app")
        texts.append(str(message["text"]))
    webhooks = [services.user_send_text(user, text).as_dict() for text in texts]
    return JsonResponse({"webhooks": webhooks})


def sdk(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(SDK_PATH.read_bytes(), content_type="application/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response
