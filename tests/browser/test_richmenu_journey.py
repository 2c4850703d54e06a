"""Rich menus end to end (issue 4 part 1: RM-1…RM-6, X-10, X-11).

Staff build a nine-tile menu with two tabs in the console, preview it on their test device's phone,
publish it; a resident taps across the tabs and uses its tiles; staff switch the prepared emergency
menu on and every resident's phone shows it (also a resident whose own tab link would win), then back.
"""

from __future__ import annotations

import re

import pytest

from civicline.line.models import Friend
from civicline.richmenu import demo, selectors, services
from civicline.richmenu.models import Menu, MenuEditorGrant
from tests.fixtures.line import PreviewRecipientFactory
from tests.fixtures.linesim import linesim_db
from tests.richmenu.factories import editor, emergency_menu, nine_tile_menu

TAB_A = [
    ("窓口予約", "calendar", "#1565c0", "feature", "reservations/book"),
    ("予約の確認", "checklist", "#00796b", "feature", "reservations/mine"),
    ("手続きガイド", "book", "#3949ab", "uri", "https://www.city.example.jp/tetsuzuki/"),
    ("電子申請", "application", "#6a1b9a", "uri", "https://apply.city.example.jp/"),
    ("ワクチン接種", "syringe", "#c2185b", "uri", "https://line.me/R/ti/p/@city-vaccine"),
    ("よくある質問", "question", "#455a64", "feature", "chatbot/guide"),
]
TAB_B = [
    ("近くの避難所", "shelter", "#c62828", "feature", "facilities/nearest"),
    ("施設マップ", "map", "#2e7d32", "feature", "facilities/map"),
    ("ごみの出し方", "trash", "#ef6c00", "message", "ごみの出し方"),
]


@pytest.fixture
def liff_site(liff, live_server):
    # The phone frames LIFF pages on 127.0.0.1 like the emulator, so the session cookie is first-party.
    liff.register(live_server.url.replace("://localhost:", "://127.0.0.1:") + "/liff/")
    return liff


@pytest.fixture
def koho():
    return editor(username="koho", display_name="広報 みどり")


def befriend(resident) -> None:
    """Follow the account and wait for the greeting: civicline has then recorded the Friend."""
    resident.follow()
    resident.wait_for_bot_text("友だち追加ありがとうございます")


def accept_dialogs(page) -> None:
    page.on("dialog", lambda dialog: dialog.accept())


def choose_layout(page, label: str) -> None:
    page.locator("#layouts label").filter(has_text=label).click()


def fill_tiles(page, tiles) -> None:
    for index, (label, icon, colour, kind, value) in enumerate(tiles):
        prefix = f"tile{index}-"
        page.select_option(f"select[name={prefix}action_type]", kind)
        if kind == "feature":
            page.select_option(f"select[name={prefix}action_feature]", value)
        elif kind == "uri":
            page.fill(f"input[name={prefix}action_uri]", value)
        else:
            page.fill(f"input[name={prefix}action_text]", value)
        page.fill(f"textarea[name={prefix}label]", label)
        page.select_option(f"select[name={prefix}icon]", icon)
        page.eval_on_selector(
            f"input[name={prefix}colour]",
            "(el, v) => { el.value = v; el.dispatchEvent(new Event('input', {bubbles: true})); }",
            colour,
        )


def wait_for_menu(resident, rich_menu_id: str, timeout: float = 15_000) -> None:
    resident.page.wait_for_function(
        "id => { const b = document.querySelector('.richmenu-board'); return b && b.dataset.menuId === id; }",
        arg=rich_menu_id,
        timeout=timeout,
    )
    resident.open_rich_menu()
    resident.page.locator(".richmenu-board img").evaluate("img => img.decode()")


def live_ids(menu: Menu) -> list[str]:
    return [tab.line_rich_menu_id for tab in selectors.live_version(menu).japanese_tabs]


@linesim_db
def test_staff_build_preview_and_publish_a_nine_tile_menu_and_a_resident_taps_across_tabs(
    liff_site, linesim, phone, staff_browser, shot, koho
):
    device = phone("広報 テスト端末")
    befriend(device)
    PreviewRecipientFactory(
        department=koho.department,
        friend=Friend.objects.get(user_id=device.user_id),
        label="広報課の共用iPhone",
        owner=koho,
    )
    hanako = phone("豊中 はなこ")
    befriend(hanako)

    page = staff_browser(koho)
    accept_dialogs(page)
    page.goto(page.url + "richmenu/new/")
    page.fill("input[name=name]", "通常メニュー")
    page.fill("input[name=first_tab]", "予約・手続き")
    page.click("#main button.btn-primary[type=submit]")
    page.wait_for_url(re.compile(r"/tabs/0/$"))

    # Tab A: six tiles in the 2×3 layout; the live preview follows the form.
    choose_layout(page, "6分割（2段×3列）")
    fill_tiles(page, TAB_A)
    assert page.locator("#board .rm-cell").count() == 6
    assert page.locator("#board .rm-strip-tab").count() == 0
    shot(page, "editor-tab-a")
    page.click("#save-tab")
    page.get_by_text("タブ「予約・手続き」を保存しました。").wait_for()

    # Tab B: more than six items in all, so a second tab (RM-3).
    page.click("#add-tab")
    page.fill("input[name=title]", "暮らし・防災")
    page.click("#main button.btn-primary[type=submit]")
    choose_layout(page, "3分割（上に大1＋下に2）")
    fill_tiles(page, TAB_B)
    assert page.locator("#board .rm-cell").count() == 3
    assert page.locator("#board .rm-strip-tab").all_inner_texts() == ["予約・手続き", "暮らし・防災"]
    shot(page, "editor-tab-b")
    page.click("#save-tab")
    page.get_by_text("タブ「暮らし・防災」を保存しました。").wait_for()
    for image in page.locator("#draft img").all():
        image.evaluate("img => img.decode()")
    shot(page, "menu-detail-draft")
    menu = Menu.objects.get(name="通常メニュー")
    assert sum(tab.tiles.count() for tab in menu.tabs.all()) == 9

    # Preview on the test device only.
    page.select_option("select[name=recipient]", label="広報課の共用iPhone")
    page.click("#preview-button")
    page.get_by_text("テスト端末「広報課の共用iPhone」にだけ").wait_for()
    preview = menu.previews.get(is_active=True)
    wait_for_menu(device, preview.line_rich_menu_ids[0])
    shot(device.page, "test-device-preview-tab-a", full_page=False)
    device.tap_menu_area(0)  # the strip's 「暮らし・防災」
    wait_for_menu(device, preview.line_rich_menu_ids[1])
    shot(device.page, "test-device-preview-tab-b", full_page=False)
    hanako.page.wait_for_timeout(1500)
    assert hanako.page.locator(".richmenu-board").count() == 0  # residents see nothing of the draft

    # Publish (RM-2).
    page.click("#publish-button")
    page.get_by_text("第1版を公開しました").wait_for()
    shot(page, "menu-published")
    tab_a, tab_b = live_ids(menu)

    # The resident: tab A, over to tab B, use a tile, back to tab A, open a LIFF page.
    wait_for_menu(hanako, tab_a)
    shot(hanako.page, "resident-tab-a", full_page=False)
    hanako.tap_menu_area(0)
    wait_for_menu(hanako, tab_b)
    shot(hanako.page, "resident-tab-b", full_page=False)
    hanako.tap_menu_area(1)  # 近くの避難所
    hanako.wait_for_bot_text("現在地を送ってください")
    assert hanako.quick_reply_labels() == ["位置情報を送る", "地図で探す"]
    hanako.open_rich_menu()
    hanako.tap_menu_area(0)  # the strip's 「予約・手続き」
    wait_for_menu(hanako, tab_a)
    answers = hanako.bot_message_count()
    hanako.tap_menu_area(1 + 5)  # よくある質問 (after the strip's one switch area): the chatbot answers
    hanako.wait_for_bot_messages(answers + 1)
    hanako.open_rich_menu()
    hanako.tap_menu_area(0)
    wait_for_menu(hanako, tab_b)
    hanako.tap_menu_area(2)  # 施設マップ, a LIFF page inside LINE
    frame = hanako.liff_frame()
    assert "/liff/facilities/" in frame.url
    shot(hanako.page, "resident-opened-map-from-menu", full_page=False)
    hanako.close_liff()
    wait_for_menu(device, tab_a)  # the preview is gone: the test device shows what everyone sees


@linesim_db
def test_staff_switch_the_emergency_menu_on_and_every_residents_phone_shows_it(
    linesim, phone, staff_browser, shot, koho
):
    crisis = editor(
        code="kikikanri", name="危機管理課", scope=MenuEditorGrant.Scope.EMERGENCY, display_name="危機 三郎"
    )
    main, emergency = nine_tile_menu(name="通常メニュー"), emergency_menu()
    services.menu_publish(actor=koho, menu=main)
    services.menu_publish(actor=koho, menu=emergency)
    tab_a, tab_b = live_ids(main)
    [emergency_id] = live_ids(emergency)
    residents = [phone(name) for name in ("豊中 はなこ", "千里 けんた", "庄内 さち")]
    for resident in residents:
        befriend(resident)
        wait_for_menu(resident, tab_a)
    residents[1].tap_menu_area(0)  # けんた looks at tab B: a per-user link that wins over the default
    wait_for_menu(residents[1], tab_b)

    page = staff_browser(crisis)
    accept_dialogs(page)
    page.goto(page.url + "richmenu/emergency/")
    shot(page, "emergency-before")
    page.click(f"[data-switch-on='{emergency.pk}']")
    page.get_by_text("緊急メニューを表示中").first.wait_for()
    page.locator("#switch-table tbody tr").first.get_by_text("完了").wait_for()
    duration = page.locator("#switch-table tbody tr .rm-duration").first.inner_text()
    assert re.fullmatch(r"\d+\.\d秒", duration)
    shot(page, "emergency-switched-on")

    for resident in residents:
        wait_for_menu(resident, emergency_id)
        shot(resident.page, f"emergency-on-{resident.display_name}", full_page=False)
    residents[0].tap_menu_area(0)  # the emergency menu's first tile: 近くの避難所
    residents[0].wait_for_bot_text("現在地を送ってください")

    page.click("#switch-off-button")
    page.get_by_text("通常メニューを表示中").first.wait_for()
    page.locator("#switch-table tbody tr").first.get_by_text("完了").wait_for()
    shot(page, "emergency-switched-off")
    for resident in residents:
        wait_for_menu(resident, tab_a)
    shot(residents[1].page, "back-to-normal", full_page=False)
    switches = page.locator("#switch-table tbody tr").all_inner_texts()
    assert "通常メニューに戻す" in switches[0] and "緊急メニューに切替" in switches[1]


def publish_demo_menus() -> tuple[Menu, Menu]:
    """The demo city's menus, written in all six languages, published by 広報 (the ``koho`` editor)."""
    demo.seed()  # published on commit by the worker (run in-process here)
    return Menu.objects.get(name=demo.MAIN_MENU), Menu.objects.get(name=demo.EMERGENCY_MENU)


def tile_labels(resident) -> list[str]:
    return resident.page.locator("[data-testid=menu-area]").evaluate_all(
        "areas => areas.map(a => a.getAttribute('aria-label'))"
    )


@linesim_db
def test_english_and_vietnamese_followers_see_the_menu_in_their_language(
    liff_site, linesim, phone, shot, koho
):
    """issue 21: a follower whose LINE app is in English, and one in Vietnamese, each get the menu in
    their language (picture, tabs, screen-reader labels, menu bar); a Japanese one the Japanese."""
    main, _emergency = publish_demo_menus()
    version = selectors.live_version(main)
    emma, lan, hanako = (
        phone("Emma Clark", language="en"),
        phone("Nguyễn Thị Lan", language="vi"),
        phone("豊中 はなこ"),
    )
    for resident in (emma, lan, hanako):
        resident.follow()

    wait_for_menu(emma, version.tabs_in("en")[0].line_rich_menu_id)
    assert emma.page.locator(".chat-bar-text").inner_text() == "Menu"
    assert tile_labels(emma)[:3] == ["Living", "Book a counter", "My bookings"]
    shot(emma.page, "english-menu", full_page=False)
    emma.tap_menu_area(0)  # the strip's 「Living」 tab
    wait_for_menu(emma, version.tabs_in("en")[1].line_rich_menu_id)
    assert tile_labels(emma)[1] == "Nearest shelter"
    shot(emma.page, "english-menu-living", full_page=False)

    wait_for_menu(lan, version.tabs_in("vi")[0].line_rich_menu_id)
    assert tile_labels(lan)[:2] == ["Đời sống", "Đặt lịch tại quầy"]
    shot(lan.page, "vietnamese-menu", full_page=False)

    wait_for_menu(hanako, version.japanese_tabs[0].line_rich_menu_id)
    assert tile_labels(hanako)[1] == "窓口予約"
    shot(hanako.page, "japanese-menu", full_page=False)


@linesim_db
def test_the_emergency_menu_reaches_an_english_resident_in_english(liff_site, linesim, phone, shot, koho):
    """issue 21, RM-4: switched on, the English reader sees the English emergency menu; back, the
    English normal menu."""
    main, emergency = publish_demo_menus()
    emma = phone("Emma Clark", language="en")
    emma.follow()
    wait_for_menu(emma, selectors.live_version(main).tabs_in("en")[0].line_rich_menu_id)

    services.emergency_switch_start(actor=koho, direction="on", menu_id=emergency.pk)

    wait_for_menu(emma, selectors.live_version(emergency).tabs_in("en")[0].line_rich_menu_id)
    assert emma.page.locator(".chat-bar-text").inner_text() == "Emergency"
    assert tile_labels(emma)[0] == "Nearest shelter"
    shot(emma.page, "english-emergency-menu", full_page=False)

    services.emergency_switch_start(actor=koho, direction="off")

    wait_for_menu(emma, selectors.live_version(main).tabs_in("en")[0].line_rich_menu_id)
