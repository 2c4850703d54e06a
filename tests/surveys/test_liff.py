"""Residents answer a survey in LIFF (SV-1): pages with the branch, confirmation, thanks; the
policy explained; a test device's preview stores nothing (X-11)."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from civicline.forms.models import Response
from civicline.line.preview import preview_recipient_seed_demo
from civicline.surveys import line_messages
from civicline.surveys.models import Invitation, Survey
from tests.fixtures.core import StaffFactory
from tests.fixtures.line import FriendFactory
from tests.forms.factories import resident_client
from tests.surveys.factories import key_of, make_survey, respond

pytestmark = pytest.mark.django_db


@pytest.fixture
def survey(department):
    return make_survey(department=department)


@pytest.fixture
def friend():
    return FriendFactory()


@pytest.fixture
def resident(friend):
    return resident_client(friend)


def url(survey, rest=""):
    return f"/liff/surveys/{survey.pk}/{rest}"


def test_sv1_a_resident_answers_page_by_page_and_confirms(resident, survey, friend):
    start = resident.get(url(survey)).content.decode()
    assert "市民満足度アンケート" in start and "回答をはじめる" in start

    resident.post(url(survey, "p/1"), {key_of(survey, "満足度"): "不満"})
    second = resident.get(url(survey, "p/2")).content.decode()
    assert "不満な点" in second  # the branch (PC-6)
    moved = resident.post(
        url(survey, "p/2"),
        {
            key_of(survey, "不満な点"): "待ち時間が長い",
            key_of(survey, "職員の対応"): "4",
            key_of(survey, "お名前"): "豊中 花子",
        },
    )
    assert moved["Location"] == url(survey, "confirm")
    review = resident.get(url(survey, "confirm")).content.decode()
    assert "待ち時間が長い" in review and not Response.objects.exists()

    done = resident.post(url(survey, "confirm"))

    assert done["Location"] == url(survey, "done")
    response = Response.objects.get()
    assert (
        response.friend == friend and response.answers.get(question=key_of(survey, "職員の対応")).number == 4
    )


def test_the_branch_is_skipped_for_a_satisfied_resident(resident, survey):
    resident.post(url(survey, "p/1"), {key_of(survey, "満足度"): "満足"})

    assert "不満な点" not in resident.get(url(survey, "p/2")).content.decode()


def test_sv4_a_second_visit_after_answering_once_is_explained(resident, survey, friend):
    respond(survey, friend, {"満足度": "満足"})

    page = resident.get(url(survey))

    assert page.status_code == 403 and "回答済み" in page.content.decode()
    assert resident.get(url(survey, "p/1")).status_code == 403


def test_replace_policy_says_the_new_answer_replaces_the_old(department, friend, resident):
    survey = make_survey(department=department, answer_policy=Survey.Policy.REPLACE)
    respond(survey, friend, {"満足度": "満足"})

    assert "前の回答と置き換わります" in resident.get(url(survey)).content.decode()


def test_an_invitation_only_survey_opens_for_the_invited(department, friend, resident):
    survey = make_survey(department=department, invited_only=True)
    assert resident.get(url(survey)).status_code == 403

    Invitation.objects.create(survey=survey, friend=friend, invited_at=survey.opens_at)

    assert resident.get(url(survey)).status_code == 200


def test_a_survey_in_preparation_is_not_found(department, resident):
    draft = make_survey(department=department, status=Survey.Status.DRAFT)

    assert resident.get(url(draft)).status_code == 404


def test_x11_a_test_device_previews_a_survey_in_preparation_and_nothing_is_stored(department):
    survey = make_survey(department=department, status=Survey.Status.DRAFT)
    owner = StaffFactory(department=department)
    device = preview_recipient_seed_demo(owner=owner, user_id="U" + "7" * 32, label="テスト端末")
    phone = resident_client(device.friend)
    query = urlencode({"preview": line_messages.preview_token(survey)})

    start = phone.get(url(survey, f"?{query}")).content.decode()
    assert "プレビューです" in start and f"p/1?{query}" in start
    phone.post(url(survey, f"p/1?{query}"), {key_of(survey, "満足度"): "満足"})
    phone.post(url(survey, f"p/2?{query}"), {})
    done = phone.post(url(survey, f"confirm?{query}"))

    assert done["Location"] == url(survey, f"done?{query}")
    assert not Response.objects.exists()


def test_a_preview_link_opens_nothing_for_a_resident_or_when_forged(department, resident):
    survey = make_survey(department=department, status=Survey.Status.DRAFT)
    token = line_messages.preview_token(survey)

    assert resident.get(url(survey, f"?preview={token}")).status_code == 404
    assert resident.get(url(survey, "?preview=forged")).status_code == 404


def test_the_list_shows_what_the_resident_may_answer(resident, survey, department):
    make_survey(department=department, title="終わったアンケート", status=Survey.Status.CLOSED)

    page = resident.get("/liff/surveys/").content.decode()

    assert "市民満足度アンケート" in page and "終わったアンケート" not in page
