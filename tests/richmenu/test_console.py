"""Console pages (RM-2, RM-5, X-2, X-8): staff look, granted staff edit, downloads for designers,
and refusals for everyone else; submitted text is escaped everywhere."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from civicline.core.models import AuditEntry
from civicline.richmenu.actions import ActionType
from civicline.richmenu.models import Menu, MenuEditorGrant, MenuTab
from tests.fixtures.core import StaffFactory

from .factories import build_menu, editor

pytestmark = pytest.mark.django_db
XSS = '<img src=x onerror="alert(1)">'


@pytest.fixture
def koho_client(console_client):
    return console_client(editor(username="koho"))


@pytest.fixture
def plain_client(console_client):
    return console_client(StaffFactory(username="shimin"))


def tile_post(count: int, **overrides) -> dict[str, str]:
    data = {}
    for i in range(6):
        data.update(
            {
                f"tile{i}-label": f"項目{i + 1}" if i < count else "",
                f"tile{i}-icon": "calendar",
                f"tile{i}-colour": "#1565c0",
                f"tile{i}-action_type": ActionType.URI,
                f"tile{i}-action_uri": f"https://www.city.example.jp/{i}" if i < count else "",
                f"tile{i}-action_feature": "",
                f"tile{i}-action_text": "",
            }
        )
    data.update(overrides)
    return data


def test_staff_create_a_menu_and_fill_its_first_tab(koho_client):
    response = koho_client.post(
        "/console/richmenu/new/",
        {
            "name": "通常メニュー",
            "purpose": "normal",
            "size": "large",
            "chat_bar_text": "メニュー",
            "theme_colour": "#0b5cad",
            "heading": "",
            "opens_by_default": "on",
            "first_tab": "予約・手続き",
        },
    )
    menu = Menu.objects.get(name="通常メニュー")
    assert response.status_code == 302 and response["Location"] == f"/console/richmenu/{menu.pk}/tabs/0/"
    page = koho_client.get(f"/console/richmenu/{menu.pk}/tabs/0/")
    assert page.status_code == 200 and "配置のプレビュー" in page.content.decode()

    data = {"title": "予約・手続き", "layout": "large-4", **tile_post(4)}
    data.update({"tile1-action_type": ActionType.FEATURE, "tile1-action_feature": "facilities/nearest"})
    response = koho_client.post(f"/console/richmenu/{menu.pk}/tabs/0/", data)

    assert response.status_code == 302
    tab = MenuTab.objects.get(menu=menu)
    assert list(tab.tiles.values_list("action_type", "action_value")) == [
        ("uri", "https://www.city.example.jp/0"),
        ("feature", "facilities/nearest"),
        ("uri", "https://www.city.example.jp/2"),
        ("uri", "https://www.city.example.jp/3"),
    ]
    detail = koho_client.get(f"/console/richmenu/{menu.pk}/").content.decode()
    assert "draft.jpg" in detail and "編集用データ（SVG）" in detail


def test_a_bad_tile_shows_its_error_and_saves_nothing(koho_client):
    menu = build_menu(tabs=(("メニュー", "large-4"),))
    data = {
        "title": "メニュー",
        "layout": "large-4",
        **tile_post(4, **{"tile2-action_uri": "javascript:alert(1)"}),
    }
    response = koho_client.post(f"/console/richmenu/{menu.pk}/tabs/0/", data)
    page = response.content.decode()
    assert response.status_code == 200
    assert "入力内容に誤りのあるタイルがあります" in page and "URLは http://" in page
    assert MenuTab.objects.get(menu=menu).tiles.get(position=2).action_value.startswith("https://")


def test_tiles_beyond_the_layout_are_ignored(koho_client):
    menu = build_menu(tabs=(("メニュー", "large-6"),))
    response = koho_client.post(
        f"/console/richmenu/{menu.pk}/tabs/0/", {"title": "メニュー", "layout": "large-3-top", **tile_post(3)}
    )
    assert response.status_code == 302
    assert MenuTab.objects.get(menu=menu).tiles.count() == 3


def test_other_staff_may_look_but_not_edit(plain_client):
    menu = build_menu()
    assert plain_client.get("/console/richmenu/").status_code == 200
    detail = plain_client.get(f"/console/richmenu/{menu.pk}/")
    assert detail.status_code == 200 and "publish-button" not in detail.content.decode()
    for url in [
        "/console/richmenu/new/",
        f"/console/richmenu/{menu.pk}/tabs/0/",
        f"/console/richmenu/{menu.pk}/settings/",
    ]:
        refused = plain_client.get(url)
        assert refused.status_code == 403 and "システム管理者が許可した課" in refused.content.decode()
    assert plain_client.post(f"/console/richmenu/{menu.pk}/publish/").status_code == 403
    assert plain_client.post("/console/richmenu/emergency/switch/", {"direction": "off"}).status_code == 403
    assert plain_client.get("/console/richmenu/editors/").status_code == 403


def test_emergency_only_department_switches_but_does_not_edit(console_client):
    crisis = console_client(
        editor(code="kikikanri", name="危機管理課", scope=MenuEditorGrant.Scope.EMERGENCY)
    )
    menu = build_menu()
    assert crisis.get(f"/console/richmenu/{menu.pk}/tabs/0/").status_code == 403
    page = crisis.post("/console/richmenu/emergency/switch/", {"direction": "off"}, follow=True)
    assert "緊急メニューは表示されていません" in page.content.decode()


def test_submitted_text_is_escaped(koho_client):
    menu = build_menu(name=XSS, tabs=((XSS[:10], "large-4"),))
    MenuTab.objects.get(menu=menu).tiles.filter(position=0).update(label=XSS[:24])
    for url in [
        "/console/richmenu/",
        f"/console/richmenu/{menu.pk}/",
        f"/console/richmenu/{menu.pk}/tabs/0/",
    ]:
        page = koho_client.get(url).content.decode()
        assert XSS not in page and XSS[:24] not in page
    editor_page = koho_client.get(f"/console/richmenu/{menu.pk}/tabs/0/").content.decode()
    assert "&lt;img src=x" in editor_page


def test_designers_download_the_jpeg_and_an_editable_svg(koho_client):
    menu = build_menu(tabs=(("予約", "large-6"), ("暮らし", "large-4")))
    image = koho_client.get(f"/console/richmenu/{menu.pk}/tabs/1/draft.jpg?download=1")
    assert image["Content-Type"] == "image/jpeg" and "attachment" in image["Content-Disposition"]
    assert Image.open(io.BytesIO(image.content)).size == (2500, 1686)
    svg = koho_client.get(f"/console/richmenu/{menu.pk}/tabs/1/draft.svg")
    assert svg["Content-Type"].startswith("image/svg+xml")
    assert f'filename="richmenu-{menu.pk}-tab2.svg"' in svg["Content-Disposition"]
    assert 'id="tab-2-label"' in svg.content.decode()
    assert koho_client.get(f"/console/richmenu/{menu.pk}/tabs/5/draft.jpg").status_code == 404


def test_an_unfinished_tab_shows_what_is_missing_instead_of_an_image(koho_client):
    menu = build_menu(tabs=(("メニュー", "large-6"),))
    MenuTab.objects.get(menu=menu).tiles.filter(position=5).delete()
    page = koho_client.get(f"/console/richmenu/{menu.pk}/").content.decode()
    assert "タイルが6個設定されていません" in page
    assert 'id="publish-button" disabled' in page
    assert koho_client.get(f"/console/richmenu/{menu.pk}/tabs/0/draft.jpg").status_code == 422


def test_the_system_admin_grants_departments(system_admin_client, department):
    response = system_admin_client.post(
        "/console/richmenu/editors/", {"department": department.pk, "scope": "edit"}
    )
    assert response.status_code == 302
    assert MenuEditorGrant.objects.get(department=department).scope == "edit"
    assert AuditEntry.objects.filter(target_type="richmenu.menueditorgrant", action="create").exists()
    page = system_admin_client.get("/console/richmenu/editors/").content.decode()
    assert department.name in page and "編集・公開・緊急切替" in page


def test_emergency_page_explains_how_to_prepare_a_menu(koho_client):
    page = koho_client.get("/console/richmenu/emergency/").content.decode()
    assert "準備済みの緊急メニューはありません" in page
    assert "切替の記録はありません" in page


def test_menu_names_are_unique(koho_client):
    build_menu(name="通常メニュー")
    response = koho_client.post(
        "/console/richmenu/new/",
        {
            "name": "通常メニュー",
            "purpose": "normal",
            "size": "large",
            "chat_bar_text": "メニュー",
            "theme_colour": "#0b5cad",
            "first_tab": "メニュー",
        },
    )
    assert response.status_code == 200 and "同じ名前のメニューがあります" in response.content.decode()


def test_the_editor_says_which_tiles_leave_line_for_another_site(koho_client, settings):
    settings.SITE_URL = "https://line.city.example.jp"
    menu = build_menu(
        tabs=(("緊急", "large-3-columns"),),
        tiles={
            0: [
                ("気象警報（気象庁）", "info", ActionType.URI, "https://www.jma.go.jp/bosai/warning/"),
                ("避難所マップ", "map", ActionType.FEATURE, "facilities/map"),
                ("ワクチン接種", "syringe", ActionType.URI, "https://line.me/R/ti/p/@midori-vaccine"),
            ]
        },
    )

    editor_page = koho_client.get(f"/console/richmenu/{menu.pk}/tabs/0/").content.decode()
    detail = koho_client.get(f"/console/richmenu/{menu.pk}/").content.decode()

    notes = editor_page.split('data-tile="')[1:4]
    assert ["data-external-note hidden" not in tile for tile in notes] == [True, False, False]
    assert "LINEの外のウェブサイトを開くタイルです" in notes[0]
    assert "LINEの外のサイトを開くタイル" in detail
    assert "気象警報（気象庁）：" in detail and "https://www.jma.go.jp/bosai/warning/" in detail
    assert "ワクチン接種：" not in detail


def test_staff_write_the_menus_texts_per_language_and_see_what_is_missing(koho_client):
    """issue 21: the tab title, tile labels, menu bar text and heading per language; the list marks a
    menu whose texts lack a language 未翻訳; the picture stays one for every language."""
    menu = build_menu(name="通常メニュー", tabs=(("手続き", "large-4"),))
    page = koho_client.get(f"/console/richmenu/{menu.pk}/tabs/0/").content.decode()
    assert 'name="title__en"' in page and 'name="tile0-label__vi"' in page
    assert "画像はどの言語のメニューでも同じものを使います" in page

    data = {"title": "手続き", "layout": "large-4", "title__en": "Procedures", **tile_post(4)}
    data.update({f"tile{i}-label__en": f"Item {i + 1}" for i in range(4)})
    data["tile1-label__vi"] = "Mục 2"
    response = koho_client.post(f"/console/richmenu/{menu.pk}/tabs/0/", data)

    assert response.status_code == 302
    tab = MenuTab.objects.get(menu=menu)
    assert tab.translations == {"en": {"title": "Procedures"}}
    assert [t.translations for t in tab.tiles.order_by("position")][:2] == [
        {"en": {"label": "Item 1"}},
        {"en": {"label": "Item 2"}, "vi": {"label": "Mục 2"}},
    ]
    listing = koho_client.get("/console/richmenu/").content.decode()
    assert "未翻訳" in listing

    response = koho_client.post(
        f"/console/richmenu/{menu.pk}/settings/",
        {
            "name": "通常メニュー",
            "purpose": "normal",
            "chat_bar_text": "メニュー",
            "chat_bar_text__en": "Menu",
            "theme_colour": "#0b5cad",
            "heading": "",
            "opens_by_default": "on",
        },
    )
    assert response.status_code == 302
    menu.refresh_from_db()
    assert menu.translations == {"en": {"chat_bar_text": "Menu"}}
