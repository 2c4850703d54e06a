"""Sign-in without a call to LINE: LIFF ID tokens verified locally against LINE's public keys (JWKS).

``line_keys`` stands in for LINE's certs endpoint on a loopback port: it holds P-256 keys, serves their
JWKS, counts the fetches and can fail or answer nothing. Tests against the emulator's own keys (and their
rotation) are at the end.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.conf import settings as django_settings
from django.core.cache import cache
from django.test import Client
from jwt.algorithms import ECAlgorithm

from civicline.line import tasks
from civicline.line.liff import auth, keys
from civicline.line.liff.auth import SESSION_KEY, TokenRefused, id_token_verify
from civicline.line.models import Friend
from tests.fixtures.linesim import linesim_db

USER_ID = "U" + "a" * 32
TRY_AGAIN = "しばらくしてからもう一度お試しください"


@dataclass
class LineKeys:
    """LINE's certs endpoint: the published keys, and how the endpoint behaves."""

    url: str = ""
    published: dict[str, ec.EllipticCurvePrivateKey] = field(default_factory=dict)
    fetches: int = 0
    status: int = 200
    delay: float = 0.0
    body: Any = None  # answered instead of the JWKS when set

    def add_key(self, kid: str | None = None) -> str:
        kid = kid or f"kid-{len(self.published) + 1}-{time.monotonic_ns()}"
        self.published[kid] = ec.generate_private_key(ec.SECP256R1())
        return kid

    def withdraw(self, kid: str) -> ec.EllipticCurvePrivateKey:
        return self.published.pop(kid)

    @property
    def first_kid(self) -> str:
        return next(iter(self.published))

    def jwks(self) -> dict[str, Any]:
        return {
            "keys": [
                {
                    **ECAlgorithm.to_jwk(key.public_key(), as_dict=True),
                    "kid": kid,
                    "alg": "ES256",
                    "use": "sig",
                }
                for kid, key in self.published.items()
            ]
        }

    def token(
        self, kid: str | None = None, *, key: Any = None, algorithm: str = "ES256", **claims: Any
    ) -> str:
        """An ID token as LINE signs it (claims given as None are left out)."""
        kid = kid or self.first_kid
        now = int(time.time())
        body = {
            "iss": "https://access.line.me",
            "sub": USER_ID,
            "aud": django_settings.LIFF_CHANNEL_ID,
            "exp": now + 3600,
            "iat": now,
            "amr": ["linesso"],
            "name": "豊中 はなこ",
            **claims,
        }
        body = {name: value for name, value in body.items() if value is not None}
        signing_key = (
            key if key is not None else self.published.get(kid) or next(iter(self.published.values()))
        )
        return jwt.encode(body, signing_key, algorithm=algorithm, headers={"kid": kid})


@pytest.fixture
def line_keys(settings) -> Iterator[LineKeys]:
    state = LineKeys()
    state.add_key()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.fetches += 1
            if state.delay:
                time.sleep(state.delay)
            data = json.dumps(state.body if state.body is not None else state.jwks()).encode()
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/oauth2/v2.1/certs"
    settings.LIFF_JWKS_URL = state.url
    settings.LIFF_TOKEN_VERIFICATION = "local"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def no_verify_endpoint(monkeypatch) -> None:
    """Local verification must not fall back to LINE's verify endpoint."""

    def called(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the verify endpoint was called")

    monkeypatch.setattr(auth, "_verified_by_line", called)


def sign_in(token: str, client: Client | None = None):
    return (client or Client()).post("/liff/session", {"id_token": token})


def refused_reason(response) -> str:
    assert response.status_code in (401, 503), response.content
    return response.json()["reason"]


# --- the keys are known: no call to LINE ---------------------------------------------------------------


@pytest.mark.django_db
def test_with_the_keys_fetched_at_start_up_a_sign_in_calls_nobody(line_keys, no_verify_endpoint):
    keys.jwks_refresh()  # what the web's refresher and the worker do at start-up

    responses = [sign_in(line_keys.token()) for _ in range(3)]

    assert [r.status_code for r in responses] == [200, 200, 200]
    assert line_keys.fetches == 1
    friend = Friend.objects.get(user_id=USER_ID)
    assert friend.display_name == "豊中 はなこ"


@pytest.mark.django_db
def test_on_an_empty_cache_the_first_sign_in_fetches_the_keys_once(line_keys, no_verify_endpoint):
    first = sign_in(line_keys.token())
    second = sign_in(line_keys.token(sub="U" + "b" * 32))

    assert first.status_code == second.status_code == 200
    assert line_keys.fetches == 1
    assert cache.get(keys.CACHE_KEY)["url"] == line_keys.url


@pytest.mark.django_db
def test_the_keys_are_shared_through_the_cache_under_one_key(line_keys):
    keys.jwks_refresh()

    entry = cache.get("line:jwks")

    assert [k["kid"] for k in entry["keys"]] == [line_keys.first_kid]


# --- LINE rotates its key ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_token_with_a_new_kid_fetches_the_keys_again_once_and_signs_in(line_keys):
    keys.jwks_refresh()
    rotated = line_keys.add_key()

    first = sign_in(line_keys.token(rotated))
    second = sign_in(line_keys.token(rotated))

    assert first.status_code == second.status_code == 200
    assert line_keys.fetches == 2  # start-up, then once for the new kid


@pytest.mark.django_db
def test_a_second_unknown_kid_within_a_minute_is_refused_without_a_fetch(line_keys):
    keys.jwks_refresh()
    assert sign_in(line_keys.token(line_keys.add_key())).status_code == 200
    another = line_keys.add_key()  # published too, but we may not ask again yet

    response = sign_in(line_keys.token(another))

    assert refused_reason(response) == "invalid"
    assert line_keys.fetches == 2
    assert SESSION_KEY not in Client().session


@pytest.mark.django_db
def test_a_forged_kid_fetches_once_and_is_refused(line_keys):
    keys.jwks_refresh()
    stranger = ec.generate_private_key(ec.SECP256R1())

    responses = [sign_in(line_keys.token(f"forged-{n}", key=stranger)) for n in range(5)]

    assert {refused_reason(r) for r in responses} == {"invalid"}
    assert line_keys.fetches == 2  # one refetch for all five


@pytest.mark.django_db
def test_a_withdrawn_key_is_refused_once_the_periodic_refresh_has_run(line_keys):
    keys.jwks_refresh()
    old = line_keys.first_kid
    token = line_keys.token(old)
    line_keys.add_key()
    line_keys.withdraw(old)
    assert sign_in(token).status_code == 200  # still cached until the refresh

    tasks.liff_jwks_refresh_task()

    assert refused_reason(sign_in(token)) == "invalid"


@pytest.mark.django_db
def test_an_answer_without_usable_keys_keeps_the_cached_ones(line_keys):
    keys.jwks_refresh()
    token = line_keys.token()

    for body in (
        {"keys": []},
        {"nothing": 1},
        [1, 2],
        {"keys": [{"kty": "RSA", "kid": "r", "n": "AQAB", "e": "AQAB"}]},
    ):
        line_keys.body = body
        with pytest.raises(keys.KeysUnavailable):
            keys.jwks_refresh()
        tasks.liff_jwks_refresh_task()  # logs, keeps what it had

    assert sign_in(token).status_code == 200


# --- tokens that are not LINE's ---------------------------------------------------------------------------


def _rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _hs256_with_public_key(line_keys: LineKeys) -> str:
    """The classic confusion: HS256 "signed" with the public key as the HMAC secret."""
    public_pem = (
        line_keys.published[line_keys.first_kid]
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    now = int(time.time())
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": line_keys.first_kid}).encode())
    claims = {
        "iss": "https://access.line.me",
        "sub": USER_ID,
        "aud": django_settings.LIFF_CHANNEL_ID,
        "exp": now + 3600,
        "iat": now,
    }
    payload = _b64(json.dumps(claims).encode())
    signature = hmac.new(public_pem, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64(signature)}"


def _tampered_payload(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "U" + "f" * 32
    return f"{header}.{_b64(json.dumps(claims).encode())}.{signature}"


def _tampered_signature(token: str) -> str:
    header, payload, signature = token.split(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)))
    raw[10] ^= 0x01
    return f"{header}.{payload}.{_b64(bytes(raw))}"


FORGERIES = {
    "alg-none": lambda k: jwt.encode({"sub": USER_ID}, None, algorithm="none", headers={"kid": k.first_kid}),
    "hs256-with-the-public-key": _hs256_with_public_key,
    "rs256": lambda k: k.token(key=_rsa_key(), algorithm="RS256"),
    "es256-another-key": lambda k: k.token(key=ec.generate_private_key(ec.SECP256R1())),
    "tampered-payload": lambda k: _tampered_payload(k.token()),
    "tampered-signature": lambda k: _tampered_signature(k.token()),
    "no-kid": lambda k: jwt.encode({"sub": USER_ID}, k.published[k.first_kid], algorithm="ES256"),
    "wrong-issuer": lambda k: k.token(iss="https://access.line.me.example.com"),
    "no-issuer": lambda k: k.token(iss=None),
    "wrong-audience": lambda k: k.token(aud="1999999999"),
    "audience-list": lambda k: k.token(aud=[django_settings.LIFF_CHANNEL_ID, "1999999999"]),
    "no-subject": lambda k: k.token(sub=None),
    "no-expiry": lambda k: k.token(exp=None),
    "issued-in-the-future": lambda k: k.token(iat=int(time.time()) + 600),
}


@pytest.mark.django_db
@pytest.mark.parametrize("forge", FORGERIES.values(), ids=FORGERIES.keys())
def test_a_token_that_is_not_lines_is_refused(line_keys, forge):
    keys.jwks_refresh()
    client = Client()

    response = sign_in(forge(line_keys), client)

    assert refused_reason(response) == "invalid"
    assert "本人確認ができませんでした" in response.json()["message"]
    assert SESSION_KEY not in client.session
    assert not Friend.objects.exists()


@pytest.mark.django_db
def test_an_expired_token_is_refused_as_expired(line_keys):
    keys.jwks_refresh()

    response = sign_in(line_keys.token(exp=int(time.time()) - 60))

    assert refused_reason(response) == "expired"
    assert "認証の有効期限が切れました" in response.json()["message"]


@pytest.mark.django_db
def test_a_token_expired_by_a_few_seconds_passes_as_clock_skew(line_keys):
    keys.jwks_refresh()

    response = sign_in(line_keys.token(exp=int(time.time()) - 3, iat=int(time.time()) + 3))

    assert response.status_code == 200


@pytest.mark.django_db
def test_a_nonce_is_checked_when_the_caller_has_one(line_keys):
    keys.jwks_refresh()

    assert id_token_verify(line_keys.token(nonce="n-1"), nonce="n-1").user_id == USER_ID
    for token in (line_keys.token(nonce="n-2"), line_keys.token()):
        with pytest.raises(TokenRefused):
            id_token_verify(token, nonce="n-1")


# --- LINE's keys unreachable ---------------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def silent_line(settings) -> Iterator[str]:
    """An address that accepts connections and never answers (a blackholed LINE)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/oauth2/v2.1/certs"
        settings.LIFF_JWKS_URL = url
        yield url


def _timed_sign_in(token: str) -> tuple[Any, float]:
    started = time.monotonic()
    response = sign_in(token)
    return response, time.monotonic() - started


@pytest.mark.django_db
def test_keys_unreachable_at_start_up_answer_try_again_later_at_once(line_keys, settings):
    token = line_keys.token()
    settings.LIFF_JWKS_URL = f"http://127.0.0.1:{_closed_port()}/oauth2/v2.1/certs"

    response, elapsed = _timed_sign_in(token)

    assert response.status_code == 503
    assert response.json()["reason"] == "unavailable"
    assert TRY_AGAIN in response.json()["message"]
    assert elapsed < 2


@pytest.mark.django_db
def test_a_line_that_never_answers_costs_one_bounded_wait_then_none(line_keys, silent_line, monkeypatch):
    monkeypatch.setattr(keys, "FETCH_TIMEOUT", 0.3)
    token = line_keys.token()

    first, first_took = _timed_sign_in(token)
    second, second_took = _timed_sign_in(token)

    assert refused_reason(first) == refused_reason(second) == "unavailable"
    assert first_took < 2  # the fetch's timeout, not a web thread held for good
    assert second_took < 0.25  # no second fetch within the minute


@pytest.mark.django_db
def test_after_keys_were_unreachable_the_periodic_refresh_brings_sign_in_back(line_keys):
    line_keys.status = 500
    token = line_keys.token()
    assert refused_reason(sign_in(token)) == "unavailable"

    line_keys.status = 200
    tasks.liff_jwks_refresh_task()

    assert sign_in(token).status_code == 200


@pytest.mark.django_db
def test_after_keys_were_unreachable_a_sign_in_a_minute_later_fetches_them(line_keys, monkeypatch):
    monkeypatch.setattr(keys, "REFETCH_INTERVAL", 0.3)  # "a minute"
    line_keys.status = 503
    token = line_keys.token()
    assert refused_reason(sign_in(token)) == "unavailable"
    line_keys.status = 200
    assert refused_reason(sign_in(token)) == "unavailable"  # within the minute: not asked again

    time.sleep(0.4)

    assert sign_in(token).status_code == 200
    assert line_keys.fetches == 2


@pytest.fixture
def refresher(monkeypatch) -> Iterator[None]:
    monkeypatch.setattr(keys, "REFRESHER_RETRY", (0.05, 0.1))
    try:
        yield
    finally:
        keys.jwks_refresher_stop()


def _wait_for(condition: Any, timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


@pytest.mark.django_db
def test_the_web_refresher_fills_the_cache_once_line_answers(line_keys, refresher, no_verify_endpoint):
    line_keys.status = 500

    assert keys.jwks_refresher_start() is True
    assert keys.jwks_refresher_start() is False  # one per process
    _wait_for(lambda: line_keys.fetches >= 2)  # retrying
    line_keys.status = 200
    _wait_for(lambda: not keys.jwks_needs_refresh())
    fetched = line_keys.fetches

    assert sign_in(line_keys.token()).status_code == 200
    assert line_keys.fetches == fetched  # the sign-in itself asked nobody


def test_the_web_refresher_is_not_started_for_the_verify_endpoint(settings):
    settings.LIFF_TOKEN_VERIFICATION = "endpoint"

    assert keys.jwks_refresher_start() is False


@pytest.mark.django_db
def test_a_worker_starting_on_an_empty_cache_fetches_the_keys(line_keys):
    tasks.liff_jwks_at_startup()
    tasks.liff_jwks_at_startup()  # fresh now: not fetched again

    assert line_keys.fetches == 1
    assert not keys.jwks_needs_refresh()


# --- many requests at once ------------------------------------------------------------------------------


def _in_threads(count: int, call: Any) -> list[Any]:
    results: list[Any] = [None] * count
    barrier = threading.Barrier(count)

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = call()
        except Exception as exc:  # reported in results
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    return results


def test_concurrent_tokens_with_a_new_kid_cause_one_fetch(line_keys):
    keys.jwks_refresh()
    rotated = line_keys.add_key()
    line_keys.delay = 0.3  # LINE is slow: everyone arrives while the fetch is under way

    results = _in_threads(20, lambda: keys.verification_key(rotated))

    assert all(getattr(r, "key_id", None) == rotated for r in results), results
    assert line_keys.fetches == 2


def test_a_fetch_under_way_in_another_process_is_waited_for_not_repeated(line_keys):
    kid = line_keys.first_kid
    # Another process has just started fetching (it holds the once-a-minute right).
    cache.set(keys.REFETCH_KEY, {"started": time.time(), "done": False}, timeout=60)

    def other_process() -> None:
        time.sleep(0.2)
        keys.jwks_refresh()
        cache.set(keys.REFETCH_KEY, {"started": time.time(), "done": True}, timeout=60)

    threading.Thread(target=other_process).start()
    key = keys.verification_key(kid)

    assert key.key_id == kid
    assert line_keys.fetches == 1  # the other process's only


# --- the emulator as LINE: its keys, their rotation, and the fallback ---------------------------------


@pytest.fixture
def hanako(linesim) -> dict:
    return linesim.client.create_user("豊中 はなこ")


@linesim_db
def test_the_emulators_token_signs_in_against_its_jwks(liff, hanako, no_verify_endpoint):
    response = sign_in(liff.id_token(hanako["userId"]))

    assert response.status_code == 200
    assert cache.get(keys.CACHE_KEY)["url"] == f"{liff.linesim.base_url}/oauth2/v2.1/certs"


@linesim_db
def test_when_the_emulator_rotates_its_key_the_new_one_is_fetched_and_the_old_one_kept(liff, hanako):
    keys.jwks_refresh()  # start-up
    before = liff.id_token(hanako["userId"])
    fetches = []
    fetch = keys.jwks_fetch

    liff.linesim.client.rotate_login_key()  # the old key stays published for a token's lifetime
    after = liff.id_token(hanako["userId"])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(keys, "jwks_fetch", lambda: fetches.append(1) or fetch())
        signed_in = [sign_in(token).status_code for token in (after, before, after)]

    assert signed_in == [200, 200, 200]
    assert fetches == [1]  # once, for the new kid


@linesim_db
def test_when_the_emulator_withdraws_its_old_key_tokens_signed_with_it_are_refused(liff, hanako):
    keys.jwks_refresh()  # start-up
    before = liff.id_token(hanako["userId"])
    assert sign_in(before).status_code == 200

    liff.linesim.client.rotate_login_key(grace_seconds=0)
    after = liff.id_token(hanako["userId"])

    assert sign_in(after).status_code == 200  # an unknown kid: fetched again, found
    assert refused_reason(sign_in(before)) == "invalid"  # the set fetched for it lacks the old key


@linesim_db
def test_a_withdrawn_emulator_key_is_refused_after_the_periodic_refresh(liff, hanako):
    keys.jwks_refresh()
    before = liff.id_token(hanako["userId"])
    liff.linesim.client.rotate_login_key(grace_seconds=0)

    tasks.liff_jwks_refresh_task()

    assert refused_reason(sign_in(before)) == "invalid"
    assert sign_in(liff.id_token(hanako["userId"])).status_code == 200


@linesim_db
def test_the_fallback_setting_asks_the_verify_endpoint_and_fetches_no_keys(
    liff, hanako, settings, monkeypatch
):
    settings.LIFF_TOKEN_VERIFICATION = "endpoint"
    fetched = []
    monkeypatch.setattr(keys, "jwks_fetch", lambda: fetched.append(1) or {})
    asked = []
    original = auth._verified_by_line
    monkeypatch.setattr(auth, "_verified_by_line", lambda *a: asked.append(1) or original(*a))

    ok = sign_in(liff.id_token(hanako["userId"]))
    expired = sign_in(liff.id_token(hanako["userId"], expires_in=0))

    assert ok.status_code == 200
    assert refused_reason(expired) == "expired"
    assert asked == [1, 1] and fetched == []
