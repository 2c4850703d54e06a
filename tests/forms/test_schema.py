"""The schema: validation in the city's words, branching (PC-6), pages."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from civicline.forms import schema


def q(key, kind="single", **extra):
    base = {"key": key, "type": kind, "label": f"質問{key}", "required": False}
    if kind in schema.CHOICE_TYPES:
        base["choices"] = ["はい", "いいえ"]
    return {**base, **extra}


def test_a_valid_schema_is_normalised_and_contacts_are_always_personal():
    result = schema.schema_validate([q("q1"), q("q2", "email"), q("q3", "long_text", max_length=99999)])

    assert [x["key"] for x in result] == ["q1", "q2", "q3"]
    assert result[1]["personal"] is True
    assert result[2]["max_length"] == schema.LONG_TEXT_LIMIT


@pytest.mark.parametrize(
    ("questions", "message"),
    [
        ([q("q1", "single", choices=["ひとつ"])], "選択肢を2つ以上"),
        ([q("q1", "nonsense")], "質問の種類を選んでください"),
        ([{**q("q1"), "label": " "}], "質問文を入力してください"),
        (
            [q("q1", condition={"action": "show", "question": "q2", "op": "is", "value": "はい"}), q("q2")],
            "この質問より前にある質問",
        ),
        (
            [q("q1"), q("q2", condition={"action": "show", "question": "q1", "op": "is", "value": "たぶん"})],
            "選択肢にありません",
        ),
        (
            [q("q1"), q("q2", condition={"action": "show", "question": "q1", "op": "gte", "value": "3"})],
            "数値か5段階評価の質問",
        ),
        ([q("q1", "number", min=10, max=1)], "最小値は最大値以下"),
        ([q("q1"), q("q1")], "重複"),
    ],
)
def test_a_bad_schema_is_refused_with_a_japanese_reason(questions, message):
    with pytest.raises(ValidationError) as caught:
        schema.schema_validate(questions)
    assert message in " ".join(caught.value.messages)


SCHEMA = schema.schema_validate(
    [
        q("q1"),
        q("q2", "long_text", condition={"action": "show", "question": "q1", "op": "is", "value": "いいえ"}),
        q(
            "q3",
            "single",
            choices=["A", "B"],
            alt_choices={"question": "q1", "op": "is", "value": "はい", "choices": ["C", "D"]},
        ),
        q("q4", "scale", condition={"action": "skip", "question": "q1", "op": "not_answered"}),
        q("q5", "short_text", page_break=True),
    ]
)


def test_pc6_a_question_is_shown_only_when_its_condition_holds():
    shown_for_no = [x["key"] for x in schema.visible_questions(SCHEMA, {"q1": "いいえ"})]
    shown_for_yes = [x["key"] for x in schema.visible_questions(SCHEMA, {"q1": "はい"})]
    shown_for_nothing = [x["key"] for x in schema.visible_questions(SCHEMA, {})]

    assert shown_for_no == ["q1", "q2", "q3", "q4", "q5"]
    assert shown_for_yes == ["q1", "q3", "q4", "q5"]
    assert shown_for_nothing == ["q1", "q3", "q5"]  # q4 is skipped while q1 is unanswered


def test_pc6_choices_switch_on_an_earlier_answer():
    assert schema.choices_for(SCHEMA[2], {"q1": "はい"}) == ["C", "D"]
    assert schema.choices_for(SCHEMA[2], {"q1": "いいえ"}) == ["A", "B"]


def test_a_change_of_mind_drops_answers_to_questions_now_hidden_and_choices_no_longer_offered():
    answers = {"q1": "はい", "q2": "理由", "q3": "A"}

    assert schema.effective_answers(SCHEMA, answers) == {"q1": "はい"}


def test_a_question_depending_on_its_own_page_starts_a_new_page():
    pages = [[x["key"] for x in page] for page in schema.pages(SCHEMA)]

    assert pages == [["q1"], ["q2", "q3", "q4"], ["q5"]]
    visible = schema.visible_pages(SCHEMA, {"q1": "はい"})
    assert [(p.number, [x["key"] for x in p.questions]) for p in visible] == [
        (1, ["q1"]),
        (2, ["q3", "q4"]),
        (3, ["q5"]),
    ]


def test_a_required_question_counts_as_missing_only_when_shown():
    required = [{**x, "required": True} for x in SCHEMA]

    assert [x["key"] for x in schema.missing_required(required, {"q1": "はい", "q3": "C", "q4": 3})] == ["q5"]
    assert "q2" in [x["key"] for x in schema.missing_required(required, {"q1": "いいえ"})]


def test_answers_read_as_people_write_them():
    assert schema.display({"type": "date"}, "2025-04-01") == "2025年4月1日"
    assert schema.display({"type": "multiple"}, ["A", "B"]) == "A、B"
    assert (
        schema.display({"type": "location"}, {"place": "市役所前", "lat": 34.7, "lng": 135.4})
        == "市役所前（34.7, 135.4）"
    )
    assert schema.display({"type": "number"}, 3.0) == "3"
