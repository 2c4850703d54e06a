"""Staff pages of surveys: build, preview, invite, results with charts and cross-tabulation (SV-8),
CSV of raw answers and aggregates (SV-7); department isolation; answers shown as text."""

from __future__ import annotations

import csv
import io

import pytest

from civicline.core.models import AuditEntry
from civicline.surveys.models import Survey
from tests.delivery.factories import AreaFactory, SegmentFactory, area_leaf, granted, group, resident
from tests.fixtures.line import FriendFactory
from tests.surveys.factories import make_survey, respond

pytestmark = pytest.mark.django_db


@pytest.fixture
def survey(department):
    return make_survey(department=department)


@pytest.fixture
def answered(survey):
    north, south = AreaFactory(name="北部"), AreaFactory(name="南部")
    respond(
        survey, resident(area=north, gender="female", birth_year=1990), {"満足度": "満足", "職員の対応": 5}
    )
    respond(
        survey,
        resident(area=north, gender="male", birth_year=1960),
        {"満足度": "不満", "不満な点": "<script>alert(1)</script>待ち時間", "職員の対応": 2},
    )
    respond(survey, resident(area=south), {"満足度": "不満", "不満な点": "駐車場", "お名前": "豊中 花子"})
    return survey


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def test_sv2_creating_a_survey_leads_to_its_questions(staff_client, staff_user):
    response = staff_client.post(
        "/console/surveys/new",
        {
            "title": "図書館の利用アンケート",
            "description": "",
            "status": "draft",
            "answer_policy": "once",
            "thanks_text": "ありがとうございました。",
        },
    )

    survey = Survey.objects.get()
    assert response["Location"] == f"/console/surveys/{survey.pk}/questions"
    assert survey.department == staff_user.department


def test_another_departments_survey_is_not_found_nor_listed(staff_client, other_department):
    theirs = make_survey(department=other_department, title="よそのアンケート")

    assert "よそのアンケート" not in staff_client.get("/console/surveys/").content.decode()
    for path in ["", "edit", "questions", "results", "export", "export/summary"]:
        assert staff_client.get(f"/console/surveys/{theirs.pk}/{path}").status_code == 404
    assert staff_client.post(f"/console/surveys/{theirs.pk}/invite", {}).status_code == 404


def test_sv8_results_show_counts_charts_and_words(staff_client, answered):
    page = staff_client.get(f"/console/surveys/{answered.pk}/results").content.decode()

    assert page.count('<svg class="chart"') == 2  # 満足度 and 職員の対応
    assert "66.7%" in page and "駐車場" in page and "待ち時間" in page
    assert "個人情報の質問のため" in page and "豊中 花子" not in page


def test_script_in_an_answer_shows_as_text_in_the_results(staff_client, answered):
    page = staff_client.get(f"/console/surveys/{answered.pk}/results").content.decode()

    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_sv8_results_filter_by_an_answer(staff_client, answered):
    key = answered.form.questions[0]["key"]

    page = staff_client.get(
        f"/console/surveys/{answered.pk}/results", {"only": f"{key}|不満"}
    ).content.decode()

    assert "絞り込んだ回答" in page and '<strong id="sv-count">2</strong>' in page


def test_sv8_cross_tabulation_by_question_and_by_resident_attribute(staff_client, answered):
    satisfaction, _why, score, _name = (q["key"] for q in answered.form.questions)
    url = f"/console/surveys/{answered.pk}/results"

    by_question = staff_client.get(url, {"row": satisfaction, "col": score}).content.decode()
    by_area = staff_client.get(url, {"row": satisfaction, "col": "attr:area"}).content.decode()
    by_age = staff_client.get(url, {"row": satisfaction, "col": "attr:age"}).content.decode()

    assert "クロス集計: 満足度 × 職員の対応" in by_question
    assert "クロス集計: 満足度 × お住まいの地域" in by_area and "北部" in by_area and "南部" in by_area
    assert "30代" in by_age and "60代" in by_age and "（未登録）" in by_age


def test_sv7_raw_answers_export_with_formulas_kept_as_text(staff_client, survey):
    respond(survey, FriendFactory(), {"満足度": "不満", "不満な点": '=HYPERLINK("http://x","y")'})

    header, row = csv_rows(staff_client.get(f"/console/surveys/{survey.pk}/export"))

    assert header[:3] == ["回答番号", "回答日時", "版"] and header[3:] == [
        "満足度",
        "不満な点",
        "職員の対応",
        "お名前",
    ]
    assert row[4] == '\'=HYPERLINK("http://x","y")'
    assert AuditEntry.objects.filter(action="export", target_type="surveys.survey").exists()


def test_sv7_aggregates_export(staff_client, answered):
    rows = csv_rows(staff_client.get(f"/console/surveys/{answered.pk}/export/summary"))

    assert rows[0] == ["質問", "回答", "人数", "割合（%）"]
    assert ["Q1 満足度", "不満", "2", "66.7"] in rows


def test_sv5_staff_invite_a_segment_from_the_survey_page(
    staff_client, survey, department, fake_line_api, run_on_commit
):
    north = AreaFactory(name="北部")
    segment = granted(SegmentFactory(department=department, name="北部", conditions=group(area_leaf(north))))
    resident(area=north)
    page = staff_client.get(f"/console/surveys/{survey.pk}/").content.decode()
    assert "北部" in page and "依頼を配信する" in page

    with run_on_commit():
        response = staff_client.post(
            f"/console/surveys/{survey.pk}/invite", {"segments": [segment.pk], "combine": "any"}
        )

    assert response.status_code == 302
    assert "1人に依頼を配信しました" in staff_client.get(response["Location"]).content.decode()


def test_inviting_without_a_segment_is_explained(staff_client, survey):
    response = staff_client.post(f"/console/surveys/{survey.pk}/invite", {"combine": "any"})

    assert response.status_code == 400 and "セグメントを選んでください" in response.content.decode()
