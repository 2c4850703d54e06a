"""What the learning loop keeps of a question (CB-4, X-1): addresses masked with the rest."""

import pytest

from civicline.chatbot.privacy import mask_personal_data, question_key

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("asked", "kept", "gone"),
    [
        ("住所は豊中市中桜塚3-1-1です", "住所は", ["中桜塚", "3-1-1"]),
        ("大阪府豊中市本町1丁目1番1号に住んでいます", "に住んでいます", ["本町", "1丁目"]),
        ("中桜塚２丁目２８番８号の粗大ごみ", "の粗大ごみ", ["中桜塚", "28"]),
        ("本町１－２－３ グランドハイツ101号室です", "です", ["本町", "101"]),
        ("電話は090-1234-5678です", "電話は", ["090"]),
    ],
)
def test_addresses_and_numbers_are_masked(asked, kept, gone):
    masked = mask_personal_data(asked)

    assert kept in masked and "＊＊＊" in masked
    assert not [g for g in gone if g in masked]


@pytest.mark.parametrize(
    "asked", ["ペットボトルの捨て方", "12月25日は収集日ですか", "住民票をコンビニで取りたい"]
)
def test_ordinary_questions_are_kept_as_asked(asked):
    assert mask_personal_data(asked) == asked


def test_the_same_question_typed_differently_has_one_key_that_hides_the_words():
    assert question_key("ペットボトルの捨て方") == question_key("ﾍﾟｯﾄﾎﾞﾄﾙの捨て方")
    assert "ペット" not in question_key("ペットボトルの捨て方")
