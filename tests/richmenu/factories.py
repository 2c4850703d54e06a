"""Factories for rich menu tests: editors (staff of a granted department) and ready-to-publish menus."""

from __future__ import annotations

from collections.abc import Sequence

import factory

from civicline.core.models import Staff
from civicline.richmenu import layouts
from civicline.richmenu.actions import ActionType
from civicline.richmenu.models import Menu, MenuEditorGrant, MenuTab, MenuTile
from tests.fixtures.core import DepartmentFactory, StaffFactory

COLOURS = ["#1565c0", "#00796b", "#3949ab", "#6a1b9a", "#c2185b", "#455a64"]


def editor(
    *, code: str = "koho", name: str = "広報戦略課", scope: str = MenuEditorGrant.Scope.EDIT, **staff
) -> Staff:
    """A staff member of a department granted ``scope`` on the rich menus."""
    department = DepartmentFactory(code=code, name=name)
    MenuEditorGrant.objects.get_or_create(department=department, defaults={"scope": scope})
    return StaffFactory(department=department, **staff)


class MenuFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Menu

    name = factory.Sequence(lambda n: f"メニュー{n}")
    purpose = Menu.Purpose.NORMAL
    size = "large"
    chat_bar_text = "メニュー"


def tile_specs(count: int, prefix: str = "項目") -> list[tuple[str, str, str, str]]:
    """(label, icon, action type, action value) for ``count`` tiles opening the city's pages."""
    return [
        (f"{prefix}{i + 1}", "info", ActionType.URI, f"https://www.city.example.jp/{prefix}/{i + 1}")
        for i in range(count)
    ]


def build_menu(
    *,
    tabs: Sequence[tuple[str, str]] = (("メニュー", "large-6"),),
    tiles: dict[int, list[tuple[str, ...]]] | None = None,
    **menu_fields,
) -> Menu:
    """A complete draft: each tab (title, layout) gets its layout's number of tiles."""
    menu = MenuFactory(**menu_fields)
    for position, (title, layout) in enumerate(tabs):
        tab = MenuTab.objects.create(menu=menu, position=position, title=title, layout=layout)
        specs = (tiles or {}).get(position) or tile_specs(layouts.TEMPLATES[layout].tile_count, prefix=title)
        MenuTile.objects.bulk_create(
            MenuTile(
                tab=tab,
                position=i,
                label=spec[0],
                icon=spec[1],
                action_type=spec[2],
                action_value=spec[3],
                colour=spec[4] if len(spec) > 4 else COLOURS[i % len(COLOURS)],
            )
            for i, spec in enumerate(specs)
        )
    return menu


def nine_tile_menu(**menu_fields) -> Menu:
    """The journey's main menu: 予約・手続き (6 tiles) and 暮らし・防災 (3 tiles)."""
    return build_menu(
        tabs=(("予約・手続き", "large-6"), ("暮らし・防災", "large-3-top")),
        tiles={
            1: [
                ("近くの避難所", "shelter", ActionType.FEATURE, "facilities/nearest"),
                ("施設マップ", "map", ActionType.FEATURE, "facilities/map"),
                ("よくある質問", "question", ActionType.FEATURE, "chatbot/guide"),
            ]
        },
        **menu_fields,
    )


def emergency_menu(**menu_fields) -> Menu:
    fields = {
        "name": "災害時緊急メニュー",
        "heading": "災害時緊急メニュー",
        "theme_colour": "#b71c1c",
        "chat_bar_text": "災害時メニュー",
        **menu_fields,
    }
    return build_menu(
        purpose=Menu.Purpose.EMERGENCY,
        tabs=(("緊急", "large-5"),),
        tiles={
            0: [
                ("近くの避難所", "shelter", ActionType.FEATURE, "facilities/nearest", "#d32f2f"),
                ("避難所マップ", "map", ActionType.FEATURE, "facilities/map", "#2e7d32"),
                ("防災情報", "warning", ActionType.URI, "https://www.city.example.jp/bousai/", "#e65100"),
                ("気象警報", "info", ActionType.URI, "https://www.jma.go.jp/bosai/warning/", "#1565c0"),
                ("問い合わせ先", "phone", ActionType.FEATURE, "chatbot/contact", "#37474f"),
            ]
        },
        **fields,
    )
