"""The demo city's menus: a published two-tab, eleven-tile main menu and a prepared emergency menu."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from civicline.linesim.models import RichMenu as LineRichMenu
from civicline.richmenu import actions, demo, selectors
from civicline.richmenu.actions import ActionType
from civicline.richmenu.models import Menu, MenuEditorGrant
from tests.fixtures.core import DepartmentFactory, StaffFactory
from tests.fixtures.linesim import linesim_db


@linesim_db
def test_demo_seed_publishes_the_main_menu_and_prepares_the_emergency_menu(
    linesim, django_capture_on_commit_callbacks
):
    koho = DepartmentFactory(code="koho", name="広報戦略課")
    DepartmentFactory(code="kikikanri", name="危機管理課")
    StaffFactory(username="koho", department=koho)
    resident = linesim.client.create_user("住民", follow=True)["userId"]

    with django_capture_on_commit_callbacks(execute=True):
        demo.seed()
    with django_capture_on_commit_callbacks(execute=True):
        demo.seed()  # idempotent

    main, emergency = Menu.objects.get(name=demo.MAIN_MENU), Menu.objects.get(name=demo.EMERGENCY_MENU)
    assert [main.versions.count(), emergency.versions.count()] == [1, 1]
    assert sum(tab.tiles.count() for tab in main.tabs.all()) == 11
    assert list(main.tabs.values_list("title", flat=True)) == ["予約・手続き", "暮らし・防災"]
    state = selectors.account_state()
    assert state.default_menu == main and state.emergency_menu is None
    shown = linesim.client.richmenu_for(resident)
    assert shown["richMenuId"] == selectors.live_version(main).japanese_tabs[0].line_rich_menu_id
    prepared = selectors.live_version(emergency).japanese_tabs[0]
    first = LineRichMenu.objects.get(rich_menu_id=prepared.line_rich_menu_id).body["areas"][0]["action"]
    assert first == {"type": "postback", "label": "近くの避難所", "data": "feature=facilities&action=nearest"}
    assert dict(MenuEditorGrant.objects.values_list("department__code", "scope")) == {
        "koho": "edit",
        "kikikanri": "emergency",
    }
    # issue 21: every language has its own words, so each has its own menus (drawn without a label
    # too long for its tile), and a Vietnamese resident reads Vietnamese.
    version = selectors.live_version(main)
    assert version.menu_languages == ["ja", "en", "ja-easy", "ko", "vi", "zh-hans"]
    vietnamese = version.tabs_in("vi")[1]
    areas = LineRichMenu.objects.get(rich_menu_id=vietnamese.line_rich_menu_id).body["areas"]
    assert areas[1]["action"]["label"] == "Nơi sơ tán gần nhất"
    assert selectors.live_version(emergency).menu_languages == ["ja", "en", "ja-easy", "ko", "vi", "zh-hans"]


@pytest.mark.parametrize("language", ["en", "zh-hans", "ko", "vi", "ja-easy"])
def test_every_demo_text_is_written_in_every_language(language):
    """issue 21: tab titles, tile labels, menu bar texts and headings of the demo, in each language."""
    texts = [
        text
        for spec in demo.MENUS.values()
        for text in (
            spec["settings"]["chat_bar_text"],
            spec["settings"].get("heading", ""),
            *(title for title, _layout, _tiles in spec["tabs"]),
            *(tile[0] for _title, _layout, tiles in spec["tabs"] for tile in tiles),
        )
        if text
    ]
    assert [text for text in texts if language not in demo.WORDS.get(text, {})] == []


def test_an_emergency_switch_is_labelled_in_city_time():
    """Issue 17: one audit label showed UTC next to JST times."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from civicline.richmenu.models import EmergencySwitch

    switch = EmergencySwitch(direction="on", started_at=datetime(2026, 12, 5, 15, 30, tzinfo=ZoneInfo("UTC")))

    assert str(switch).endswith("2026-12-06 00:30")


def _tiles() -> list[tuple[str, str, str]]:
    return [
        (label, kind, value)
        for spec in demo.MENUS.values()
        for _title, _layout, tiles in spec["tabs"]
        for label, _icon, _colour, kind, value in tiles
    ]


@pytest.mark.parametrize(("label", "kind", "value"), _tiles(), ids=[t[0] for t in _tiles()])
def test_every_demo_tile_leads_somewhere_real(label, kind, value):
    """No tile opens a placeholder domain (a browser error page in the demo)."""
    actions.check(kind, value)
    if kind == ActionType.URI:
        host = urlsplit(value).hostname or ""
        assert not host.endswith((".example", ".example.jp", ".example.com", "example.jp")), value


def test_a_demo_tile_leaving_line_names_where_it_goes(settings):
    settings.SITE_URL = "http://127.0.0.1:8000"
    external = [(label, value) for label, kind, value in _tiles() if actions.leaves_line(kind, value)]

    assert external == [("気象警報（気象庁）", "https://www.jma.go.jp/bosai/warning/")]


def test_the_demo_menu_leads_to_the_open_surveys():
    assert ("アンケート", ActionType.FEATURE, "surveys/list") in _tiles()
