"""The demo city's consultation: 総合計画（案）への意見募集, open, with documents and a branch."""

import pytest

from civicline.publiccomment import demo
from civicline.publiccomment.models import Consultation
from tests.fixtures.core import DepartmentFactory

pytestmark = pytest.mark.django_db


def test_the_demo_consultation_is_open_and_seeding_is_idempotent():
    DepartmentFactory(code="koho", name="広報戦略課")

    demo.seed()
    demo.seed()

    consultation = Consultation.objects.get(title="総合計画（案）への意見募集")
    assert consultation.is_accepting() and consultation.documents.count() == 2
    labels = {q["label"]: q for q in consultation.form.questions}
    assert labels["修正案"]["condition"]["value"] == "修正の提案" and labels["お名前"]["personal"]


def test_the_demo_period_ends_at_2359_city_time_even_seeded_just_after_midnight():
    """Issue 17: seeded at 00:30 in Japan (15:30 UTC the day before), the end read 「08:59」."""
    from datetime import datetime
    from unittest import mock
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    DepartmentFactory(code="koho", name="広報戦略課")
    just_after_midnight = datetime(2026, 12, 6, 0, 30, tzinfo=ZoneInfo("Asia/Tokyo"))

    with mock.patch.object(timezone, "now", return_value=just_after_midnight):
        demo.seed()

    closes = timezone.localtime(Consultation.objects.get().closes_at)
    assert (closes.date().isoformat(), closes.strftime("%H:%M")) == ("2027-01-02", "23:59")
