"""The talk screen's side of the engine (PC-5): what to ask next, how, and reading typed answers."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from civicline.forms import schema, talk

QUESTIONS = schema.schema_validate(
    [
        {"key": "q1", "type": "single", "label": "種類", "required": True, "choices": ["賛成", "反対"]},
        {
            "key": "q2",
            "type": "long_text",
            "label": "理由",
            "required": False,
            "condition": {"action": "show", "question": "q1", "op": "is", "value": "反対"},
        },
        {"key": "q3", "type": "number", "label": "人数", "min": 1, "max": 10},
        {"key": "q4", "type": "short_text", "label": "お名前", "personal": True, "required": True},
        {"key": "q5", "type": "photo", "label": "写真"},
        {"key": "q6", "type": "dropdown", "label": "地区", "choices": [f"地区{n}" for n in range(1, 16)]},
    ]
)


def postback(action, params):
    return f"{action}:{sorted(params.items())}"


def test_personal_photo_and_hidden_questions_are_never_asked_in_the_talk():
    asked = []
    answers: dict = {"q1": "賛成"}
    question = talk.next_question(QUESTIONS, answers)
    while question is not None:
        asked.append(question["key"])
        question = talk.next_question(QUESTIONS, answers, after=question["key"])

    assert asked == ["q3", "q6"]  # q1 answered, q2 hidden, q4 personal, q5 a photo
    assert talk.needs_liff(QUESTIONS, answers)


def test_a_choice_question_comes_with_quick_replies_skip_only_when_optional():
    message = talk.question_message(QUESTIONS[0], {}, position=1, total=3, postback=postback)

    labels = [i["action"]["label"] for i in message["quickReply"]["items"]]
    assert message["text"].startswith("【1/3】種類") and labels == ["賛成", "反対", "中断する"]


def test_many_choices_are_listed_to_answer_by_number():
    message = talk.question_message(QUESTIONS[5], {}, position=1, total=1, postback=postback)

    assert "15. 地区15" in message["text"] and "番号を送ってください" in message["text"]
    assert talk.answer_from_text(QUESTIONS[5], "１２", {}) == "地区12"


@pytest.mark.parametrize(("text", "value"), [("反対", "反対"), ("1", "賛成"), (" 賛成 ", "賛成")])
def test_typed_choices_are_read_by_label_or_number(text, value):
    assert talk.answer_from_text(QUESTIONS[0], text, {}) == value


@pytest.mark.parametrize(("text", "message"), [("0", "1以上"), ("11", "10以下"), ("たくさん", "数字で")])
def test_numbers_outside_the_rules_are_explained(text, message):
    with pytest.raises(ValidationError) as caught:
        talk.answer_from_text(QUESTIONS[2], text, {})
    assert message in caught.value.messages[0]


def test_dates_are_read_in_the_ways_people_write_them():
    assert talk.date_from_text("2025年4月1日") == "2025-04-01"
    assert talk.date_from_text("２０２５/４/１") == "2025-04-01"
    with pytest.raises(ValidationError):
        talk.date_from_text("2025-02-30")


def test_quick_reply_labels_are_cut_to_lines_limit():
    long = schema.schema_validate(
        [
            {
                "key": "q1",
                "type": "single",
                "label": "x",
                "choices": ["とても長い選択肢のラベルで二十文字を超えています", "短い"],
            }
        ]
    )[0]

    items = talk.question_message(long, {}, position=1, total=1, postback=postback)["quickReply"]["items"]

    assert all(len(i["action"]["label"]) <= 20 for i in items)
    assert items[0]["action"]["displayText"] == "とても長い選択肢のラベルで二十文字を超えています"
