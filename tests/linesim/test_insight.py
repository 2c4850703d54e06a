"""Emulator insight: statistics from what residents do on the phone, with LINE's "under 20 is null" rule."""

from __future__ import annotations

import pytest
from django.utils import timezone

from civicline.linesim.client import EmulatorError
from civicline.linesim.insight import JST
from civicline.linesim.models import VirtualUser
from tests.fixtures.linesim import linesim_db

pytestmark = linesim_db

TEXT = {"type": "text", "text": "ごみ収集日のお知らせ"}
LINK = "https://city.example.jp/gomi"
OTHER_LINK = "https://city.example.jp/sodai"


def friends(count: int) -> list[str]:
    # Straight into LINE's table: follow webhooks are not what these tests are about.
    users = VirtualUser.objects.bulk_create(
        VirtualUser(display_name=f"住民{i}", following=True) for i in range(count)
    )
    return [u.user_id for u in users]


def broadcast(line_api, *messages: dict) -> str:
    response = line_api("POST", "/v2/bot/message/broadcast", {"messages": list(messages)})
    assert response.status_code == 200, response.text
    return response.headers["x-line-request-id"]


def delivered_ids(linesim, user_id: str) -> list[str]:
    return [m["id"] for m in linesim.client.messages_for(user_id)]


def test_below_twenty_users_the_counts_are_null(linesim, line_api):
    users = friends(3)
    request_id = broadcast(line_api, TEXT)
    for user_id in users:
        [message_id] = delivered_ids(linesim, user_id)
        linesim.client.report_open(user_id, message_id)
        linesim.client.report_click(user_id, message_id, LINK)

    stats = line_api("GET", f"/v2/bot/insight/message/event?requestId={request_id}").json()

    assert stats["overview"]["requestId"] == request_id
    assert isinstance(stats["overview"]["timestamp"], int)
    assert stats["overview"]["delivered"] == 3  # LINE shows small delivery counts
    for key in ("uniqueImpression", "uniqueClick", "uniqueMediaPlayed", "uniqueMediaPlayed100Percent"):
        assert stats["overview"][key] is None
    assert stats["messages"] == [] and stats["clicks"] == []


def test_from_twenty_users_the_numbers_show(linesim, line_api):
    users = friends(21)
    request_id = broadcast(line_api, TEXT, {"type": "text", "text": "詳しくはこちら"})
    for index, user_id in enumerate(users):
        first, second = delivered_ids(linesim, user_id)
        linesim.client.report_open(user_id, first)
        if index < 20:
            linesim.client.report_click(user_id, first, LINK)
        if index < 19:
            linesim.client.report_open(user_id, second)
            linesim.client.report_click(user_id, second, OTHER_LINK)

    stats = line_api("GET", f"/v2/bot/insight/message/event?requestId={request_id}").json()

    assert stats["overview"]["delivered"] == 21
    assert stats["overview"]["uniqueImpression"] == 21
    assert stats["overview"]["uniqueClick"] == 20
    [bubble] = stats["messages"]  # the second bubble, seen by 19, is hidden
    assert bubble["seq"] == 1 and bubble["impression"] == 21 and bubble["mediaPlayed"] is None
    assert stats["clicks"] == [
        {"seq": 1, "url": LINK, "click": 20, "uniqueClick": 20, "uniqueClickOfRequest": 20}
    ]


def test_reports_count_once_and_only_for_delivered_messages(linesim, line_api):
    [user_id] = friends(1)
    broadcast(line_api, TEXT)
    [message_id] = delivered_ids(linesim, user_id)

    first = linesim.client.report_open(user_id, message_id)
    again = linesim.client.report_open(user_id, message_id)
    with pytest.raises(EmulatorError) as unknown:
        linesim.client.report_open(user_id, "1" * 18)
    with pytest.raises(EmulatorError) as no_url:
        linesim.client._call(
            "POST", f"users/{user_id}/insight", json={"event": "click", "messageId": message_id}
        )

    assert (first, again) == (True, False)
    assert unknown.value.status_code == 404
    assert no_url.value.status_code == 400


def test_an_unknown_request_has_empty_statistics_and_a_missing_one_is_400(line_api):
    unknown = line_api("GET", "/v2/bot/insight/message/event?requestId=nothing").json()
    missing = line_api("GET", "/v2/bot/insight/message/event")

    assert unknown["overview"]["delivered"] == 0 and unknown["messages"] == [] and unknown["clicks"] == []
    assert missing.status_code == 400
    assert missing.json()["details"] == [{"message": "May not be empty", "property": "requestId"}]


def push(line_api, to: list[str], unit: str | None) -> int:
    body: dict = {"to": to, "messages": [TEXT]}
    if unit is not None:
        body["customAggregationUnits"] = [unit]
    return line_api("POST", "/v2/bot/message/multicast", body).status_code


def test_aggregation_units_are_counted_and_listed(line_api):
    users = friends(2)
    for unit in ("gomi_2026", "bousai", "gomi_2026", None):
        assert push(line_api, users, unit) == 200
    assert (
        line_api(
            "POST",
            "/v2/bot/message/push",
            {"to": users[0], "messages": [TEXT], "customAggregationUnits": ["kenshin"]},
        ).status_code
        == 200
    )

    info = line_api("GET", "/v2/bot/message/aggregation/info").json()
    first_page = line_api("GET", "/v2/bot/message/aggregation/list?limit=2").json()
    second_page = line_api(
        "GET", f"/v2/bot/message/aggregation/list?limit=2&start={first_page['next']}"
    ).json()

    assert info == {"numOfCustomAggregationUnits": 3}
    assert first_page["customAggregationUnits"] == ["gomi_2026", "bousai"]
    assert second_page == {"customAggregationUnits": ["kenshin"]}


@pytest.mark.parametrize("units", [["two", "units"], ["not ok!"], ["x" * 31]])
def test_invalid_units_refuse_the_send(linesim, line_api, units):
    [user_id] = friends(1)

    response = line_api(
        "POST",
        "/v2/bot/message/multicast",
        {"to": [user_id], "messages": [TEXT], "customAggregationUnits": units},
    )

    assert response.status_code == 400
    assert linesim.client.messages_for(user_id) == []


def test_statistics_per_unit_add_up_the_units_sends(linesim, line_api):
    users = friends(20)
    for _ in range(2):
        assert push(line_api, users, "gomi_2026") == 200
    assert push(line_api, users, "other") == 200
    for user_id in users:
        gomi_first, gomi_second, _other = delivered_ids(linesim, user_id)
        linesim.client.report_open(user_id, gomi_first)
        linesim.client.report_open(user_id, gomi_second)
        linesim.client.report_click(user_id, gomi_first, LINK)

    day = timezone.now().astimezone(JST).strftime("%Y%m%d")
    stats = line_api(
        "GET",
        f"/v2/bot/insight/message/event/aggregation?customAggregationUnit=gomi_2026&from={day}&to={day}",
    ).json()

    assert stats["overview"]["uniqueImpression"] == 20 and stats["overview"]["uniqueClick"] == 20
    # Both sends' first bubbles add up: 40 impressions by 20 users.
    assert [(m["seq"], m["impression"], m["uniqueImpression"]) for m in stats["messages"]] == [(1, 40, 20)]
    assert stats["clicks"] == [
        {"seq": 1, "url": LINK, "click": 20, "uniqueClick": 20, "uniqueClickOfRequest": 20}
    ]


@pytest.mark.parametrize(
    "query",
    [
        "from=20260301&to=20260331",
        "customAggregationUnit=gomi&from=2026-03-01&to=20260331",
        "customAggregationUnit=gomi&from=20260301&to=20260501",
        "customAggregationUnit=gomi&from=20260331&to=20260301",
    ],
    ids=["no-unit", "bad-date", "over-30-days", "backwards"],
)
def test_unreadable_unit_queries_get_lines_null_body(line_api, query):
    response = line_api("GET", f"/v2/bot/insight/message/event/aggregation?{query}")

    assert response.status_code == 400
    assert response.json() == {"message": None, "key": None, "stacktrace": None, "code": None}


def test_narrowcast_progress_has_the_documented_fields(line_api):
    friends(2)
    sent = line_api("POST", "/v2/bot/message/narrowcast", {"messages": [TEXT]})

    progress = line_api(
        "GET", f"/v2/bot/message/progress/narrowcast?requestId={sent.headers['x-line-request-id']}"
    )

    assert sent.status_code == 202
    body = progress.json()
    assert body["phase"] == "succeeded"
    assert (body["targetCount"], body["successCount"], body["failureCount"]) == (2, 2, 0)
    assert body["acceptedTime"].endswith("Z") and body["completedTime"].endswith("Z")
    assert "errorCode" not in body and "failedDescription" not in body
