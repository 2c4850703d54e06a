"""Importing the files cities keep: header variants, layouts, encodings, and the preview (CB-9).

The files here are small synthetic ones in the layouts of files cities publish: the national
standard dataset (as published plain, with newer column names, or with every column prefixed),
5374's target.csv (``type`` or ``label``; ``furigana`` is the letter the list is filed under),
cities' own garbage lists, and Q&A lists with a category, the department and a page's URL.
"""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from civicline.chatbot import handlers, import_plan, importers, services
from civicline.chatbot.models import FaqEntry, GarbageItem, KnowledgeImport, Status
from civicline.core.models import AuditEntry

from .factories import FaqEntryFactory, GarbageCategoryFactory, GarbageItemFactory

pytestmark = pytest.mark.django_db


def faq_columns(text: str, **kwargs) -> dict[str, str]:
    return importers.read_faq(text.encode(), **kwargs).columns


def garbage_columns(text: str, **kwargs) -> dict[str, str]:
    return importers.read_garbage(text.encode(), **kwargs).columns


# --- header families ----------------------------------------------------------------------------

FAQ_VARIANTS = {
    "question": ["質問", "質問内容", "問", "Q", "よくある質問", "質問文", "タイトル", "FAQ", "【質問】"],
    "answer": ["回答", "回答内容", "答え", "A", "回答文", "ａｎｓｗｅｒ"],
    "category": ["カテゴリ", "カテゴリー", "分類", "大分類", "中分類", "ジャンル"],
    "department": ["担当課", "担当部署", "所管課", "問い合わせ先", "担当"],
    "url": ["URL", "関連URL", "参照URL", "リンク", "ページURL", "ＵＲＬ"],
}
FAQ_OTHERS = {"question": "質問", "answer": "回答"}


@pytest.mark.parametrize(
    ("field", "header"), [(f, h) for f, headers in FAQ_VARIANTS.items() for h in headers]
)
def test_faq_header_variants_cities_use(field, header):
    others = [h for f, h in FAQ_OTHERS.items() if f != field]
    text = ",".join(["No", *others, header]) + "\n" + ",".join(["1", *(["x"] * len(others)), "y"]) + "\n"

    assert faq_columns(text)[field] == header


GARBAGE_VARIANTS = {
    "name": ["品目", "品名", "品目名", "ごみの品目", "ゴミの種類", "品目（50音順）", "ゴミの品目"],
    "category": ["分別区分", "区分", "分け方", "出し方", "分別方法", "収集区分", "ごみの分別"],
    "how_to": ["注意点", "出し方のポイント", "排出方法"],
    "reading": ["よみ", "よみがな", "ふりがな", "読み仮名", "カナ", "ヨミガナ", "ﾌﾘｶﾞﾅ"],
    "fee": ["手数料", "料金", "粗大ごみ処理手数料", "料金（円）"],
    "note": ["備考"],
}
GARBAGE_OTHERS = {"name": "品目", "category": "分別区分"}


@pytest.mark.parametrize(
    ("field", "header"), [(f, h) for f, headers in GARBAGE_VARIANTS.items() for h in headers]
)
def test_garbage_header_variants_cities_use(field, header):
    others = [h for f, h in GARBAGE_OTHERS.items() if f != field]
    text = ",".join([*others, header]) + "\n" + ",".join(["x"] * (len(others) + 1)) + "\n"

    assert garbage_columns(text)[field] == header


@pytest.mark.parametrize(
    "header",
    ["\ufeff#品目", " 品 目 ", "＃品目", "NAME", "Name", "「品目」", "品目※", "［品目］"],
)
def test_headers_are_compared_normalised(header):
    # The header is shown as the file has it (a file's BOM is not part of it).
    assert garbage_columns(f"{header},分別区分\nやかん,金属\n")["name"] == header.strip("\ufeff ")


def test_a_column_named_dashikata_is_the_instructions_when_the_file_has_a_category():
    columns = garbage_columns("品目,分別区分,出し方,備考\nやかん,金属ごみ,中を乾かす,\n")

    assert columns["category"] == "分別区分" and columns["how_to"] == "出し方"


def test_a_title_line_before_the_header_is_skipped():
    parsed = importers.read_faq(
        "よくある質問一覧（令和6年度）,,\n\n番号,質問,回答\n1,犬の登録は？,保健所へ\n".encode()
    )

    assert parsed.rows[0].line == 4 and parsed.rows[0].values["question"] == "犬の登録は？"


# --- layouts ------------------------------------------------------------------------------------


@pytest.mark.parametrize("category_header", ["type", "label"])
def test_5374_target_csv(department, category_header):
    # As 5374 forks publish it: furigana is the letter the item is filed under, often with a
    # trailing space; some rows miss their last columns, some their category.
    data = (
        f"{category_header},name,notice,furigana\n"
        "燃やすごみ,生ごみ,水を切ってください,な \n"
        "不燃ごみ,アイロン,,あ\n"
        "燃やせる,人形\n"
        ",金庫（耐火金庫）,要問い合わせ,き\n"
    ).encode()

    result = services.garbage_import(actor=None, department=department, data=data)

    assert result.errors == [] and result.created == 4 and result.drafts == 1
    namagomi = GarbageItem.objects.get(name="生ごみ")
    assert namagomi.category.name == "燃やすごみ" and namagomi.how_to == "水を切ってください"
    assert namagomi.reading == "なまごみ"  # read from the name, not the index letter な
    assert GarbageItem.objects.get(name="金庫（耐火金庫）").status == Status.DRAFT


def test_5374_format_named_explicitly(department):
    data = "type,name,notice,furigana\n燃やすごみ,生ごみ,水を切って,なまごみ\n".encode()

    result = services.garbage_import(actor=None, department=department, data=data, format="5374")

    assert result.created == 1 and GarbageItem.objects.get().reading == "なまごみ"


def test_standard_dataset_in_its_published_newer_and_prefixed_forms(department, other_department):
    published = (
        "全国地方公共団体コード,ID,地方公共団体名,地区名,ゴミの品目,ゴミの品目_カナ,ゴミの品目_英字,"
        "分別区分,注意点,備考,粗大ごみ回収料金\n"
        "999999,1,架空市,,ソファー,ソファー,sofa,粗大ごみ,予約してください,,1000円\n"
    )
    newer = (
        "全国地方公共団体コード,ID,地方公共団体名,品目,分別区分,注意点,料金種別,料金,料金備考,備考\n"
        "999999,B0001,架空市,乾電池,有害ごみ,,無料,,,端子にテープを貼る\n"
    )
    prefixed = (
        "ごみの分別方法_全国地方公共団体コード,ごみの分別方法_ID,ごみの分別方法_品目,"
        "ごみの分別方法_分別区分,ごみの分別方法_注意点,ごみの分別方法_備考\n"
        "999999,S0001,アイスピック,不燃ごみ,紙に包む,\n"
    )

    for data, dept in ((published, department), (newer, department), (prefixed, other_department)):
        result = services.garbage_import(actor=None, department=dept, data=data.encode(), format="standard")
        assert result.errors == [] and result.created == 1

    sofa = GarbageItem.objects.get(name="ソファー")
    assert sofa.fee == "1000円" and sofa.how_to == "予約してください" and sofa.reading == "ソファー"
    assert GarbageItem.objects.get(name="乾電池").note == "端子にテープを貼る"
    assert GarbageItem.objects.get(name="アイスピック").category.name == "不燃ごみ"


def test_a_city_list_with_its_own_names_reading_and_fee(department):
    data = (
        "品目名,よみがな,ごみの分別,出し方のポイント,粗大ごみ処理手数料\n"
        "たんす,たんす,粗大ごみ,予約制です,1200円\n"
    ).encode()

    services.garbage_import(actor=None, department=department, data=data)

    item = GarbageItem.objects.get()
    assert (item.category.name, item.how_to, item.fee, item.reading) == (
        "粗大ごみ",
        "予約制です",
        "1200円",
        "たんす",
    )


# --- encodings ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("encoding", "shown"), [("cp932", "Shift_JIS"), ("utf-8-sig", "UTF-8（BOM付き）")])
def test_shift_jis_and_utf8_with_bom(department, encoding, shown):
    garbage = "品目,分別区分,注意点\n茶わん,不燃ごみ,割れ物は紙で包む\n".encode(encoding)
    faq = "質問,回答,カテゴリー\n粗大ごみの出し方は？,予約してください。,ごみ\n".encode(encoding)

    assert importers.read_garbage(garbage).encoding == shown
    services.garbage_import(actor=None, department=department, data=garbage)
    services.faq_import(actor=None, data=faq, default_department=department)

    assert GarbageItem.objects.get().how_to == "割れ物は紙で包む"
    assert FaqEntry.objects.get().category == "ごみ"


# --- unknown layouts ----------------------------------------------------------------------------


def test_unknown_layout_names_the_columns_found_and_how_to_map_them(department):
    with pytest.raises(ValidationError) as refused:
        services.garbage_import(
            actor=None, department=department, data="番号,もの,捨て方\n1,やかん,金属\n".encode()
        )

    message = refused.value.messages[0]
    assert "品目（name）" in message and "分別区分（category）" in message
    assert "番号、もの、捨て方" in message and "例: name=もの,category=捨て方" in message
    assert not GarbageItem.objects.exists()

    result = services.garbage_import(
        actor=None,
        department=department,
        data="番号,もの,捨て方\n1,やかん,金属\n".encode(),
        mapping="name=もの,category=捨て方",
    )
    assert result.created == 1


def test_faq_mapping_names_columns_and_leaves_one_out(department):
    data = "問い,こたえ,問い合わせ先\n犬の登録は？,保健所へ,保健所（電話 000-0000）\n".encode()

    with pytest.raises(ValidationError, match="回答（answer）"):
        services.faq_import(actor=None, data=data, default_department=department)
    result = services.faq_import(
        actor=None, data=data, default_department=department, mapping="answer=こたえ,department="
    )

    assert result.created == 1 and FaqEntry.objects.get().department == department


def test_a_mapping_that_cannot_be_read_says_so():
    with pytest.raises(ValidationError, match="列の対応「質問」が読めません"):
        importers.read_faq(b"q,a\nx,y\n", mapping="質問")


# --- Q&A: department, URL -----------------------------------------------------------------------


def test_faq_url_is_kept_and_sent_with_the_answer(department):
    data = (
        "質問,回答,関連URL\n"
        "粗大ごみの出し方は？,電話で予約してください。,https://www.city.example.jp/gomi/sodai.html\n"
    ).encode()

    services.faq_import(actor=None, data=data, default_department=department)

    entry = FaqEntry.objects.get()
    assert entry.url == "https://www.city.example.jp/gomi/sodai.html"
    text = handlers.faq_messages(entry)[0]["text"]
    assert (
        text.startswith("電話で予約してください。") and "https://www.city.example.jp/gomi/sodai.html" in text
    )


def test_a_long_answer_is_cut_but_its_url_is_kept():
    entry = FaqEntry(answer="あ" * 5000, url="https://www.city.example.jp/a.html")

    text = handlers.faq_messages(entry)[0]["text"]

    assert len(text) <= 5000 and text.endswith("https://www.city.example.jp/a.html")


def test_staff_edit_the_url_of_a_qa(staff_client, staff_user):
    entry = FaqEntryFactory(department=staff_user.department, question="犬の登録")

    staff_client.post(
        reverse("chatbot:faq-update", args=[entry.pk]),
        {
            "question": "犬の登録",
            "answer": "保健所へ",
            "url": "www.city.example.jp/inu",
            "status": "published",
        },
    )

    entry.refresh_from_db()
    assert entry.url == "https://www.city.example.jp/inu"
    assert (
        "www.city.example.jp/inu"
        in staff_client.get(reverse("chatbot:faq-update", args=[entry.pk])).content.decode()
    )


def test_department_named_inside_a_contact_cell(department, other_department):
    data = (
        "質問,回答,問い合わせ先\n"
        "ごみの日は？,地区ごとに違います。,環境課（電話 000-000-0000）\n"
        "児童手当は？,申請してください。,kosodate\n"
    ).encode()

    result = services.faq_import(actor=None, data=data, default_department=None)

    assert result.created == 2
    assert FaqEntry.objects.get(question="ごみの日は？").department == other_department
    assert FaqEntry.objects.get(question="児童手当は？").department == department


def test_bad_faq_rows_each_with_a_reason(department):
    data = (
        "質問,回答,URL,担当課\n"
        "Q1,A1,,\n"
        ",回答だけ,,\n"
        "Q3,A3,javascript:alert(1),\n"
        "Q4,A4,,存在しない課\n"
        "Q1,別の答え,,\n"
        "Q1,A1,,\n"
    ).encode()

    plan = import_plan.faq_plan(actor=None, default_department=department, parsed=importers.read_faq(data))

    expected = [
        (3, "質問が空です"),
        (4, "関連URL「javascript:alert(1)」はURLとして使えません"),
        (5, "担当課「存在しない課」が見つかりません"),
        (6, "「Q1」は 2 行目にもあり、内容が違います"),
    ]
    assert [r.line for r in plan.refused] == [line for line, _reason in expected]
    assert all(reason in r.reason for r, (_line, reason) in zip(plan.refused, expected, strict=True))
    assert len(plan.new) == 1 and [m.line for m in plan.merged] == [7]  # the same row twice is one Q&A


# --- what changes -------------------------------------------------------------------------------


def test_reimport_tells_new_changed_and_unchanged_apart(department):
    burnable = GarbageCategoryFactory(department=department, name="燃やすごみ")
    GarbageItemFactory(department=department, name="生ごみ", reading="なまごみ", category=burnable)
    GarbageItemFactory(
        department=department, name="紙くず", reading="かみくず", category=burnable, how_to="古い説明"
    )
    data = "品目,分別区分,注意点\n生ごみ,燃やすごみ,\n紙くず,燃やすごみ,新しい説明\n電池,有害ごみ,\n".encode()

    plan = import_plan.garbage_plan(department=department, parsed=importers.read_garbage(data))

    assert plan.counts() == {
        "rows": 3,
        "new": 1,
        "changed": 1,
        "unchanged": 1,
        "refused": 0,
        "merged": 0,
        "drafts": 0,
    }
    change = plan.changed[0].changes
    assert [(c.label, c.before, c.after) for c in change] == [("出し方・注意点", "古い説明", "新しい説明")]


def test_garbage_rows_refused_for_length_and_mojibake(department):
    data = (
        f"品目,分別区分\n{'長' * 201},燃やすごみ\nな\ufffdべ,金属ごみ\nカーテン,燃やすごみ\n,燃やすごみ\n"
    ).encode()

    result = services.garbage_import(actor=None, department=department, data=data)

    assert [e.split(":")[0] for e in result.errors] == ["2 行目", "3 行目", "5 行目"]
    assert "品目が長すぎます（201 文字、上限 200 文字）" in result.errors[0]
    assert "文字化け" in result.errors[1] and "品目が空です" in result.errors[2]
    assert not GarbageItem.objects.exists()  # all or nothing outside the preview


def test_an_item_listed_twice_keeps_both_answers(department):
    # Cities list one item under two categories on purpose, each with its condition.
    data = (
        "type,name,notice,furigana\n"
        "使用済み小型家電,ICレコーダー,回収ボックスへ,あ\n"
        "燃やさないごみ,ICレコーダー,持ち込めない場合,あ\n"
        "燃やさないごみ,ICレコーダー,持ち込めない場合,あ\n"
    ).encode()

    result = services.garbage_import(actor=None, department=department, data=data)

    assert result.errors == [] and result.created == 1
    item = GarbageItem.objects.get()
    assert item.category.name == "使用済み小型家電" and item.how_to == "回収ボックスへ"
    assert item.note == "または【燃やさないごみ】 持ち込めない場合"
    plan = result.plan
    assert [(m.line, m.into) for m in plan.merged] == [(3, 2), (4, 2)]
    assert "備考に「または【燃やさないごみ】 持ち込めない場合」と加えます" in plan.merged[0].message


# --- the preview in the console -----------------------------------------------------------------

BAD_FILE = (
    "品目,分別区分,注意点\n生ごみ,燃やすごみ,水を切る\n,燃やすごみ,品目のない行\n乾電池,有害ごみ,\n謎の品,,\n"
).encode("cp932")


def upload(client, url_name, data, **fields):
    file = SimpleUploadedFile("list.csv", data, "text/csv")
    return client.post(reverse(url_name), {"file": file, "format": "auto", "mapping": "", **fields})


def test_preview_lists_refused_rows_and_nothing_changes_until_confirmed(staff_client, staff_user):
    response = upload(staff_client, "chatbot:garbage-import", BAD_FILE)
    knowledge_import = KnowledgeImport.objects.get()
    assert response["Location"] == reverse("chatbot:import-preview", args=[knowledge_import.pk])
    assert knowledge_import.department == staff_user.department and knowledge_import.uploaded_by == staff_user

    html = staff_client.get(response["Location"]).content.decode()

    refused = html.split('id="import-refused"')[1].split("</table>")[0]
    assert "3 行目" in refused and "品目が空です" in refused
    assert "Shift_JIS" in html and 'name="skip_refused"' in html
    counts = html.split('id="import-counts"')[1].split("</ul>")[0]
    assert (
        "<strong>4</strong>" in counts and "<strong>3</strong>" in counts and "<strong>1</strong>" in counts
    )
    assert not GarbageItem.objects.exists()

    # Without the box ticked the file is not applied: the refused row must be acknowledged.
    apply_url = reverse("chatbot:import-apply", args=[knowledge_import.pk])
    staff_client.post(apply_url)
    assert not GarbageItem.objects.exists()


def test_apply_the_good_rows_and_audit_the_counts(staff_client, staff_user):
    upload(staff_client, "chatbot:garbage-import", BAD_FILE)
    knowledge_import = KnowledgeImport.objects.get()

    response = staff_client.post(
        reverse("chatbot:import-apply", args=[knowledge_import.pk]), {"skip_refused": "1"}
    )

    assert response["Location"] == reverse("chatbot:garbage-list")
    assert sorted(GarbageItem.objects.values_list("name", flat=True)) == ["乾電池", "生ごみ", "謎の品"]
    assert GarbageItem.objects.get(name="謎の品").status == Status.DRAFT
    knowledge_import.refresh_from_db()
    assert knowledge_import.applied_at is not None and bytes(knowledge_import.content) == b""
    assert knowledge_import.summary["refused_rows"] == [{"line": 3, "reason": "品目が空です。"}]
    entry = AuditEntry.objects.filter(action="update").latest("sequence")
    assert entry.actor == staff_user and entry.department == staff_user.department
    assert "取り込まなかった行 1 件" in entry.summary
    assert (
        entry.changes["new"] == 3 and entry.changes["refused"] == 1 and entry.changes["skip_refused"] is True
    )
    assert entry.changes["refused_rows"] == [{"line": 3, "reason": "品目が空です。"}]
    # Applied once: the same upload cannot be applied again.
    staff_client.post(reverse("chatbot:import-apply", args=[knowledge_import.pk]), {"skip_refused": "1"})
    assert AuditEntry.objects.filter(action="update").count() == 1


def test_faq_import_page_with_preview(staff_client, staff_user):
    data = (
        "質問内容,回答内容,カテゴリー,参照URL\n"
        "犬の登録は？,保健所で登録します。,動物,https://www.city.example.jp/inu.html\n"
    ).encode("utf-8-sig")
    assert staff_client.get(reverse("chatbot:faq-import")).status_code == 200
    assert reverse("chatbot:faq-import") in staff_client.get(reverse("chatbot:faq-list")).content.decode()

    response = upload(staff_client, "chatbot:faq-import", data)
    html = staff_client.get(response["Location"]).content.decode()
    assert "犬の登録は？" in html and "https://www.city.example.jp/inu.html" in html and "参照URL" in html

    knowledge_import = KnowledgeImport.objects.get()
    staff_client.post(reverse("chatbot:import-apply", args=[knowledge_import.pk]))

    entry = FaqEntry.objects.get()
    assert entry.department == staff_user.department and entry.source == FaqEntry.Source.IMPORT
    assert entry.url == "https://www.city.example.jp/inu.html" and entry.category == "動物"


def test_staff_cannot_import_qa_into_another_department(staff_client, other_department):
    data = f"質問,回答,担当課\n他課の質問,他課の回答,{other_department.name}\n".encode()

    response = upload(staff_client, "chatbot:faq-import", data)
    html = staff_client.get(response["Location"]).content.decode()

    assert "他の課（環境課）のQ&amp;Aは取り込めません" in html and "取り込める行がありません" in html
    staff_client.post(
        reverse("chatbot:import-apply", args=[KnowledgeImport.objects.get().pk]), {"skip_refused": "1"}
    )
    assert not FaqEntry.objects.exists()


def test_unreadable_file_is_refused_on_the_form_and_not_kept(staff_client):
    response = upload(staff_client, "chatbot:faq-import", "番号,本文だけ\n1,x\n".encode())

    html = response.content.decode()
    assert response.status_code == 200 and "必要な列がありません" in html and "質問（question）" in html
    assert not KnowledgeImport.objects.exists()


def test_another_department_cannot_see_or_apply_a_pending_import(
    staff_client, console_client, other_staff_user, system_admin_client
):
    upload(staff_client, "chatbot:garbage-import", BAD_FILE)
    knowledge_import = KnowledgeImport.objects.get()
    other = console_client(other_staff_user)

    for name in ("chatbot:import-preview", "chatbot:import-apply", "chatbot:import-discard"):
        url = reverse(name, args=[knowledge_import.pk])
        assert other.get(url).status_code in (404, 405)
        assert other.post(url, {"skip_refused": "1"}).status_code == 404
    assert not GarbageItem.objects.exists() and KnowledgeImport.objects.filter(applied_at=None).exists()
    assert (
        system_admin_client.get(reverse("chatbot:import-preview", args=[knowledge_import.pk])).status_code
        == 200
    )


def test_discard_drops_the_file(staff_client):
    upload(staff_client, "chatbot:garbage-import", BAD_FILE)
    knowledge_import = KnowledgeImport.objects.get()

    staff_client.post(reverse("chatbot:import-discard", args=[knowledge_import.pk]))

    assert not KnowledgeImport.objects.exists() and not GarbageItem.objects.exists()


def test_an_expired_upload_cannot_be_applied_and_is_cleared_by_the_next(staff_client, staff_user):
    upload(staff_client, "chatbot:garbage-import", BAD_FILE)
    knowledge_import = KnowledgeImport.objects.get()
    KnowledgeImport.objects.update(
        created_at=knowledge_import.created_at - KnowledgeImport.EXPIRES_AFTER - timedelta(minutes=1)
    )

    html = staff_client.get(reverse("chatbot:import-preview", args=[knowledge_import.pk])).content.decode()
    assert "期限が切れました" in html
    with pytest.raises(ValidationError, match="期限が切れました"):
        services.knowledge_import_apply(
            actor=staff_user, knowledge_import=knowledge_import, skip_refused=True
        )

    upload(staff_client, "chatbot:faq-import", "質問,回答\nq,a\n".encode())
    assert list(KnowledgeImport.objects.values_list("kind", flat=True)) == ["faq"]


def test_a_new_upload_replaces_the_same_persons_earlier_preview(staff_client):
    upload(staff_client, "chatbot:garbage-import", BAD_FILE)
    upload(staff_client, "chatbot:garbage-import", BAD_FILE)

    assert KnowledgeImport.objects.count() == 1


def test_rows_for_the_same_item_that_only_differ_in_reading_are_one_item(department):
    data = "type,name,notice,furigana\n燃やすごみ,生ごみ,水を切る,な\n燃やすごみ,生ごみ,水を切る,ま\n"

    plan = import_plan.garbage_plan(department=department, parsed=importers.read_garbage(data.encode()))

    assert len(plan.new) == 1 and plan.new[0].after["note"] == ""
    assert plan.merged[0].message == "同じ品目が 2 行目にもあります（1 件にまとめます）。"
