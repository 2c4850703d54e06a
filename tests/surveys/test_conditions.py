"""Survey answers as segment conditions for later deliveries (SV-6)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from civicline.delivery import conditions, selectors
from civicline.surveys.conditions import AnsweredSurvey
from civicline.surveys.models import Survey
from tests.fixtures.line import FriendFactory
from tests.surveys.factories import key_of, make_survey, respond

pytestmark = pytest.mark.django_db


@pytest.fixture
def survey(department):
    return make_survey(department=department)


def leaf(survey, label, value):
    return {
        "kind": "survey_answer",
        "negate": False,
        "survey": survey.pk,
        "question": key_of(survey, label),
        "value": value,
    }


def test_sv6_the_condition_is_registered_with_the_delivery_package():
    assert isinstance(conditions.type_of("survey_answer"), AnsweredSurvey)


def test_sv6_a_segment_selects_those_who_answered_that_value(survey):
    happy, unhappy, silent = FriendFactory(), FriendFactory(), FriendFactory()
    respond(survey, happy, {"満足度": "満足", "職員の対応": 5})
    respond(survey, unhappy, {"満足度": "不満", "不満な点": "待ち時間"})
    tree = conditions.clean({"op": "and", "negate": False, "items": [leaf(survey, "満足度", "満足")]})

    chosen = set(selectors.friends_matching(conditions.q(tree, on=timezone.localdate())))

    assert chosen == {happy}
    scale = conditions.clean({"op": "and", "negate": False, "items": [leaf(survey, "職員の対応", "5")]})
    assert set(selectors.friends_matching(conditions.q(scale, on=timezone.localdate()))) == {happy}
    assert silent not in chosen
    assert conditions.describe(tree) == "アンケート「市民満足度アンケート」の「満足度」に「満足」と回答した"


def test_a_value_the_question_cannot_take_or_a_personal_question_is_refused(survey):
    with pytest.raises(ValidationError):
        AnsweredSurvey().clean({"survey": survey.pk, "question": key_of(survey, "満足度"), "value": "最高"})
    with pytest.raises(ValidationError):
        AnsweredSurvey().clean({"survey": survey.pk, "question": key_of(survey, "お名前"), "value": "豊中"})


def test_the_editor_offers_answers_of_published_surveys_only(survey, department):
    make_survey(department=department, title="準備中のアンケート", status=Survey.Status.DRAFT)

    labels = [label for _value, label in AnsweredSurvey().choices()]

    assert "市民満足度アンケート ／ 満足度 ／ 満足" in labels
    assert not any("準備中" in label or "お名前" in label or "不満な点" in label for label in labels)


def test_the_editor_posts_one_value_per_condition(survey):
    value = f"{survey.pk}|{key_of(survey, '満足度')}|不満"

    params = AnsweredSurvey().from_post(lambda name: [value] if name == "answer" else [])

    assert AnsweredSurvey().clean(params) == {
        "survey": survey.pk,
        "question": key_of(survey, "満足度"),
        "value": "不満",
    }
