"""Reads of public comments: what residents see, and a resident's comments beside a conversation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from civicline.publiccomment import selectors
from civicline.publiccomment.models import Consultation
from tests.fixtures.line import FriendFactory
from tests.publiccomment.factories import COMMENT, make_consultation, submit

pytestmark = pytest.mark.django_db


def test_residents_see_open_consultations_first_and_none_in_preparation(department):
    closed = make_consultation(department=department, title="終わった案件", status=Consultation.Status.CLOSED)
    open_ = make_consultation(department=department, title="募集中の案件")
    make_consultation(department=department, title="準備中の案件", status=Consultation.Status.DRAFT)
    make_consultation(
        department=department, title="これからの案件", opens_at=timezone.now() + timedelta(days=3)
    )

    titles = [c.title for c in selectors.consultations_for_residents()]

    assert titles[0] == open_.title and closed.title in titles and "準備中の案件" not in titles
    assert [c.title for c in selectors.consultations_accepting()] == ["募集中の案件"]


def test_resident_history_lists_that_residents_comments_to_the_department_only(
    department, other_department, staff_user, fake_line_api
):
    friend = FriendFactory()
    mine = submit(make_consultation(department=department), friend, COMMENT)
    submit(make_consultation(department=other_department), friend, COMMENT)
    submit(make_consultation(department=department, title="別の案件"), FriendFactory(), COMMENT)

    history = selectors.resident_history(fetched_by=staff_user, friend=friend, department=department)

    assert [(h.number, h.kind) for h in history] == [(mine.receipt_number, "意見募集")]
    assert history[0].url == f"/console/publiccomment/submissions/{mine.pk}/"
