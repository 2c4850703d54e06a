import pytest

from civicline.chatbot.text import reading_of

from .factories import FaqEntryFactory, FaqPhrasingFactory, GarbageCategoryFactory, GarbageItemFactory


@pytest.fixture
def knowledge(department, other_department):
    """A little of a city's knowledge: garbage items of one department, Q&A of another."""
    burnable = GarbageCategoryFactory(department=other_department, name="燃やせるごみ")
    oversized = GarbageCategoryFactory(
        department=other_department, name="粗大ごみ", how_to="予約のうえ、処理券を貼って出してください。"
    )
    hazardous = GarbageCategoryFactory(department=other_department, name="有害ごみ")
    cans = GarbageCategoryFactory(department=other_department, name="缶・びん・ペットボトル")
    items = {}
    for name, category in [
        ("ペットボトル", cans),
        ("スプレー缶", cans),
        ("乾電池", hazardous),
        ("茶だんす", oversized),
        ("ソファー", oversized),
        ("フライパン", burnable),
        ("アイロン台", oversized),
        ("紙おむつ", burnable),
    ]:
        items[name] = GarbageItemFactory(
            department=other_department, name=name, reading=reading_of(name), category=category
        )
    juminhyo = FaqEntryFactory(
        department=department,
        category="証明書",
        question="住民票の写しはどこで取得できますか？",
        answer="市民課窓口・支所・コンビニで取得できます。",
    )
    FaqPhrasingFactory(entry=juminhyo, text="住民票をもらいたい")
    FaqEntryFactory(
        department=department,
        category="証明書",
        question="住民票をコンビニで取るには？",
        answer="マイナンバーカードで、全国のコンビニで取得できます。",
    )
    tennyu = FaqEntryFactory(
        department=department,
        category="引っ越し",
        question="転入届の手続きを教えてください",
        answer="引っ越した日から14日以内に市民課へ。",
    )
    mynumber = FaqEntryFactory(
        department=department,
        category="マイナンバーカード",
        question="マイナンバーカードを作りたい",
        answer="申請書・スマートフォン・郵送で申請できます。",
    )
    return {"garbage": items, "juminhyo": juminhyo, "tennyu": tennyu, "mynumber": mynumber}
