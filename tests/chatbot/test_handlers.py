"""The chatbot in the talk screen: answers, candidates, feedback, scenarios (CB-1, CB-2, CB-5)."""

from urllib.parse import parse_qs

import pytest

from civicline.chatbot.handlers import contact_text
from civicline.chatbot.models import QuestionLog
from tests.fixtures.line import postback_event, text_event

from .factories import ScenarioNodeFactory

pytestmark = pytest.mark.django_db


def quick_replies(message):
    return [item["action"] for item in message.get("quickReply", {}).get("items", [])]


def test_garbage_question_in_hiragana_gets_category_and_how_to_CB2(knowledge, reply_to):
    messages = reply_to(text_event("U1", "ぺっとぼとる"))

    assert "【缶・びん・ペットボトル】" in messages[0]["text"]
    labels = [a["label"] for a in quick_replies(messages[-1])]
    assert labels == ["解決した", "解決しなかった"]


def test_oversized_garbage_links_to_reservations_CB2(knowledge, reply_to, settings):
    settings.CHATBOT_OVERSIZED_GARBAGE_URL = "https://city.example/liff/reservations/sodai"

    messages = reply_to(text_event("U1", "ソファーの捨て方"))

    assert "【粗大ごみ】" in messages[0]["text"] and "処理券" in messages[0]["text"]
    button = messages[1]["template"]["actions"][0]
    assert button["type"] == "uri" and button["uri"] == "https://city.example/liff/reservations/sodai"


def test_vague_question_gets_candidates_and_a_tap_gives_the_answer_CB1(knowledge, reply_to):
    messages = reply_to(text_event("U1", "住民票ってどこでもらえるの"))

    actions = quick_replies(messages[0])
    assert 2 <= len(actions) <= 6 and messages[0]["text"].startswith("お探しの内容は")
    chosen = next(a for a in actions if a.get("displayText") == knowledge["juminhyo"].question)
    assert parse_qs(chosen["data"])["action"] == ["answer"]

    answer = reply_to(postback_event("U1", chosen["data"]))

    assert answer[0]["text"] == knowledge["juminhyo"].answer
    log = QuestionLog.objects.get()
    assert log.outcome == QuestionLog.Outcome.ANSWERED and log.answer_id == knowledge["juminhyo"].pk


def test_unknown_question_is_politely_not_understood_and_logged(knowledge, reply_to):
    messages = reply_to(text_event("U1", "明日の天気はどうなりますか"))

    assert "分かりませんでした" in messages[0]["text"]
    assert [a["label"] for a in quick_replies(messages[0])] == [
        "分野から探す",
        "問い合わせ先",
        "職員と話したい",
    ]
    assert QuestionLog.objects.get().outcome == QuestionLog.Outcome.UNANSWERED


def test_feedback_is_kept_with_the_question_CB5(knowledge, reply_to):
    messages = reply_to(text_event("U1", "ペットボトル"))
    not_solved = quick_replies(messages[-1])[1]

    reply = reply_to(postback_event("U1", not_solved["data"]))

    assert "お役に立てず" in reply[0]["text"]
    assert QuestionLog.objects.get().resolved is False


def test_scenario_tree_as_quick_replies_CB1(department, reply_to):
    root = ScenarioNodeFactory(department=department, label="子育て")
    leaf = ScenarioNodeFactory(
        department=department, label="児童手当", parent=root, answer="こども課で申請します。"
    )

    top = reply_to(postback_event("U1", "feature=chatbot&action=scenario"))
    assert [a["label"] for a in quick_replies(top[0])] == ["子育て"]
    middle = reply_to(postback_event("U1", quick_replies(top[0])[0]["data"]))
    assert [a["label"] for a in quick_replies(middle[0])] == ["児童手当"]
    answer = reply_to(postback_event("U1", quick_replies(middle[0])[0]["data"]))

    assert answer[0]["text"] == "こども課で申請します。"
    assert QuestionLog.objects.get().answer_id == leaf.pk


def test_candidate_that_was_unpublished_meanwhile(knowledge, reply_to):
    knowledge["juminhyo"].delete()

    reply = reply_to(
        postback_event("U1", f"feature=chatbot&action=answer&kind=faq&id={knowledge['juminhyo'].pk or 999}")
    )

    assert "ご案内できません" in reply[0]["text"]


def test_without_any_knowledge_the_account_keeps_its_usual_reply(reply_to):
    messages = reply_to(text_event("U1", "こんにちは"))

    assert messages[0]["text"].startswith("メッセージありがとうございます。")
    assert not QuestionLog.objects.exists()


@pytest.mark.parametrize("typed", ["分野から探す", "分野から探す（よくある質問）", "分野から探す。"])
def test_typing_a_chips_own_words_does_what_the_chip_does(knowledge, reply_to, department, typed):
    """Issue 17: 「分野から探す」 typed instead of tapped was not understood."""
    ScenarioNodeFactory(department=department, label="子育て")

    (message,) = reply_to(text_event("U1", typed))

    assert "知りたい分野を選んでください" in message["text"]
    assert [a["label"] for a in quick_replies(message)] == ["子育て"]


@pytest.mark.parametrize("typed", ["問い合わせ先", "問合せ先", "お問い合わせ先を教えて"])
def test_typing_the_contact_chip_gives_the_contacts(knowledge, reply_to, typed):
    (message,) = reply_to(text_event("U1", typed))

    assert "分かりませんでした" not in message["text"]
    assert message["text"] == contact_text()
