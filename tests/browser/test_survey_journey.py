"""Staff build a branching survey, preview it on a test device, send it to one segment as a delivery;
two residents of that segment answer on the phone (one sees the branch, one does not), a third
outside it is not invited; staff see charts and a cross-tabulation, download the CSV, and a later
delivery targets those who answered 「不満」 (issue 6: SV-1…SV-8, PC-6, PC-7, X-11)."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from civicline.delivery import services as delivery_services
from civicline.delivery.models import Delivery, Segment, TrackedLink
from civicline.line.models import Friend
from civicline.line.preview import preview_recipient_seed_demo
from civicline.surveys.models import Survey
from tests.delivery.factories import AreaFactory, area_leaf, granted, group
from tests.fixtures.core import StaffFactory
from tests.fixtures.linesim import linesim_db


@pytest.fixture
def liff_site(liff, live_server, settings):
    # The phone frames the LIFF page on 127.0.0.1 like the emulator, so the session cookie is first-party;
    # the site's own links (a delivery's counted links) point there too.
    site = live_server.url.replace("://localhost:", "://127.0.0.1:")
    settings.SITE_URL = site
    liff.register(site + "/liff/")
    return liff


def settle(friend_phone, area) -> Friend:
    """The resident's 受信設定 (area), as the delivery package's LIFF page saves it."""
    friend = Friend.objects.get(user_id=friend_phone.user_id)
    delivery_services.resident_settings_save(
        friend=friend, area=area, birth_year=1985, gender="", topics=[], children=[]
    )
    return friend


def open_invitation(resident, survey: Survey) -> None:
    """Tap 「回答する」 on the invitation card.

    The button goes through civicline's click-counting redirect to the survey's LIFF URL; the phone
    follows it into the LIFF view as LINE does (the tap is counted once).
    """
    card = resident.page.locator("[data-testid=bubble-row][data-kind=bot]").filter(has_text=survey.title).last
    link = TrackedLink.objects.get(url__contains=f"/surveys/{survey.pk}/")
    clicks = link.clicks
    assert card.locator('[data-action-label="回答する"]').count() == 1
    resident.tap_button("回答する")
    resident.liff_frame().wait_for_selector("#sv-begin", timeout=15_000)
    link.refresh_from_db()
    assert link.clicks == clicks + 1


def answer(resident, *, satisfaction: str, reason: str = "") -> object:
    frame = resident.liff_frame()
    frame.wait_for_selector("#sv-begin", timeout=15_000)
    frame.click("#sv-begin")
    frame.wait_for_selector("input[type=radio]")
    frame.check(f"input[type=radio][value='{satisfaction}']")
    frame.click("#fm-next")
    if reason:
        frame.wait_for_selector("textarea")
        frame.fill("textarea", reason)
        frame.click("#fm-next")
    frame.wait_for_selector("#fm-submit")
    return frame


@linesim_db
def test_staff_build_and_send_a_branching_survey_residents_answer_and_staff_analyse(
    liff_site, linesim, phone, staff_browser, department, live_server, shot
):
    staff = StaffFactory(department=department, display_name="子育 さくら")
    north, south = AreaFactory(name="北部"), AreaFactory(name="南部")
    segment = granted(
        Segment.objects.create(
            department=department, name="北部にお住まいの方", conditions=group(area_leaf(north))
        )
    )
    ichiro, hanako, jiro, tester = (
        phone("北部 一郎"),
        phone("北部 花子"),
        phone("南部 次郎"),
        phone("職員の端末"),
    )
    for person in (ichiro, hanako, jiro, tester):
        person.follow()
    settle(ichiro, north)
    settle(hanako, north)
    settle(jiro, south)
    preview_recipient_seed_demo(owner=staff, user_id=tester.user_id, label="子育て支援課の端末")

    # Staff create the survey (in preparation) and its questions, with a branch.
    console = staff_browser(staff)
    console.on("dialog", lambda dialog: dialog.accept())
    console.goto(f"{live_server.url}/console/surveys/new")
    console.fill("#id_title", "市民満足度アンケート")
    console.fill("#id_description", "市役所の窓口について、ご意見をお聞かせください。")
    console.select_option("#id_status", "draft")
    console.check("input[name=answer_policy][value=once]")
    shot(console, "staff-new-survey")
    console.click("main button[type=submit]")
    console.wait_for_url(re.compile(r"/questions$"))
    console.fill("#id_q-0-label", "窓口の対応に満足していますか")
    console.select_option("#id_q-0-type", "single")
    console.fill("#id_q-0-choices", "満足\n不満")
    console.check("#id_q-0-required")
    console.fill("#id_q-1-label", "不満だった点を教えてください")
    console.select_option("#id_q-1-type", "long_text")
    console.locator("fieldset.fm-question").nth(1).get_by_text("分岐の設定").click()
    console.select_option("#id_q-1-cond_action", "show")
    console.select_option("#id_q-1-cond_question", "new0")
    console.select_option("#id_q-1-cond_op", "is")
    console.fill("#id_q-1-cond_value", "不満")
    shot(console, "staff-builder-branch")
    console.click("button[name=save]")
    console.wait_for_selector("#sv-preview")
    survey = Survey.objects.get()
    first, second = survey.form.questions
    assert second["condition"] == {"action": "show", "question": first["key"], "op": "is", "value": "不満"}

    # Preview on the department's test device: the survey opens there before it is published.
    console.click("#sv-preview")
    console.wait_for_selector("#sv-preview-result")
    shot(console, "staff-preview-sent")
    tester.wait_for_bot_text("【プレビュー】市民満足度アンケート")
    tester.tap_button("回答する")
    frame = tester.liff_frame()
    frame.wait_for_selector(".fm-notice", timeout=15_000)
    assert "プレビューです" in frame.inner_text(".fm-notice")
    shot(tester.page, "test-device-preview")
    tester.close_liff()

    # Published, then sent to the north segment as a delivery.
    console.goto(f"{live_server.url}/console/surveys/{survey.pk}/edit")
    console.select_option("#id_status", "open")
    console.click("main button[type=submit]")
    console.wait_for_selector("#sv-invite")
    console.check(f"input[name=segments][value='{segment.pk}']")
    shot(console, "staff-invite")
    console.click("#sv-invite")
    console.wait_for_selector("text=2人に依頼を配信しました")
    shot(console, "staff-invited")
    delivery = Delivery.objects.get(segments=segment)
    assert delivery.department == department

    # Two residents of the segment answer; the one who is not satisfied sees the branch.
    ichiro.wait_for_bot_text("市民満足度アンケート")
    shot(ichiro.page, "invitation")
    open_invitation(ichiro, survey)
    frame = answer(ichiro, satisfaction="不満", reason="待ち時間が長く、案内が分かりにくかった")
    assert "待ち時間が長く" in frame.inner_text("main")
    shot(ichiro.page, "confirm-with-branch")
    frame.click("#fm-submit")
    frame.wait_for_selector("#sv-done")
    shot(ichiro.page, "done")
    ichiro.close_liff()

    hanako.wait_for_bot_text("市民満足度アンケート")
    open_invitation(hanako, survey)
    frame = answer(hanako, satisfaction="満足")
    assert "不満だった点" not in frame.inner_text("main")
    shot(hanako.page, "confirm-without-branch")
    frame.click("#fm-submit")
    frame.wait_for_selector("#sv-done")
    hanako.close_liff()
    assert survey.form.responses.count() == 2

    # The resident outside the segment was not invited.
    assert "市民満足度アンケート" not in jiro.page.inner_text("[data-testid=timeline]")
    shot(jiro.page, "not-invited")

    # Staff: results with charts, a cross-tabulation by area, the CSV.
    console.goto(f"{live_server.url}/console/surveys/{survey.pk}/results")
    console.wait_for_selector("svg.chart")
    assert console.inner_text("#sv-count") == "2" and console.inner_text("#sv-rate") == "100.0%"
    assert "待ち時間が長く" in console.inner_text("main")
    shot(console, "staff-results")
    console.select_option("#id_row", first["key"])
    console.select_option("#id_col", "attr:area")
    console.click("#fm-results-form button[type=submit]")
    console.wait_for_selector("#fm-crosstab")
    assert "北部" in console.inner_text("#fm-crosstab")
    shot(console, "staff-crosstab")
    with console.expect_download() as download_info:
        console.click("#sv-export")
    rows = list(csv.reader(io.StringIO(Path(download_info.value.path()).read_text(encoding="utf-8-sig"))))
    assert rows[0][3:] == ["窓口の対応に満足していますか", "不満だった点を教えてください"]
    assert sorted(row[3] for row in rows[1:]) == ["不満", "満足"]

    # A later delivery goes to those who answered 「不満」 only (SV-6).
    unhappy = Segment.objects.create(
        department=department,
        name="窓口に不満と回答した方",
        conditions=group(
            {
                "kind": "survey_answer",
                "negate": False,
                "survey": survey.pk,
                "question": first["key"],
                "value": "不満",
            }
        ),
    )
    granted(unhappy)
    console.goto(f"{live_server.url}/console/delivery/segments/")
    console.wait_for_selector("text=窓口に不満と回答した方")
    assert "「窓口の対応に満足していますか」に「不満」と回答した" in console.inner_text("main")
    shot(console, "staff-segment-from-answers")
    follow_up = delivery_services.delivery_create(
        actor=staff,
        data=delivery_services.DeliveryInput(
            title="窓口改善のお知らせ",
            audience=Delivery.Audience.SEGMENTS,
            segments=[unhappy],
            combine="any",
            email_too=False,
            messages=[delivery_services.MessageInput(kind="text", text="窓口の案内表示を改善しました。")],
        ),
    )
    delivery_services.delivery_schedule(actor=staff, delivery=follow_up, at=None)
    ichiro.wait_for_bot_text("窓口の案内表示を改善しました")
    shot(ichiro.page, "follow-up-delivery")
    assert "窓口の案内表示を改善しました" not in hanako.page.inner_text("[data-testid=timeline]")


@linesim_db
def test_a_resident_finds_the_open_survey_from_the_menu_and_by_asking_and_answers_it(
    liff_site, linesim, phone, department, settings, shot
):
    """Issue "what a city notices first": no tile and no words led to a survey (「分かりませんでした」),
    and the phone showed the account as 「civicline」 instead of the city."""
    from civicline.richmenu import demo as menus
    from civicline.surveys import demo as surveys
    from tests.fixtures.core import DepartmentFactory
    from tests.richmenu.factories import editor
    from tests.surveys.factories import respond

    settings.LINESIM_BOT_NAME = "みどり市"
    editor(username="koho")
    DepartmentFactory(code="kikikanri", name="危機管理課")
    DepartmentFactory(code="kosodate", name="こども相談課")
    surveys.seed()
    menus.seed()  # published to the emulator once committed
    survey = Survey.objects.get(title=surveys.TITLE)

    hanako = phone("豊中 はなこ")
    hanako.follow()
    assert hanako.page.get_by_test_id("chat-title").inner_text().strip() == "みどり市"

    # Asking in words: the open survey as a card, whose button opens it inside LINE.
    hanako.type_text("アンケートに答えたい")
    hanako.wait_for_bot_text(survey.title)
    assert hanako.newest_bot_row().get_by_test_id("sender").inner_text() == "みどり市"
    shot(hanako.page, "asked-for-surveys")
    hanako.tap_button("回答する")
    frame = hanako.liff_frame()
    frame.wait_for_selector("#sv-begin", timeout=15_000)
    assert survey.title in frame.inner_text("main")
    hanako.close_liff()

    # From the rich menu: the 暮らし・防災 tab's アンケート tile lists the surveys she may answer.
    hanako.open_rich_menu()
    hanako.page.locator("[data-testid=menu-area][aria-label='暮らし・防災']").click()
    tile = hanako.page.locator("[data-testid=menu-area][aria-label='アンケート']")
    tile.wait_for()
    shot(hanako.page, "menu-living-tab")
    tile.click()
    frame = hanako.liff_frame()
    frame.wait_for_selector(f"a.fm-item:has-text('{survey.title}')", timeout=15_000)
    shot(hanako.page, "survey-list")
    frame.click(f"a.fm-item:has-text('{survey.title}')")
    frame.wait_for_selector("#sv-begin")
    shot(hanako.page, "survey-start")

    # Once she has answered (one answer each; answering is the journey above), nothing is offered.
    hanako.close_liff()
    respond(
        survey,
        Friend.objects.get(user_id=hanako.user_id),
        {"市のサービス全体にどの程度満足していますか": 4, "今後、特に力を入れてほしい分野": "子育て支援"},
    )
    hanako.type_text("アンケート")
    hanako.wait_for_bot_text("いまお答えいただけるアンケートはありません")
    shot(hanako.page, "no-survey-left")
