"""Console pages: department-scoped editing, imports, question analysis (CB-3, CB-4, CB-6, CB-8)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from civicline.chatbot import search, services
from civicline.chatbot.models import FaqEntry, GarbageItem, QuestionLog

from .factories import FaqEntryFactory, GarbageItemFactory, ScenarioNodeFactory

pytestmark = pytest.mark.django_db


def test_staff_create_a_qa_with_phrasings_CB3(staff_client, staff_user):
    response = staff_client.post(
        reverse("chatbot:faq-create"),
        {
            "question": "犬の登録",
            "answer": "保健所へ",
            "phrasings": "犬を飼い始めた\n犬の届け出",
            "status": "published",
        },
    )

    assert response.status_code == 302
    entry = FaqEntry.objects.get()
    assert entry.department == staff_user.department and entry.phrasings.count() == 2


def test_other_departments_entries_are_404_and_not_listed_CB8(console_client, department, other_staff_user):
    entry = FaqEntryFactory(department=department, question="Aの質問")
    item = GarbageItemFactory(department=department, name="Aの品目")
    node = ScenarioNodeFactory(department=department, label="Aの分野")
    client = console_client(other_staff_user)

    for name, pk in [
        ("chatbot:faq-update", entry.pk),
        ("chatbot:faq-delete", entry.pk),
        ("chatbot:garbage-update", item.pk),
        ("chatbot:garbage-delete", item.pk),
        ("chatbot:scenario-update", node.pk),
        ("chatbot:scenario-delete", node.pk),
    ]:
        assert client.post(reverse(name, args=[pk]), {"question": "x", "answer": "x"}).status_code == 404
    assert "Aの質問" not in client.get(reverse("chatbot:faq-list")).content.decode()
    assert "Aの品目" not in client.get(reverse("chatbot:garbage-list")).content.decode()
    assert FaqEntry.objects.filter(pk=entry.pk).exists() and GarbageItem.objects.filter(pk=item.pk).exists()


def test_owner_deletes_own_entry(staff_client, staff_user):
    entry = FaqEntryFactory(department=staff_user.department)

    assert staff_client.post(reverse("chatbot:faq-delete", args=[entry.pk])).status_code == 302
    assert not FaqEntry.objects.exists()


def test_submitted_text_is_escaped(staff_client, staff_user):
    FaqEntryFactory(department=staff_user.department, question="<script>alert(1)</script>")

    html = staff_client.get(reverse("chatbot:faq-list")).content.decode()

    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_invalid_flex_json_is_refused_with_a_message(staff_client):
    response = staff_client.post(
        reverse("chatbot:faq-create"),
        {"question": "q", "answer": "a", "flex": "{broken", "status": "published"},
    )

    assert response.status_code == 200 and "JSONとして読めません" in response.content.decode()
    assert not FaqEntry.objects.exists()


def test_garbage_csv_upload_is_previewed_then_imported(staff_client):
    upload = SimpleUploadedFile("gomi.csv", "name,classification,note\n電池,有害ごみ,\n".encode(), "text/csv")

    response = staff_client.post(reverse("chatbot:garbage-import"), {"file": upload, "format": "auto"})

    assert response.status_code == 302 and not GarbageItem.objects.exists()
    preview = staff_client.get(response["Location"]).content.decode()
    assert "電池" in preview and "取り込む" in preview
    staff_client.post(response["Location"] + "apply/")
    assert GarbageItem.objects.get().category.name == "有害ごみ"


def test_garbage_csv_with_wrong_headers_shows_why(staff_client):
    upload = SimpleUploadedFile("gomi.csv", b"a,b\n1,2\n", "text/csv")

    response = staff_client.post(reverse("chatbot:garbage-import"), {"file": upload, "format": "auto"})

    assert "必要な列がありません" in response.content.decode() and not GarbageItem.objects.exists()


def test_insights_show_answer_rate_and_unanswered_clusters_CB4(system_admin_client, knowledge):
    for text in ["ペットボトル", "猫が迷子になりました", "迷子の猫を探しています", "猫が迷子"]:
        services.question_ask(text=text, user_id="U1")

    html = system_admin_client.get(reverse("chatbot:insights")).content.decode()

    assert "25%" in html
    unanswered = html.split('id="unanswered"')[1].split("</table>")[0]
    assert unanswered.count("<tr>") == 2  # header + one cluster of the three 迷子の猫 questions


def test_adopt_unanswered_question_as_qa_in_one_step_CB6(staff_client, knowledge):
    log = services.question_ask(text="犬の登録はどうすればいい", user_id="U1").log
    assert log.outcome == QuestionLog.Outcome.UNANSWERED
    assert staff_client.get(reverse("chatbot:question-adopt-faq", args=[log.pk])).status_code == 200

    response = staff_client.post(
        reverse("chatbot:question-adopt-faq", args=[log.pk]),
        {"question": "犬の登録はどうすればいい", "answer": "動物愛護センターで登録します。"},
    )

    assert response.status_code == 302
    ranking = search.rank("犬の登録はどうすればいい")
    assert ranking.confident and ranking.best.title == "犬の登録はどうすればいい"


def test_department_sees_unanswered_questions_but_not_others_answered_ones(staff_client, knowledge):
    services.question_ask(text="ペットボトル", user_id="U1")  # answered by the other department
    services.question_ask(text="猫が迷子になりました", user_id="U1")

    html = staff_client.get(reverse("chatbot:insights")).content.decode()

    assert "猫が迷子になりました" in html and "ペットボトル" not in html


def test_a_residents_unanswered_question_stays_with_its_department_masked_and_sealed(
    knowledge, department, other_department, console_client, system_admin
):
    """CB-4, X-1 (issue 16): staff of an unrelated department could read another resident's
    「…DV被害の相談をしたい」 with a street address. Now: masked, sealed, scoped, and every view audited."""
    from django.db import connection

    from civicline.core.models import AuditEntry
    from tests.fixtures.core import DepartmentFactory, StaffFactory

    asked = "豊中市中桜塚3-1-1に住んでいますが、住民票の件でDV被害の相談をしたい"
    log = services.question_ask(text=asked, user_id="U1").log
    owner = log.department  # the department of the nearest candidate (住民票)
    assert owner == department
    unrelated = StaffFactory(department=DepartmentFactory(code="doro", name="道路課"))

    with connection.cursor() as cursor:
        cursor.execute("SELECT text FROM chatbot_questionlog WHERE id = %s", [log.pk])
        stored = cursor.fetchone()[0]
    assert stored.startswith("gAAAA") and "被害" not in stored and "相談" not in stored  # sealed at rest
    assert "中桜塚" not in log.text and "3-1-1" not in log.text and "DV被害の相談" in log.text  # masked

    for outsider in (console_client(unrelated), console_client(StaffFactory(department=other_department))):
        assert "DV被害" not in outsider.get(reverse("chatbot:insights")).content.decode()
        assert outsider.get(reverse("chatbot:question-adopt-faq", args=[log.pk])).status_code == 404
    for insider in (console_client(StaffFactory(department=owner)), console_client(system_admin)):
        assert "DV被害の相談" in insider.get(reverse("chatbot:insights")).content.decode()
    views = AuditEntry.objects.filter(action="view_personal", summary__startswith="住民の質問")
    assert views.count() == 4  # each look at the list, by whomever, is in the audit log
