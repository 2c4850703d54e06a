"""The chatbot in residents' languages (issue 21): answers in theirs, garbage names asked in theirs."""

from __future__ import annotations

import io
import json
import sys

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils.translation import gettext

from civicline.chatbot import demo, exports, multilingual, search, services
from civicline.chatbot.import_plan import plan_for
from civicline.chatbot.models import FaqEntry, GarbageItem, QuestionLog
from civicline.chatbot.multilingual import japanese_only as mark_japanese_only
from civicline.core.languages import speaking
from civicline.core.translations import translated
from tests.fixtures.line import FriendFactory, postback_event, text_event

from .factories import FaqEntryFactory, GarbageCategoryFactory, GarbageItemFactory, ScenarioNodeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ask(reply_to):
    """``ask(user_id, words_or_event)``: the messages of the reply."""

    def ask(user_id, words_or_event):
        event = text_event(user_id, words_or_event) if isinstance(words_or_event, str) else words_or_event
        return reply_to(event)

    return ask


def friend(user_id: str, language: str):
    return FriendFactory(user_id=user_id, language=language, profile_fetched_at="2026-01-01T00:00Z")


def japanese_only(language: str) -> str:
    """The mark in the reader's language, whatever the catalogue holds today."""
    with speaking(language):
        return mark_japanese_only()


@pytest.fixture
def dictionary(other_department):
    hazardous = GarbageCategoryFactory(
        department=other_department,
        name="有害ごみ",
        how_to="透明の袋に入れて破砕ごみの日に出してください。",
        translations={"en": {"name": "Hazardous waste", "how_to": "Put in a clear bag on crushable days."}},
    )
    cans = GarbageCategoryFactory(
        department=other_department,
        name="缶・びん・ペットボトル",
        how_to="中をすすいで資源ごみの日に。",
        translations={
            "en": {"name": "Cans, bottles, PET bottles", "how_to": "Rinse; put out on recycling day."},
            "vi": {"name": "Lon, chai, chai nhựa", "how_to": "Rửa sạch; bỏ vào ngày rác tái chế."},
        },
    )
    burnable = GarbageCategoryFactory(department=other_department, name="燃やせるごみ")
    items = {
        "乾電池": GarbageItemFactory(
            department=other_department,
            name="乾電池",
            category=hazardous,
            how_to="端子にテープを貼ってください。",
            translations={
                "en": {"name": "Battery (dry cell)", "how_to": "Tape over the terminals."},
                "vi": {"name": "Pin khô"},
            },
        ),
        "ペットボトル": GarbageItemFactory(
            department=other_department,
            name="ペットボトル",
            category=cans,
            how_to="キャップとラベルを外してください。",
            translations={
                "en": {"name": "Plastic bottle / PET bottle", "how_to": "Remove the cap and label."},
                "vi": {"name": "Chai nhựa", "how_to": "Tháo nắp và nhãn."},
            },
        ),
        "フライパン": GarbageItemFactory(department=other_department, name="フライパン", category=burnable),
        "スプレー缶": GarbageItemFactory(department=other_department, name="スプレー缶", category=cans),
    }
    return items


def test_an_english_friend_asking_battery_gets_the_item_in_english(dictionary, ask):
    """issue 21: "battery" is found by the dictionary's English name and answered in English."""
    friend("Uen", "en")

    text = ask("Uen", "battery")[0]["text"]

    assert "Battery (dry cell)" in text and "Hazardous waste" in text
    assert "Put in a clear bag on crushable days." in text and "Tape over the terminals." in text
    assert "乾電池" not in text and "透明の袋" not in text
    log = QuestionLog.objects.get()
    assert log.answer_id == dictionary["乾電池"].pk and log.outcome == QuestionLog.Outcome.ANSWERED


@pytest.mark.parametrize(
    "question", ["plastic bottle", "Plastic bottles", "How do I throw away a plastic bottle?", "PET bottle"]
)
def test_an_english_friend_asking_a_plastic_bottle_in_a_sentence_gets_the_pet_bottle(
    dictionary, ask, question
):
    """issue 21: the question's frame is left out, plurals and alternatives names match."""
    friend("Uen", "en")

    text = ask("Uen", question)[0]["text"]

    assert "Plastic bottle / PET bottle" in text and "Cans, bottles, PET bottles" in text
    assert "Remove the cap and label." in text


def test_a_vietnamese_friend_gets_vietnamese_where_written_and_the_rest_marked_japanese(dictionary, ask):
    """issue 21: the Vietnamese version where present; a Japanese fallback says so in Vietnamese."""
    friend("Uvi", "vi")

    bottle = ask("Uvi", "chai nhựa")[0]["text"]
    battery = ask("Uvi", "pin khô")[0]["text"]

    assert "Chai nhựa" in bottle and "Lon, chai, chai nhựa" in bottle and "Tháo nắp và nhãn." in bottle
    assert japanese_only("vi") not in bottle
    # The battery's instructions and its category were written in English only: a Vietnamese
    # reader gets the city's fallback (Japanese), marked.
    assert "Pin khô" in battery
    assert f"端子にテープを貼ってください。 {japanese_only('vi')}" in battery
    assert f"透明の袋に入れて破砕ごみの日に出してください。 {japanese_only('vi')}" in battery


def test_a_japanese_friend_gets_the_japanese_answer_unchanged(dictionary, ask):
    """issue 21: translations change nothing for a Japanese reader."""
    friend("Uja", "ja")

    text = ask("Uja", "ぺっとぼとる")[0]["text"]

    assert text.startswith("「ペットボトル」は【缶・びん・ペットボトル】です。")
    assert "キャップとラベルを外してください。" in text and "Remove" not in text
    assert japanese_only("ja") not in text


def test_an_english_friends_faq_answer_in_english_or_marked_japanese(department, ask):
    """issue 21: a Q&A's English version, asked in English; one without it is answered marked."""
    friend("Uen", "en")
    FaqEntryFactory(
        department=department,
        question="住民票の写しはどこで取得できますか？",
        answer="市民課窓口で取得できます。",
        translations={
            "en": {
                "question": "Where can I get a copy of my residence certificate?",
                "answer": "At the Citizens Division counter.",
            }
        },
    )
    FaqEntryFactory(
        department=department, question="粗大ごみの申し込み方法は？", answer="電話で予約してください。"
    )

    answered = ask("Uen", "residence certificate copy")[0]["text"]
    fallback = ask("Uen", "粗大ごみの申し込み方法は？")[0]["text"]

    assert answered == "At the Citizens Division counter."
    assert fallback == f"{japanese_only('en')}\n電話で予約してください。"


def test_candidates_are_offered_by_their_names_in_the_residents_language(other_department, ask):
    """issue 21: several items match: the quick replies name them in English."""
    friend("Uen", "en")
    category = GarbageCategoryFactory(department=other_department, name="有害ごみ")
    for name, english in (("ボタン電池", "Button battery"), ("充電式電池", "Rechargeable battery")):
        GarbageItemFactory(
            department=other_department, name=name, category=category, translations={"en": {"name": english}}
        )

    message = ask("Uen", "battery")[0]
    labels = [item["action"]["label"] for item in message["quickReply"]["items"]]

    assert {"Button battery", "Rechargeable battery"} <= set(labels)
    tapped = next(
        i["action"] for i in message["quickReply"]["items"] if i["action"]["label"] == "Button battery"
    )
    answer = ask("Uen", postback_event("Uen", tapped["data"]))[0]["text"]
    assert "Button battery" in answer


def test_a_japanese_friend_typing_an_english_name_still_finds_it(dictionary, ask):
    """issue 21: nothing Japanese matches "battery": the English names are asked next."""
    friend("Uja", "ja")

    text = ask("Uja", "battery")[0]["text"]

    assert "「乾電池」は【有害ごみ】です。" in text


# --- imports and exports ------------------------------------------------------------------------


def test_a_garbage_dictionary_with_english_and_chinese_columns_is_imported(department, staff_user):
    """issue 21: cities' multilingual dictionaries: 英語 / 品目（中国語） columns become versions."""
    data = (
        "品目,分別区分,注意点,英語,品目（中国語）,注意点_en,分別区分_en\n"
        "乾電池,有害ごみ,テープを貼る,Battery,干电池,Tape the terminals,Hazardous waste\n"
        "ペットボトル,資源ごみ,,PET bottle,塑料瓶,,\n"
    ).encode()

    result = services.garbage_import(actor=staff_user, department=department, data=data)

    assert result.created == 2 and not result.errors
    battery = GarbageItem.objects.get(name="乾電池")
    assert battery.translations == {
        "en": {"name": "Battery", "how_to": "Tape the terminals"},
        "zh-hans": {"name": "干电池"},
    }
    assert battery.how_to == "テープを貼る"  # the master is the Japanese column, not a version's
    assert battery.category.translations == {"en": {"name": "Hazardous waste"}}
    assert GarbageItem.objects.get(name="ペットボトル").translations["en"] == {"name": "PET bottle"}


def test_a_faq_file_with_question_en_and_answer_en_columns_is_imported(department, staff_user):
    """issue 21: question_en / answer_en beside the Japanese; a file without them keeps them."""
    with_english = (
        "question,answer,question_en,answer_en\n"
        "住民票はどこで？,市民課で。,Where do I get a residence certificate?,At the Citizens Division.\n"
    ).encode()
    services.faq_import(actor=staff_user, data=with_english, default_department=department)
    entry = FaqEntry.objects.get()
    assert entry.translations == {
        "en": {"question": "Where do I get a residence certificate?", "answer": "At the Citizens Division."}
    }

    services.faq_import(
        actor=staff_user,
        data="質問,回答\n住民票はどこで？,市民課の窓口で。\n".encode(),
        default_department=department,
    )

    entry.refresh_from_db()
    assert (
        entry.answer == "市民課の窓口で。"
        and translated(entry, "answer", "en") == "At the Citizens Division."
    )


def test_an_exported_dictionary_imported_elsewhere_keeps_every_language(
    department, other_department, system_admin
):
    """issue 21: export → import round trip keeps the per-language names and notes."""
    category = GarbageCategoryFactory(
        department=department, name="有害ごみ", translations={"en": {"name": "Hazardous garbage"}}
    )
    GarbageItemFactory(
        department=department,
        name="乾電池",
        category=category,
        note="回収ボックスへ",
        translations={"en": {"name": "Battery", "note": "Collection box"}, "ko": {"name": "건전지"}},
    )
    FaqEntryFactory(
        department=department,
        question="住民票は？",
        answer="市民課で。",
        translations={"vi": {"question": "Giấy cư trú?", "answer": "Tại quầy."}},
    )

    garbage = exports.garbage_csv(GarbageItem.objects.all())
    faq = exports.faq_csv(FaqEntry.objects.all())
    FaqEntry.objects.all().delete()
    services.garbage_import(actor=system_admin, department=other_department, data=garbage)
    services.faq_import(actor=system_admin, data=faq, default_department=None)

    copy = GarbageItem.objects.get(department=other_department)
    assert copy.note == "回収ボックスへ" and copy.category.name == "有害ごみ"
    assert copy.category.translations == {"en": {"name": "Hazardous garbage"}}
    assert copy.translations == {
        "en": {"name": "Battery", "note": "Collection box"},
        "ko": {"name": "건전지"},
    }
    entry = FaqEntry.objects.get()
    assert entry.department == department
    assert entry.translations == {"vi": {"question": "Giấy cư trú?", "answer": "Tại quầy."}}


def test_a_translation_a_spreadsheet_would_run_as_a_formula_is_exported_escaped_and_read_back(
    department, other_department, system_admin
):
    """issue 21: staff-written versions are escaped in the export like every CSV export (a cell
    starting with = is text in Excel), and importing the file again keeps the words as written."""
    GarbageItemFactory(
        department=department,
        name="乾電池",
        category=GarbageCategoryFactory(department=department, name="有害ごみ"),
        translations={"en": {"name": "Battery", "note": '=HYPERLINK("http://evil.example","info")'}},
    )

    garbage = exports.garbage_csv(GarbageItem.objects.all())

    assert '"\'=HYPERLINK(""http://evil.example"",""info"")"' in garbage.decode("utf-8-sig")
    services.garbage_import(actor=system_admin, department=other_department, data=garbage)
    copy = GarbageItem.objects.get(department=other_department)
    assert copy.translations["en"]["note"] == '=HYPERLINK("http://evil.example","info")'


def test_the_import_preview_names_the_language_columns_and_their_changes(department, staff_user):
    """issue 21: staff see which column is which language, and a version that changes."""
    GarbageItemFactory(
        department=department,
        name="乾電池",
        category=GarbageCategoryFactory(department=department, name="有害ごみ"),
        translations={"en": {"name": "Battery"}},
    )
    upload = services.knowledge_import_upload(
        actor=staff_user,
        department=department,
        kind="garbage",
        filename="g.csv",
        content="品目,分別区分,English\n乾電池,有害ごみ,Dry cell battery\n".encode(),
    )

    plan = plan_for(upload, actor=staff_user)

    assert ("品目（English）", "English") in plan.columns()
    (changed,) = plan.changed
    assert [(c.label, c.before, c.after) for c in changed.changes] == [
        ("品目（English）", "Battery", "Dry cell battery")
    ]


def test_the_demo_dictionary_answers_english_residents_by_its_english_names(ask):
    """issue 21: the demo city's dictionary has English names for its common items."""
    demo.seed()
    friend("Uen", "en")

    bottle = ask("Uen", "How do I throw away a plastic bottle?")[0]["text"]
    battery = ask("Uen", "battery")[0]

    assert "PET bottle / Plastic bottle" in bottle and "Cans, glass bottles, PET bottles" in bottle
    assert "Rinse lightly" in bottle
    # "battery" is several items in English: offered by their English names.
    assert "1. Battery (dry cell, cylindrical)" in battery["text"]
    assert "Car battery (cars, motorcycles)" in battery["text"]
    assert GarbageItem.objects.exclude(translations={}).count() >= 150


# --- console ------------------------------------------------------------------------------------


def test_staff_write_a_qa_in_english_beside_the_japanese_and_the_list_marks_what_is_missing(
    staff_client, staff_user
):
    """issue 21: the Q&A form has per-language fields; the list marks entries lacking a language."""
    response = staff_client.post(
        reverse("chatbot:faq-create"),
        {
            "question": "犬の登録",
            "answer": "保健所へ",
            "status": "published",
            "question__en": "Registering a dog",
            "answer__en": "At the health centre.",
            "answer__vi": "  ",
        },
    )

    assert response.status_code == 302
    entry = FaqEntry.objects.get()
    assert entry.translations == {"en": {"question": "Registering a dog", "answer": "At the health centre."}}
    page = staff_client.get(reverse("chatbot:faq-list")).content.decode()
    assert "未翻訳" in page  # Chinese, Korean, Vietnamese and やさしい日本語 are still missing
    form = staff_client.get(reverse("chatbot:faq-update", args=[entry.pk])).content.decode()
    assert 'name="answer__en"' in form and "At the health centre." in form


def test_staff_translate_a_garbage_item_and_its_category(staff_client, staff_user):
    """issue 21: an item's name and notes, a category's name and how_to, each per language."""
    item = GarbageItemFactory(department=staff_user.department, name="乾電池", how_to="テープを貼る")
    category = item.category

    staff_client.post(
        reverse("chatbot:garbage-update", args=[item.pk]),
        {
            "name": "乾電池",
            "category_name": category.name,
            "how_to": "テープを貼る",
            "status": "published",
            "name__en": "Battery",
            "how_to__en": "Tape the terminals.",
        },
    )
    staff_client.post(
        reverse("chatbot:garbage-category-update", args=[category.pk]),
        {"how_to": "袋に入れる", "name__en": "Burnable garbage", "how_to__en": "Put it in a bag."},
    )

    item.refresh_from_db()
    category.refresh_from_db()
    assert item.translations == {"en": {"name": "Battery", "how_to": "Tape the terminals."}}
    assert category.how_to == "袋に入れる" and category.name == "燃やせるごみ"
    assert category.translations == {"en": {"name": "Burnable garbage", "how_to": "Put it in a bag."}}


def test_staff_export_their_dictionary_with_every_language_and_nothing_of_others(
    staff_client, staff_user, other_department
):
    """issue 21: the CSV export carries 品目_en…; another department's items are not in it."""
    GarbageItemFactory(
        department=staff_user.department, name="乾電池", translations={"vi": {"name": "Pin khô"}}
    )
    GarbageItemFactory(department=other_department, name="他課の品目")

    response = staff_client.get(reverse("chatbot:garbage-export"))

    text = b"".join(response.streaming_content).decode("utf-8-sig")
    header, row = text.splitlines()[:2]
    assert response["Content-Type"].startswith("text/csv")
    assert header.startswith("品目,よみがな,分別区分,注意点,備考,手数料,") and "品目_vi" in header
    assert row.startswith("乾電池,") and "Pin khô" in row and "他課の品目" not in text


def test_an_english_friend_not_understood_reaches_staff_by_the_conversations_postback(dictionary, ask):
    """issue 21: 「職員と話したい」 typed in English would match no Japanese pattern: the chip asks
    the conversations feature directly, and it answers with its topics."""
    friend("Uen", "en")

    message = ask("Uen", "xylophone lessons for adults")[0]
    chip = message["quickReply"]["items"][-1]["action"]

    assert chip["type"] == "postback" and chip["data"] == "feature=conversations&action=start"
    with speaking("en"):
        assert chip["displayText"] == gettext("職員と話したい")
    answer = ask("Uen", postback_event("Uen", chip["data"]))
    assert answer  # the conversations feature took it (its topic menu)


def test_the_import_garbage_command_reads_a_multilingual_dictionary(department, tmp_path):
    """issue 21: same command, same options; the English column is named in the preview and kept."""
    path = tmp_path / "gomi.csv"
    path.write_text("品目,分別区分,English,Tiếng Việt\n乾電池,有害ごみ,Battery,Pin\n", encoding="utf-8")
    out = io.StringIO()

    call_command("import_garbage", str(path), "--department", department.code, "--dry-run", stdout=out)
    call_command("import_garbage", str(path), "--department", department.code, stdout=io.StringIO())

    assert "品目（English）←English" in out.getvalue() and "品目（Tiếng Việt）←Tiếng Việt" in out.getvalue()
    assert GarbageItem.objects.get().translations == {"en": {"name": "Battery"}, "vi": {"name": "Pin"}}


def test_an_english_friend_browses_the_scenario_tree_in_english(department, ask):
    """issue 21: the buttons of 「分野から探す」 and their answers in English where written."""
    friend("Uen", "en")
    garbage = ScenarioNodeFactory(
        department=department, label="ごみ", translations={"en": {"label": "Garbage"}}
    )
    ScenarioNodeFactory(
        department=department,
        parent=garbage,
        label="収集日",
        answer="地区ごとに決まっています。",
        translations={"en": {"label": "Collection days"}},
    )

    top = ask("Uen", postback_event("Uen", "feature=chatbot&action=scenario"))[0]
    (button,) = [item["action"] for item in top["quickReply"]["items"]]
    days = ask("Uen", postback_event("Uen", button["data"]))[0]
    (day_button,) = [item["action"] for item in days["quickReply"]["items"]]
    answer = ask("Uen", postback_event("Uen", day_button["data"]))[0]

    assert button["label"] == "Garbage" and day_button["label"] == "Collection days"
    assert "Garbage" in days["text"]
    assert answer["text"] == f"{japanese_only('en')}\n地区ごとに決まっています。"


def test_japanese_questions_rank_as_before_whatever_the_translations(dictionary):
    """issue 21: a Japanese reader's question, and a question in kana from anyone, ranks exactly as
    the Japanese index ranks it: translations change nothing there."""
    for question in ("ぺっとぼとる", "乾電池の捨て方", "フライパン", "すぷれーかん"):
        assert multilingual.rank(question, language="ja") == search.rank(question)
        assert multilingual.rank(question, language="en") == search.rank(question)


def test_chatbot_answer_answers_as_a_resident_of_a_language(dictionary):
    """issue 21: staff check what an English reader gets, from the command line."""
    out = io.StringIO()
    saved, sys.stdin = sys.stdin, io.StringIO("where does a battery go?\n")
    try:
        call_command("chatbot_answer", "--jsonl", "--language", "en", stdout=out)
    finally:
        sys.stdin = saved

    (record,) = [json.loads(line) for line in out.getvalue().splitlines()]
    assert record["candidates"][0]["title"] == "乾電池" and record["candidates"][0]["score"] >= 0.8


@pytest.mark.parametrize(
    ("question", "searched"),
    [
        ("where does a battery go?", "battery"),
        ("How can I throw away spray cans?", "spray can"),
        ("Can I put a can out with the bottles?", "can bottle"),
        ("Vứt pin khô ở đâu?", "pin khô"),
        ("건전지는 어떻게 버려요?", "건전지"),
        ("넥타이", "넥타이"),
        ("塑料瓶怎么处理", "塑料瓶"),
        ("乾電池", "乾電池"),
        ("where?", "where?"),
    ],
)
def test_a_question_in_another_language_is_searched_by_its_subject(question, searched):
    """issue 21: the frame of a question ("where does … go?", 어떻게 버려요, 怎么处理) is left out,
    plurals and Korean particles come off; nouns that look like frames or particles stay."""
    assert multilingual.question_text(question) == searched
