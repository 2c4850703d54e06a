"""「アンケート」 in the talk: the surveys the resident may answer now, as cards, or a polite "none"."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from civicline.surveys.models import Invitation, Survey
from tests.fixtures.line import FriendFactory, text_event
from tests.surveys.factories import make_survey, respond

pytestmark = pytest.mark.django_db


@pytest.fixture
def friend():
    return FriendFactory()


def last_reply(api) -> list[dict]:
    return api.replies[-1].body["messages"]


def reply_text(api) -> str:
    return json.dumps(last_reply(api), ensure_ascii=False)


def answer_links(api) -> dict[str, str]:
    """Survey title → the URI of its 「回答する」 button, in the newest reply's cards."""
    message = last_reply(api)[0]
    contents = message["contents"]
    bubbles = contents["contents"] if contents["type"] == "carousel" else [contents]
    links = {}
    for bubble in bubbles:
        title = bubble["body"]["contents"][1]["text"]
        action = bubble["footer"]["contents"][0]["action"]
        links[title] = action["uri"]
    return links


@pytest.mark.parametrize(
    "words",
    ["アンケート", "アンケートに答えたい", "アンケートに回答したい", "アンケート一覧", "アンケートある？"],
)
def test_asking_for_surveys_lists_the_open_ones_with_an_answer_button(
    deliver, fake_line_api, friend, department, words
):
    survey = make_survey(department=department, title="窓口満足度アンケート")

    deliver(text_event(friend.user_id, words))

    assert last_reply(fake_line_api)[0]["type"] == "flex"
    assert answer_links(fake_line_api) == {
        "窓口満足度アンケート": f"https://liff.line.me/{settings.LIFF_ID}/surveys/{survey.pk}/"
    }


def test_only_surveys_the_resident_may_still_answer_are_listed(deliver, fake_line_api, friend, department):
    make_survey(department=department, title="受付中")
    answered = make_survey(department=department, title="回答済み", answer_policy=Survey.Policy.ONCE)
    respond(answered, friend, {"満足度": "満足"})
    make_survey(department=department, title="依頼した方のみ", invited_only=True)
    invited = make_survey(department=department, title="ご依頼済み", invited_only=True)
    Invitation.objects.create(survey=invited, friend=friend, invited_at=timezone.now())
    make_survey(department=department, title="準備中", status=Survey.Status.DRAFT)
    make_survey(department=department, title="終了", closes_at=timezone.now() - timedelta(hours=1))
    make_survey(department=department, title="開始前", opens_at=timezone.now() + timedelta(days=1))

    deliver(text_event(friend.user_id, "アンケート"))

    assert set(answer_links(fake_line_api)) == {"受付中", "ご依頼済み"}


def test_with_no_survey_open_the_resident_is_told_so_politely(deliver, fake_line_api, friend):
    deliver(text_event(friend.user_id, "アンケート"))

    assert last_reply(fake_line_api) == [
        {
            "type": "text",
            "text": (
                "いまお答えいただけるアンケートはありません。新しいアンケートはこのトークでお知らせします。"
            ),
        }
    ]


def test_more_surveys_than_a_carousel_holds_end_with_a_link_to_the_list(
    deliver, fake_line_api, friend, department
):
    for n in range(12):
        make_survey(department=department, title=f"アンケート{n}")

    deliver(text_event(friend.user_id, "アンケート"))

    bubbles = last_reply(fake_line_api)[0]["contents"]["contents"]
    assert len(bubbles) == 10
    assert bubbles[-1]["footer"]["contents"][0]["action"] == {
        "type": "uri",
        "label": "すべて見る",
        "uri": f"https://liff.line.me/{settings.LIFF_ID}/surveys/",
    }


def test_a_question_that_merely_mentions_a_survey_stays_with_the_chatbot(deliver, fake_line_api, friend):
    make_survey(title="窓口満足度アンケート")

    deliver(text_event(friend.user_id, "去年のアンケートの結果はどこで見られますか"))

    assert "窓口満足度アンケート" not in reply_text(fake_line_api)
