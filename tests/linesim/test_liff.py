"""LIFF in the emulator: the app registry, LIFF URLs, and LINE Login's ID token verification."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests
from django.conf import settings

from civicline.linesim.client import EmulatorError
from tests.fixtures.linesim import linesim_db

pytestmark = linesim_db

ENDPOINT = "https://city.example.jp/liff/reports"


@pytest.fixture
def resident(linesim) -> dict:
    return linesim.client.create_user(
        "佐藤 花子", follow=True, picture_url="https://img.example.jp/hanako.png"
    )


@pytest.fixture
def liff_app(linesim) -> dict:
    return linesim.client.ensure_liff_app(settings.LIFF_ID, ENDPOINT, "tall")


def verify(linesim, **form: str) -> requests.Response:
    return requests.post(f"{linesim.base_url}/oauth2/v2.1/verify", data=form, timeout=10)


def context_of(url: str) -> dict:
    encoded = parse_qs(urlsplit(url).fragment)["linesim"][0]
    return json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))


def test_liff_apps_are_added_listed_updated_and_deleted(line_api):
    empty = line_api("GET", "/liff/v1/apps")
    added = line_api(
        "POST", "/liff/v1/apps", {"view": {"type": "full", "url": ENDPOINT}, "description": "通報"}
    )
    liff_id = added.json()["liffId"]
    updated = line_api("PUT", f"/liff/v1/apps/{liff_id}", {"view": {"type": "compact"}})
    listed = line_api("GET", "/liff/v1/apps").json()["apps"]
    deleted = line_api("DELETE", f"/liff/v1/apps/{liff_id}")
    deleted_again = line_api("DELETE", f"/liff/v1/apps/{liff_id}")

    assert empty.status_code == 404  # LINE's answer for a channel without LIFF apps
    assert added.status_code == 200
    assert liff_id.startswith(f"{settings.LIFF_CHANNEL_ID}-")
    assert updated.status_code == 200
    assert listed == [
        {
            "liffId": liff_id,
            "view": {"type": "compact", "url": ENDPOINT},
            "description": "通報",
            "permanentLinkPattern": "concat",
            "scope": ["profile", "chat_message.write"],
            "botPrompt": "none",
        }
    ]
    assert deleted.status_code == 200 and deleted_again.status_code == 404


@pytest.mark.parametrize(
    "view",
    [
        {"type": "huge", "url": ENDPOINT},
        {"type": "full", "url": "http://city.example.jp/liff"},
        {"type": "full", "url": ENDPOINT + "#top"},
        {"type": "full"},
    ],
    ids=["view-type", "not-https", "fragment", "no-url"],
)
def test_invalid_liff_apps_are_400(line_api, view):
    response = line_api("POST", "/liff/v1/apps", {"view": view})

    assert response.status_code == 400
    assert line_api("GET", "/liff/v1/apps").status_code == 404


def test_the_liff_api_needs_the_channel_access_token(linesim):
    response = requests.get(f"{linesim.base_url}/liff/v1/apps", timeout=10)

    assert response.status_code == 401


def test_ensure_liff_app_keeps_the_configured_id_and_allows_loopback_http(linesim):
    first = linesim.client.ensure_liff_app(settings.LIFF_ID, "http://127.0.0.1:8000/liff/", "full")
    second = linesim.client.ensure_liff_app(settings.LIFF_ID, ENDPOINT, "tall")

    assert first["liffId"] == second["liffId"] == settings.LIFF_ID
    assert second["view"] == {"type": "tall", "url": ENDPOINT}
    assert [app["liffId"] for app in linesim.client._call("GET", "liff/apps")["apps"]] == [settings.LIFF_ID]


@pytest.mark.parametrize(
    ("liff_url", "page"),
    [
        ("https://liff.line.me/{id}", ENDPOINT),
        ("https://liff.line.me/{id}/new?category=road", ENDPOINT + "/new?category=road"),
        ("line://app/{id}/history", ENDPOINT + "/history"),
        ("https://line.me/R/app/{id}?tab=2", ENDPOINT + "?tab=2"),
    ],
)
def test_a_liff_url_opens_the_endpoint_with_path_and_query(linesim, liff_app, resident, liff_url, page):
    opened = linesim.client.resolve_liff_url(liff_url.format(id=settings.LIFF_ID), resident["userId"])

    assert opened["url"].split("#")[0] == page
    assert opened["viewType"] == "tall" and opened["liffId"] == settings.LIFF_ID


def test_the_opened_page_gets_the_users_context_and_a_token_that_verifies(linesim, liff_app, resident):
    opened = linesim.client.resolve_liff_url(
        f"https://liff.line.me/{settings.LIFF_ID}/new", resident["userId"]
    )
    context = context_of(opened["url"])

    answer = verify(linesim, id_token=context["idToken"], client_id=settings.LIFF_CHANNEL_ID)

    assert context["userId"] == resident["userId"] and context["liffId"] == settings.LIFF_ID
    assert context["api"] == linesim.base_url and context["viewType"] == "tall"
    assert answer.status_code == 200
    claims = answer.json()
    assert claims["iss"] == "https://access.line.me"
    assert claims["sub"] == resident["userId"]
    assert claims["aud"] == settings.LIFF_CHANNEL_ID
    assert claims["name"] == "佐藤 花子" and claims["picture"] == "https://img.example.jp/hanako.png"
    assert claims["amr"] == ["linesso"]
    assert 3500 <= claims["exp"] - claims["iat"] <= 3600


def test_a_liff_url_keeps_its_own_fragment(linesim, liff_app, resident):
    opened = linesim.client.resolve_liff_url(
        f"https://liff.line.me/{settings.LIFF_ID}/faq#q3", resident["userId"]
    )

    fragment = urlsplit(opened["url"]).fragment
    assert fragment.startswith("q3&linesim=")


def test_without_a_user_the_page_opens_logged_out(linesim, liff_app):
    opened = linesim.client.resolve_liff_url(f"https://liff.line.me/{settings.LIFF_ID}")

    assert opened["url"] == ENDPOINT


@pytest.mark.parametrize("url", ["https://example.jp/page", "https://liff.line.me/1650000001-unknown"])
def test_urls_that_are_not_a_known_liff_app_are_404(linesim, liff_app, url):
    with pytest.raises(EmulatorError) as error:
        linesim.client.resolve_liff_url(url)

    assert error.value.status_code == 404


@pytest.fixture
def token(linesim, liff_app, resident) -> str:
    return linesim.client.issue_id_token(settings.LIFF_ID, resident["userId"], nonce="n-123")


def test_verify_checks_nonce_and_user_when_asked(linesim, token, resident):
    ok = verify(
        linesim, id_token=token, client_id=settings.LIFF_CHANNEL_ID, nonce="n-123", user_id=resident["userId"]
    )

    assert ok.status_code == 200
    assert ok.json()["nonce"] == "n-123"


def _tampered(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "U" + "f" * 32
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"{header}.{forged}.{signature}"


@pytest.mark.parametrize(
    ("change", "description"),
    [
        ({"id_token": "not-a-jwt"}, "Invalid IdToken."),
        ({"id_token": "TAMPER"}, "Invalid IdToken."),
        ({"id_token": "OTHER-KEY"}, "Invalid IdToken."),
        ({"client_id": "1234567890"}, "Invalid IdToken Audience."),
        ({"nonce": "another"}, "Invalid IdToken Nonce."),
        ({"user_id": "U" + "0" * 32}, "Invalid IdToken Subject Identifier."),
    ],
)
def test_verify_refuses_as_line_login_does(linesim, token, change, description):
    form = {"id_token": token, "client_id": settings.LIFF_CHANNEL_ID, **change}
    if form["id_token"] == "TAMPER":
        form["id_token"] = _tampered(token)
    elif form["id_token"] == "OTHER-KEY":
        form["id_token"] = jwt.encode(
            jwt.decode(token, options={"verify_signature": False}), "x" * 32, "HS256"
        )

    answer = verify(linesim, **form)

    assert answer.status_code == 400
    assert answer.json() == {"error": "invalid_request", "error_description": description}


def test_verify_refuses_an_expired_token(linesim, liff_app, resident):
    expired = linesim.client.issue_id_token(settings.LIFF_ID, resident["userId"], expires_in=-1)

    answer = verify(linesim, id_token=expired, client_id=settings.LIFF_CHANNEL_ID)

    assert answer.json() == {"error": "invalid_request", "error_description": "IdToken expired."}


def test_send_messages_arrive_as_the_users_words(linesim, token, resident, receiver):
    response = requests.post(
        f"{linesim.base_url}/sim/api/liff/send",
        data=json.dumps({"idToken": token, "messages": [{"type": "text", "text": "通報しました"}]}),
        headers={"Content-Type": "text/plain;charset=UTF-8", "Origin": "https://city.example.jp"},
        timeout=10,
    )

    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    event = json.loads(receiver.last.body)["events"][0]
    assert event["source"]["userId"] == resident["userId"]
    assert event["message"]["type"] == "text" and event["message"]["text"] == "通報しました"


def test_send_messages_needs_a_valid_token(linesim, liff_app):
    response = requests.post(
        f"{linesim.base_url}/sim/api/liff/send",
        json={"idToken": "forged", "messages": [{"type": "text", "text": "x"}]},
        timeout=10,
    )
    preflight = requests.options(f"{linesim.base_url}/sim/api/liff/send", timeout=10)

    assert response.status_code == 401
    assert preflight.status_code == 204 and preflight.headers["Access-Control-Allow-Origin"] == "*"


def test_the_sdk_shim_is_served_with_its_contract(linesim):
    response = requests.get(f"{linesim.base_url}/sim/liff-sdk.js", timeout=10)

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/javascript")
    for name in ("init", "getIDToken", "getProfile", "getContext", "closeWindow", "sendMessages", "getOS"):
        assert f"{name}: function" in response.text
    assert "CONTRACT" in response.text
