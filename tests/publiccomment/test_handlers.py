"""Answering in the talk screen (PC-5): one question per message with quick replies, typed answers,
resumable; personal questions are never asked in the talk but handed over to the LIFF page."""

from __future__ import annotations

import json

import pytest

from civicline.forms.models import Draft
from tests.fixtures.line import postback_event, text_event
from tests.publiccomment.factories import key_of, make_consultation

pytestmark = pytest.mark.django_db


@pytest.fixture
def consultation(department):
    return make_consultation(department=department)


def last_reply(api) -> list[dict]:
    return api.replies[-1].body["messages"]


def reply_text(api) -> str:
    return json.dumps(last_reply(api), ensure_ascii=False)


def quick_replies(api) -> dict[str, str]:
    """label → postback data of the newest message's quick replies."""
    items = last_reply(api)[-1].get("quickReply", {}).get("items", [])
    return {i["action"]["label"]: i["action"].get("data", "") for i in items}


def start(deliver, friend, consultation):
    deliver(postback_event(friend.user_id, f"feature=publiccomment&action=talk&c={consultation.pk}"))


def test_the_keyword_lists_open_consultations_with_a_talk_button(
    deliver, fake_line_api, friend, consultation
):
    deliver(text_event(friend.user_id, "パブリックコメント"))

    reply = reply_text(fake_line_api)
    assert consultation.title in reply and "トークで答える" in reply and f"c={consultation.pk}" in reply


def test_pc5_questions_come_one_per_message_with_quick_replies(deliver, fake_line_api, friend, consultation):
    start(deliver, friend, consultation)

    assert "【1/2】ご意見の種類" in reply_text(fake_line_api)  # 1 of 2 until the branch opens
    assert set(quick_replies(fake_line_api)) == {"賛成", "反対", "修正の提案", "中断する"}

    deliver(postback_event(friend.user_id, quick_replies(fake_line_api)["修正の提案"]))
    assert "【2/3】ご意見" in reply_text(fake_line_api)
    deliver(text_event(friend.user_id, "道路の計画を見直してください"))
    assert "【3/3】修正案" in reply_text(fake_line_api)  # the branch (PC-6) is followed in the talk too
    assert "回答しない" in quick_replies(fake_line_api)

    draft = Draft.objects.get(friend=friend)
    assert draft.answers == {
        key_of(consultation, "ご意見の種類"): "修正の提案",
        key_of(consultation, "ご意見"): "道路の計画を見直してください",
    }
    assert draft.via_talk and draft.talk_question == key_of(consultation, "修正案")


def test_pc5_personal_questions_are_handed_over_to_the_form(deliver, fake_line_api, friend, consultation):
    start(deliver, friend, consultation)
    deliver(postback_event(friend.user_id, quick_replies(fake_line_api)["賛成"]))
    deliver(text_event(friend.user_id, "賛成です"))

    reply = reply_text(fake_line_api)
    assert "お名前" not in reply.replace("お名前などの個人情報", "")  # mentioned, never asked
    assert "続きを入力する" in reply and f"/publiccomment/{consultation.pk}/resume" in reply
    assert Draft.objects.get(friend=friend).talk_question == ""
    # Talk is over: the next message goes to whoever else answers text (not stored as an answer).
    deliver(text_event(friend.user_id, "ありがとう"))
    assert "ありがとう" not in json.dumps(Draft.objects.get(friend=friend).answers, ensure_ascii=False)


def test_a_typed_answer_that_does_not_fit_is_explained_and_asked_again(
    deliver, fake_line_api, friend, consultation
):
    start(deliver, friend, consultation)

    deliver(text_event(friend.user_id, "どちらでもない"))

    messages = last_reply(fake_line_api)
    assert "選択肢の中から選んでください" in messages[0]["text"] and "ご意見の種類" in messages[1]["text"]
    deliver(text_event(friend.user_id, "２"))  # a full-width number picks the second choice
    assert Draft.objects.get(friend=friend).answers[key_of(consultation, "ご意見の種類")] == "反対"


def test_a_stopped_conversation_resumes_where_it_was(deliver, fake_line_api, friend, consultation):
    start(deliver, friend, consultation)
    deliver(postback_event(friend.user_id, quick_replies(fake_line_api)["反対"]))
    deliver(postback_event(friend.user_id, quick_replies(fake_line_api)["中断する"]))
    assert "中断しました" in reply_text(fake_line_api)
    assert Draft.objects.get(friend=friend).talk_question == ""

    deliver(postback_event(friend.user_id, quick_replies(fake_line_api)["続きから答える"]))

    assert "【2/2】ご意見" in reply_text(fake_line_api)


def test_an_old_button_does_not_answer_the_current_question(deliver, fake_line_api, friend, consultation):
    start(deliver, friend, consultation)
    old = quick_replies(fake_line_api)["賛成"]
    deliver(postback_event(friend.user_id, old))

    deliver(postback_event(friend.user_id, old))

    assert "前の質問のボタンです" in reply_text(fake_line_api)
    assert Draft.objects.get(friend=friend).talk_question == key_of(consultation, "ご意見")


def test_multiple_choices_toggle_and_finish(deliver, fake_line_api, friend, department):
    consultation = make_consultation(
        department=department,
        questions=[
            {
                "ref": "a",
                "type": "multiple",
                "label": "関心のある分野",
                "required": True,
                "choices": ["交通", "福祉", "教育"],
            },
            {"ref": "b", "type": "date", "label": "説明会の希望日"},
        ],
    )
    start(deliver, friend, consultation)
    deliver(postback_event(friend.user_id, quick_replies(fake_line_api)["交通"]))
    assert "選択中: 交通" in reply_text(fake_line_api) and "✓ 交通" in quick_replies(fake_line_api)
    deliver(postback_event(friend.user_id, quick_replies(fake_line_api)["教育"]))
    deliver(postback_event(friend.user_id, quick_replies(fake_line_api)["選び終わった"]))

    assert "説明会の希望日" in reply_text(fake_line_api)
    picker = last_reply(fake_line_api)[-1]["quickReply"]["items"][0]["action"]
    assert picker["type"] == "datetimepicker"
    event = postback_event(friend.user_id, picker["data"])
    event["postback"]["params"] = {"date": "2025-05-10"}
    deliver(event)
    assert Draft.objects.get(friend=friend).answers == {
        key_of(consultation, "関心のある分野"): ["交通", "教育"],
        key_of(consultation, "説明会の希望日"): "2025-05-10",
    }
    assert "確認して送信する" in reply_text(fake_line_api)


def test_the_form_page_can_send_the_first_question_to_the_talk(friend, consultation, fake_line_api):
    from tests.forms.factories import resident_client

    response = resident_client(friend).post(f"/liff/publiccomment/{consultation.pk}/talk")

    assert response["Location"].endswith("?talk=1")
    (push,) = fake_line_api.to("/v2/bot/message/push")
    assert push.body["to"] == friend.user_id and "ご意見の種類" in json.dumps(push.body, ensure_ascii=False)
