"""Booking questions moved onto the form engine (issue 19): bookings answered on the old schema read
back the same, still sealed, and going back restores the old schema."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from civicline.reservations import selectors
from civicline.reservations.models import Booking, Service
from tests.reservations.factories import answers_of

OLD = [("reservations", "0001_initial")]
OLD_QUESTIONS = [
    {"key": "q1", "label": "年齢", "type": "choice", "required": True, "choices": ["0歳", "1〜2歳"]},
    {"key": "q2", "label": "ご相談したいこと", "type": "text", "required": True},
    {"key": "q3", "label": "人数", "type": "number", "required": False},
    {"key": "q4", "label": "希望日", "type": "date", "required": False},
]
ANSWERS = {"q1": "1〜2歳", "q2": "夜泣きが続いています", "q3": 2, "q4": "2026-12-24"}
# Answered before the service's questions were cut down to the ones above.
RETIRED_ANSWERS = {"q1": "0歳", "q7": "以前の質問への回答"}


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets or executor.loader.graph.leaf_nodes())
    return executor


@pytest.mark.django_db(transaction=True)
def test_answers_given_on_the_old_schema_read_back_the_same_after_migrating(department):
    executor = migrate(OLD)
    old_apps = executor.loader.project_state(OLD).apps
    OldCounter = old_apps.get_model("reservations", "Counter")
    OldService = old_apps.get_model("reservations", "Service")
    OldBooking = old_apps.get_model("reservations", "Booking")
    counter = OldCounter.objects.create(department_id=department.pk, name="子育て相談窓口", category="子育て")
    service = OldService.objects.create(counter=counter, name="子育て相談", questions=OLD_QUESTIONS)
    plain = OldService.objects.create(counter=counter, name="証明書の相談")
    starts_at = timezone.now() + timedelta(days=3)
    ids = [
        OldBooking.objects.create(
            service=service,
            receipt_number=number,
            channel="line",
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=30),
            name="豊中 花子",
            answers=answers,
        ).pk
        for number, answers in (("B-AAAA-AAAA", ANSWERS), ("B-BBBB-BBBB", RETIRED_ANSWERS), ("B-CC-CC", {}))
    ]

    try:
        migrate(None)

        answered, retired, unanswered = (Booking.objects.get(pk=pk) for pk in ids)
        assert answers_of(answered) == ANSWERS and answers_of(retired) == RETIRED_ANSWERS
        assert unanswered.response is None
        assert selectors.booking_answers(answered) == [
            ("年齢", "1〜2歳"),
            ("ご相談したいこと", "夜泣きが続いています"),
            ("人数", "2"),
            ("希望日", "2026年12月24日"),
        ]
        assert ("q7", "以前の質問への回答") in selectors.booking_answers(retired)
        # Residents are asked the service's questions only, on the engine's types, every one sealed.
        form = Service.objects.get(pk=service.pk).form
        assert [(q["label"], q["type"], q["required"]) for q in form.questions] == [
            ("年齢", "single", True),
            ("ご相談したいこと", "long_text", True),
            ("人数", "number", False),
            ("希望日", "date", False),
        ]
        assert form.all_personal and all(q["personal"] for q in form.questions)
        assert form.department_id == department.pk and form.key_counter == 8
        assert Service.objects.get(pk=plain.pk).form.questions == []
        with connection.cursor() as cursor:
            cursor.execute("SELECT choice, text, number, sealed FROM forms_answer")
            raw = " ".join(str(v) for row in cursor.fetchall() for v in row)
        assert "夜泣き" not in raw and "1〜2歳" not in raw

        executor = migrate(OLD)
        old_apps = executor.loader.project_state(OLD).apps
        OldService = old_apps.get_model("reservations", "Service")
        OldBooking = old_apps.get_model("reservations", "Booking")
        assert [OldBooking.objects.get(pk=pk).answers for pk in ids] == [ANSWERS, RETIRED_ANSWERS, {}]
        assert OldService.objects.get(pk=service.pk).questions == OLD_QUESTIONS
    finally:
        migrate(None)
