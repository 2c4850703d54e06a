"""The demo city's counters: certificates (市民課), child-rearing advice (こども相談課) and
oversized-garbage pickup (環境政策課), with realistic hours, rules and questions, in Japanese and in
English (issue 21: an English-language resident books them in English). Idempotent."""

from __future__ import annotations

from datetime import time
from typing import Any

from civicline.core.models import Department
from civicline.forms.services import form_create, form_rename

from .models import Counter, Service

WEEKDAYS_9_17 = {str(d): [["09:00", "12:00"], ["13:00", "17:00"]] for d in range(5)}

DEMO: list[dict[str, Any]] = [
    {
        "department": "shimin",
        "counter": {
            "name": "証明書・届出窓口",
            "category": "届出・証明書",
            "place": "市役所本庁舎 1階 市民課 3番窓口",
            "description": "住民票・戸籍・印鑑登録などの手続きのご相談を、予約制で承ります。",
            "translations": {
                "en": {
                    "name": "Certificates and Registration Desk",
                    "category": "Registration and certificates",
                    "place": "City Hall Main Building 1F, Citizens Division, Window 3",
                    "description": (
                        "Advice on residence records, family registers, seal registration and other "
                        "procedures, by appointment."
                    ),
                }
            },
        },
        "service": {
            "name": "各種証明書の相談",
            "description": (
                "証明書の取り方や必要書類が分からないときのご相談です（1回30分）。"
                "本人確認書類をお持ちください。"
            ),
            "slot_minutes": 30,
            "seats_per_slot": 2,
            "hours": WEEKDAYS_9_17,
            "book_from_days": 1,
            "book_until_days": 30,
            "book_cutoff": time(17, 0),
            "cancel_days_before": 1,
            "cancel_cutoff": time(17, 0),
            "max_open_per_resident": 1,
            "questions": [
                {
                    "label": "ご相談の内容",
                    "type": "single",
                    "required": True,
                    "choices": ["住民票", "戸籍", "印鑑登録", "マイナンバーカード以外の本人確認", "その他"],
                    "translations": {
                        "en": {
                            "label": "What would you like to ask about?",
                            "choices": [
                                "Residence record",
                                "Family register",
                                "Seal registration",
                                "ID other than a My Number card",
                                "Other",
                            ],
                        }
                    },
                },
                {
                    "label": "補足（任意）",
                    "type": "long_text",
                    "required": False,
                    "translations": {"en": {"label": "Anything else (optional)"}},
                },
            ],
            "reminder_text": "本人確認書類（運転免許証など）をお持ちください。",
            "translations": {
                "en": {
                    "name": "Certificate consultation",
                    "description": (
                        "Not sure how to get a certificate or what to bring? Ask us (30 minutes). "
                        "Please bring your ID."
                    ),
                    "reminder_text": "Please bring your ID (a driver's license, for example).",
                }
            },
        },
    },
    {
        "department": "kosodate",
        "counter": {
            "name": "子育て相談窓口",
            "category": "子育て",
            "place": "市役所第二庁舎 2階 こども相談課",
            "description": "子育ての悩みや発達のこと、保育のことなど、保健師・相談員がお話を伺います。",
            "translations": {
                "en": {
                    "name": "Parenting Consultation Desk",
                    "category": "Childcare",
                    "place": "City Hall Annex 2F, Children's Consultation Division",
                    "description": (
                        "Public health nurses and counselors listen to your worries about raising "
                        "children, development and childcare."
                    ),
                }
            },
        },
        "service": {
            "name": "子育て相談",
            "description": "1回60分の個別相談です。お子さんとご一緒にお越しいただけます。",
            "slot_minutes": 60,
            "seats_per_slot": 1,
            "hours": {
                **{str(d): [["09:00", "12:00"], ["13:00", "16:00"]] for d in range(5)},
                "5": [["10:00", "12:00"]],
            },
            "book_from_days": 1,
            "book_until_days": 60,
            "book_cutoff": time(12, 0),
            "cancel_days_before": 1,
            "cancel_cutoff": time(17, 0),
            "max_open_per_resident": 1,
            "questions": [
                {
                    "label": "お子さんの年齢",
                    "type": "single",
                    "required": True,
                    "choices": ["0歳", "1〜2歳", "3〜5歳", "小学生", "中学生以上"],
                    "translations": {
                        "en": {
                            "label": "Your child's age",
                            "choices": [
                                "Under 1",
                                "1 to 2",
                                "3 to 5",
                                "Elementary school",
                                "Junior high school or older",
                            ],
                        }
                    },
                },
                {
                    "label": "ご相談したいこと",
                    "type": "long_text",
                    "required": True,
                    "translations": {"en": {"label": "What would you like to talk about?"}},
                },
            ],
            "reminder_text": "母子健康手帳をお持ちください。",
            "translations": {
                "en": {
                    "name": "Parenting consultation",
                    "description": (
                        "A one-to-one consultation of 60 minutes. You are welcome to bring your child."
                    ),
                    "reminder_text": "Please bring your maternal and child health handbook.",
                }
            },
        },
    },
    {
        "department": "kankyo",
        "counter": {
            "name": "粗大ごみ受付センター",
            "category": "ごみ・環境",
            "place": "ご自宅前（指定の場所）",
            "description": (
                "家具・家電（家電リサイクル法対象品を除く）などの粗大ごみの戸別収集を予約できます。"
            ),
            "translations": {
                "en": {
                    "name": "Oversized Garbage Center",
                    "category": "Garbage and environment",
                    "place": "In front of your home (the place you give)",
                    "description": (
                        "Book a pickup of oversized garbage such as furniture and appliances (except "
                        "those under the Home Appliance Recycling Law)."
                    ),
                }
            },
        },
        "service": {
            "name": "粗大ごみ収集",
            "description": (
                "収集日の朝8時30分までに、指定の場所へ出してください。"
                "午前・午後のどちらかの時間帯に収集します。"
            ),
            "slot_minutes": 180,
            "seats_per_slot": 20,
            "hours": {str(d): [["09:00", "12:00"], ["13:00", "16:00"]] for d in range(6)},
            "book_from_days": 3,
            "book_until_days": 30,
            "book_cutoff": time(12, 0),
            "cancel_days_before": 2,
            "cancel_cutoff": time(17, 0),
            "max_open_per_resident": 1,
            "questions": [
                {
                    "label": "出す品目（例: 椅子、自転車）",
                    "type": "short_text",
                    "required": True,
                    "translations": {"en": {"label": "Items (e.g. a chair, a bicycle)"}},
                },
                {
                    "label": "点数",
                    "type": "number",
                    "required": True,
                    "min": 1,
                    "translations": {"en": {"label": "Number of items"}},
                },
                {
                    "label": "収集場所の住所",
                    "type": "short_text",
                    "required": True,
                    "translations": {"en": {"label": "Pickup address"}},
                },
            ],
            "allow_photos": True,
            "allow_location": True,
            "reminder_text": "本日が収集日です。朝8時30分までにお出しください。",
            "translations": {
                "en": {
                    "name": "Oversized garbage pickup",
                    "description": (
                        "Put the items out at the agreed place by 8:30 a.m. on the pickup day. "
                        "We collect them in the morning or the afternoon."
                    ),
                    "reminder_text": "Today is your pickup day. Please put the items out by 8:30 a.m.",
                }
            },
        },
    },
]


def seed() -> None:
    for item in DEMO:
        department = Department.objects.filter(code=item["department"]).first()
        if department is None:
            continue
        counter, _ = Counter.objects.get_or_create(
            department=department, name=item["counter"]["name"], defaults=item["counter"]
        )
        settings = dict(item["service"])
        if Service.objects.filter(counter=counter, name=settings["name"]).exists():
            continue
        questions = settings.pop("questions")
        form = form_create(
            department=department, title=settings["name"], questions=questions, all_personal=True
        )
        titles = {code: version["name"] for code, version in settings["translations"].items()}
        form_rename(form=form, title=settings["name"], titles=titles)
        Service.objects.create(counter=counter, form=form, **settings)
