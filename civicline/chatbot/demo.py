"""The demo city's chatbot: its Q&A, a real garbage dictionary (高松市, CC BY 4.0) and a scenario tree.

Idempotent: entries already there are left as they are.
"""

from __future__ import annotations

import csv
from pathlib import Path

from django.db import transaction

from civicline.core.audit import audit_context
from civicline.core.models import Department

from . import services, signals
from .demo_data.faq import FAQ
from .demo_data.faq_translations import FAQ_TRANSLATIONS
from .models import FaqEntry, GarbageCategory, GarbageItem, ScenarioNode

DATA = Path(__file__).resolve().parent / "demo_data"
GARBAGE_FILE = DATA / "takamatsu_0074_gomi_bunbetsu.csv"
# Names of the dictionary's common items in residents' other languages, written by the civicline
# project for the demo, not published by the city (SOURCES.md) (issue 21).
GARBAGE_TRANSLATIONS_FILE = DATA / "garbage_translations.csv"
DEMO_LABEL = "デモデータ"

# Departments the demo FAQ needs beyond the demo city's staff departments.
EXTRA_DEPARTMENTS = {
    "zeimu": "税務課",
    "shimin": "市民課",
    "kankyo": "環境政策課",
    "kosodate": "こども相談課",
    "kikikanri": "危機管理課",
    "koho": "広報戦略課",
}

CATEGORY_HOW_TO = {
    "燃やせるごみ": (
        "市指定の燃やせるごみ袋に入れて、収集日の朝8時30分までにごみステーションへ出してください。"
    ),
    "破砕ごみ": (
        "透明または半透明の袋に入れて、月1回の破砕ごみの日に出してください。"
        "刃物や割れ物は紙で包み「キケン」と書いてください。"
    ),
    "臨時・粗大ごみ": (
        "予約制です。申し込み後、手数料分の処理券を貼って指定日の朝8時30分までに出してください。"
    ),
    "缶・びん・ペットボトル": (
        "中を軽くすすいで、コンテナまたは透明の袋に入れて資源ごみの日に出してください。"
    ),
    "プラスチック容器包装": "汚れを落として、透明または半透明の袋に入れてプラスチックの日に出してください。",
    "紙・布": "種類ごとにひもで十字にしばって、雨の日を避けて資源ごみの日に出してください。",
    "有害ごみ": "乾電池・蛍光管などは透明の袋に入れ、破砕ごみの日に別の袋で出してください。",
    "家電リサイクル法対象品": (
        "市では収集しません。販売店に引き取りを依頼するか、指定引取場所へ持ち込んでください。"
    ),
    "収集不可": "市では収集できません。販売店や専門の処理業者にご相談ください。",
}

# The categories in residents' other languages (issue 21), written by the civicline project: the
# names in every language, how to put them out in English (other languages fall back, marked).
CATEGORY_TRANSLATIONS = {
    "燃やせるごみ": ("Burnable garbage", "可燃垃圾", "타는 쓰레기", "Rác cháy được"),
    "破砕ごみ": (
        "Crushable garbage (non-burnable)",
        "破碎垃圾（不可燃）",
        "파쇄 쓰레기 (불연성)",
        "Rác nghiền (không cháy được)",
    ),
    "臨時・粗大ごみ": (
        "Oversized garbage (by appointment)",
        "大件垃圾（需预约）",
        "대형 쓰레기 (예약제)",
        "Rác cỡ lớn (đặt lịch trước)",
    ),
    "破砕、臨時・粗大": (
        "Crushable or oversized garbage",
        "破碎垃圾或大件垃圾",
        "파쇄 또는 대형 쓰레기",
        "Rác nghiền hoặc rác cỡ lớn",
    ),
    "缶・びん・ペットボトル": (
        "Cans, glass bottles, PET bottles",
        "罐、瓶、塑料瓶",
        "캔·병·페트병",
        "Lon, chai thủy tinh, chai nhựa",
    ),
    "プラスチック容器包装": (
        "Plastic containers and packaging",
        "塑料容器包装",
        "플라스틱 용기·포장",
        "Bao bì, hộp đựng bằng nhựa",
    ),
    "紙・布": ("Paper and cloth", "纸、布", "종이·천", "Giấy, vải"),
    "紙布": ("Paper and cloth", "纸、布", "종이·천", "Giấy, vải"),
    "有害ごみ": ("Hazardous garbage", "有害垃圾", "유해 쓰레기", "Rác nguy hại"),
    "家電リサイクル法対象品": (
        "Appliances under the Home Appliance Recycling Act",
        "家电回收法对象产品",
        "가전 재활용법 대상품",
        "Đồ điện gia dụng thuộc Luật tái chế đồ điện",
    ),
    "収集不可": ("Not collected by the city", "不予收集", "수거 불가", "Thành phố không thu gom"),
}
CATEGORY_HOW_TO_EN = {
    "燃やせるごみ": (
        "Put it in the city's designated bag for burnable garbage and take it to your garbage station "
        "by 8:30 a.m. on collection day."
    ),
    "破砕ごみ": (
        "Put it in a clear or translucent bag and put it out on the monthly crushable-garbage day. "
        "Wrap blades and broken glass in paper and write 「キケン」 (danger) on it."
    ),
    "臨時・粗大ごみ": (
        "By appointment. After applying, attach disposal tickets for the fee and put it out by "
        "8:30 a.m. on the appointed day."
    ),
    "缶・びん・ペットボトル": (
        "Rinse lightly and put them in the container or a clear bag on resource-garbage day."
    ),
    "プラスチック容器包装": "Clean off any dirt and put it in a clear or translucent bag on plastics day.",
    "紙・布": "Tie each kind crosswise with string and put it out on resource-garbage day, not in the rain.",
    "有害ごみ": (
        "Put dry-cell batteries, fluorescent tubes and the like in a clear bag, separate from other "
        "garbage, on crushable-garbage day."
    ),
    "家電リサイクル法対象品": (
        "Not collected by the city. Ask the shop to take it back, or bring it to a designated "
        "collection site."
    ),
    "収集不可": "The city cannot collect it. Please ask the shop or a specialised disposal company.",
}
TRANSLATED_LANGUAGES = ("en", "zh-hans", "ko", "vi")

# (label, answer or children)
SCENARIOS = [
    (
        "くらしの手続き",
        [
            (
                "住民票・証明書",
                [
                    (
                        "住民票の写し",
                        "市民課窓口・支所・コンビニ（マイナンバーカードが必要）で取得できます。1通300円です。",
                    ),
                    (
                        "印鑑登録証明書",
                        "印鑑登録証を持って窓口へ。マイナンバーカードでコンビニでも取得できます。",
                    ),
                ],
            ),
            (
                "引っ越し",
                [
                    ("市外から転入", "引っ越した日から14日以内に転出証明書と本人確認書類を持って市民課へ。"),
                    ("市外へ転出", "引っ越しの前に市民課かマイナポータルで転出届を出してください。"),
                ],
            ),
        ],
    ),
    (
        "子育て",
        [
            ("手当・助成", "児童手当、こども医療費助成があります。こども相談課へお問い合わせください。"),
            ("保育園・学童", "保育園は前年11月に一斉申込み、学童は1月に受付です。"),
        ],
    ),
    (
        "ごみ・リサイクル",
        [
            (
                "収集日",
                "地区ごとの収集日は、市のホームページの「ごみカレンダー」でご確認ください。"
                "品目ごとの出し方は、このトークに品目の名前（例:「電池」）を送ると調べられます。",
            ),
            (
                "粗大ごみ",
                "粗大ごみは予約制です。環境政策課（粗大ごみ受付）へお電話で予約し、"
                "手数料分の処理券を貼って指定日の朝8時までに出してください。",
            ),
        ],
    ),
    (
        "防災",
        [
            ("避難所", "メニューの「施設マップ」で近くの避難所を探せます。"),
            ("ハザードマップ", "市役所・支所で配布、市のホームページでも公開しています。"),
        ],
    ),
]


# The scenario tree's buttons in English, and some answers (issue 21), written by the civicline
# project: the other answers reach English readers in Japanese, marked so.
SCENARIO_ENGLISH = {
    "くらしの手続き": ("Procedures", ""),
    "住民票・証明書": ("Certificates", ""),
    "住民票の写し": ("Residence record", ""),
    "印鑑登録証明書": ("Seal certificate", ""),
    "引っ越し": ("Moving", ""),
    "市外から転入": (
        "Moving in",
        "Within 14 days of moving, bring the moving-out certificate and photo ID to the Citizens Division.",
    ),
    "市外へ転出": (
        "Moving out",
        "Before moving, give notice at the Citizens Division or online through Mynaportal.",
    ),
    "子育て": ("Child-raising", ""),
    "手当・助成": ("Allowances", ""),
    "保育園・学童": ("Daycare", ""),
    "ごみ・リサイクル": ("Garbage & recycling", ""),
    "収集日": (
        "Collection days",
        "See the garbage calendar on the city's website for your district. To check an item, send its "
        'name here (e.g. "battery").',
    ),
    "粗大ごみ": ("Oversized garbage", ""),
    "防災": ("Disaster prevention", ""),
    "避難所": ("Shelters", "Find shelters near you with 「施設マップ」 (facility map) in the menu."),
    "ハザードマップ": ("Hazard maps", ""),
}


def _scenario_translations(label: str) -> dict[str, dict[str, str]]:
    english_label, english_answer = SCENARIO_ENGLISH.get(label, ("", ""))
    english = {"label": english_label, "answer": english_answer}
    return {"en": {field: text for field, text in english.items() if text}} if english_label else {}


def _department(code: str) -> Department:
    department, _created = Department.objects.get_or_create(
        code=code, defaults={"name": EXTRA_DEPARTMENTS[code]}
    )
    return department


@transaction.atomic
def seed() -> None:
    with audit_context(actor_label=DEMO_LABEL):
        _seed()


def _seed() -> None:
    for code, category, question, answer, phrasings in FAQ:
        department = _department(code)
        if not FaqEntry.objects.filter(department=department, question=question).exists():
            services.faq_create(
                actor=None,
                department=department,
                question=question,
                answer=answer,
                category=category,
                phrasings=phrasings,
                source=FaqEntry.Source.DEMO,
                translations=FAQ_TRANSLATIONS.get(question),
            )
    kankyo = _department("kankyo")
    if GARBAGE_FILE.exists():
        services.garbage_import(actor=None, department=kankyo, data=GARBAGE_FILE.read_bytes())
    for name, how_to in CATEGORY_HOW_TO.items():
        GarbageCategory.objects.filter(department=kankyo, name=name, how_to="").update(how_to=how_to)
    _garbage_translations(kankyo)
    if not ScenarioNode.objects.exists():
        _scenario(SCENARIOS, parent=None, department=_department("shimin"))


def _garbage_translations(department: Department) -> None:
    """The demo dictionary's names in other languages, on items and categories not translated yet."""
    for name, names in CATEGORY_TRANSLATIONS.items():
        versions = {code: {"name": text} for code, text in zip(TRANSLATED_LANGUAGES, names, strict=True)}
        if name in CATEGORY_HOW_TO_EN:
            versions["en"]["how_to"] = CATEGORY_HOW_TO_EN[name]
        GarbageCategory.objects.filter(department=department, name=name, translations={}).update(
            translations=versions
        )
    if not GARBAGE_TRANSLATIONS_FILE.exists():
        return
    with GARBAGE_TRANSLATIONS_FILE.open(encoding="utf-8", newline="") as f:
        rows = {row["品目"]: row for row in csv.DictReader(f)}
    items = list(GarbageItem.objects.filter(department=department, name__in=rows, translations={}))
    for item in items:
        row = rows[item.name]
        item.translations = {code: {"name": row[f"品目_{code}"]} for code in TRANSLATED_LANGUAGES}
    GarbageItem.objects.bulk_update(items, ["translations"], batch_size=500)
    if items:
        signals.knowledge_changed()  # bulk writes send no post_save: every index is rebuilt


def _scenario(nodes: list, *, parent: ScenarioNode | None, department: Department) -> None:
    for order, (label, content) in enumerate(nodes):
        node = services.scenario_node_create(
            actor=None,
            department=department,
            label=label,
            parent=parent,
            order=order,
            answer=content if isinstance(content, str) else "",
            translations=_scenario_translations(label),
        )
        if not isinstance(content, str):
            _scenario(content, parent=node, department=department)
