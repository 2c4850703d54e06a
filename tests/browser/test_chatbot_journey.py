"""A resident asks the chatbot on the emulator's phone; staff turn the unknown question into a Q&A
(issue 9: CB-1, CB-2, CB-4, CB-5, CB-6). A question near no department's entries is the system
administrator's to triage (issue 16: the learning loop is scoped)."""

from __future__ import annotations

from django.utils import translation

from civicline.chatbot import demo
from civicline.chatbot.multilingual import japanese_only
from civicline.core.models import Department
from tests.chatbot.factories import GarbageCategoryFactory, GarbageItemFactory
from tests.fixtures.core import SystemAdminFactory
from tests.fixtures.linesim import linesim_db

UNKNOWN = "飼い犬の登録はどうすればいいですか"


@linesim_db
def test_resident_asks_garbage_and_faq_and_staff_teach_the_unknown_question(
    phone, staff_browser, live_server, shot
):
    demo.seed()
    admin = SystemAdminFactory()
    kankyo = Department.objects.get(code="kankyo")
    hanako = phone("高松 花子")
    hanako.follow()

    # A garbage question typed in hiragana gets its category and how to put it out.
    hanako.type_text("ぺっとぼとる")
    hanako.wait_for_bot_text("【缶・びん・ペットボトル】")
    shot(hanako.page, "garbage-answer")
    hanako.tap_quick_reply("解決した")
    hanako.wait_for_bot_text("ご利用ありがとうございました")

    # An FAQ in other words: candidates as quick replies; the tapped one answers.
    hanako.type_text("コンビニで住民票って出せますか")
    hanako.wait_for_bot_text("お探しの内容は次のどれですか")
    assert any(label.startswith("住民票をコンビニで") for label in hanako.quick_reply_labels())
    shot(hanako.page, "faq-candidates")
    label = next(label for label in hanako.quick_reply_labels() if label.startswith("住民票をコンビニで"))
    hanako.tap_quick_reply(label)
    hanako.wait_for_bot_text("マルチコピー機")

    # Something nobody registered yet.
    hanako.type_text(UNKNOWN)
    hanako.wait_for_bot_text("分かりませんでした")
    shot(hanako.page, "not-understood")

    # The administrator finds it among the unanswered questions and adds it as 環境政策課's Q&A.
    console = staff_browser(admin)
    console.goto(f"{live_server.url}/console/chatbot/insights/")
    row = console.locator("#unanswered tr").filter(has_text=UNKNOWN)
    row.get_by_role("link", name="Q&Aとして登録").click()
    console.select_option("select[name=department]", value=str(kankyo.pk))
    console.fill("textarea[name=answer]", "環境政策課で登録します。狂犬病予防注射済票と一緒に交付します。")
    shot(console, "adopt-form")
    console.get_by_role("button", name="保存").click()
    console.get_by_text("Q&Aとして登録しました").wait_for()
    shot(console, "insights-after")

    # The same question now gets that answer.
    hanako.type_text(UNKNOWN)
    hanako.wait_for_bot_text("狂犬病予防注射済票")
    shot(hanako.page, "learned-answer")


@linesim_db
def test_an_english_resident_asks_where_a_battery_goes_and_gets_the_english_answer(phone, shot):
    """issue 21: a resident whose LINE is in English asks in English on the phone page; the item is
    found by its English name and answered in English, a Japanese-only note marked as such."""
    kankyo = Department.objects.create(code="kankyo-en", name="環境政策課")
    hazardous = GarbageCategoryFactory(
        department=kankyo,
        name="有害ごみ",
        how_to="透明の袋に入れて破砕ごみの日に出してください。",
        translations={
            "en": {"name": "Hazardous garbage", "how_to": "Put it in a clear bag on crushable-garbage day."}
        },
    )
    GarbageItemFactory(
        department=kankyo,
        name="乾電池",
        category=hazardous,
        how_to="端子にセロハンテープを貼ってください。",
        note="回収ボックスにも出せます。",
        translations={"en": {"name": "Battery (dry cell)", "how_to": "Put tape over the terminals."}},
    )
    GarbageItemFactory(department=kankyo, name="ペットボトル", category=hazardous)
    anna = phone("Anna Lee", language="en")
    anna.follow()

    anna.type_text("where does a battery go?")

    anna.wait_for_bot_text("Battery (dry cell)")
    anna.wait_for_bot_text("Hazardous garbage")
    anna.wait_for_bot_text("Put it in a clear bag on crushable-garbage day.")
    anna.wait_for_bot_text("Put tape over the terminals.")
    with translation.override("en"):
        marked = f"回収ボックスにも出せます。 {japanese_only()}"
    anna.wait_for_bot_text(marked)
    shot(anna.page, "english-garbage-answer")
