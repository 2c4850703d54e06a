"""The form engine in the resident's language (issue 21): question texts and choices written per
language in the builder, shown on the pages, the confirmation and the talk, answers kept in Japanese."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from civicline.core.languages import speaking
from civicline.forms import schema, talk
from civicline.forms.fields import PageForm
from civicline.forms.models import Draft, Form
from tests.fixtures.line import FriendFactory
from tests.forms.factories import resident_client, rows
from tests.publiccomment.factories import key_of, make_consultation

QUESTION = {
    "key": "q1",
    "type": "single",
    "label": "賛否",
    "help": "どちらかを選んでください。",
    "required": True,
    "choices": ["賛成", "反対"],
    "translations": {
        "en": {"label": "Your view", "help": "Choose one.", "choices": ["For", "Against"]},
        "ja-easy": {"label": "あなたの かんがえ"},
    },
}


def postback(action, params):
    return f"{action}:{sorted(params.items())}"


def test_a_question_reads_in_the_readers_language_with_the_citys_fallback():
    """issue 21: English for an English reader; やさしい日本語 (the city's fallback) for a Korean reader
    where there is no Korean; the Japanese master where the fallback has no text either."""
    (question,) = schema.schema_validate([QUESTION])

    english = schema.localized(question, "en")
    korean = schema.localized(question, "ko")

    assert (english["label"], english["help"]) == ("Your view", "Choose one.")
    assert schema.choice_label(english, "反対") == "Against"
    assert korean["label"] == "あなたの かんがえ" and korean["help"] == "どちらかを選んでください。"
    assert schema.choice_label(korean, "反対") == "反対"
    assert english["choices"] == ["賛成", "反対"]  # what answers and conditions are compared with


def test_a_translated_choice_list_must_match_the_japanese_one():
    """issue 21: a missing line would show one choice under another's label: refused, and named."""
    broken = {**QUESTION, "translations": {"en": {"label": "Your view", "choices": ["For"]}}}

    with pytest.raises(ValidationError, match="English"):
        schema.schema_validate([broken])


def test_the_page_offers_english_labels_and_keeps_the_japanese_answer():
    """issue 21: the resident picks "Against"; the draft keeps 反対, what results count."""
    (question,) = schema.schema_validate([QUESTION])
    with speaking("en"):
        form = PageForm({"q1": "反対"}, questions=[question], answers={})
        labels = dict(form.fields["q1"].choices)
        ((shown, _field, _hidden),) = form.rows()

    assert labels == {"賛成": "For", "反対": "Against"}
    assert shown["label"] == "Your view"
    assert form.is_valid() and form.page_answers(lambda upload: {})["q1"] == "反対"


def test_the_talk_asks_in_english_and_reads_an_english_reply():
    """issue 21: quick replies and a typed answer in the resident's language."""
    (question,) = schema.schema_validate([QUESTION])
    with speaking("en"):
        message = talk.question_message(question, {}, position=1, total=1, postback=postback)
        typed = talk.answer_from_text(question, "against", {})

    labels = [item["action"]["label"] for item in message["quickReply"]["items"]]
    assert message["text"].startswith("【1/1】Your view") and labels[:2] == ["For", "Against"]
    assert typed == "反対"


@pytest.mark.django_db
def test_the_builder_saves_each_languages_texts_and_shows_them_again(staff_client, department):
    """issue 21: staff write the English question beside the Japanese one."""
    consultation = make_consultation(department=department, questions=[])
    url = f"/console/publiccomment/{consultation.pk}/questions"
    data = rows(
        {
            "ref": "new0",
            "label": "賛否",
            "type": "single",
            "choices": "賛成\n反対",
            "label__en": "Your view",
            "choices__en": "For\nAgainst",
        }
    )

    staff_client.post(url, data)

    (question,) = Form.objects.get(pk=consultation.form_id).questions
    assert question["translations"] == {"en": {"label": "Your view", "choices": ["For", "Against"]}}
    page = staff_client.get(url).content.decode()
    assert "Your view" in page and "未翻訳" in page  # English written; the other languages not yet


@pytest.mark.django_db
def test_the_builder_refuses_a_short_choice_list_and_saves_nothing(staff_client, department):
    """issue 21: bad input gets a clear message and changes nothing."""
    consultation = make_consultation(department=department, questions=[])
    data = rows(
        {"ref": "new0", "label": "賛否", "type": "single", "choices": "賛成\n反対", "choices__en": "For"}
    )

    response = staff_client.post(f"/console/publiccomment/{consultation.pk}/questions", data)

    assert response.status_code == 400 and "選択肢の訳" in response.content.decode()
    assert Form.objects.get(pk=consultation.form_id).questions == []


@pytest.mark.django_db
def test_an_english_resident_answers_a_consultation_in_english(department, fake_line_api):
    """issue 21: the engine's LIFF page and confirmation speak the resident's language for every
    feature that uses it (here a public comment)."""
    consultation = make_consultation(department=department, questions=[{**QUESTION, "ref": "a"}])
    friend = FriendFactory(language="en")
    client = resident_client(friend)
    key = key_of(consultation, "賛否")
    base = f"/liff/publiccomment/{consultation.pk}"

    page = client.get(f"{base}/p/1").content.decode()
    client.post(f"{base}/p/1", {key: "反対"})
    confirm = client.get(f"{base}/confirm").content.decode()

    assert "Your view" in page and "Against" in page and "賛否" not in page
    assert "Against" in confirm and "反対" not in confirm
    assert Draft.objects.get(friend=friend).answers == {key: "反対"}


def test_several_english_choices_with_spaces_are_read_from_one_message():
    """issue 21: "Under 1, 1 to 2" names two choices, though the labels have spaces inside."""
    (question,) = schema.schema_validate(
        [
            {
                "key": "q1",
                "type": "multiple",
                "label": "年齢",
                "required": True,
                "choices": ["0歳", "1〜2歳", "3歳以上"],
                "translations": {"en": {"choices": ["Under 1", "1 to 2", "3 or older"]}},
            }
        ]
    )
    with speaking("en"):
        assert talk.answer_from_text(question, "Under 1, 1 to 2", {}) == ["0歳", "1〜2歳"]
    with speaking("ja"):
        assert talk.answer_from_text(question, "0歳 1〜2歳", {}) == ["0歳", "1〜2歳"]
