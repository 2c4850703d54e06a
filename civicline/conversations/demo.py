"""The demo city's conversation topics and canned replies: certificates at 市民課 (general, in the
talk), child-rearing at こども相談課 (personal, on the LIFF page) and garbage at 環境政策課.
Idempotent: topics and replies already there are left as they are."""

from __future__ import annotations

from typing import Any

from civicline.core.models import Department

from .models import CannedReply, Topic

CITY_HOURS = {str(d): [["08:45", "17:15"]] for d in range(5)}

DEMO: list[dict[str, Any]] = [
    {
        "department": "shimin",
        "topics": [
            {
                "name": "住民票・証明書の取り方",
                "description": "必要な書類、手数料、コンビニ交付などの一般的なご質問にお答えします。",
                "is_personal": False,
                "hours": CITY_HOURS,
                "closed_message": "お急ぎの場合は、市民課（代表電話）へ平日の受付時間内にお電話ください。",
                "order": 10,
            },
            {
                "name": "転入・転出など届出のご相談",
                "description": (
                    "ご家族の状況に合わせた届出のご案内です。個人的な内容を伺うため、専用画面でお話しします。"
                ),
                "is_personal": True,
                "hours": CITY_HOURS,
                "order": 20,
            },
        ],
        "canned": [
            (
                "コンビニ交付",
                "住民票の写しは、マイナンバーカードをお持ちであれば全国のコンビニエンスストアで"
                "6:30〜23:00に取得できます（手数料200円）。",
            ),
            ("窓口の持ち物", "窓口へお越しの際は、運転免許証などの本人確認書類をお持ちください。"),
            (
                "お礼",
                "お問い合わせありがとうございました。ほかにご不明な点があれば、いつでもお送りください。",
            ),
        ],
    },
    {
        "department": "kosodate",
        "topics": [
            {
                "name": "子育ての悩み相談",
                "description": "子育ての不安や悩み、発達のことなどを、保健師・相談員がお伺いします。",
                "is_personal": True,
                "hours": {**{str(d): [["09:00", "17:00"]] for d in range(5)}, "5": [["10:00", "12:00"]]},
                "closed_message": "緊急の場合は、児童相談所虐待対応ダイヤル「189」へおかけください。",
                "order": 30,
            },
            {
                "name": "保育所・幼稚園の入所",
                "description": "入所の申し込み時期や必要な書類についてのご相談です。",
                "is_personal": True,
                "hours": CITY_HOURS,
                "order": 40,
            },
        ],
        "canned": [
            ("受付のご挨拶", "こども相談課です。ご相談ありがとうございます。担当の者がお話を伺います。"),
            (
                "面談のご案内",
                "詳しくお話を伺うため、窓口での面談をおすすめします。LINEの「窓口予約」から子育て相談をご予約いただけます。",
            ),
        ],
    },
    {
        "department": "kankyo",
        "topics": [
            {
                "name": "ごみの出し方・不法投棄",
                "description": (
                    "分別や収集日のほか、不法投棄の情報もお寄せください。写真や位置情報も送れます。"
                ),
                "is_personal": False,
                "hours": CITY_HOURS,
                "order": 50,
            },
        ],
        "canned": [
            (
                "確認します",
                "情報ありがとうございます。担当者が現地を確認します。結果はこのトークでお知らせします。",
            ),
            ("分別辞典", "品目ごとの分別は、メニューの「ごみ分別」から品目名を送っても調べられます。"),
        ],
    },
]


def seed() -> None:
    for item in DEMO:
        department = Department.objects.filter(code=item["department"]).first()
        if department is None:
            continue
        for topic in item["topics"]:
            Topic.objects.get_or_create(department=department, name=topic["name"], defaults=topic)
        for order, (title, body) in enumerate(item["canned"], start=1):
            CannedReply.objects.get_or_create(
                department=department, title=title, defaults={"body": body, "order": order}
            )
