"""Knowledge changes, imports and the question log (CB-3, CB-5, CB-6, CB-8, CB-9)."""

from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from civicline.chatbot import search, services
from civicline.chatbot.models import FaqEntry, GarbageItem, QuestionLog, ScenarioNode, Status
from civicline.core.models import AuditEntry
from civicline.core.permissions import NotYourDepartment

from .factories import FaqEntryFactory, GarbageItemFactory, ScenarioNodeFactory

pytestmark = pytest.mark.django_db

TAKAMATSU = (
    Path(__file__).resolve().parents[2] / "civicline/chatbot/demo_data/takamatsu_0074_gomi_bunbetsu.csv"
)


# --- department isolation (CB-8) ---------------------------------------------------------------


def test_department_B_cannot_change_or_delete_A_entries_CB8(department, other_staff_user):
    entry = FaqEntryFactory(department=department)
    item = GarbageItemFactory(department=department)

    with pytest.raises(NotYourDepartment, match="他の課のデータは変更できません"):
        services.faq_update(actor=other_staff_user, entry=entry, answer="書き換え")
    with pytest.raises(NotYourDepartment):
        services.faq_delete(actor=other_staff_user, entry=entry)
    with pytest.raises(NotYourDepartment):
        services.garbage_item_delete(actor=other_staff_user, item=item)
    with pytest.raises(NotYourDepartment):
        services.faq_create(actor=other_staff_user, department=department, question="q", answer="a")

    entry.refresh_from_db()
    assert entry.answer == "窓口でお手続きください。" and GarbageItem.objects.filter(pk=item.pk).exists()


def test_a_scenario_holding_another_departments_item_is_deleted_by_the_administrator_only_CB8(
    department, other_department, staff_user, system_admin
):
    node = ScenarioNodeFactory(department=department, label="証明書")
    ScenarioNodeFactory(department=other_department, parent=node, label="税の証明")

    with pytest.raises(NotYourDepartment, match="他の課の項目を含むため削除できません"):
        services.scenario_node_delete(actor=staff_user, node=node)
    assert ScenarioNode.objects.count() == 2

    services.scenario_node_delete(actor=system_admin, node=node)
    assert not ScenarioNode.objects.exists()


def test_system_admin_may_change_any_department(department, system_admin):
    entry = FaqEntryFactory(department=department)

    services.faq_update(actor=system_admin, entry=entry, answer="管理者が修正")

    entry.refresh_from_db()
    assert entry.answer == "管理者が修正"


def test_changes_are_audited_CB3(staff_user):
    entry = services.faq_create(
        actor=staff_user,
        department=staff_user.department,
        question="犬の登録",
        answer="保健所へ",
        phrasings=["犬"],
    )
    services.faq_update(actor=staff_user, entry=entry, answer="動物愛護センターへ")
    services.faq_delete(actor=staff_user, entry=entry)

    actions = list(AuditEntry.objects.order_by("sequence").values_list("action", flat=True))
    assert actions[-3:] == ["create", "update", "delete"]
    update = AuditEntry.objects.get(action="update")
    assert update.changes["answer"] == {"before": "保健所へ", "after": "動物愛護センターへ"}


def test_bad_flex_or_empty_question_changes_nothing(staff_user):
    with pytest.raises(ValidationError):
        services.faq_create(actor=staff_user, department=staff_user.department, question="", answer="a")
    assert not FaqEntry.objects.exists()


# --- imports (CB-9) ----------------------------------------------------------------------------


def test_the_real_takamatsu_dictionary_imports_CB9(department):
    result = services.garbage_import(actor=None, department=department, data=TAKAMATSU.read_bytes())

    # 613 numbered rows, of which 7 are left empty (no name, no category).
    assert result.errors == [] and result.created == 606
    item = GarbageItem.objects.get(name="アイロン台")
    assert item.category.name == "破砕ごみ" and "臨時・粗大ごみ" in item.note
    assert GarbageItem.objects.get(name="一斗缶").reading == "いっとかん"


def test_item_without_category_is_kept_as_a_draft(department):
    data = "name,classification\n謎の品,\n".encode()

    result = services.garbage_import(actor=None, department=department, data=data)

    assert result.drafts == 1 and GarbageItem.objects.get().status == Status.DRAFT


def test_reimport_updates_instead_of_duplicating(department):
    services.garbage_import(actor=None, department=department, data=TAKAMATSU.read_bytes())
    result = services.garbage_import(actor=None, department=department, data=TAKAMATSU.read_bytes())

    # The same file again: every item found and left as it is, none doubled.
    assert result.created == 0 and result.updated == 0 and result.unchanged == 606
    assert GarbageItem.objects.count() == 606


def test_standard_open_data_format_in_shift_jis(department):
    csv_text = (
        "全国地方公共団体コード,ID,地方公共団体名,地区名,ゴミの品目,ゴミの品目_カナ,ゴミの品目_英字,分別区分,注意点,備考,粗大ごみ回収料金\n"
        "272035,1,豊中市,,ソファー,ソファー,sofa,粗大ごみ,予約してください,,1000円\n"
        "272035,2,豊中市,,茶わん,チャワン,bowl,不燃ごみ,割れ物は紙で包む,,\n"
    )

    result = services.garbage_import(
        actor=None, department=department, data=csv_text.encode("cp932"), format="standard"
    )

    assert result.created == 2
    sofa = GarbageItem.objects.get(name="ソファー")
    assert sofa.fee == "1000円" and sofa.how_to == "予約してください" and sofa.category.is_oversized


def test_5374_target_csv(department):
    data = "type,name,notice,furigana\n燃やすごみ,生ごみ,水を切って,なまごみ\n".encode()

    result = services.garbage_import(actor=None, department=department, data=data, format="5374")

    assert result.created == 1 and GarbageItem.objects.get().reading == "なまごみ"


def test_other_layouts_through_a_mapping(department):
    data = "品名,区分\nやかん,金属ごみ\n".encode()

    with pytest.raises(ValidationError):
        services.garbage_import(actor=None, department=department, data="名前,種類\nやかん,金属\n".encode())
    result = services.garbage_import(
        actor=None, department=department, data=data, mapping="name=品名,category=区分"
    )

    assert result.created == 1


def test_malformed_or_oversized_files_change_nothing(department):
    with pytest.raises(ValidationError):
        services.garbage_import(actor=None, department=department, data=b"\xff\xfe\x00garbage")
    with pytest.raises(ValidationError):
        services.garbage_import(actor=None, department=department, data=b"a" * (6 * 1024 * 1024))
    assert not GarbageItem.objects.exists()


def test_faq_import_with_department_column(department, other_department):
    data = (
        "question,answer,category,department\n"
        f"児童手当は？,こども課へ,子育て,{other_department.code}\n"
        "住民票は？,市民課へ,,\n"
    ).encode()

    result = services.faq_import(actor=None, data=data, default_department=department)

    assert result.created == 2
    assert FaqEntry.objects.get(question="児童手当は？").department == other_department
    assert FaqEntry.objects.get(question="住民票は？").department == department


def test_faq_import_with_unknown_department_imports_nothing(department):
    data = b"question,answer,department\nQ1,A1,\nQ2,A2,nowhere\n"

    result = services.faq_import(actor=None, data=data, default_department=department)

    assert result.errors and not FaqEntry.objects.exists()


# --- question log and learning (CB-5, CB-6) ----------------------------------------------------


def test_every_question_is_logged_without_personal_data_CB5(knowledge):
    asked = services.question_ask(text="山田です。090-1111-2222 ペットボトルの捨て方", user_id="U1")

    log = QuestionLog.objects.get(pk=asked.log.pk)
    assert "090" not in log.text and "山田" not in log.text
    assert log.outcome == QuestionLog.Outcome.ANSWERED and log.answer_title == "ペットボトル"
    assert log.asker_key and "U1" not in log.asker_key


def test_feedback_is_accepted_only_from_the_asker(knowledge):
    log = services.question_ask(text="ペットボトル", user_id="U1").log

    assert services.question_feedback(log_id=log.pk, user_id="U2", resolved=False) is None
    services.question_feedback(log_id=log.pk, user_id="U1", resolved=True)

    log.refresh_from_db()
    assert log.resolved is True


def test_unanswered_question_becomes_a_qa_in_one_step_CB6(knowledge, staff_user):
    log = services.question_ask(text="ペットの猫が迷子になった", user_id="U1").log
    assert log.outcome == QuestionLog.Outcome.UNANSWERED

    services.question_adopt_as_faq(
        actor=staff_user, log=log, question=log.text, answer="動物愛護センターへご連絡ください。"
    )

    ranking = search.rank("ペットの猫が迷子になった")
    assert ranking.confident and ranking.best.title == "ペットの猫が迷子になった"
    log.refresh_from_db()
    assert log.handled


def test_unanswered_question_becomes_a_phrasing_CB6(knowledge, staff_user):
    log = services.question_ask(text="引越してきた人の届出", user_id="U1").log

    services.question_adopt_as_phrasing(actor=staff_user, log=log, entry=knowledge["tennyu"])

    assert search.rank("引越してきた人の届出").best.title == knowledge["tennyu"].question
