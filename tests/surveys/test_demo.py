"""The demo city's survey: 市民満足度アンケート, open, with sample answers; seeding twice changes nothing."""

import pytest

from civicline.forms.selectors import question_results
from civicline.surveys import demo
from civicline.surveys.models import Survey
from tests.fixtures.core import DepartmentFactory

pytestmark = pytest.mark.django_db


def test_the_demo_survey_is_open_with_answers_and_seeding_is_idempotent():
    DepartmentFactory(code="koho", name="広報戦略課")

    demo.seed()
    demo.seed()

    survey = Survey.objects.get(title="市民満足度アンケート")
    assert survey.is_accepting() and survey.form.responses.count() == demo.SAMPLE_SIZE
    score, reasons, *_ = question_results(form=survey.form)
    assert score.answered == demo.SAMPLE_SIZE and 0 < reasons.answered < demo.SAMPLE_SIZE  # the branch


def test_the_demo_survey_ends_at_2359_city_time_even_seeded_just_after_midnight():
    """Issue 17: the survey's end read 「2026-12-27 08:59」."""
    from datetime import datetime
    from unittest import mock
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    DepartmentFactory(code="koho", name="広報戦略課")
    just_after_midnight = datetime(2026, 12, 6, 0, 30, tzinfo=ZoneInfo("Asia/Tokyo"))

    with mock.patch.object(timezone, "now", return_value=just_after_midnight):
        demo.seed()

    closes = timezone.localtime(Survey.objects.get().closes_at)
    assert (closes.date().isoformat(), closes.strftime("%H:%M")) == ("2026-12-27", "23:59")
