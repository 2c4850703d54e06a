"""Surveys in the resident's language (issue 21): the invitation each resident gets, the cards in the
talk and the LIFF pages name the survey in their language, with the city's fallback."""

from __future__ import annotations

import pytest
from django.utils import translation

from civicline.surveys import line_messages, services
from civicline.surveys.liff.views import thanks
from civicline.surveys.models import Survey
from tests.delivery.factories import AreaFactory, SegmentFactory, area_leaf, granted, group, resident
from tests.surveys.factories import make_survey

pytestmark = pytest.mark.django_db

ENGLISH = {"title": "Library survey", "description": "Tell us how you use the library."}


def card_titles_by_recipient(fake_line_api) -> dict[str, str]:
    """Each recipient's invitation card title (the first text of its bubble body)."""
    titles = {}
    for request in fake_line_api.to("/v2/bot/message/multicast"):
        (message,) = request.body["messages"]
        bubble = message["contents"]
        title = next(c["text"] for c in bubble["body"]["contents"] if c.get("type") == "text")
        titles.update(dict.fromkeys(request.body["to"], title))
    return titles


def test_issue21_each_resident_gets_the_survey_invitation_in_their_language(
    department, staff_user, fake_line_api, run_on_commit
):
    """issue 21: an English friend gets the English invitation, a Korean one (no Korean version) the
    Japanese title, a Japanese one the Japanese — even when the clerk's console speaks English."""
    survey = make_survey(department=department, title="図書館アンケート", translations={"en": ENGLISH})
    north = AreaFactory(name="北部")
    segment = granted(SegmentFactory(department=department, name="北部", conditions=group(area_leaf(north))))
    english, korean, japanese = (resident(area=north, language=tag) for tag in ("en", "ko", "ja"))

    with run_on_commit(), translation.override("en"):
        services.survey_invite(actor=staff_user, survey=survey, segments=[segment])

    titles = card_titles_by_recipient(fake_line_api)
    assert titles[english.user_id] == "Library survey"
    assert titles[korean.user_id] == "図書館アンケート"
    assert titles[japanese.user_id] == "図書館アンケート"


def test_issue21_the_invitations_buttons_are_built_in_each_language():
    """issue 21: every offered language gets a version of the card, its button in that language."""
    survey = make_survey(translations={"vi": {"title": "Khảo sát thư viện"}})

    versions = line_messages.invitation_versions(survey)

    assert set(versions) == {"ja-easy", "en", "zh-hans", "ko", "vi"}
    assert versions["vi"]["title"] == "Khảo sát thư viện"
    with translation.override("vi"):
        assert versions["vi"]["label1"] == translation.gettext("回答する")


def test_issue21_the_talks_survey_cards_use_the_residents_language():
    """issue 21: 「アンケート」 in the talk answers with the survey's title in the resident's language."""
    survey = make_survey(translations={"en": ENGLISH})

    with translation.override("en"):
        flex = line_messages.open_surveys([survey])

    body = flex["contents"]["body"]["contents"]
    assert body[1]["text"] == "Library survey" and body[2]["text"] == ENGLISH["description"]
    assert "Library survey" in flex["altText"]


def test_issue21_the_standard_thanks_come_from_the_catalogue_and_staffs_own_by_the_fallbacks():
    """issue 21: the unchanged thanks are said in the resident's language; staff's own words by version."""
    standard = make_survey()
    own = make_survey(thanks_text="また来てね", translations={"en": {"thanks_text": "Come again!"}})

    with translation.override("en"):
        assert thanks(standard) == translation.gettext("ご協力ありがとうございました。")
        assert thanks(own) == "Come again!"
    with translation.override("ko"):
        assert thanks(own) == "また来てね"


def test_issue21_staff_write_the_surveys_english_title_in_the_console(staff_client):
    """issue 21: the survey form has a field per language; the list marks a survey lacking some."""
    response = staff_client.post(
        "/console/surveys/new",
        {
            "title": "図書館の利用アンケート",
            "description": "",
            "status": "draft",
            "answer_policy": "once",
            "thanks_text": "ありがとうございました。",
            "title__en": "Library survey",
        },
    )

    assert response.status_code == 302
    assert Survey.objects.get().translations == {"en": {"title": "Library survey"}}
    listing = staff_client.get("/console/surveys/").content.decode()
    assert "未翻訳" in listing  # Chinese, Korean, Vietnamese and やさしい日本語 still lack a title


def test_issue21_a_test_device_gets_the_preview_in_its_language(department, staff_user, fake_line_api):
    """issue 21: staff preview the invitation as a resident of the device's language reads it."""
    from civicline.line.preview import preview_recipient_seed_demo

    survey = make_survey(department=department, translations={"en": ENGLISH})
    device = preview_recipient_seed_demo(owner=staff_user, user_id="U" + "8" * 32, label="英語の端末")
    device.friend.language = "en"
    device.friend.save()

    services.survey_preview_send(actor=staff_user, survey=survey, recipient_id=device.pk)

    (push,) = fake_line_api.to("/v2/bot/message/push")
    assert "Library survey" in str(push.body) and "市民満足度アンケート" not in str(push.body)
