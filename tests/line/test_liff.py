"""Resident sessions from LIFF ID tokens (X-1, X-6), and the resident's own page.

Tokens are verified locally against LINE's keys unless a test asks for the verify endpoint (the fallback);
tests/line/test_liff_keys.py covers the keys themselves.
"""

from __future__ import annotations

import socket

import pytest
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpResponse
from django.test import Client, RequestFactory

from civicline.core import features
from civicline.line.liff.auth import SESSION_KEY, resident_required
from civicline.line.models import Friend
from tests.fixtures.line import FriendFactory
from tests.fixtures.linesim import linesim_db

NOT_IN_LINE = "LINEアプリから開いてください"
EXPIRED = "認証の有効期限が切れました。もう一度開いてください"


def open_session(client: Client, id_token: str):
    return client.post("/liff/session", {"id_token": id_token})


def signed_in_client(liff, user_id: str) -> Client:
    client = Client()
    assert open_session(client, liff.id_token(user_id)).status_code == 200
    return client


@pytest.fixture
def hanako(linesim):
    return linesim.client.create_user("豊中 はなこ")


@pytest.fixture
def kenta(linesim):
    return linesim.client.create_user("千里 けんた")


# --- opening a session ------------------------------------------------------------------------------


@linesim_db
def test_a_valid_token_opens_a_session_and_the_page_shows_the_residents_own_data(liff, hanako):
    client = Client()

    response = open_session(client, liff.id_token(hanako["userId"]))

    assert response.status_code == 200
    assert response.json()["ok"] is True
    page = client.get("/liff/")
    assert page.status_code == 200
    assert "豊中 はなこ" in page.content.decode()
    assert "登録情報の確認" in page.content.decode()


@linesim_db
def test_a_resident_seen_for_the_first_time_becomes_a_friend_named_as_in_the_token(liff, hanako):
    assert not Friend.objects.filter(user_id=hanako["userId"]).exists()

    signed_in_client(liff, hanako["userId"])

    friend = Friend.objects.get(user_id=hanako["userId"])
    assert friend.display_name == "豊中 はなこ"


@linesim_db
def test_opening_a_session_rotates_the_session_id_and_the_csrf_token(liff, hanako):
    client = Client(enforce_csrf_checks=True)
    csrf = client.get("/liff/").cookies["csrftoken"].value
    token = {"id_token": liff.id_token(hanako["userId"])}
    first = client.post("/liff/session", token, HTTP_X_CSRFTOKEN=csrf)
    session_id = client.cookies["sessionid"].value

    second = client.post("/liff/session", token, HTTP_X_CSRFTOKEN=first.json()["csrfToken"])

    assert second.status_code == 200
    assert client.cookies["sessionid"].value != session_id
    assert first.json()["csrfToken"] != csrf
    assert second.json()["csrfToken"] != first.json()["csrfToken"]


@linesim_db
def test_the_session_endpoint_needs_the_csrf_token(liff, hanako):
    client = Client(enforce_csrf_checks=True)

    response = client.post("/liff/session", {"id_token": liff.id_token(hanako["userId"])})

    assert response.status_code == 403
    assert SESSION_KEY not in client.session


# --- refused tokens: a clear Japanese message, nobody's data ----------------------------------------


@linesim_db
@pytest.mark.parametrize(
    ("token_for", "reason", "message"),
    [
        (lambda liff, user: "not-a-token", "invalid", "本人確認ができませんでした"),
        (lambda liff, user: "", "invalid", "本人確認ができませんでした"),
        (lambda liff, user: liff.id_token(user, expires_in=0), "expired", EXPIRED),
        (lambda liff, user: liff.id_token(user)[:-4] + "AAAA", "invalid", "本人確認ができませんでした"),
    ],
    ids=["garbage", "empty", "expired", "bad-signature"],
)
def test_a_refused_token_opens_no_session(liff, hanako, token_for, reason, message):
    client = Client()

    response = open_session(client, token_for(liff, hanako["userId"]))

    assert response.status_code == 401
    assert response.json()["reason"] == reason
    assert message in response.json()["message"]
    assert "豊中 はなこ" not in client.get("/liff/").content.decode()


@linesim_db
def test_a_token_for_another_channel_is_refused(liff, hanako, settings):
    token = liff.id_token(hanako["userId"])
    settings.LIFF_CHANNEL_ID = "1999999999"  # we verify for our channel; the token's audience is another

    response = open_session(Client(), token)

    assert response.status_code == 401
    assert response.json()["reason"] == "invalid"


@linesim_db
def test_a_refused_token_ends_the_session_that_was_open(liff, hanako):
    client = signed_in_client(liff, hanako["userId"])

    open_session(client, liff.id_token(hanako["userId"], expires_in=0))

    assert "豊中 はなこ" not in client.get("/liff/").content.decode()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def endpoint_verification(settings):
    """The fallback: LINE's verify endpoint judges each token (tests of what it answers)."""
    settings.LIFF_TOKEN_VERIFICATION = "endpoint"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("verification", "token"),
    [
        ("endpoint", "eyJhbGciOiJIUzI1NiJ9.e30.signature"),
        # Locally, a well-formed token whose key cannot be fetched: LINE's keys are unreachable.
        ("local", "eyJhbGciOiJFUzI1NiIsImtpZCI6ImsxIn0.e30.c2lnbmF0dXJl"),
    ],
)
def test_when_line_is_unreachable_the_resident_is_told_and_sees_nothing(settings, verification, token):
    settings.LIFF_TOKEN_VERIFICATION = verification
    settings.LINE_API_BASE_URL = f"http://127.0.0.1:{_closed_port()}"
    FriendFactory(user_id="U" + "a" * 32, display_name="豊中 はなこ")
    client = Client()

    response = open_session(client, token)

    assert response.status_code == 503
    assert response.json()["reason"] == "unavailable"
    assert "LINEと通信できない" in response.json()["message"]
    assert SESSION_KEY not in client.session


@pytest.mark.django_db
@pytest.mark.parametrize("status", [500, 503, 429])
def test_when_line_fails_to_answer_nothing_is_assumed(fake_line_api, endpoint_verification, status):
    fake_line_api.respond("/oauth2/v2.1/verify", status, {"message": "error"})

    response = open_session(Client(), "eyJhbGciOiJIUzI1NiJ9.e30.signature")

    assert response.status_code == 503
    assert response.json()["reason"] == "unavailable"


@pytest.mark.django_db
def test_claims_not_naming_our_channel_are_refused_even_if_line_said_200(
    fake_line_api, endpoint_verification
):
    # A misrouted or tampered answer: the server checks the claims it is given, too.
    fake_line_api.respond("/oauth2/v2.1/verify", 200, {"sub": "U" + "b" * 32, "aud": "42", "exp": 4102444800})

    response = open_session(Client(), "eyJhbGciOiJIUzI1NiJ9.e30.signature")

    assert response.status_code == 401
    assert not Friend.objects.exists()


# --- the page without a session ----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_page_without_a_session_is_the_sign_in_page_with_no_data():
    FriendFactory(display_name="豊中 はなこ")

    response = Client().get("/liff/")

    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-liff-auth="required"' in body
    assert "LINEで本人確認をしています" in body
    assert NOT_IN_LINE in body  # the message shown when LIFF reports no login
    assert "豊中 はなこ" not in body
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_resident_pages_load_the_configured_liff_sdk_and_our_script(settings):
    settings.LIFF_SDK_URL = "http://127.0.0.1:8001/sim/liff-sdk.js"

    body = Client().get("/liff/").content.decode()

    assert "http://127.0.0.1:8001/sim/liff-sdk.js" in body
    assert "/static/line/liff.js" in body
    assert settings.LIFF_ID in body


@pytest.mark.django_db
def test_resident_pages_may_be_framed_by_the_emulator_only(settings):
    settings.LINE_API_BASE_URL = "http://127.0.0.1:8001"
    framed = Client().get("/liff/")
    assert "frame-ancestors http://127.0.0.1:8001;" in framed["Content-Security-Policy"] + ";"
    assert "X-Frame-Options" not in framed

    settings.LINE_API_BASE_URL = "https://api.line.me"
    real = Client().get("/liff/")
    assert real["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in real["Content-Security-Policy"]


@pytest.mark.django_db
def test_a_post_whose_session_ended_is_kept_and_sent_again_after_sign_in():
    @resident_required
    def form_view(request):
        return HttpResponse("saved")

    request = RequestFactory().post("/liff/forms/", {"answer": "道路に穴", "choice": ["a", "b"]})
    SessionMiddleware(lambda r: HttpResponse()).process_request(request)

    response = form_view(request)

    body = response.content.decode()
    assert response.status_code == 401
    assert 'id="liff-replay"' in body
    assert 'name="answer" value="道路に穴"' in body
    assert 'name="choice" value="a"' in body and 'name="choice" value="b"' in body


# --- one resident, their own data -----------------------------------------------------------------------


@linesim_db
def test_a_resident_sees_their_own_data_and_not_another_residents(liff, hanako, kenta):
    hanako_client = signed_in_client(liff, hanako["userId"])
    kenta_client = signed_in_client(liff, kenta["userId"])

    hanako_page = hanako_client.get("/liff/").content.decode()
    kenta_page = kenta_client.get("/liff/").content.decode()

    assert "豊中 はなこ" in hanako_page and "千里 けんた" not in hanako_page
    assert "千里 けんた" in kenta_page and "豊中 はなこ" not in kenta_page


@linesim_db
def test_a_new_token_on_the_same_phone_switches_to_that_resident(liff, hanako, kenta):
    client = signed_in_client(liff, hanako["userId"])

    open_session(client, liff.id_token(kenta["userId"]))

    page = client.get("/liff/").content.decode()
    assert "千里 けんた" in page and "豊中 はなこ" not in page


@linesim_db
def test_the_session_ends_after_the_idle_minutes(liff, hanako, settings):
    client = signed_in_client(liff, hanako["userId"])
    settings.LIFF_SESSION_MINUTES = 0

    page = client.get("/liff/").content.decode()

    assert "豊中 はなこ" not in page
    assert 'data-liff-auth="required"' in page


@linesim_db
def test_a_resident_session_is_not_a_staff_login_and_a_staff_login_is_not_a_resident(
    liff, hanako, staff_client
):
    resident = signed_in_client(liff, hanako["userId"])
    assert resident.get("/console/").status_code == 302  # to the staff login

    staff_page = staff_client.get("/liff/").content.decode()
    assert 'data-liff-auth="required"' in staff_page


# --- features extend the resident's page ---------------------------------------------------------------


@pytest.fixture
def summary_feature(monkeypatch):
    from django.template import engines

    template = engines["django"].from_string("<p class='mine'>{{ request.resident.user_id }}</p>")

    def summary(request):
        return template.render({}, request)

    registry = dict(features._features)
    registry["testfeature"] = features.Feature(key="testfeature", label="テスト機能", liff_summary=summary)
    registry["plain"] = features.Feature(key="plain", label="文字だけ", liff_summary=lambda r: "<b>text</b>")
    monkeypatch.setattr(features, "_features", registry)


@linesim_db
def test_features_add_sections_about_the_resident_to_their_page(liff, hanako, summary_feature):
    page = signed_in_client(liff, hanako["userId"]).get("/liff/").content.decode()

    assert "テスト機能" in page
    assert f"<p class='mine'>{hanako['userId']}</p>" in page
    assert "&lt;b&gt;text&lt;/b&gt;" in page  # a plain string is text, not HTML


@pytest.mark.django_db
def test_the_token_goes_to_line_for_verification_with_our_channel_id(
    fake_line_api, endpoint_verification, settings
):
    open_session(Client(), "the-token")

    (request,) = fake_line_api.to("/oauth2/v2.1/verify")
    assert request.body == {"id_token": "the-token", "client_id": settings.LIFF_CHANNEL_ID}


@linesim_db
def test_what_a_feature_kept_for_one_resident_is_gone_when_another_signs_in(liff, hanako, kenta):
    client = signed_in_client(liff, hanako["userId"])
    session = client.session
    session["reservations.draft"] = "豊中 はなこ 090-0000-0000"
    session.save()

    open_session(client, liff.id_token(kenta["userId"]))

    assert "reservations.draft" not in client.session


@linesim_db
def test_the_same_resident_signing_in_again_keeps_their_half_filled_form(liff, hanako, settings):
    client = signed_in_client(liff, hanako["userId"])
    session = client.session
    session["reservations.draft"] = "豊中 はなこ"
    session.save()
    settings.LIFF_SESSION_MINUTES = 0
    client.get("/liff/")  # the session has ended meanwhile
    settings.LIFF_SESSION_MINUTES = 30

    open_session(client, liff.id_token(hanako["userId"]))

    assert client.session["reservations.draft"] == "豊中 はなこ"


@linesim_db
def test_a_resident_signing_in_keeps_the_staff_login_of_the_same_browser(liff, hanako, staff_client):
    assert open_session(staff_client, liff.id_token(hanako["userId"])).status_code == 200

    assert staff_client.get("/console/").status_code == 200
    assert "豊中 はなこ" in staff_client.get("/liff/").content.decode()
