"""Opens and clicks as LINE reports them (SD-8), through the emulator: every batch carries the
delivery's aggregation unit, and counts under 20 stay hidden."""

from __future__ import annotations

from datetime import date

from civicline.delivery import services
from civicline.delivery.models import Delivery
from tests.delivery.factories import (
    SegmentFactory,
    TopicFactory,
    granted,
    group,
    make_delivery,
    resident,
    topic_leaf,
)
from tests.fixtures.linesim import linesim_db


@linesim_db
def test_opens_from_twenty_residents_are_shown_and_fewer_clicks_are_not(linesim, staff_user, run_on_commit):
    topic = TopicFactory(name="イベント")
    users = [linesim.client.create_user(f"住民{i}") for i in range(21)]
    for user in users:
        linesim.client.follow(user["userId"])
        resident(topics=[topic], children=[date(2024, 1, 1)], user_id=user["userId"])
    segment = granted(SegmentFactory(department=staff_user.department, conditions=group(topic_leaf(topic))))
    delivery = make_delivery(department=staff_user.department, segments=[segment])
    with run_on_commit():
        services.delivery_schedule(actor=staff_user, delivery=delivery, at=None)

    for user in users[:20]:
        (received,) = linesim.client.messages_for(user["userId"])
        linesim.client.report_open(user["userId"], received["id"])
    for user in users[:3]:
        (received,) = linesim.client.messages_for(user["userId"])
        linesim.client.report_click(user["userId"], received["id"], "https://example.jp/")

    assert services.delivery_insight_refresh(delivery=Delivery.objects.get(pk=delivery.pk))
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT
    assert delivery.insight["opened"] == 20 and delivery.insight["clicked"] is None
