"""Sending a delivery against the LINE emulator, which honours retry keys as LINE does: a worker
killed mid-send resumes without anybody getting the notice twice, and 429s from LINE's rate limit
are waited out with the same keys."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import Count
from django.utils import timezone

from civicline.delivery import selectors, services
from civicline.delivery.models import Child, Delivery, DeliveryAudience, DeliveryBatch, TopicChoice
from civicline.delivery.services import sending
from civicline.line import client as line_client
from civicline.line.models import Friend
from civicline.linesim import ratelimits
from civicline.linesim.models import Recipient, SentRequest, VirtualUser
from tests.delivery.factories import (
    SegmentFactory,
    TopicFactory,
    child_age_leaf,
    granted,
    group,
    make_delivery,
    topic_leaf,
)
from tests.fixtures.linesim import linesim_db

pytestmark = linesim_db


class Killed(BaseException):
    """The worker's process ended (SIGKILL, the machine went down): no except or finally of it runs."""


@pytest.fixture
def kosodate():
    return TopicFactory(name="子育て")


@pytest.fixture
def infants(staff_user, kosodate):
    return granted(
        SegmentFactory(
            department=staff_user.department, conditions=group(topic_leaf(kosodate), child_age_leaf(0, 2))
        )
    )


def residents(count: int, topic) -> list[str]:
    """Friends of the segment on civicline's side, and the same users following on LINE's."""
    now, born = timezone.now(), timezone.localdate().replace(day=1) - timedelta(days=200)
    user_ids = [f"U{index:032x}" for index in range(count)]
    friends = Friend.objects.bulk_create(Friend(user_id=u, first_seen=now, last_seen=now) for u in user_ids)
    TopicChoice.objects.bulk_create(TopicChoice(friend=f, topic=topic) for f in friends)
    Child.objects.bulk_create(
        Child(friend=f, birth_date=born.isoformat(), birth_month=born.replace(day=1)) for f in friends
    )
    VirtualUser.objects.bulk_create(
        VirtualUser(user_id=u, display_name="住民", following=True) for u in user_ids
    )
    return user_ids


def start(staff_user, delivery: Delivery) -> None:
    Delivery.objects.filter(pk=delivery.pk).update(
        status=Delivery.Status.SENDING, started_at=timezone.now(), scheduled_by=staff_user
    )


def received_multicasts() -> dict[str, int]:
    rows = (
        Recipient.objects.filter(request__api=SentRequest.Api.MULTICAST)
        .values_list("user__user_id")
        .annotate(n=Count("pk"))
    )
    return dict(rows)


def test_a_worker_killed_mid_send_resumes_and_everyone_gets_it_exactly_once(
    linesim, staff_user, infants, kosodate, monkeypatch, settings
):
    settings.LINE_SEND_CONCURRENCY = 4
    user_ids = residents(2600, kosodate)
    delivery = make_delivery(department=staff_user.department, segments=[infants])
    start(staff_user, delivery)
    answered = []
    real_add, real_flush = sending._Outcomes.add, sending._Outcomes.flush

    def die_on_third(self, result):
        answered.append(result)
        if len(answered) == 3:
            # LINE has accepted three batches (and more are in flight): none of it is recorded.
            monkeypatch.setattr(sending._Outcomes, "flush", lambda self: None)
            raise Killed
        real_add(self, result)

    monkeypatch.setattr(sending._Outcomes, "add", die_on_third)
    monkeypatch.setattr(sending._Outcomes, "flush", lambda self: None)
    with pytest.raises(Killed):
        services.delivery_send(delivery_id=delivery.pk)
    assert not DeliveryBatch.objects.filter(delivery=delivery, status=DeliveryBatch.Status.ACCEPTED).exists()
    assert 3 <= len(received_multicasts()) // 500 < 6
    monkeypatch.setattr(sending._Outcomes, "add", real_add)
    monkeypatch.setattr(sending._Outcomes, "flush", real_flush)

    # Minutes later the sweep finds the sender silent and starts it again; it resends the recorded
    # batches with their keys (LINE: 409, already accepted) and streams on after the last friend.
    silent_since = timezone.now() - sending.STALE_PLANNER - timedelta(seconds=1)
    Delivery.objects.filter(pk=delivery.pk).update(planning_since=silent_since)
    services.deliveries_sweep()

    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT and delivery.target_count == 2600
    assert received_multicasts() == dict.fromkeys(user_ids, 1)
    audience = DeliveryAudience.objects.filter(delivery=delivery)
    assert audience.count() == audience.values("friend").distinct().count() == 2600
    batches = delivery.batches.all()
    assert [b.number for b in batches] == [1, 2, 3, 4, 5, 6] and sum(b.size for b in batches) == 2600
    assert {b.status for b in batches} == {DeliveryBatch.Status.ACCEPTED}
    assert batches.filter(http_status=409).count() >= 3  # accepted before the kill, known only now
    assert selectors.delivery_progress(delivery).headline == "完了"


def test_lines_rate_limit_is_waited_out_with_the_same_keys(linesim, staff_user, infants, kosodate, settings):
    # LINE's limit lower than civicline's bucket believes: LINE answers 429, civicline backs off.
    settings.LINESIM_RATE_LIMITS = "multicast=2/second"
    linesim.server.handler.limiter = ratelimits.limiter()
    settings.LINE_SEND_BACKOFF = {"base": 0.2, "cap": 1.0, "max_attempts": 8}
    settings.LINE_SEND_CONCURRENCY = 3
    line_client.reset_rate_limits()
    user_ids = residents(3000, kosodate)
    delivery = make_delivery(department=staff_user.department, segments=[infants])
    start(staff_user, delivery)

    delivery = services.delivery_send(delivery_id=delivery.pk)
    for _ in range(3):  # as the worker would, should a run still end with LINE refusing
        if delivery.status == Delivery.Status.SENT:
            break
        Delivery.objects.filter(pk=delivery.pk).update(retry_at=None)
        delivery = services.delivery_send(delivery_id=delivery.pk)

    assert delivery.status == Delivery.Status.SENT
    assert received_multicasts() == dict.fromkeys(user_ids, 1)
    assert all(b.status == DeliveryBatch.Status.ACCEPTED for b in delivery.batches.all())
    assert sum(b.attempts for b in delivery.batches.all()) > 6  # some were refused with 429 first
