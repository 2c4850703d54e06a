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


# The menus' words in the other languages residents read (issue 21), by the Japanese text: written
# for the tiles (two short lines at most), not machine-translated. A label leaving LINE names where
# it goes in every language.
EN, ZH, KO, VI, EASY = "en", "zh-hans", "ko", "vi", "ja-easy"
WORDS: dict[str, dict[str, str]] = {
    # the menu bar, the headings, the tabs
    "メニュー": {EN: "Menu", ZH: "菜单", KO: "메뉴", VI: "Menu", EASY: "メニュー"},
    "災害時メニュー": {
        EN: "Emergency",
        ZH: "灾害时菜单",
        KO: "재난 시 메뉴",
        VI: "Khẩn cấp",
        EASY: "さいがいの メニュー",
    },
    "災害時緊急メニュー": {
        EN: "Emergency menu",
        ZH: "灾害紧急菜单",
        KO: "재난 긴급 메뉴",
        VI: "Menu khẩn cấp",
        EASY: "さいがいの ときの メニュー",
    },
    "予約・手続き": {
        EN: "Bookings",
        ZH: "预约·手续",
        KO: "예약·신청",
        VI: "Đặt lịch",
        EASY: "よやく・てつづき",
    },
    "暮らし・防災": {
        EN: "Living",
        ZH: "生活·防灾",
        KO: "생활·방재",
        VI: "Đời sống",
        EASY: "くらし・さいがい",
    },
    "緊急": {EN: "Emergency", ZH: "紧急", KO: "긴급", VI: "Khẩn cấp", EASY: "きんきゅう"},
    # the tiles
    "窓口予約": {
        EN: "Book a\ncounter",
        ZH: "窗口预约",
        KO: "창구 예약",
        VI: "Đặt lịch\ntại quầy",
        EASY: "まどぐちの\nよやく",
    },
    "予約の\n確認・変更": {
        EN: "My\nbookings",
        ZH: "查看·更改\n预约",
        KO: "예약\n확인·변경",
        VI: "Xem, đổi\nlịch hẹn",
        EASY: "よやくを\nみる・かえる",
    },
    "意見募集\n（パブコメ）": {
        EN: "Public\ncomments",
        ZH: "征求意见",
        KO: "의견 모집",
        VI: "Góp ý\nchính sách",
        EASY: "いけんを\nきかせて",
    },
    "ワクチン接種": {
        EN: "Vaccination\n(LINE account)",
        ZH: "疫苗接种\n（LINE账号）",
        KO: "백신 접종\n(LINE 계정)",
        VI: "Tiêm vắc-xin\n(tài khoản LINE)",
        EASY: "ワクチン",
    },
    "ごみ分別・よくある質問": {
        EN: "Garbage\n& FAQ",
        ZH: "垃圾分类\n常见问题",
        KO: "분리수거\n자주 묻는 질문",
        VI: "Phân loại rác\n& Hỏi đáp",
        EASY: "ごみの すてかた・\nしつもん",
    },
    "受信設定": {
        EN: "Settings\n& language",
        ZH: "接收设置\n与语言",
        KO: "수신·언어\n설정",
        VI: "Cài đặt\n& ngôn ngữ",
        EASY: "うけとる\nせってい",
    },
    "近くの避難所": {
        EN: "Nearest\nshelter",
        ZH: "附近的\n避难所",
        KO: "가까운\n대피소",
        VI: "Nơi sơ tán\ngần nhất",
        EASY: "ちかくの\nひなんじょ",
    },
    "施設マップ": {
        EN: "Facility\nmap",
        ZH: "设施地图",
        KO: "시설 지도",
        VI: "Bản đồ\ncơ sở",
        EASY: "しせつの\nちず",
    },
    "写真で通報（道路・公園）": {
        EN: "Report with\na photo",
        ZH: "拍照报告\n（道路·公园）",
        KO: "사진으로 신고\n(도로·공원)",
        VI: "Báo hư hỏng\nbằng ảnh",
        EASY: "しゃしんで\nしらせる",
    },
    "アンケート": {EN: "Surveys", ZH: "问卷调查", KO: "설문조사", VI: "Khảo sát", EASY: "アンケート"},
    "通報の状況": {
        EN: "My reports",
        ZH: "报告进度",
        KO: "신고 현황",
        VI: "Tình trạng\nbáo cáo",
        EASY: "しらせた\nことの ようす",
    },
    "避難所マップ": {
        EN: "Shelter\nmap",
        ZH: "避难所地图",
        KO: "대피소 지도",
        VI: "Bản đồ\nnơi sơ tán",
        EASY: "ひなんじょの\nちず",
    },
    "防災情報を受け取る": {
        EN: "Get disaster\nalerts",
        ZH: "接收\n防灾信息",
        KO: "방재 정보\n받기",
        VI: "Nhận tin\nthiên tai",
        EASY: "さいがいの\nしらせを うけとる",
    },
    "気象警報（気象庁）": {
        EN: "Weather\nwarnings (JMA)",
        ZH: "气象警报\n（日本气象厅）",
        KO: "기상 경보\n(일본 기상청)",
        VI: "Cảnh báo\nthời tiết (JMA)",
        EASY: "てんきの けいほう\n（きしょうちょう）",
    },
    "問い合わせ先": {EN: "Contacts", ZH: "联系方式", KO: "문의처", VI: "Liên hệ", EASY: "といあわせ"},
}


def _in_other_languages(**fields: str) -> dict[str, dict[str, str]]:
    """{language: {field: text}} for the Japanese ``fields`` that ``WORDS`` translates."""
    result: dict[str, dict[str, str]] = {}
    for field, japanese in fields.items():
        for language, text in WORDS.get(japanese, {}).items():
            result.setdefault(language, {})[field] = text
    return result


def _menu(name: str, spec: dict) -> None:
    if Menu.objects.filter(name=name).exists():
        return
    settings = spec["settings"]
    texts = {field: settings[field] for field in Menu.TRANSLATED_FIELDS if settings.get(field)}
    menu = Menu.objects.create(name=name, size="large", translations=_in_other_languages(**texts), **settings)
    for position, (title, layout, tiles) in enumerate(spec["tabs"]):
        assert len(tiles) == layouts.TEMPLATES[layout].tile_count
        tab = MenuTab.objects.create(
            menu=menu,
            position=position,
            title=title,
            layout=layout,
            translations=_in_other_languages(title=title),
        )
        MenuTile.objects.bulk_create(
            MenuTile(
                tab=tab,
                position=i,
                label=label,
                icon=icon,
                colour=colour,
                action_type=kind,
                action_value=value,
                translations=_in_other_languages(label=label),
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
