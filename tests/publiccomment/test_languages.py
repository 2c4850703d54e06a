"""Public comments in the resident's language (issue 21): the consultation's title on the talk's cards,
the receipt and a department's message, whatever language the clerk's console speaks."""

from __future__ import annotations

import pytest
from django.utils import timezone, translation
from django.utils.formats import date_format

from civicline.publiccomment import line_messages, services
from tests.fixtures.line import FriendFactory, languages_while_building
from tests.forms.factories import resident_client
from tests.publiccomment.factories import COMMENT, make_consultation, submit

pytestmark = pytest.mark.django_db

ENGLISH = {"en": {"title": "Comments on the draft city plan", "summary": "The plan for the next ten years."}}


def test_issue21_the_talks_consultation_cards_name_it_in_the_residents_language():
    """issue 21: 「意見募集」 in the talk names the consultation in English for an English reader."""
    consultation = make_consultation(translations=ENGLISH)

    with translation.override("en"):
        english = line_messages.announcement([consultation])
    with translation.override("ko"):  # no Korean version: the Japanese master
        korean = line_messages.announcement([consultation])

    assert english["contents"]["body"]["contents"][1]["text"] == "Comments on the draft city plan"
    assert korean["contents"]["body"]["contents"][1]["text"] == "総合計画（案）への意見募集"


def test_issue21_the_receipt_is_in_the_residents_language(department, fake_line_api, run_on_commit):
    """issue 21: the receipt pushed after a comment names the consultation in the resident's language."""
    consultation = make_consultation(department=department, translations=ENGLISH)

    with run_on_commit():
        submit(consultation, FriendFactory(language="en"), COMMENT)

    (request,) = fake_line_api.to("/v2/bot/message/multicast")
    assert request.body["messages"][0]["contents"]["body"]["contents"][1]["text"] == (
        "Comments on the draft city plan"
    )


def test_issue21_a_departments_message_is_headed_in_the_residents_language(
    department, staff_user, fake_line_api, monkeypatch
):
    """issue 21: a clerk writes to a Vietnamese resident: the heading is built in Vietnamese."""
    vietnamese = {"vi": {"title": "Kế hoạch thành phố"}}
    consultation = make_consultation(department=department, translations=vietnamese)
    submission = submit(consultation, FriendFactory(language="vi"), COMMENT)
    spoken = languages_while_building(monkeypatch, line_messages, "staff_message")

    services.submission_message_send(
        actor=staff_user,
        submission=submission,
        text="ご連絡",
        confirmed_receipt_number=submission.receipt_number,
    )

    assert spoken == ["vi"]
    (push,) = fake_line_api.to("/v2/bot/message/push")
    assert "Kế hoạch thành phố" in push.body["messages"][0]["text"]


def test_issue21_staff_write_the_consultations_summary_per_language_in_the_console(
    department, staff_client
):
    """issue 21: the consultation form's Vietnamese fields are saved as the Vietnamese version."""
    consultation = make_consultation(department=department)
    page = staff_client.get(f"/console/publiccomment/{consultation.pk}/edit").content.decode()
    assert 'name="summary__vi"' in page

    data = {
        "title": consultation.title,
        "summary": consultation.summary,
        "status": consultation.status,
        "opens_at": consultation.opens_at.strftime("%Y-%m-%dT%H:%M"),
        "closes_at": consultation.closes_at.strftime("%Y-%m-%dT%H:%M"),
        "talk_enabled": "on",
        "summary__vi": "Kế hoạch mười năm của thành phố.",
    }
    response = staff_client.post(f"/console/publiccomment/{consultation.pk}/edit", data)

    assert response.status_code == 302, response.content.decode()[:3000]
    consultation.refresh_from_db()
    assert consultation.translations == {"vi": {"summary": "Kế hoạch mười năm của thành phố."}}


def test_issue21_a_documents_title_is_shown_in_the_residents_language(department, staff_user):
    """issue 21: staff name a document in English; an English reader sees that name on the page."""
    consultation = make_consultation(department=department)
    services.document_add(
        actor=staff_user,
        consultation=consultation,
        title="計画案（本文）",
        url="https://www.city.example.jp/plan.pdf",
        translations={"en": {"title": "Draft plan (full text)"}},
    )

    english = resident_client(FriendFactory(language="en"))
    korean = resident_client(FriendFactory(language="ko"))

    assert "Draft plan (full text)" in english.get(f"/liff/publiccomment/{consultation.pk}/").content.decode()
    assert "計画案（本文）" in korean.get(f"/liff/publiccomment/{consultation.pk}/").content.decode()


def test_issue21_the_consultation_period_is_dated_the_residents_way(department):
    """issue 21: the period on the LIFF page reads as an English date for an English reader, and as
    before (2026年12月6日〜…) for a Japanese one."""
    consultation = make_consultation(department=department)
    opens = timezone.localtime(consultation.opens_at)
    closes = timezone.localtime(consultation.closes_at)

    english = resident_client(FriendFactory(language="en")).get(f"/liff/publiccomment/{consultation.pk}/")
    japanese = resident_client(FriendFactory(language="ja")).get(f"/liff/publiccomment/{consultation.pk}/")

    with translation.override("en"):
        english_period = f"{date_format(opens)}〜{date_format(closes)}"
    assert "年" not in english_period
    assert f"{english_period} {closes:%H:%M}" in english.content.decode()
    opened, closing = (f"{d.year}年{d.month}月{d.day}日" for d in (opens, closes))
    assert f"{opened}〜{closing} {closes:%H:%M}" in japanese.content.decode()
