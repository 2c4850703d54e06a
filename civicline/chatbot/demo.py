"""The demo city's chatbot: its Q&A, a real garbage dictionary (高松市, CC BY 4.0) and a scenario tree.

Idempotent: entries already there are left as they are.
"""

from __future__ import annotations

from pathlib import Path

from django.db import transaction

from civicline.core.audit import audit_context
from civicline.core.models import Department

from . import services
from .demo_data.faq import FAQ
from .models import FaqEntry, GarbageCategory, ScenarioNode

DATA = Path(__file__).resolve().parent / "demo_data"
GARBAGE_FILE = DATA / "takamatsu_0074_gomi_bunbetsu.csv"
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
            )
    kankyo = _department("kankyo")
    if GARBAGE_FILE.exists():
        services.garbage_import(
            actor=None, department=kankyo, data=GARBAGE_FILE.read_bytes()
        )
    for name, how_to in CATEGORY_HOW_TO.items():
        GarbageCategory.objects.filter(department=kankyo, name=name, how_to="").update(how_to=how_to)
    if not ScenarioNode.objects.exists():
        _scenario(SCENARIOS, parent=None, department=_department("shimin"))


def _scenario(nodes: list, *, parent: ScenarioNode | None, department: Department) -> None:
    for order, (label, content) in enumerate(nodes):
        node = services.scenario_node_create(
            actor=None,
            department=department,
            label=label,
            parent=parent,
            order=order,
            answer=content if isinstance(content, str) else "",
        )
        if not isinstance(content, str):
            _scenario(content, parent=node, department=department)
