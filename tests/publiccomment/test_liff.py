"""Residents' pages (PC-1, PC-6, PC-7, PC-9): a consultation with its documents, the comment form
page by page with a confirmation, the receipt number, drafts that survive a closed window."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.base import ContentFile
from django.utils import timezone

from civicline.forms.models import Draft
from civicline.line.models import OutboundSend
from civicline.publiccomment.models import Consultation, Document, Submission
from tests.publiccomment.factories import key_of, make_consultation

pytestmark = pytest.mark.django_db


@pytest.fixture
def consultation(department):
    return make_consultation(department=department)


def page_url(consultation, n):
    return f"/liff/publiccomment/{consultation.pk}/p/{n}"


def test_without_a_session_the_form_shows_only_the_sign_in_page(client, consultation):
    response = client.get(page_url(consultation, 1))

    assert "本人確認" in response.content.decode() and "ご意見" not in response.content.decode()


def test_the_consultation_page_shows_its_summary_and_documents(resident, consultation, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    Document.objects.create(
        consultation=consultation, title="計画案（本文）", url="https://city.example/plan.pdf"
    )
    pdf = Document(consultation=consultation, title="概要版", position=1)
    pdf.file.save("a.pdf", ContentFile(b"%PDF-1.4 test"), save=True)

    page = resident.get(f"/liff/publiccomment/{consultation.pk}/").content.decode()

    assert consultation.title in page and "計画案（本文）" in page and "トーク画面で答える" in page
    assert f"/liff/publiccomment/{consultation.pk}/documents/{pdf.pk}" in page
    document = resident.get(f"/liff/publiccomment/{consultation.pk}/documents/{pdf.pk}")
    assert document["Content-Type"] == "application/pdf" and b"".join(document.streaming_content).startswith(
        b"%PDF"
    )


def test_a_consultation_in_preparation_is_not_shown(resident, department):
    draft = make_consultation(department=department, status=Consultation.Status.DRAFT)

    assert resident.get(f"/liff/publiccomment/{draft.pk}/").status_code == 404
    assert draft.title not in resident.get("/liff/publiccomment/").content.decode()


def fill_first_page(resident, consultation, kind="賛成", opinion="良い計画です"):
    return resident.post(
        page_url(consultation, 1),
        {
            key_of(consultation, "ご意見の種類"): kind,
            key_of(consultation, "ご意見"): opinion,
        },
    )


def test_pc1_pc7_pc9_a_comment_goes_page_by_page_to_a_confirmation_then_gets_a_receipt_number(
    resident, consultation, friend, fake_line_api, run_on_commit
):
    first = resident.get(page_url(consultation, 1)).content.decode()
    assert "1 / 3" in first and "お名前" not in first

    assert fill_first_page(resident, consultation)["Location"] == page_url(consultation, 2)
    second = resident.get(page_url(consultation, 2)).content.decode()
    assert "お名前" in second and "個人情報" in second
    moved = resident.post(
        page_url(consultation, 2),
        {
            key_of(consultation, "お名前"): "豊中 花子",
            key_of(consultation, "ご住所"): "豊中市中桜塚3-1-1",
        },
    )
    assert moved["Location"] == f"/liff/publiccomment/{consultation.pk}/confirm"

    review = resident.get(moved["Location"]).content.decode()
    assert "良い計画です" in review and "豊中 花子" in review and not Submission.objects.exists()

    with run_on_commit():
        done = resident.post(moved["Location"])
    submission = Submission.objects.get()
    assert done["Location"] == f"/liff/publiccomment/r/{submission.receipt_number}/"
    assert submission.receipt_number.startswith("PC-") and submission.friend == friend
    assert submission.receipt_number in resident.get(done["Location"]).content.decode()
    pushed = json.dumps(
        [r.body for r in fake_line_api.requests if r.path.endswith("/multicast")], ensure_ascii=False
    )
    assert submission.receipt_number in pushed and consultation.title in pushed
    assert "豊中 花子" not in pushed and "良い計画です" not in pushed and "中桜塚" not in pushed


def test_pc10_the_department_is_emailed_without_the_comment(
    resident, consultation, fake_line_api, run_on_commit
):
    fill_first_page(resident, consultation, opinion="とても大事な意見")
    resident.post(
        page_url(consultation, 2),
        {key_of(consultation, "お名前"): "豊中 花子", key_of(consultation, "ご住所"): "豊中市"},
    )
    with run_on_commit():
        resident.post(f"/liff/publiccomment/{consultation.pk}/confirm")

    (message,) = mail.outbox
    submission = Submission.objects.get()
    assert message.to == [consultation.department.email]
    assert submission.receipt_number in message.subject and consultation.title in message.subject
    assert f"/console/publiccomment/submissions/{submission.pk}/" in message.body
    assert "とても大事な意見" not in message.body and "豊中 花子" not in message.body


def test_pc6_the_follow_up_question_appears_only_for_a_proposed_change(resident, consultation):
    fill_first_page(resident, consultation, kind="修正の提案")
    assert "修正案" in resident.get(page_url(consultation, 2)).content.decode()

    fill_first_page(resident, consultation, kind="賛成")
    assert "修正案" not in resident.get(page_url(consultation, 2)).content.decode()


def test_a_missing_answer_is_explained_and_nothing_moves_on(resident, consultation):
    response = resident.post(page_url(consultation, 1), {key_of(consultation, "ご意見の種類"): "賛成"})

    assert response.status_code == 400 and "このフィールドは必須です" in response.content.decode()


def test_the_confirmation_sends_back_to_a_page_with_a_missing_answer(resident, consultation):
    fill_first_page(resident, consultation)

    assert resident.get(f"/liff/publiccomment/{consultation.pk}/confirm")["Location"] == page_url(
        consultation, 2
    )


def test_a_closed_window_loses_nothing_the_draft_is_kept_on_the_server(consultation, friend):
    from tests.forms.factories import resident_client

    fill_first_page(resident_client(friend), consultation, opinion="続きは後で")

    later = resident_client(friend)  # a new LIFF window: a new session
    detail = later.get(f"/liff/publiccomment/{consultation.pk}/").content.decode()
    assert "続きから入力する" in detail
    assert later.get(f"/liff/publiccomment/{consultation.pk}/resume")["Location"] == page_url(consultation, 2)
    assert "続きは後で" in later.get(page_url(consultation, 1)).content.decode()
    assert Draft.objects.get(friend=friend).answers[key_of(consultation, "ご意見")] == "続きは後で"


def test_after_the_period_nothing_is_accepted(resident, consultation):
    fill_first_page(resident, consultation)
    resident.post(
        page_url(consultation, 2),
        {key_of(consultation, "お名前"): "豊中 花子", key_of(consultation, "ご住所"): "豊中市"},
    )
    Consultation.objects.filter(pk=consultation.pk).update(closes_at=timezone.now() - timedelta(minutes=1))

    response = resident.post(f"/liff/publiccomment/{consultation.pk}/confirm")

    assert response.status_code == 410 and not Submission.objects.exists()


def test_script_in_an_answer_is_shown_as_text_on_the_confirmation(resident, consultation):
    fill_first_page(resident, consultation, opinion="<script>alert(1)</script>")
    resident.post(
        page_url(consultation, 2),
        {key_of(consultation, "お名前"): "<b>花子</b>", key_of(consultation, "ご住所"): "豊中市"},
    )

    page = resident.get(f"/liff/publiccomment/{consultation.pk}/confirm").content.decode()

    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;花子&lt;/b&gt;" in page


def test_a_resident_sees_only_their_own_receipt(resident, consultation, fake_line_api):
    from civicline.forms import services as form_services
    from civicline.publiccomment import services
    from tests.fixtures.line import FriendFactory

    other = FriendFactory()
    draft = form_services.draft_for(form=consultation.form, friend=other)
    form_services.draft_update(
        draft=draft,
        answers={
            key_of(consultation, "ご意見の種類"): "反対",
            key_of(consultation, "ご意見"): "x",
            key_of(consultation, "お名前"): "他人",
            key_of(consultation, "ご住所"): "y",
        },
    )
    theirs = services.submission_create(consultation=consultation, friend=other, draft=draft)

    assert resident.get(f"/liff/publiccomment/r/{theirs.receipt_number}/").status_code == 404
    assert OutboundSend.objects.exists()
