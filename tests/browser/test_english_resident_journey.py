"""A resident whose LINE app is in English follows the city, gets the English greeting and the English
rich menu, books a counter in English from that menu and gets the confirmation in English (issue 21,
"Done when").

What staff wrote in English (the service, the counter, the question, the menu's tiles) is seeded here;
the interface strings come from the English catalogue, read through gettext so that a string still
untranslated there is named at the end rather than passing silently.
"""

from __future__ import annotations

import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext

from civicline.line import handlers
from civicline.line.models import Friend
from civicline.reservations.models import Booking
from civicline.richmenu import services as richmenu_services
from civicline.richmenu.actions import ActionType
from civicline.richmenu.models import MenuTab, MenuTile
from tests.browser.test_richmenu_journey import wait_for_menu
from tests.fixtures.linesim import linesim_db
from tests.reservations.factories import ServiceFactory, answers_of
from tests.richmenu.factories import build_menu, editor

QUESTIONS = [
    {
        "label": "お子さんの年齢",
        "type": "single",
        "required": True,
        "choices": ["0歳", "1〜2歳", "3〜5歳"],
        "translations": {"en": {"label": "Your child's age", "choices": ["Under 1", "1 to 2", "3 to 5"]}},
    },
]
# How Django's English date format starts a date ("Feb. 25, 2026").
ENGLISH_MONTHS = {
    "Jan.",
    "Feb.",
    "March",
    "April",
    "May",
    "June",
    "July",
    "Aug.",
    "Sept.",
    "Oct.",
    "Nov.",
    "Dec.",
}
# The menu's tiles: (Japanese label, English label, icon, action type, action).
TILES = [
    ("窓口予約", "Book a counter", "calendar", ActionType.FEATURE, "reservations/book"),
    ("予約の確認", "My bookings", "checklist", ActionType.FEATURE, "reservations/mine"),
    ("手続きガイド", "Procedures", "book", ActionType.URI, "https://www.city.example.jp/tetsuzuki/"),
    ("電子申請", "Apply online", "application", ActionType.URI, "https://apply.city.example.jp/"),
    ("ごみの出し方", "Garbage", "trash", ActionType.MESSAGE, "ごみの出し方"),
    ("よくある質問", "FAQ", "question", ActionType.FEATURE, "chatbot/guide"),
]


@pytest.fixture
def liff_site(liff, live_server):
    # The phone frames LIFF pages on 127.0.0.1 like the emulator, so the session cookie is first-party.
    liff.register(live_server.url.replace("://localhost:", "://127.0.0.1:") + "/liff/")
    return liff


class English:
    """Interface strings as the English catalogue gives them; remembers those it does not translate."""

    def __init__(self) -> None:
        self.untranslated: list[str] = []

    def __call__(self, msgid: str) -> str:
        with translation.override("en"):
            text = gettext(msgid)
        if text == msgid:
            self.untranslated.append(msgid)
        return text

    def of(self, build, msgid: str) -> str:
        """A string built by code (e.g. the greeting), checked against its Japanese msgid."""
        with translation.override("en"):
            text = str(build())
        if text == msgid:
            self.untranslated.append(msgid)
        return text


def english_menu(staff):
    """The city's published menu, its tab, tiles and chat bar written in English too."""
    menu = build_menu(
        tabs=(("予約・手続き", "large-6"),),
        tiles={0: [(ja, icon, kind, value) for ja, _en, icon, kind, value in TILES]},
        name="通常メニュー",
        chat_bar_text="メニュー",
        translations={"en": {"chat_bar_text": "Menu"}},
    )
    MenuTab.objects.filter(menu=menu).update(translations={"en": {"title": "Services"}})
    english_labels = {ja: en for ja, en, *_rest in TILES}
    for tile in MenuTile.objects.filter(tab__menu=menu):
        tile.translations = {"en": {"label": english_labels[tile.label]}}
        tile.save(update_fields=["translations"])
    return richmenu_services.menu_publish(actor=staff, menu=menu)


@linesim_db
def test_an_english_resident_follows_books_a_counter_in_english_and_is_confirmed_in_english(
    liff_site,
    linesim,
    phone,
    department,
    shot,
):
    english = English()
    ServiceFactory(
        counter__department=department,
        counter__name="子育て相談窓口",
        counter__category="子育て",
        counter__place="市役所第二庁舎 2階",
        counter__translations={
            "en": {"name": "Parenting Desk", "category": "Childcare", "place": "City Hall Annex 2F"}
        },
        name="子育て相談",
        description="1回60分の個別相談です。",
        translations={
            "en": {"name": "Parenting consultation", "description": "A one-to-one talk of 60 minutes."}
        },
        seats_per_slot=2,
        questions=QUESTIONS,
    )
    version = english_menu(editor(username="koho", display_name="広報 みどり"))
    (english_tab,) = version.tabs_in("en")

    # Follow: the greeting and the menu in English.
    anna = phone("Anna Lee", language="en")
    anna.follow()
    greeting_ja = handlers.greeting(None)
    greeting = english.of(lambda: handlers.greeting(None), greeting_ja)
    anna.wait_for_bot_text(greeting[:40])
    assert Friend.objects.get(user_id=anna.user_id).resident_language == "en"
    wait_for_menu(anna, english_tab.line_rich_menu_id)
    assert anna.page.locator(".chat-bar-text").inner_text() == "Menu"
    tile = anna.page.locator("[data-testid=menu-area][data-index='0']")
    assert tile.get_attribute("aria-label") == "Book a counter"
    shot(anna.page, "english-menu", full_page=False)

    # Book from the menu: the list, the calendar, a time, the form — all in English.
    anna.tap_menu_area(0)
    frame = anna.liff_frame()
    frame.wait_for_selector("a.rs-item:has-text('Parenting consultation')", timeout=15_000)
    main = frame.inner_text("main")
    assert english("窓口の予約") in frame.inner_text("h1")
    assert "Childcare" in main and "Parenting Desk" in main and "子育て相談" not in main
    shot(anna.page, "english-services")
    frame.click("a.rs-item:has-text('Parenting consultation')")
    frame.wait_for_selector("a.rs-day-free")
    main = frame.inner_text("main")
    assert "A one-to-one talk of 60 minutes." in main and english("日にちを選んでください") in main
    assert frame.inner_text("table.rs-calendar th.sun") == "Sun"
    shot(anna.page, "english-calendar")
    frame.click("a.rs-day-free >> nth=0")
    frame.wait_for_selector("a.rs-slot")
    assert english("時間を選んでください") in frame.inner_text("main")
    frame.click("a.rs-slot >> nth=0")

    frame.wait_for_selector("#id_name")
    when = frame.inner_text("#rs-when")
    assert "年" not in when and when.split()[0] in ENGLISH_MONTHS
    main = frame.inner_text("main")
    assert "Your child's age" in main and "1 to 2" in main and "お子さんの年齢" not in main
    assert english("お名前") in main and english("電話番号またはメールアドレス") in main
    frame.fill("#id_name", "Anna Lee")
    frame.fill("#id_contact", "090-1234-5678")
    frame.check("input[name=q1][value='1〜2歳']")  # labelled "1 to 2"; the Japanese choice is kept
    shot(anna.page, "english-form")
    frame.click("button[type=submit]")
    frame.wait_for_selector("#rs-book")
    main = frame.inner_text("main")
    assert "1 to 2" in main and "Parenting consultation" in main
    assert english("予約内容の確認") in frame.inner_text("h1")
    assert english("予約する") == frame.inner_text("#rs-book").strip()
    shot(anna.page, "english-confirm")
    frame.click("#rs-book")
    frame.wait_for_selector("#rs-receipt")
    receipt = frame.inner_text("#rs-receipt").strip()
    assert english("予約が完了しました") in frame.inner_text("h1")
    shot(anna.page, "english-done")
    booking = Booking.objects.get(receipt_number=receipt)
    assert answers_of(booking)["q1"] == "1〜2歳"
    anna.close_liff()

    # The confirmation in the talk: the Flex card in English.
    anna.wait_for_bot_text(english("予約を受け付けました"))
    card = anna.newest_bot_row().inner_text()
    local = timezone.localtime(booking.starts_at)
    assert receipt in card and "Parenting consultation" in card and "Parenting Desk" in card
    assert f"{local:%H:%M}" in card and "年" not in card and "子育て相談" not in card
    assert english("受付番号") in card and english("予約を取り消す") in card
    shot(anna.page, "english-confirmation", full_page=False)

    assert not english.untranslated, f"still Japanese in the English catalogue: {english.untranslated}"
