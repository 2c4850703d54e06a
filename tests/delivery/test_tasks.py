"""The worker's side of delivery: periodic jobs are registered; the sweep finishes what the queue lost."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta

import pytest
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from civicline.delivery import demo, services
from civicline.delivery.models import Area, Delivery, EmailBatch, Segment, Topic
from tests.delivery.factories import SegmentFactory, TopicFactory, granted, group, make_delivery, topic_leaf
from tests.fixtures.core import DepartmentFactory

pytestmark = pytest.mark.django_db


def test_the_due_check_and_the_sweep_run_every_minute():
    due = {task.name for task in HUEY.read_periodic(dt.datetime(2026, 11, 25, 10, 3))}
    assert {"deliveries_due_task", "deliveries_sweep_task"} <= due


def test_the_sweep_settles_a_delivery_whose_sends_finished_in_the_line_worker(
    staff_user, fake_line_api, run_on_commit
):
    segment = granted(
        SegmentFactory(department=staff_user.department, conditions=group(topic_leaf(TopicFactory())))
    )
    delivery = make_delivery(department=staff_user.department, segments=[segment], email_too=True)
    Delivery.objects.filter(pk=delivery.pk).update(
        status=Delivery.Status.SENDING, started_at=timezone.now(), planned_at=timezone.now()
    )
    stuck = EmailBatch.objects.create(
        delivery=delivery,
        number=1,
        first_subscriber_id=1,
        last_subscriber_id=1,
        size=1,
        status=EmailBatch.Status.SENDING,
        claimed_at=timezone.now() - timedelta(hours=1),
    )

    services.deliveries_sweep()

    stuck.refresh_from_db()
    assert stuck.status == EmailBatch.Status.FAILED and "二重送信" in stuck.error
    assert Delivery.objects.get(pk=delivery.pk).status == Delivery.Status.FAILED


def test_the_sweep_plans_again_when_a_planner_died(staff_user, fake_line_api):
    segment = granted(
        SegmentFactory(department=staff_user.department, conditions=group(topic_leaf(TopicFactory())))
    )
    delivery = make_delivery(department=staff_user.department, segments=[segment])
    long_ago = timezone.now() - timedelta(hours=1)
    Delivery.objects.filter(pk=delivery.pk).update(
        status=Delivery.Status.SENDING, started_at=long_ago, planning_since=long_ago, scheduled_by=staff_user
    )

    services.deliveries_sweep()

    assert (
        Delivery.objects.get(pk=delivery.pk).status == Delivery.Status.SENT
    )  # nobody matched: nothing to send


def test_the_demo_seed_is_idempotent():
    for code in ("kosodate", "kikikanri", "kankyo", "koho"):
        DepartmentFactory(code=code)
    demo.seed()
    counts = (Area.objects.count(), Topic.objects.count(), Segment.objects.count(), Delivery.objects.count())
    demo.seed()
    assert (
        Area.objects.count(),
        Topic.objects.count(),
        Segment.objects.count(),
        Delivery.objects.count(),
    ) == counts
    assert counts == (5, 6, 5, 1)
