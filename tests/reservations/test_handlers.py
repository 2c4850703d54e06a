"""The cancel button of the LINE confirmation (RS-10): it asks first, cancels on "取り消す", and
explains when it cannot (deadline passed, already cancelled, not the resident's booking)."""

from __future__ import annotations

import json

import pytest

from civicline.reservations import services
from civicline.reservations.models import Booking
from tests.fixtures.line import FriendFactory, post_webhook, postback_event
from tests.reservations.factories import ServiceFactory, first_slot

pytestmark = pytest.mark.django_db


@pytest.fixture
def deliver(client, run_on_commit):
    def deliver(*events):
        with run_on_commit():
            assert post_webhook(client, list(events)).status_code == 200

    return deliver


@pytest.fixture
def friend():
    return FriendFactory(user_id="U" + "a" * 32)


@pytest.fixture
def booking(friend, department):
    service = ServiceFactory(counter__department=department, name="子育て相談", cancel_days_before=1)
    return services.booking_create(
        friend=friend, service=service, starts_at=first_slot(service), name="豊中 花子", contact="090"
    )


def last_reply(api) -> str:
    return json.dumps(api.replies[-1].body["messages"], ensure_ascii=False)


def postback(friend, action, booking):
    return postback_event(friend.user_id, f"feature=reservations&action={action}&id={booking.receipt_number}")


def test_the_cancel_button_asks_for_confirmation_and_changes_nothing_yet(
    deliver, fake_line_api, friend, booking
):
    deliver(postback(friend, "cancel", booking))

    reply = last_reply(fake_line_api)
    assert "この予約を取り消しますか" in reply and "action=cancel_confirm" in reply
    assert booking.receipt_number in reply and "豊中" not in reply
    booking.refresh_from_db()
    assert booking.status == Booking.Status.BOOKED


def test_confirming_cancels_and_frees_the_seat(deliver, fake_line_api, friend, booking):
    deliver(postback(friend, "cancel_confirm", booking))

    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert "予約を取り消しました" in last_reply(fake_line_api)
    assert services.seats_taken(service=booking.service, starts_at=booking.starts_at) == 0


def test_keeping_the_booking_leaves_it(deliver, fake_line_api, friend, booking):
    deliver(postback(friend, "cancel_keep", booking))

    booking.refresh_from_db()
    assert booking.status == Booking.Status.BOOKED and "そのまま" in last_reply(fake_line_api)


def test_another_resident_cannot_cancel_by_replaying_the_postback(deliver, fake_line_api, booking):
    stranger = FriendFactory(user_id="U" + "b" * 32)

    deliver(postback(stranger, "cancel_confirm", booking))

    booking.refresh_from_db()
    assert booking.status == Booking.Status.BOOKED
    assert "見つかりませんでした" in last_reply(fake_line_api)


def test_after_the_deadline_the_resident_is_told_to_call(deliver, fake_line_api, friend, booking):
    booking.service.cancel_days_before = 30
    booking.service.save()

    deliver(postback(friend, "cancel_confirm", booking))

    booking.refresh_from_db()
    assert booking.status == Booking.Status.BOOKED
    assert "取消の受付期限" in last_reply(fake_line_api) and "お電話ください" in last_reply(fake_line_api)


def test_an_already_cancelled_booking_is_said_so(deliver, fake_line_api, friend, booking):
    services.booking_cancel_by_resident(friend=friend, booking=booking)

    deliver(postback(friend, "cancel", booking))

    assert "すでに取り消されて" in last_reply(fake_line_api)
