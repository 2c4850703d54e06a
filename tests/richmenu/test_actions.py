"""What a tile does (RM-6, X-10): city web services, the vaccination account, civicline's features."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from civicline.core.features import MenuAction
from civicline.richmenu import actions
from civicline.richmenu.actions import ActionType


def test_existing_features_offer_their_menu_actions():
    available = actions.feature_actions()
    assert available["facilities/nearest"].action.postback == "feature=facilities&action=nearest"
    assert available["facilities/map"].action.liff_path == "/liff/facilities/"
    assert available["reservations/book"].action.liff_path == "/liff/reservations/"
    assert available["reservations/mine"].action.liff_path == "/liff/reservations/mine"
    assert available["chatbot/guide"].action.postback == "feature=chatbot&action=scenario"
    assert ("facilities/nearest", "施設マップ：近くの避難所") in actions.feature_action_choices()


@pytest.mark.parametrize(
    "uri",
    [
        "https://www.city.example.jp/tetsuzuki/",
        "https://line.me/R/ti/p/@vaccine-city",  # the vaccination LINE account
        "line://ti/p/@vaccine-city",
        "tel:06-6858-2525",
    ],
)
def test_city_links_are_accepted(uri):
    assert actions.check(ActionType.URI, f"  {uri} ") == uri


@pytest.mark.parametrize(
    "uri",
    [
        "javascript:alert(1)",
        "ftp://city.example.jp/",
        "https://",
        "www.city.example.jp",
        "https://a.jp/" + "x" * 1000,
    ],
)
def test_unsafe_or_malformed_links_are_refused(uri):
    with pytest.raises(ValidationError):
        actions.check(ActionType.URI, uri)


def test_each_action_needs_its_value_and_respects_lines_limits():
    with pytest.raises(ValidationError, match="使う機能を選んでください"):
        actions.check(ActionType.FEATURE, "")
    with pytest.raises(ValidationError, match="使えません"):
        actions.check(ActionType.FEATURE, "nothing/here")
    with pytest.raises(ValidationError, match="300文字以内"):
        actions.check(ActionType.MESSAGE, "あ" * 301)
    with pytest.raises(ValidationError, match="動作を選んでください"):
        actions.check("camera", "x")
    assert actions.check(ActionType.POSTBACK, "feature=x&action=y") == "feature=x&action=y"


def test_line_actions_for_each_kind(settings):
    settings.LIFF_ID = "1650000001-abc"
    assert actions.line_action(ActionType.FEATURE, "reservations/book", "窓口予約") == {
        "type": "uri",
        "label": "窓口予約",
        "uri": "https://liff.line.me/1650000001-abc/reservations/",
    }
    assert (
        actions.line_action(ActionType.FEATURE, "facilities/nearest", "近くの\n避難所")["label"]
        == "近くの 避難所"
    )
    assert actions.line_action(ActionType.MESSAGE, "ごみの分別", "ごみ") == {
        "type": "message",
        "label": "ごみ",
        "text": "ごみの分別",
    }
    long_label = actions.line_action(ActionType.URI, "https://a.jp/", "あ" * 30)["label"]
    assert len(long_label) == actions.MAX_ACTION_LABEL


def test_without_a_liff_app_resident_pages_open_on_the_site(settings):
    settings.LIFF_ID, settings.SITE_URL = "", "https://line.city.example.jp"
    assert actions.liff_url("/liff/facilities/") == "https://line.city.example.jp/liff/facilities/"


def test_tab_switch_postback_is_the_richmenu_features():
    action = actions.tab_switch(alias_id="cl-m1-t2", tab_index=1, label="暮らし・防災")
    assert action == {
        "type": "richmenuswitch",
        "label": "暮らし・防災",
        "richMenuAliasId": "cl-m1-t2",
        "data": "feature=richmenu&action=tab&tab=2",
    }


def test_a_menu_action_names_one_target():
    action = MenuAction("settings", "受信設定", liff_path="/liff/delivery/settings/", icon="settings")
    assert (action.uri, action.postback) == ("", "")


@pytest.mark.parametrize(
    ("action_type", "value", "external"),
    [
        (ActionType.URI, "https://www.jma.go.jp/bosai/warning/", True),
        (ActionType.URI, "http://city.example.org/page", True),
        (ActionType.URI, "https://line.city.example.jp/liff/reports/", False),  # the city's own pages
        (ActionType.URI, "https://liff.line.me/1650000001-abc/surveys/", False),
        (ActionType.URI, "https://line.me/R/ti/p/@midori-vaccine", False),  # another account, in LINE
        (ActionType.URI, "tel:0612345678", False),
        (ActionType.FEATURE, "surveys/list", False),
        (ActionType.MESSAGE, "https://www.jma.go.jp/", False),
    ],
)
def test_a_tile_that_leaves_line_for_another_site_is_known(settings, action_type, value, external):
    settings.SITE_URL = "https://line.city.example.jp"

    assert actions.leaves_line(action_type, value) is external


def test_a_tile_leaving_line_says_so_to_screen_readers(settings):
    settings.SITE_URL = "https://line.city.example.jp"

    assert actions.line_action(ActionType.URI, "https://www.jma.go.jp/", "気象警報")["label"] == (
        "気象警報（外部サイト）"
    )
    assert actions.line_action(ActionType.URI, "https://line.city.example.jp/x", "案内")["label"] == "案内"
    # A label the note would cut keeps its words (issue 21: English labels are longer).
    assert actions.line_action(ActionType.URI, "https://www.jma.go.jp/", "Weather warnings")["label"] == (
        "Weather warnings"
    )
