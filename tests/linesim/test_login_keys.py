"""LINE Login's signing keys in the emulator: ES256 ID tokens with a kid, the JWKS, the discovery
document, and key rotation with or without a grace period."""

from __future__ import annotations

import jwt
import pytest
import requests
from django.conf import settings
from jwt import PyJWKSet

from civicline.linesim.client import EmulatorError
from civicline.linesim.server import start_server
from tests.fixtures.linesim import linesim_db

pytestmark = linesim_db


@pytest.fixture
def resident(linesim) -> dict:
    return linesim.client.create_user("佐藤 花子", follow=True)


@pytest.fixture
def liff_app(linesim) -> dict:
    return linesim.client.ensure_liff_app(settings.LIFF_ID, "https://city.example.jp/liff/", "full")


@pytest.fixture
def issue(linesim, liff_app, resident):
    return lambda **kwargs: linesim.client.issue_id_token(settings.LIFF_ID, resident["userId"], **kwargs)


def certs(linesim) -> dict:
    response = requests.get(f"{linesim.base_url}/oauth2/v2.1/certs", timeout=10)
    assert response.status_code == 200
    return response.json()


def verify(linesim, token: str) -> requests.Response:
    form = {"id_token": token, "client_id": settings.LIFF_CHANNEL_ID}
    return requests.post(f"{linesim.base_url}/oauth2/v2.1/verify", data=form, timeout=10)


def kid_of(token: str) -> str:
    return jwt.get_unverified_header(token)["kid"]


def test_the_jwks_has_the_shape_of_lines(linesim):
    body = certs(linesim)

    (key,) = body["keys"]
    assert set(key) == {"kty", "crv", "kid", "x", "y", "alg", "use"}
    assert (key["kty"], key["crv"], key["alg"], key["use"]) == ("EC", "P-256", "ES256", "sig")
    assert len(key["kid"]) == 64
    (parsed,) = PyJWKSet.from_dict(body)
    assert parsed.algorithm_name == "ES256" and parsed.key_id == key["kid"]


def test_the_discovery_document_has_lines_fields_and_points_at_the_emulators_keys(linesim):
    document = requests.get(f"{linesim.base_url}/.well-known/openid-configuration", timeout=10).json()

    assert document["issuer"] == "https://access.line.me"  # LINE's own: the tokens carry it
    assert document["jwks_uri"] == f"{linesim.base_url}/oauth2/v2.1/certs"
    assert document["id_token_signing_alg_values_supported"] == ["ES256"]
    assert set(document) == {
        "issuer",
        "authorization_endpoint",
        "token_endpoint",
        "revocation_endpoint",
        "userinfo_endpoint",
        "scopes_supported",
        "jwks_uri",
        "response_types_supported",
        "subject_types_supported",
        "id_token_signing_alg_values_supported",
        "code_challenge_methods_supported",
    }
    assert requests.post(f"{linesim.base_url}/oauth2/v2.1/certs", timeout=10).status_code == 405


def test_id_tokens_are_es256_signed_by_the_published_key_with_lines_issuer(linesim, issue, resident):
    token = issue()

    header = jwt.get_unverified_header(token)
    key = PyJWKSet.from_dict(certs(linesim))[header["kid"]]
    claims = jwt.decode(token, key, algorithms=["ES256"], audience=settings.LIFF_CHANNEL_ID)
    assert header["alg"] == "ES256" and header["typ"] == "JWT"
    assert claims["iss"] == "https://access.line.me" and claims["sub"] == resident["userId"]
    assert verify(linesim, token).status_code == 200  # the verify endpoint answers as before


def test_a_rotation_with_a_grace_period_keeps_the_old_key_published(linesim, issue):
    before = issue()

    new_kid = linesim.client.rotate_login_key()  # default grace: a token's lifetime
    after = issue()

    assert kid_of(after) == new_kid != kid_of(before)
    assert [k["kid"] for k in certs(linesim)["keys"]] == [kid_of(before), new_kid]
    assert verify(linesim, before).status_code == 200
    assert verify(linesim, after).status_code == 200
    listed = linesim.client.login_keys()
    assert [k["signing"] for k in listed] == [False, True]
    assert listed[0]["retiresAt"] is not None and listed[1]["retiresAt"] is None


def test_a_rotation_without_grace_withdraws_the_old_key(linesim, issue):
    before = issue()

    new_kid = linesim.client.rotate_login_key(grace_seconds=0)

    assert [k["kid"] for k in certs(linesim)["keys"]] == [new_kid]
    refused = verify(linesim, before)
    assert refused.json() == {"error": "invalid_request", "error_description": "Invalid IdToken."}
    assert verify(linesim, issue()).status_code == 200


def test_a_second_rotation_does_not_extend_an_earlier_grace(linesim, issue):
    first = kid_of(issue())
    second = linesim.client.rotate_login_key(grace_seconds=3600)

    third = linesim.client.rotate_login_key(grace_seconds=0)

    assert [k["kid"] for k in certs(linesim)["keys"]] == [third]
    assert first != second != third


@pytest.mark.parametrize("grace", [-1, "soon", True])
def test_a_rotation_needs_a_grace_in_seconds(linesim, grace):
    with pytest.raises(EmulatorError) as error:
        linesim.client._call("POST", "liff/keys/rotate", json={"graceSeconds": grace})

    assert error.value.status_code == 400


def test_the_key_survives_a_restart_of_the_emulator(linesim, issue):
    token = issue()
    restarted = start_server("127.0.0.1", 0)  # another server on the same (emulator's) database
    try:
        keys_after = requests.get(f"{restarted.base_url}/oauth2/v2.1/certs", timeout=10).json()["keys"]
        answer = requests.post(
            f"{restarted.base_url}/oauth2/v2.1/verify",
            data={"id_token": token, "client_id": settings.LIFF_CHANNEL_ID},
            timeout=10,
        )
    finally:
        restarted.stop()

    assert [k["kid"] for k in keys_after] == [kid_of(token)]
    assert answer.status_code == 200
