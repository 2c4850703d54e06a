"""The demo city's rich menus: a two-tab, eleven-tile main menu (published as the default menu) and a
prepared emergency menu whose first tile is 近くの避難所. 広報戦略課 edits the menus, 危機管理課
switches the emergency menu.

The demo seeds its data before the LINE emulator is up, so the menus are drafted here and published
by the worker (``demo_menus_publish_task``), which retries until LINE answers.
"""

from __future__ import annotations

import logging

from django.db import transaction

from civicline.core.models import Department, Staff

from . import layouts, services
from .actions import ActionType
from .models import Menu, MenuEditorGrant, MenuTab, MenuTile

logger = logging.getLogger(__name__)

MAIN_MENU = "通常メニュー"
EMERGENCY_MENU = "災害時緊急メニュー"
# (department code, scope): who changes the demo's menus besides the system administrator.
GRANTS = [("koho", MenuEditorGrant.Scope.EDIT), ("kikikanri", MenuEditorGrant.Scope.EMERGENCY)]

F, U = ActionType.FEATURE, ActionType.URI
# (label, icon, colour, action type, action value); feature actions are "<feature>/<action>".
# Every tile leads somewhere real in the demo: civicline's own pages and talk, another LINE account
# or a real outside site, whose label names where it goes (and the image marks it, see
# actions.leaves_line). No placeholder domains: the demo has no city web site to link to.
MENUS = {
    MAIN_MENU: {
        "settings": {"purpose": Menu.Purpose.NORMAL, "chat_bar_text": "メニュー", "theme_colour": "#0b5cad"},
        "tabs": [
            (
                "予約・手続き",
                "large-6",
                [
                    ("窓口予約", "calendar", "#1565c0", F, "reservations/book"),
                    ("予約の\n確認・変更", "checklist", "#3949ab", F, "reservations/mine"),
                    ("意見募集\n（パブコメ）", "application", "#6a1b9a", F, "publiccomment/list"),
                    # the city's vaccination LINE account.
                    ("ワクチン接種", "syringe", "#c2185b", U, "https://line.me/R/ti/p/@midori-vaccine"),
                    ("ごみ分別・よくある質問", "question", "#ef6c00", F, "chatbot/guide"),
                    ("受信設定", "settings", "#455a64", F, "delivery/settings"),
                ],
            ),
            (
                "暮らし・防災",
                "large-5",
                [
                    ("近くの避難所", "shelter", "#c62828", F, "facilities/nearest"),
                    ("施設マップ", "map", "#2e7d32", F, "facilities/map"),
                    ("写真で通報（道路・公園）", "camera", "#00796b", F, "reports/report"),
                    ("アンケート", "checklist", "#0277bd", F, "surveys/list"),
                    ("通報の状況", "document", "#5d4037", F, "reports/mine"),
                ],
            ),
        ],
    },
    EMERGENCY_MENU: {
        "settings": {
            "purpose": Menu.Purpose.EMERGENCY,
            "chat_bar_text": "災害時メニュー",
            "theme_colour": "#b71c1c",
            "heading": "災害時緊急メニュー",
        },
        "tabs": [
            (
                "緊急",
                "large-5",
                [
                    ("近くの避難所", "shelter", "#d32f2f", F, "facilities/nearest"),
                    ("避難所マップ", "map", "#2e7d32", F, "facilities/map"),
                    ("防災情報を受け取る", "warning", "#e65100", F, "delivery/settings"),
                    ("気象警報（気象庁）", "info", "#1565c0", U, "https://www.jma.go.jp/bosai/warning/"),
                    ("問い合わせ先", "phone", "#37474f", F, "chatbot/contact"),
                ],
            ),
        ],
    },
}


def _menu(name: str, spec: dict) -> None:
    if Menu.objects.filter(name=name).exists():
        return
    menu = Menu.objects.create(name=name, size="large", **spec["settings"])
    for position, (title, layout, tiles) in enumerate(spec["tabs"]):
        assert len(tiles) == layouts.TEMPLATES[layout].tile_count
        tab = MenuTab.objects.create(menu=menu, position=position, title=title, layout=layout)
        MenuTile.objects.bulk_create(
            MenuTile(
                tab=tab,
                position=i,
                label=label,
                icon=icon,
                colour=colour,
                action_type=kind,
                action_value=value,
            )
            for i, (label, icon, colour, kind, value) in enumerate(tiles)
        )


def seed() -> None:
    """Idempotent: grants and menus are created once; publishing is queued until it has happened."""
    from .tasks import demo_menus_publish_task

    with transaction.atomic():
        for code, scope in GRANTS:
            department = Department.objects.filter(code=code).first()
            if department is not None:
                MenuEditorGrant.objects.get_or_create(department=department, defaults={"scope": scope})
        for name, spec in MENUS.items():
            _menu(name, spec)
        if Menu.objects.filter(name__in=MENUS, versions__isnull=True).exists():
            transaction.on_commit(demo_menus_publish_task)


def _publisher() -> Staff | None:
    granted = MenuEditorGrant.objects.filter(scope=MenuEditorGrant.Scope.EDIT).values("department")
    editors = Staff.objects.filter(is_active=True, department__in=granted).order_by("pk")
    admins = Staff.objects.filter(is_active=True, role=Staff.Role.SYSTEM_ADMIN).order_by("pk")
    return editors.first() or admins.first()


def publish_seeded() -> None:
    """Publish the demo's menus that were never published (raises while LINE cannot be reached)."""
    actor = _publisher()
    if actor is None:
        logger.warning("no staff may publish rich menus; the demo menus stay drafts")
        return
    for menu in Menu.objects.filter(name__in=MENUS, versions__isnull=True).order_by("purpose"):
        services.menu_publish(actor=actor, menu=menu)
