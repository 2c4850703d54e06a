"""Reads scoped to the caller (X-4, SD-7): deliveries of one's own department only; segments made by
it or granted to it; the counts shown for segments and deliveries (SD-13)."""

from __future__ import annotations

from datetime import date

import pytest
from django.http import Http404

from civicline.delivery import selectors
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

pytestmark = pytest.mark.django_db


def test_a_department_sees_only_its_own_deliveries(staff_user, other_staff_user, system_admin):
    ours = make_delivery(department=staff_user.department)
    theirs = make_delivery(department=other_staff_user.department)

    assert list(selectors.delivery_list_for(fetched_by=staff_user)) == [ours]
    with pytest.raises(Http404):
        selectors.access_delivery(fetched_by=staff_user, pk=theirs.pk)
    assert set(selectors.delivery_list_for(fetched_by=system_admin)) == {ours, theirs}


def test_segments_visible_are_the_departments_own_and_those_granted_to_it(staff_user, other_department):
    own = SegmentFactory(department=staff_user.department)
    shared = granted(SegmentFactory(department=other_department), staff_user.department)
    hidden = SegmentFactory(department=other_department)

    assert set(selectors.segment_list_for(fetched_by=staff_user)) == {own, shared}
    assert set(selectors.segment_usable_by(staff=staff_user)) == {shared}
    with pytest.raises(Http404):
        selectors.access_segment(fetched_by=staff_user, pk=hidden.pk)
    with pytest.raises(Http404):
        selectors.access_own_segment(fetched_by=staff_user, pk=shared.pk)  # usable, not theirs to change


def test_the_estimate_counts_followers_blocked_and_email_subscribers(staff_user):
    topic = TopicFactory(name="子育て")
    segment = granted(SegmentFactory(department=staff_user.department, conditions=group(topic_leaf(topic))))
    resident(topics=[topic])
    resident(topics=[topic], children=[date(2024, 1, 1)])
    resident(topics=[topic], blocked=True)
    delivery = make_delivery(department=staff_user.department, segments=[segment], email_too=True)

    estimate = selectors.delivery_estimate(delivery)

    assert (estimate.count.following, estimate.count.blocked, estimate.emails) == (2, 1, 0)
    assert selectors.segment_count(segment).following == 2


def test_a_segment_delivery_without_segments_has_no_estimate(staff_user):
    delivery = make_delivery(department=staff_user.department, audience=Delivery.Audience.SEGMENTS)
    assert selectors.delivery_estimate(delivery) is None
