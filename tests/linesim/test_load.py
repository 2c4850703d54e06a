"""The emulator under load behaves like LINE: per-endpoint rate limits (429 with LINE's body, nothing
processed), a configurable response time, the rich menu batch endpoints (2023-07) answering 202 and
working in the background, and several worker processes sharing one budget."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from concurrent import futures
from pathlib import Path

import pytest
import requests
from django.conf import settings

from civicline.linesim import ratelimits
from civicline.linesim.models import Recipient, SentRequest
from tests.fixtures.linesim import linesim_db
from tests.linesim.test_richmenu import make_menu  # noqa: F401  (fixture)

pytestmark = linesim_db

ROOT = Path(__file__).resolve().parents[2]
TEXT = {"type": "text", "text": "お知らせ"}


def limit(linesim, settings, value: str) -> None:
    """Give the running emulator these limits (the handler reads them when made)."""
    settings.LINESIM_RATE_LIMITS = value
    linesim.server.handler.limiter = ratelimits.limiter()


def multicast(linesim, to: list[str], *, key: str | None = None) -> requests.Response:
    headers = {"Authorization": f"Bearer {settings.LINE_CHANNEL_ACCESS_TOKEN}"}
    headers["X-Line-Retry-Key"] = key or str(uuid.uuid4())
    return requests.post(
        f"{linesim.base_url}/v2/bot/message/multicast",
        json={"to": to, "messages": [TEXT]},
        headers=headers,
        timeout=10,
    )


@pytest.fixture
def friends(linesim) -> list[str]:
    return [linesim.client.create_user(f"住民{i}", follow=True)["userId"] for i in range(3)]


def test_over_the_limit_is_429_with_lines_body_and_nothing_is_sent(linesim, settings, friends):
    limit(linesim, settings, "multicast=2/second")

    answers = [multicast(linesim, friends) for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].json() == {"message": "The API rate limit has been exceeded. Try again later."}
    assert "retry-after" not in answers[2].headers and answers[2].headers["x-line-request-id"]
    assert SentRequest.objects.filter(api="multicast").count() == 2
    time.sleep(1.05)
    assert multicast(linesim, friends).status_code == 200  # the window has moved on


def test_lines_documented_limits_apply_by_default(linesim):
    limits = ratelimits.configured()

    assert limits["multicast"] == (200, 1)
    assert limits["richmenu-batch"] == (3, 3600)
    assert limits["broadcast"] == (60, 3600)
    assert limits["api_views.push"] == (2000, 1)  # every other endpoint: its own 2,000 a second


def test_a_multicast_stores_its_messages_once_and_a_row_per_user(linesim, friends):
    answer = multicast(linesim, friends)

    assert answer.status_code == 200
    request = SentRequest.objects.get(request_id=answer.headers["x-line-request-id"])
    assert request.messages.count() == 1
    assert sorted(
        Recipient.objects.filter(request=request).values_list("user__user_id", flat=True)
    ) == sorted(friends)
    [delivered] = linesim.client.messages_for(friends[0])
    assert delivered["message"] == TEXT and delivered["api"] == "multicast"


def test_the_same_retry_key_is_accepted_once(linesim, friends):
    key = str(uuid.uuid4())
    first, again = multicast(linesim, friends, key=key), multicast(linesim, friends, key=key)

    assert (first.status_code, again.status_code) == (200, 409)
    assert again.headers["x-line-accepted-request-id"] == first.headers["x-line-request-id"]
    assert len(linesim.client.messages_for(friends[0])) == 1


def test_every_answer_takes_the_configured_latency(linesim, settings, friends):
    settings.LINESIM_LATENCY_MS = 150

    started = time.monotonic()
    answer = multicast(linesim, friends)

    assert answer.status_code == 200 and time.monotonic() - started >= 0.15


def test_many_requests_in_flight_are_served_at_once(linesim, settings, friends):
    settings.LINESIM_LATENCY_MS = 200

    started = time.monotonic()
    with futures.ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(lambda _: multicast(linesim, friends).status_code, range(8)))

    # Eight answers of 200 ms each, side by side: far less than 1.6 s one after another.
    assert codes == [200] * 8 and time.monotonic() - started < 1.0


# --- rich menus in batches ------------------------------------------------------------------------


def link(line_api, user_id: str, menu_id: str) -> None:
    assert line_api("POST", f"/v2/bot/user/{user_id}/richmenu/{menu_id}").status_code == 200


def wait_for_phase(line_api, request_id: str) -> dict:
    for _ in range(100):
        progress = line_api("GET", f"/v2/bot/richmenu/progress/batch?requestId={request_id}").json()
        if progress["phase"] != "ongoing":
            return progress
        time.sleep(0.05)
    raise AssertionError("the batch never finished")


def test_a_batch_unlinks_and_replaces_per_user_menus_in_the_background(
    linesim,
    line_api,
    make_menu,  # noqa: F811
    friends,
    settings,
):
    settings.LINESIM_LATENCY_MS = 100
    a, b, c = make_menu(), make_menu(), make_menu()
    link(line_api, friends[0], a)
    link(line_api, friends[1], b)
    link(line_api, friends[2], c)

    answer = line_api(
        "POST",
        "/v2/bot/richmenu/batch",
        {"operations": [{"type": "unlink", "from": a}, {"type": "link", "from": b, "to": c}]},
    )

    assert answer.status_code == 202 and answer.json() == {}
    request_id = answer.headers["x-line-request-id"]
    first = line_api("GET", f"/v2/bot/richmenu/progress/batch?requestId={request_id}").json()
    assert first["phase"] == "ongoing" and re.fullmatch(r"\d{4}-\d\d-\d\dT[\d:.]+Z", first["acceptedTime"])
    done = wait_for_phase(line_api, request_id)
    assert done["phase"] == "succeeded" and done["completedTime"] >= done["acceptedTime"]
    assert line_api("GET", f"/v2/bot/user/{friends[0]}/richmenu").status_code == 404
    assert line_api("GET", f"/v2/bot/user/{friends[1]}/richmenu").json()["richMenuId"] == c
    assert line_api("GET", f"/v2/bot/user/{friends[2]}/richmenu").json()["richMenuId"] == c


def test_unlink_all_leaves_every_user_on_the_default(linesim, line_api, make_menu, friends):  # noqa: F811
    a = make_menu()
    for user_id in friends:
        link(line_api, user_id, a)

    answer = line_api("POST", "/v2/bot/richmenu/batch", {"operations": [{"type": "unlinkAll"}]})

    assert wait_for_phase(line_api, answer.headers["x-line-request-id"])["phase"] == "succeeded"
    assert all(line_api("GET", f"/v2/bot/user/{u}/richmenu").status_code == 404 for u in friends)


@pytest.mark.parametrize(
    ("body", "prop"),
    [
        ({"operations": []}, "operations"),
        ({"operations": [{"type": "move"}]}, "operations[0].type"),
        ({"operations": [{"type": "unlink"}]}, "operations[0].from"),
        ({"operations": [{"type": "unlink", "from": "richmenu-" + "0" * 32}]}, "operations[0].from"),
        ({"operations": [{"type": "unlinkAll"}], "resumeRequestKey": "no spaces"}, "resumeRequestKey"),
    ],
)
def test_batch_requests_line_refuses_are_400_and_validate_says_the_same(line_api, body, prop):
    for path in ("/v2/bot/richmenu/batch", "/v2/bot/richmenu/validate/batch"):
        answer = line_api("POST", path, body)
        assert answer.status_code == 400
        assert prop in [d["property"] for d in answer.json()["details"]]


def test_the_batch_endpoint_allows_three_an_hour(line_api):
    body = {"operations": [{"type": "unlinkAll"}]}

    codes = [line_api("POST", "/v2/bot/richmenu/batch", body).status_code for _ in range(4)]

    assert codes == [202, 202, 202, 429]


def test_progress_of_an_unknown_request_is_404_and_a_missing_id_400(line_api):
    assert line_api("GET", "/v2/bot/richmenu/progress/batch?requestId=nope").status_code == 404
    assert line_api("GET", "/v2/bot/richmenu/progress/batch").status_code == 400


# --- several processes ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_worker_processes_share_one_rate_limit(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "CIVICLINE_VAR_DIR": str(tmp_path),
        "LINESIM_RATE_LIMITS": "api_views.bot_info=10/minute",
        "LINE_CHANNEL_ACCESS_TOKEN": "processes-token",
    }
    env.pop("LINESIM_DATABASE_URL", None)
    server = subprocess.Popen(
        [sys.executable, "manage.py", "linesim", "--port", "0", "--processes", "3", "--threads", "4"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        base_url = re.search(r"http://[\d.]+:\d+", server.stdout.readline())[0]
        headers = {"Authorization": "Bearer processes-token"}
        for _ in range(100):
            try:
                requests.get(f"{base_url}/sim/api/users", timeout=2)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        # New connections each time, so that the requests spread over the processes.
        with futures.ThreadPoolExecutor(6) as pool:
            codes = list(
                pool.map(
                    lambda _: (
                        requests.get(f"{base_url}/v2/bot/info", headers=headers, timeout=10).status_code
                    ),
                    range(30),
                )
            )
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert codes.count(200) == 10 and codes.count(429) == 20
