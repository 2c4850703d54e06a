"""A resident gives a public comment partly in the talk screen (quick replies, a typed opinion, the
branch) and partly in LIFF (name and address), confirms it and gets the receipt number on screen and
by LINE; the department is emailed; staff reply to that one submitter after typing its receipt
number (issue 6: PC-1, PC-5…PC-10)."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from civicline.publiccomment.models import Document, Submission
from tests.fixtures.core import StaffFactory
from tests.fixtures.linesim import linesim_db
from tests.publiccomment.factories import make_consultation


@pytest.fixture
def liff_site(liff, live_server):
    # The phone frames the LIFF page on 127.0.0.1 like the emulator, so the session cookie is first-party.
    liff.register(live_server.url.replace("://localhost:", "://127.0.0.1:") + "/liff/")
    return liff


@linesim_db
def test_a_comment_half_in_the_talk_half_in_liff_gets_a_receipt_and_staff_reply_to_that_submitter(
    liff_site, linesim, phone, staff_browser, department, live_server, shot
):
    consultation = make_consultation(department=department, title="総合計画（案）への意見募集")
    Document.objects.create(
        consultation=consultation, title="総合計画（案）本文", url="https://city.example/plan.pdf"
    )
    staff = StaffFactory(department=department, display_name="企画 一郎")
    hanako = phone("豊中 花子")
    hanako.follow()
    taro = phone("豊中 太郎")
    taro.follow()

    # The talk: the open consultations, then one question per message.
    hanako.type_text("パブリックコメント")
    hanako.wait_for_bot_text("総合計画（案）への意見募集")
    shot(hanako.page, "talk-consultations")
    hanako.tap_button("トークで答える")
    hanako.wait_for_bot_text("ご意見の種類")
    assert set(hanako.quick_reply_labels()) >= {"賛成", "反対", "修正の提案", "中断する"}
    shot(hanako.page, "talk-first-question")
    hanako.tap_quick_reply("修正の提案")
    hanako.wait_for_bot_text("【2/3】ご意見")
    hanako.type_text("バス路線の計画に駅北側の地域も入れてください")
    hanako.wait_for_bot_text("【3/3】修正案")  # shown only for a proposed change (PC-6)
    hanako.type_text("第3章の交通の項に「駅北側」を加える")
    hanako.wait_for_bot_text("続きを入力する")
    talk = hanako.page.inner_text("[data-testid=timeline]")
    assert "お名前を" not in talk and "ご住所を" not in talk  # personal questions never come in the talk
    shot(hanako.page, "talk-handover")

    # LIFF: the personal questions, then the confirmation with the talk's answers too.
    hanako.tap_button("続きを入力する")
    frame = hanako.liff_frame()
    frame.wait_for_selector("text=お名前", timeout=15_000)
    shot(hanako.page, "liff-personal")
    inputs = frame.locator("main input[type=text]")
    inputs.nth(0).fill("豊中 花子")
    inputs.nth(1).fill("豊中市中桜塚3丁目1-1")
    frame.click("#fm-next")
    frame.wait_for_selector("#fm-submit")
    review = frame.inner_text("main")
    assert "修正の提案" in review and "駅北側の地域" in review and "豊中 花子" in review
    shot(hanako.page, "liff-confirm")
    frame.click("#fm-submit")
    frame.wait_for_selector("#pc-receipt")
    receipt = frame.inner_text("#pc-receipt").strip()
    shot(hanako.page, "liff-receipt")
    hanako.close_liff()
    submission = Submission.objects.get(receipt_number=receipt)
    assert submission.used_talk and submission.friend.user_id == hanako.user_id

    # The receipt by LINE (PC-9), with nothing personal in it.
    hanako.wait_for_bot_text("ご意見を受け付けました")
    receipt_message = hanako.newest_bot_row().inner_text()
    assert (
        receipt in receipt_message and "豊中 花子" not in receipt_message and "中桜塚" not in receipt_message
    )
    shot(hanako.page, "line-receipt")
    (notice,) = [m for m in mail.outbox if receipt in m.subject]
    assert notice.to == [department.email] and "駅北側" not in notice.body

    # Another resident opens the consultation's page from the same card: its documents and two ways in.
    taro.type_text("意見募集")
    taro.wait_for_bot_text("総合計画（案）への意見募集")
    taro.tap_button("入力画面で答える")
    frame = taro.liff_frame()
    frame.wait_for_selector("#pc-start", timeout=15_000)
    assert "総合計画（案）本文" in frame.inner_text("main") and frame.is_visible("#pc-talk")
    shot(taro.page, "liff-consultation")
    taro.close_liff()

    # Staff see the consultation, then open the submission and write to its submitter; the
    # confirmation names the receipt number.
    console = staff_browser(staff)
    console.goto(f"{live_server.url}/console/publiccomment/{consultation.pk}/")
    assert console.inner_text("#pc-count") == "1"
    shot(console, "staff-consultation")
    console.goto(f"{live_server.url}/console/publiccomment/{consultation.pk}/questions")
    shot(console, "staff-questions")
    console.goto(f"{live_server.url}/console/publiccomment/{consultation.pk}/submissions/")
    shot(console, "staff-submissions")
    console.click(f"text={receipt}")
    console.wait_for_selector("#pc-compose")
    assert "豊中市中桜塚" in console.inner_text("main")
    shot(console, "staff-submission")
    console.fill("#id_text", "ご意見ありがとうございます。修正案の「第3章」はページ番号もお知らせください。")
    console.click("#pc-compose")
    console.wait_for_selector(".direct-confirm")
    assert receipt in console.inner_text(".direct-receipt") and "豊中 花子" not in console.inner_text("main")
    shot(console, "staff-confirm-recipient")
    console.fill("#id_confirmed_receipt_number", "PC-XXXX-XXXX")
    console.click("#pc-send")
    console.wait_for_selector("text=一致しません")
    shot(console, "staff-wrong-receipt")
    console.fill("#id_confirmed_receipt_number", receipt)
    console.click("#pc-send")
    console.wait_for_url(re.compile(rf"/submissions/{submission.pk}/$"))
    assert "ページ番号もお知らせください" in console.inner_text("#pc-sent")
    shot(console, "staff-sent")

    hanako.wait_for_bot_text("ページ番号もお知らせください")
    assert receipt in hanako.newest_bot_row().inner_text()
    shot(hanako.page, "line-staff-message")
    assert "ページ番号もお知らせください" not in taro.page.inner_text("[data-testid=timeline]")
