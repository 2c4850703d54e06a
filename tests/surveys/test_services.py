"""Surveys' writes: settings audited, preview on a test device (X-11), the invitation sent as a
delivery to one segment only (SV-5), the answer policy (SV-4)."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError

from civicline.core.models import AuditEntry
from civicline.core.permissions import NotYourDepartment
from civicline.delivery.models import Delivery
from civicline.forms.models import Response
from civicline.line.preview import preview_recipient_seed_demo
from civicline.surveys import services
from civicline.surveys.models import Invitation, Survey
from tests.delivery.factories import AreaFactory, SegmentFactory, area_leaf, granted, group, resident
from tests.fixtures.core import StaffFactory
from tests.fixtures.line import FriendFactory
from tests.surveys.factories import make_survey, respond

pytestmark = pytest.mark.django_db


@pytest.fixture
def survey(department):
    return make_survey(department=department)


def test_sv2_staff_create_a_survey_for_their_department_and_it_is_audited(staff_user):
    survey = services.survey_create(
        actor=staff_user,
        department=staff_user.department,
        data={
            "title": "図書館アンケート",
            "description": "",
            "status": "draft",
            "opens_at": None,
            "closes_at": None,
            "answer_policy": "once",
            "invited_only": False,
            "thanks_text": "ありがとうございました。",
        },
    )

    assert survey.form.department == staff_user.department and survey.form.title == "図書館アンケート"
    assert AuditEntry.objects.filter(target_type="surveys.survey", action="create").exists()


def test_a_survey_for_another_department_is_refused(staff_user, other_department):
    with pytest.raises(NotYourDepartment, match="他の課のアンケート"):
        services.survey_create(actor=staff_user, department=other_department, data={"title": "x"})

    assert not Survey.objects.exists()


def test_x11_the_preview_goes_to_the_departments_test_device_with_a_preview_link(
    survey, staff_user, department, fake_line_api
):
    device = preview_recipient_seed_demo(owner=staff_user, user_id="U" + "9" * 32, label="課のテスト端末")

    services.survey_preview_send(actor=staff_user, survey=survey, recipient_id=device.pk)

    (push,) = fake_line_api.to("/v2/bot/message/push")
    body = json.dumps(push.body, ensure_ascii=False)
    assert push.body["to"] == "U" + "9" * 32 and "【プレビュー】市民満足度アンケート" in body
    assert f"/surveys/{survey.pk}/?preview=" in body


@pytest.fixture
def north_segment(department):
    north, south = AreaFactory(name="北部"), AreaFactory(name="南部")
    segment = granted(
        SegmentFactory(department=department, name="北部にお住まい", conditions=group(area_leaf(north)))
    )
    people = {
        "a": resident(area=north),
        "b": resident(area=north),
        "c": resident(area=south),
        "blocked": resident(area=north, blocked=True),
    }
    return segment, people


def test_sv5_the_invitation_is_a_delivery_to_the_chosen_segment_only(
    survey, staff_user, north_segment, fake_line_api, run_on_commit
):
    segment, people = north_segment

    with run_on_commit():
        send = services.survey_invite(actor=staff_user, survey=survey, segments=[segment])

    assert send.recipients == 2 and send.audience == "北部にお住まい"
    assert set(Invitation.objects.values_list("friend", flat=True)) == {people["a"].pk, people["b"].pk}
    delivery = Delivery.objects.get()
    assert delivery == send.delivery and delivery.department == survey.department
    assert delivery.status in (Delivery.Status.SENDING, Delivery.Status.SENT)
    sent_to = {u for r in fake_line_api.to("/v2/bot/message/multicast") for u in r.body["to"]}
    assert sent_to == {people["a"].user_id, people["b"].user_id}
    body = json.dumps([r.body for r in fake_line_api.to("/v2/bot/message/multicast")], ensure_ascii=False)
    assert "市民満足度アンケート" in body and "回答する" in body
    assert AuditEntry.objects.filter(target_type="surveys.survey", action="send").exists()


def test_a_segment_not_granted_to_the_department_is_refused(survey, staff_user, other_department):
    theirs = SegmentFactory(department=other_department)

    with pytest.raises(ValidationError):
        services.survey_invite(actor=staff_user, survey=survey, segments=[theirs])

    assert not Delivery.objects.exists() and not Invitation.objects.exists()


def test_only_an_open_survey_can_be_sent(department, staff_user, north_segment):
    draft = make_survey(department=department, status=Survey.Status.DRAFT)

    with pytest.raises(ValidationError) as caught:
        services.survey_invite(actor=staff_user, survey=draft, segments=[north_segment[0]])

    assert "公開中" in caught.value.messages[0]


def test_sv4_once_refuses_a_second_answer(survey):
    friend = FriendFactory()
    respond(survey, friend, {"満足度": "満足"})

    with pytest.raises(ValidationError) as caught:
        respond(survey, friend, {"満足度": "不満", "不満な点": "やっぱり"})

    assert "回答済み" in caught.value.messages[0] and Response.objects.count() == 1


def test_sv4_replace_keeps_only_the_latest_answer(department):
    survey = make_survey(department=department, answer_policy=Survey.Policy.REPLACE)
    friend = FriendFactory()
    respond(survey, friend, {"満足度": "満足"})

    latest = respond(survey, friend, {"満足度": "不満", "不満な点": "待ち時間"})

    assert list(Response.objects.values_list("pk", flat=True)) == [latest.pk]


def test_sv4_many_keeps_every_answer(department):
    survey = make_survey(department=department, answer_policy=Survey.Policy.MANY)
    friend = FriendFactory()
    respond(survey, friend, {"満足度": "満足"})
    respond(survey, friend, {"満足度": "満足"})

    assert Response.objects.filter(friend=friend).count() == 2


def test_an_invitation_only_survey_refuses_someone_not_invited(department):
    survey = make_survey(department=department, invited_only=True)

    with pytest.raises(ValidationError) as caught:
        respond(survey, FriendFactory(), {"満足度": "満足"})

    assert "ご案内をお送りした方" in caught.value.messages[0]


def test_a_closed_survey_takes_no_answers(department):
    survey = make_survey(department=department, status=Survey.Status.CLOSED)

    with pytest.raises(ValidationError):
        respond(survey, FriendFactory(), {"満足度": "満足"})


def test_editing_settings_is_audited_with_what_changed(survey):
    staff = StaffFactory(department=survey.department)

    services.survey_update(
        actor=staff, survey=survey, data={"title": "市民満足度調査", "answer_policy": "many"}
    )

    entry = AuditEntry.objects.filter(target_type="surveys.survey", action="update").get()
    assert entry.changes["title"] == {"before": "市民満足度アンケート", "after": "市民満足度調査"}
    survey.form.refresh_from_db()
    assert survey.form.title == "市民満足度調査"
