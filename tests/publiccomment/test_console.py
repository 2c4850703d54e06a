"""Staff pages (PC-2, PC-3, PC-8): consultations and documents, the question builder, submissions
and their CSV, and a message to one submitter after a confirmation naming the receipt number."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from civicline.core.models import AuditEntry
from civicline.line.models import DirectMessage
from civicline.publiccomment.models import Consultation, Document
from tests.fixtures.line import FriendFactory
from tests.publiccomment.factories import COMMENT, key_of, make_consultation, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def consultation(department):
    return make_consultation(department=department)


@pytest.fixture
def submission(consultation, friend, fake_line_api):
    return submit(consultation, friend, COMMENT)


def csv_rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_pc3_staff_add_a_consultation_for_their_own_department(staff_client, staff_user):
    response = staff_client.post(
        "/console/publiccomment/new",
        {
            "title": "自転車条例（案）",
            "summary": "条例案の説明",
            "status": "open",
            "opens_at": "2025-04-01T09:00",
            "closes_at": "2025-04-30T17:00",
            "talk_enabled": "on",
        },
    )

    consultation = Consultation.objects.get()
    assert response["Location"] == f"/console/publiccomment/{consultation.pk}/"
    assert consultation.department == staff_user.department and consultation.created_by == staff_user
    assert AuditEntry.objects.filter(target_type="publiccomment.consultation", action="create").exists()


def test_a_period_ending_before_it_starts_is_refused(staff_client):
    response = staff_client.post(
        "/console/publiccomment/new",
        {
            "title": "x",
            "summary": "y",
            "status": "open",
            "opens_at": "2025-04-30T09:00",
            "closes_at": "2025-04-01T17:00",
        },
    )

    assert "募集終了は募集開始より後" in response.content.decode() and not Consultation.objects.exists()


def test_another_departments_consultation_is_not_found_nor_listed(staff_client, other_department):
    theirs = make_consultation(department=other_department, title="よその案件")

    assert "よその案件" not in staff_client.get("/console/publiccomment/").content.decode()
    for path in ["", "edit", "questions", "submissions/", "submissions/export"]:
        assert staff_client.get(f"/console/publiccomment/{theirs.pk}/{path}").status_code == 404


def test_the_system_administrator_sees_every_department(system_admin_client, consultation, other_department):
    make_consultation(department=other_department, title="よその案件")

    page = system_admin_client.get("/console/publiccomment/").content.decode()

    assert consultation.title in page and "よその案件" in page


def test_documents_are_links_or_real_pdfs(staff_client, consultation, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    url = f"/console/publiccomment/{consultation.pk}/"
    staff_client.post(url, {"title": "本文", "url": "https://city.example/plan"})
    staff_client.post(
        url, {"title": "概要版", "file": SimpleUploadedFile("a.pdf", b"%PDF-1.7 ...", "application/pdf")}
    )
    refused = staff_client.post(
        url, {"title": "偽物", "file": SimpleUploadedFile("x.pdf", b"<html>", "application/pdf")}
    )

    assert "PDFファイルを選んでください" in refused.content.decode()
    assert [(d.title, bool(d.file)) for d in Document.objects.all()] == [("本文", False), ("概要版", True)]


def test_pc6_staff_build_a_branching_question_in_the_builder(staff_client, department):
    consultation = make_consultation(department=department, questions=[])
    url = f"/console/publiccomment/{consultation.pk}/questions"
    page = staff_client.get(url).content.decode()
    assert 'name="q-0-label"' in page and 'name="q-1-label"' in page
    data = {
        "q-TOTAL_FORMS": "2",
        "q-INITIAL_FORMS": "0",
        "q-MIN_NUM_FORMS": "0",
        "q-MAX_NUM_FORMS": "100",
        "q-0-ref": "new0",
        "q-0-label": "賛否",
        "q-0-type": "single",
        "q-0-choices": "賛成\n反対",
        "q-0-required": "on",
        "q-1-ref": "new1",
        "q-1-label": "反対の理由",
        "q-1-type": "long_text",
        "q-1-cond_action": "show",
        "q-1-cond_question": "new0",
        "q-1-cond_op": "is",
        "q-1-cond_value": "反対",
    }

    response = staff_client.post(url, data)

    assert response.status_code == 302
    consultation.form.refresh_from_db()
    first, second = consultation.form.questions
    assert second["condition"] == {"action": "show", "question": first["key"], "op": "is", "value": "反対"}


def test_a_broken_rule_is_explained_and_nothing_is_saved(staff_client, department):
    consultation = make_consultation(department=department, questions=[])
    response = staff_client.post(
        f"/console/publiccomment/{consultation.pk}/questions",
        {
            "q-TOTAL_FORMS": "1",
            "q-INITIAL_FORMS": "0",
            "q-MIN_NUM_FORMS": "0",
            "q-MAX_NUM_FORMS": "100",
            "q-0-ref": "new0",
            "q-0-label": "賛否",
            "q-0-type": "single",
            "q-0-choices": "賛成",
        },
    )

    assert response.status_code == 400 and "選択肢を2つ以上" in response.content.decode()
    assert consultation.form.questions == []


def test_pc2_submissions_download_as_csv_with_formulas_kept_as_text(
    staff_client, consultation, friend, fake_line_api
):
    submit(consultation, friend, {**COMMENT, "ご意見": '=HYPERLINK("http://x","y")'})

    response = staff_client.get(f"/console/publiccomment/{consultation.pk}/submissions/export")

    header, row = csv_rows(response)
    assert header[:3] == ["受付番号", "受付日時", "入力方法"] and "ご意見" in header and "お名前" in header
    assert row[header.index("ご意見")] == '\'=HYPERLINK("http://x","y")'
    assert row[header.index("お名前")] == "豊中 花子"
    assert AuditEntry.objects.filter(action="export", target_type="publiccomment.consultation").exists()


def test_the_list_shows_the_department_an_excerpt_of_each_opinion_never_the_personal_answers(
    staff_client, consultation, friend, fake_line_api, django_assert_max_num_queries
):
    long = "道路の計画について、歩道を広くし、自転車の通行帯を分けてください。" * 4
    fix = {"ご意見の種類": "修正の提案", "ご意見": long, "修正案": "幅員を3mに"}
    submit(consultation, friend, {**COMMENT, **fix})
    submit(consultation, FriendFactory(), {**COMMENT, "ご意見": "<b>良い</b>計画です", "お名前": "千里 太郎"})

    with django_assert_max_num_queries(20):  # one read of the page's answers, not one per submission
        page = staff_client.get(f"/console/publiccomment/{consultation.pk}/submissions/").content.decode()

    table = page[page.index('id="pc-submissions"') :]
    assert "内容（抜粋）" in table
    assert "賛成 / &lt;b&gt;良い&lt;/b&gt;計画です" in table  # escaped
    excerpt = next(line for line in table.splitlines() if "修正の提案 / 道路の計画について" in line)
    assert "…" in excerpt and "幅員を3mに" not in excerpt  # 80 characters at most
    for personal in ("豊中 花子", "千里 太郎", "豊中市中桜塚"):
        assert personal not in page
    assert not AuditEntry.objects.filter(action="view_personal").exists()


def test_the_system_administrator_sees_the_list_without_excerpts(
    system_admin_client, consultation, friend, fake_line_api
):
    submit(consultation, friend, COMMENT)

    page = system_admin_client.get(f"/console/publiccomment/{consultation.pk}/submissions/").content.decode()

    assert "内容（抜粋）" not in page and "良い計画です" not in page
    assert "担当課の職員が受付番号を開いて表示します" in page


def test_script_in_a_comment_shows_as_text_and_the_view_is_audited(
    staff_client, consultation, friend, fake_line_api
):
    submission = submit(consultation, friend, {**COMMENT, "ご意見": "<script>alert('x')</script>"})

    page = staff_client.get(f"/console/publiccomment/submissions/{submission.pk}/").content.decode()

    assert (
        "<script>alert('x')</script>" not in page
        and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    )
    assert AuditEntry.objects.filter(action="view_personal", target_id=str(submission.pk)).exists()


def test_another_departments_submission_is_not_found(staff_client, other_department, fake_line_api):
    theirs = submit(make_consultation(department=other_department), FriendFactory(), COMMENT)

    assert staff_client.get(f"/console/publiccomment/submissions/{theirs.pk}/").status_code == 404
    assert (
        staff_client.post(
            f"/console/publiccomment/submissions/{theirs.pk}/message", {"text": "x"}
        ).status_code
        == 404
    )


def test_pc8_the_confirmation_names_the_receipt_number_and_a_masked_name(staff_client, submission):
    page = staff_client.post(
        f"/console/publiccomment/submissions/{submission.pk}/message",
        {"text": "ご住所の記入が不足しています"},
    ).content.decode()

    assert "送信先の確認" in page and submission.receipt_number in page
    assert "豊＊ 花＊" in page and "豊中 花子" not in page
    assert "ご住所の記入が不足しています" in page and not DirectMessage.objects.exists()


def test_pc8_a_wrong_receipt_number_sends_nothing(staff_client, submission, fake_line_api):
    response = staff_client.post(
        f"/console/publiccomment/submissions/{submission.pk}/message",
        {
            "step": "send",
            "text": "ご連絡",
            "confirmed_receipt_number": "PC-0000-0000",
        },
    )

    assert response.status_code == 400 and "一致しません" in response.content.decode()
    assert not fake_line_api.to("/v2/bot/message/push") and not DirectMessage.objects.exists()


def test_pc8_the_message_goes_to_that_one_submitter_and_is_logged(
    staff_client, staff_user, submission, friend, fake_line_api
):
    other = FriendFactory()
    submit(submission.consultation, other, COMMENT)
    typed = submission.receipt_number.lower().replace("-", "")  # width, case and hyphens do not matter

    response = staff_client.post(
        f"/console/publiccomment/submissions/{submission.pk}/message",
        {
            "step": "send",
            "text": "ご住所の記入が不足しています",
            "confirmed_receipt_number": typed,
        },
    )

    assert response.status_code == 302
    (push,) = fake_line_api.to("/v2/bot/message/push")
    assert push.body["to"] == friend.user_id
    text = json.dumps(push.body["messages"], ensure_ascii=False)
    assert submission.receipt_number in text and "ご住所の記入が不足しています" in text
    logged = DirectMessage.objects.get()
    assert logged.friend == friend and logged.sent_by == staff_user
    page = staff_client.get(f"/console/publiccomment/submissions/{submission.pk}/").content.decode()
    assert "ご住所の記入が不足しています" in page


def test_the_question_list_of_a_consultation_names_types(staff_client, consultation):
    page = staff_client.get(f"/console/publiccomment/{consultation.pk}/").content.decode()

    assert "単一選択" in page and key_of(consultation, "お名前") not in page.split("質問を編集")[1][:20]
