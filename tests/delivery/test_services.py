"""Services of delivery: residents' settings (SD-1, SD-6, SD-14), segments and grants (SD-3, SD-7),
composing, scheduling and sending deliveries (SD-1, SD-2, SD-8, SD-10, SD-11, SD-12), email
co-delivery with double opt-in (SD-9). LINE is a local stand-in recording every request."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.core import mail as outbox
from django.core.exceptions import ValidationError
from django.utils import timezone

from civicline.core.models import AuditEntry
from civicline.core.permissions import NotYourDepartment
from civicline.delivery import mail, selectors, services
from civicline.delivery.models import (
    Child,
    Delivery,
    DeliveryAudience,
    DeliveryBatch,
    DeliveryPolicy,
    EmailSubscriber,
    ResidentAttributes,
    Segment,
    TopicChoice,
    TrackedLink,
)
from civicline.delivery.services import DeliveryInput, MessageInput, links, sending
from civicline.line import messaging
from civicline.line.models import Friend
from tests.delivery.factories import (
    SegmentFactory,
    TopicFactory,
    child_age_leaf,
    granted,
    group,
    make_delivery,
    resident,
    topic_leaf,
)
from tests.fixtures.core import StaffFactory
from tests.fixtures.line import FriendFactory, PreviewRecipientFactory

pytestmark = pytest.mark.django_db

MULTICAST = "/v2/bot/message/multicast"


def years_ago(years: int, days: int = 0) -> date:
    today = timezone.localdate()
    return today.replace(year=today.year - years) - timedelta(days=days)


@pytest.fixture
def kosodate():
    return TopicFactory(name="子育て")


@pytest.fixture
def events():
    return TopicFactory(name="イベント")


@pytest.fixture
def infants(department, kosodate):
    """「子育て AND 0〜2歳の子どもがいる」, made by and granted to the department."""
    segment = SegmentFactory(
        department=department,
        name="乳幼児のいる子育て世帯",
        conditions=group(topic_leaf(kosodate), child_age_leaf(0, 2)),
    )
    return granted(segment)


def send_now(staff, delivery, run_on_commit):
    with run_on_commit():
        services.delivery_schedule(actor=staff, delivery=delivery, at=None)
    delivery.refresh_from_db()
    return delivery


def addressed(fake_line_api) -> list[str]:
    return [user for request in fake_line_api.to(MULTICAST) for user in request.body["to"]]


# --- residents' settings --------------------------------------------------------------------------


def test_a_resident_replaces_and_clears_their_settings(kosodate, events):
    friend = resident(topics=[kosodate], birth_year=1990, gender="female", children=[date(2024, 5, 10)])

    services.resident_settings_save(
        friend=friend, area=None, birth_year=None, gender="", topics=[events], children=[date(2025, 1, 2)]
    )
    current = selectors.resident_settings(friend=friend)
    assert current.topic_ids == [events.pk] and current.children == [date(2025, 1, 2)]
    assert current.birth_year is None and not ResidentAttributes.objects.filter(friend=friend).exists()

    services.resident_settings_clear(friend=friend)
    assert selectors.resident_settings(friend=friend).is_empty


@pytest.mark.parametrize(
    "change",
    [
        {"children": [date.today() + timedelta(days=2)]},
        {"birth_year": 1700},
        {"gender": "robot"},
        {"children": [date(2020, 1, d) for d in range(1, 12)]},
    ],
)
def test_impossible_settings_change_nothing(kosodate, change):
    friend = resident(topics=[kosodate], children=[date(2024, 5, 10)])
    data = {"area": None, "birth_year": None, "gender": "", "topics": [], "children": [], **change}

    with pytest.raises(ValidationError):
        services.resident_settings_save(friend=friend, **data)

    assert (
        TopicChoice.objects.filter(friend=friend).count() == 1
        and Child.objects.filter(friend=friend).count() == 1
    )


# --- segments and grants (SD-3, SD-7) -------------------------------------------------------------


def test_a_department_makes_a_segment_but_may_use_it_only_once_granted(staff_user, system_admin, kosodate):
    segment = services.segment_create(actor=staff_user, name="子育て", tree=group(topic_leaf(kosodate)))

    assert segment.department == staff_user.department
    assert segment not in selectors.segment_usable_by(staff=staff_user)

    services.grants_set(
        actor=system_admin, department=staff_user.department, segments=[segment], may_send_to_all=False
    )
    assert segment in selectors.segment_usable_by(staff=staff_user)
    assert AuditEntry.objects.filter(summary__contains="配信権限").exists()


def test_once_granted_only_the_system_administrator_changes_a_segments_conditions(
    staff_user, system_admin, infants, kosodate
):
    services.segment_update(actor=staff_user, segment=infants, name="乳幼児（改名）", tree=infants.conditions)

    with pytest.raises(ValidationError, match="システム管理者だけ"):
        services.segment_update(actor=staff_user, segment=infants, name="x", tree=group(topic_leaf(kosodate)))

    services.segment_update(
        actor=system_admin, segment=infants, name="子育て全体", tree=group(topic_leaf(kosodate))
    )
    infants.refresh_from_db()
    assert infants.name == "子育て全体" and len(infants.conditions["items"]) == 1


def test_only_the_system_administrator_grants(staff_user, infants):
    with pytest.raises(NotYourDepartment, match="システム管理者だけ"):
        services.grants_set(
            actor=staff_user, department=staff_user.department, segments=[infants], may_send_to_all=True
        )
    assert not DeliveryPolicy.objects.exists()


def test_a_segment_in_use_by_a_scheduled_delivery_cannot_be_deleted(staff_user, infants):
    delivery = make_delivery(department=staff_user.department, segments=[infants])
    Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.SCHEDULED)

    with pytest.raises(ValidationError, match="配信予約中"):
        services.segment_delete(actor=staff_user, segment=infants)


# --- composing ------------------------------------------------------------------------------------


def compose(segments, *messages, audience=Delivery.Audience.SEGMENTS, title="お知らせ"):
    return DeliveryInput(
        title=title,
        audience=audience,
        segments=list(segments),
        combine=Delivery.Combine.ANY,
        email_too=False,
        messages=list(messages) or [MessageInput(kind="text", text="こんにちは")],
    )


def test_a_department_cannot_deliver_to_a_segment_it_was_not_granted(staff_user, other_department, kosodate):
    theirs = granted(SegmentFactory(department=other_department, conditions=group(topic_leaf(kosodate))))

    with pytest.raises(ValidationError, match="使用が許可されていない"):
        services.delivery_create(actor=staff_user, data=compose([theirs]))
    with pytest.raises(ValidationError, match="友だち全員"):
        services.delivery_create(actor=staff_user, data=compose([], audience=Delivery.Audience.ALL))
    assert not Delivery.objects.exists()


def test_another_departments_staff_change_none_of_its_deliveries_or_segments(
    staff_user, other_department, infants
):
    delivery = make_delivery(department=staff_user.department, segments=[infants])
    outsider = StaffFactory(department=other_department)
    entries = AuditEntry.objects.count()

    with pytest.raises(NotYourDepartment):
        services.delivery_update(actor=outsider, delivery=delivery, data=compose([infants], title="書き換え"))
    with pytest.raises(NotYourDepartment):
        services.delivery_schedule(actor=outsider, delivery=delivery, at=None)
    with pytest.raises(NotYourDepartment):
        services.delivery_delete(actor=outsider, delivery=delivery)
    with pytest.raises(NotYourDepartment, match="他の課が作成したセグメントは削除できません"):
        services.segment_delete(actor=outsider, segment=infants)

    delivery.refresh_from_db()
    assert (delivery.title, delivery.status) == ("健診のご案内", Delivery.Status.DRAFT)
    assert Segment.objects.filter(pk=infants.pk).exists()
    assert AuditEntry.objects.count() == entries


@pytest.mark.parametrize(
    ("message", "error"),
    [
        (MessageInput(kind="text", text=""), "本文を入力"),
        (MessageInput(kind="text", text="あ" * 5001), "5000文字まで"),
        (MessageInput(kind="buttons", text="本文", actions=[]), "ボタンを1つ以上"),
        (
            MessageInput(kind="confirm", text="参加しますか", actions=[{"label": "はい", "value": "はい"}]),
            "2つ",
        ),
        (
            MessageInput(
                kind="buttons", title="見出し", text="あ" * 61, actions=[{"label": "a", "value": "b"}]
            ),
            "60文字",
        ),
        (MessageInput(kind="card", text="本文"), "見出し"),
        (MessageInput(kind="image"), "画像を選んで"),
        (
            MessageInput(
                kind="buttons", text="x", actions=[{"label": "開く", "value": "javascript:alert(1)"}]
            ),
            "https://",
        ),
    ],
)
def test_messages_line_would_refuse_are_refused_in_the_citys_words(staff_user, infants, message, error):
    with pytest.raises(ValidationError) as exc:
        services.delivery_create(actor=staff_user, data=compose([infants], message))
    assert error in " ".join(exc.value.messages)


def test_at_most_five_messages(staff_user, infants):
    with pytest.raises(ValidationError, match="5件まで"):
        services.delivery_create(
            actor=staff_user, data=compose([infants], *[MessageInput(kind="text", text="x")] * 6)
        )


# --- scheduling (SD-11) ---------------------------------------------------------------------------


def test_a_scheduled_delivery_starts_once_at_its_time_and_not_before(
    staff_user, infants, fake_line_api, run_on_commit
):
    delivery = make_delivery(department=staff_user.department, segments=[infants])
    at = timezone.now() + timedelta(hours=2)
    services.delivery_schedule(actor=staff_user, delivery=delivery, at=at)

    assert services.deliveries_start_due(now=at - timedelta(minutes=1)) == []
    with run_on_commit():
        assert services.deliveries_start_due(now=at) == [delivery.pk]
    assert services.deliveries_start_due(now=at + timedelta(minutes=1)) == []
    assert services.delivery_start(delivery_id=delivery.pk, now=at) is False
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT and delivery.started_at == at


def test_a_scheduled_delivery_is_edited_or_unscheduled_until_it_starts(staff_user, infants):
    delivery = make_delivery(department=staff_user.department, segments=[infants])
    at = timezone.now() + timedelta(hours=2)
    services.delivery_schedule(actor=staff_user, delivery=delivery, at=at)
    services.delivery_update(actor=staff_user, delivery=delivery, data=compose([infants], title="変更後"))
    assert Delivery.objects.get(pk=delivery.pk).status == Delivery.Status.SCHEDULED

    services.delivery_unschedule(actor=staff_user, delivery=delivery)
    assert delivery.status == Delivery.Status.DRAFT and delivery.scheduled_at is None

    services.delivery_schedule(actor=staff_user, delivery=delivery, at=at)
    Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.SENDING)  # the worker started it
    with pytest.raises(ValidationError, match="配信が始まった"):
        services.delivery_unschedule(actor=staff_user, delivery=delivery)
    with pytest.raises(ValidationError, match="配信が始まった"):
        services.delivery_update(actor=staff_user, delivery=delivery, data=compose([infants], title="遅すぎ"))
    assert Delivery.objects.get(pk=delivery.pk).title == "変更後"


def test_a_past_time_is_refused(staff_user, infants):
    delivery = make_delivery(department=staff_user.department, segments=[infants])
    with pytest.raises(ValidationError, match="これから先"):
        services.delivery_schedule(
            actor=staff_user, delivery=delivery, at=timezone.now() - timedelta(minutes=1)
        )
    assert Delivery.objects.get(pk=delivery.pk).status == Delivery.Status.DRAFT


def test_a_grant_withdrawn_before_the_start_stops_the_delivery(
    staff_user, system_admin, infants, kosodate, fake_line_api, run_on_commit
):
    resident(topics=[kosodate], children=[years_ago(1)])
    delivery = make_delivery(department=staff_user.department, segments=[infants])
    at = timezone.now() + timedelta(hours=1)
    services.delivery_schedule(actor=staff_user, delivery=delivery, at=at)
    services.grants_set(
        actor=system_admin, department=staff_user.department, segments=[], may_send_to_all=False
    )

    with run_on_commit():
        services.deliveries_start_due(now=at)

    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.FAILED and "使用が許可されていない" in delivery.error
    assert fake_line_api.to(MULTICAST) == []


# --- sending --------------------------------------------------------------------------------------


def test_exactly_the_matching_residents_are_addressed_and_blocked_ones_counted(
    staff_user, infants, kosodate, events, fake_line_api, run_on_commit
):
    match = resident(topics=[kosodate], children=[years_ago(1)])
    twins = resident(topics=[kosodate, events], children=[years_ago(2, days=-30), years_ago(0, days=20)])
    blocked = resident(topics=[kosodate], children=[years_ago(1)], blocked=True)
    resident(topics=[kosodate], children=[years_ago(5)])  # child too old
    resident(topics=[events], children=[years_ago(1)])  # not 子育て
    resident()
    delivery = make_delivery(department=staff_user.department, segments=[infants])

    delivery = send_now(staff_user, delivery, run_on_commit)

    assert sorted(addressed(fake_line_api)) == sorted([match.user_id, twins.user_id])
    assert blocked.user_id not in addressed(fake_line_api)
    assert (delivery.status, delivery.target_count, delivery.blocked_count) == (Delivery.Status.SENT, 2, 1)
    (request,) = fake_line_api.to(MULTICAST)
    assert request.body["customAggregationUnits"] == [delivery.aggregation_unit]
    assert request.headers["x-line-retry-key"]
    text = request.body["messages"][0]["text"]
    link = TrackedLink.objects.get(delivery=delivery)
    assert link.url == "https://www.city.example.jp/kenshin" and f"/liff/delivery/l/{link.token}" in text
    # Who got it stays recorded (the weekly cap and the unfollow counts read it), with its batch.
    assert sorted(
        DeliveryAudience.objects.filter(delivery=delivery).values_list("friend__user_id", "batch")
    ) == sorted([(match.user_id, 1), (twins.user_id, 1)])
    assert AuditEntry.objects.filter(summary__contains="今すぐ配信").exists()


def bulk_residents(count: int, topic, *, born: date) -> list[Friend]:
    friends = Friend.objects.bulk_create(
        Friend(user_id=f"U{index:032x}", first_seen=timezone.now(), last_seen=timezone.now())
        for index in range(count)
    )
    TopicChoice.objects.bulk_create(TopicChoice(friend=f, topic=topic) for f in friends)
    Child.objects.bulk_create(
        Child(friend=f, birth_date=born.isoformat(), birth_month=born.replace(day=1)) for f in friends
    )
    return friends


def test_multicast_goes_out_in_batches_of_500_each_with_its_own_retry_key(
    staff_user, infants, kosodate, fake_line_api, run_on_commit, monkeypatch
):
    # The audience is read a chunk at a time while batches are recorded and sent between reads.
    monkeypatch.setattr(sending, "SEND_CHUNK", 500)
    friends = bulk_residents(1201, kosodate, born=years_ago(1))
    delivery = send_now(
        staff_user, make_delivery(department=staff_user.department, segments=[infants]), run_on_commit
    )

    requests = fake_line_api.to(MULTICAST)
    # Several requests are in flight at once, so LINE may see them in any order.
    assert sorted(len(r.body["to"]) for r in requests) == [201, 500, 500]
    assert len({r.headers["x-line-retry-key"] for r in requests}) == 3
    assert sorted(addressed(fake_line_api)) == sorted(f.user_id for f in friends)
    progress = selectors.delivery_progress(delivery)
    assert (progress.accepted, progress.failed, progress.pending, progress.retrying) == (1201, 0, 0, 0)
    assert [(b.size, b.status) for b in delivery.batches.all()] == [
        (500, DeliveryBatch.Status.ACCEPTED),
        (500, DeliveryBatch.Status.ACCEPTED),
        (201, DeliveryBatch.Status.ACCEPTED),
    ]
    assert {str(b.retry_key) for b in delivery.batches.all()} == {
        r.headers["x-line-retry-key"] for r in requests
    }
    assert delivery.target_count == 1201 == selectors.segment_count(infants).following


def test_429_from_line_is_retried_with_the_same_key_and_nothing_is_reported_failed(
    staff_user, infants, kosodate, fake_line_api, run_on_commit, line_sleeps, settings
):
    settings.LINE_SEND_CONCURRENCY = 1
    bulk_residents(700, kosodate, born=years_ago(1))
    too_many = {"message": "The API rate limit has been exceeded. Try again later."}
    fake_line_api.respond(MULTICAST, 429, too_many, times=2)

    delivery = send_now(
        staff_user, make_delivery(department=staff_user.department, segments=[infants]), run_on_commit
    )

    keys = [r.headers["x-line-retry-key"] for r in fake_line_api.to(MULTICAST)]
    first = str(delivery.batches.get(number=1).retry_key)
    assert keys == [first, first, first, str(delivery.batches.get(number=2).retry_key)]
    assert len(line_sleeps) == 2  # backed off before each retry
    assert delivery.status == Delivery.Status.SENT
    progress = selectors.delivery_progress(delivery)
    assert (progress.accepted, progress.failed, progress.phase) == (700, 0, selectors.Phase.DONE)
    assert delivery.batches.get(number=1).attempts == 3


def test_while_line_is_unreachable_the_delivery_waits_and_is_never_called_failed(
    staff_user, infants, kosodate, fake_line_api, run_on_commit, line_sleeps, settings
):
    settings.LINE_SEND_CONCURRENCY = 1
    bulk_residents(600, kosodate, born=years_ago(1))
    attempts = messaging.backoff_policy().max_attempts
    fake_line_api.respond(MULTICAST, 503, {"message": "Service Unavailable"}, times=attempts)

    delivery = send_now(
        staff_user, make_delivery(department=staff_user.department, segments=[infants]), run_on_commit
    )

    assert delivery.status == Delivery.Status.SENDING and delivery.retry_at is not None
    progress = selectors.delivery_progress(delivery)
    assert progress.phase == selectors.Phase.RETRYING and progress.headline == "LINEに接続できず再試行中"
    # It stopped drawing new batches once LINE looked unreachable: the rest waits, counted as such.
    assert (progress.failed, progress.retrying, progress.pending, progress.accepted) == (0, 500, 100, 0)
    assert "自動で送り直します" in progress.advice

    # LINE is back: the worker's next run sends the batch again, with its own key.
    again = services.delivery_send(delivery_id=delivery.pk)

    keys = [r.headers["x-line-retry-key"] for r in fake_line_api.to(MULTICAST)]
    assert keys.count(str(again.batches.get(number=1).retry_key)) == attempts + 1
    assert again.status == Delivery.Status.SENT and again.retry_at is None
    assert selectors.delivery_progress(again).headline == "完了"


def test_a_batch_line_never_answered_within_a_day_fails_and_says_what_to_do(
    staff_user, infants, kosodate, fake_line_api, run_on_commit, line_sleeps, settings
):
    settings.LINE_SEND_CONCURRENCY = 1
    bulk_residents(600, kosodate, born=years_ago(1))
    fake_line_api.respond(MULTICAST, 503, times=messaging.backoff_policy().max_attempts)
    delivery = send_now(
        staff_user, make_delivery(department=staff_user.department, segments=[infants]), run_on_commit
    )
    DeliveryBatch.objects.filter(delivery=delivery, number=1).update(
        created_at=timezone.now() - timedelta(hours=23, minutes=1)
    )
    sent_before = len(fake_line_api.to(MULTICAST))

    delivery = services.delivery_send(delivery_id=delivery.pk)

    # Sending it now could deliver it twice (LINE forgets the key after 24 hours): it is not sent;
    # the rest of the audience goes out.
    [rest] = fake_line_api.to(MULTICAST)[sent_before:]
    assert len(rest.body["to"]) == 100
    assert rest.headers["x-line-retry-key"] != str(delivery.batches.get(number=1).retry_key)
    assert delivery.status == Delivery.Status.PARTIAL
    progress = selectors.delivery_progress(delivery)
    assert (progress.accepted, progress.failed) == (100, 500)
    assert "24時間" in progress.advice and "複製して送り直して" in progress.advice


def test_failures_are_recorded_per_batch_and_the_delivery_is_partial(
    staff_user, infants, kosodate, fake_line_api, run_on_commit, settings
):
    settings.LINE_SEND_CONCURRENCY = 1
    bulk_residents(600, kosodate, born=years_ago(1))
    fake_line_api.respond(MULTICAST, 400, {"message": "The request body has 1 error(s)"})

    delivery = send_now(
        staff_user, make_delivery(department=staff_user.department, segments=[infants]), run_on_commit
    )

    progress = selectors.delivery_progress(delivery)
    assert (progress.accepted, progress.failed, progress.retrying) == (100, 500, 0)
    assert delivery.status == Delivery.Status.PARTIAL
    assert [b.status for b in delivery.batches.all()] == [
        DeliveryBatch.Status.FAILED,
        DeliveryBatch.Status.ACCEPTED,
    ]
    assert "HTTP 400" in delivery.batches.get(number=1).error
    assert progress.headline == "一部の人に届けられませんでした" and "内訳の理由を確認" in progress.advice
    assert len(fake_line_api.to(MULTICAST)) == 2  # a refusal is not retried


def test_a_delivery_to_everyone_is_one_broadcast_never_repeated(staff_user, fake_line_api, run_on_commit):
    DeliveryPolicy.objects.create(department=staff_user.department, may_send_to_all=True)
    FriendFactory.create_batch(3)
    FriendFactory(state=Friend.State.BLOCKED)
    delivery = make_delivery(department=staff_user.department, audience=Delivery.Audience.ALL)

    delivery = send_now(staff_user, delivery, run_on_commit)
    services.delivery_send(delivery_id=delivery.pk)
    Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.SENDING, planned_at=None)
    services.delivery_send(delivery_id=delivery.pk)

    assert len(fake_line_api.to("/v2/bot/message/broadcast")) == 1
    assert (delivery.status, delivery.target_count, delivery.blocked_count) == (Delivery.Status.SENT, 3, 1)


def test_a_broadcast_whose_outcome_is_unknown_is_reported_not_resent(staff_user, fake_line_api):
    DeliveryPolicy.objects.create(department=staff_user.department, may_send_to_all=True)
    delivery = make_delivery(department=staff_user.department, audience=Delivery.Audience.ALL)
    Delivery.objects.filter(pk=delivery.pk).update(
        status=Delivery.Status.SENDING, started_at=timezone.now(), scheduled_by=staff_user
    )
    sending._prepare(Delivery.objects.get(pk=delivery.pk))
    DeliveryBatch.objects.create(delivery=delivery, number=1)  # claimed, then the worker died

    delivery = services.delivery_send(delivery_id=delivery.pk)

    assert fake_line_api.to("/v2/bot/message/broadcast") == []
    assert delivery.status == Delivery.Status.FAILED and "二重送信" in delivery.error


# --- test send (SD-10) ----------------------------------------------------------------------------


def test_a_test_send_reaches_only_the_chosen_test_devices(staff_user, infants, kosodate, fake_line_api):
    resident(topics=[kosodate], children=[years_ago(1)])
    device = PreviewRecipientFactory(
        department=staff_user.department, friend=FriendFactory(), label="共用iPhone", owner=staff_user
    )
    delivery = make_delivery(department=staff_user.department, segments=[infants])

    services.delivery_test_send(actor=staff_user, delivery=delivery, recipient_ids=[device.pk])

    (push,) = fake_line_api.to("/v2/bot/message/push")
    assert push.body["to"] == device.friend.user_id and "?preview=1" in push.body["messages"][0]["text"]
    assert (
        fake_line_api.to(MULTICAST) == []
        and Delivery.objects.get(pk=delivery.pk).status == Delivery.Status.DRAFT
    )


def test_another_departments_test_device_is_not_found(staff_user, other_department, infants, fake_line_api):
    theirs = PreviewRecipientFactory(department=other_department, friend=FriendFactory(), label="他課")
    delivery = make_delivery(department=staff_user.department, segments=[infants])

    from django.http import Http404

    with pytest.raises(Http404):
        services.delivery_test_send(actor=staff_user, delivery=delivery, recipient_ids=[theirs.pk])
    assert fake_line_api.to("/v2/bot/message/push") == []


# --- tracked links and LINE's statistics (SD-8) ---------------------------------------------------


def test_tracked_links_count_residents_clicks_but_not_previews(staff_user, infants):
    delivery = make_delivery(department=staff_user.department, segments=[infants])
    link = links.linker(delivery)("https://www.city.example.jp/kenshin")
    token = link.rsplit("/", 1)[1]

    assert services.link_follow(token=token, count=True) == "https://www.city.example.jp/kenshin"
    services.link_follow(token=token, count=False)
    assert TrackedLink.objects.get(token=token).clicks == 1
    assert services.link_follow(token="nope", count=True) is None


def test_insight_is_read_per_aggregation_unit_and_hidden_counts_stay_hidden(
    staff_user, infants, fake_line_api
):
    delivery = make_delivery(department=staff_user.department, segments=[infants])
    Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.SENT, started_at=timezone.now())
    fake_line_api.respond(
        "/v2/bot/insight/message/event/aggregation?customAggregationUnit="
        f"{delivery.aggregation_unit}&from={timezone.localdate():%Y%m%d}&to={timezone.localdate():%Y%m%d}",
        200,
        {"overview": {"uniqueImpression": 40, "uniqueClick": None}, "messages": [], "clicks": []},
    )

    assert services.delivery_insight_refresh(delivery=Delivery.objects.get(pk=delivery.pk))

    delivery.refresh_from_db()
    assert delivery.insight["opened"] == 40 and delivery.insight["clicked"] is None


# --- email co-delivery (SD-9) ---------------------------------------------------------------------


def subscribed(email: str, *topics, confirm: bool = True) -> EmailSubscriber:
    outbox.outbox.clear()
    services.email_subscription_request(email=email, topics=list(topics))
    subscriber = EmailSubscriber.objects.get(email_digest=mail.email_digest(email))
    if confirm:
        token = re.search(r"/mail/confirm/([^/]+)/", outbox.outbox[-1].body)[1]
        services.email_subscription_confirm(token=token)
    outbox.outbox.clear()
    return subscriber


def test_email_subscribers_of_the_segments_topics_get_the_delivery_by_mail(
    staff_user, infants, kosodate, events, fake_line_api, run_on_commit, settings
):
    settings.CITY_NAME = "豊中市"
    subscribed("hanako@example.jp", kosodate)
    subscribed("kenta@example.jp", events)
    subscribed("pending@example.jp", kosodate, confirm=False)
    delivery = make_delivery(department=staff_user.department, segments=[infants], email_too=True)

    delivery = send_now(staff_user, delivery, run_on_commit)

    (sent,) = outbox.outbox
    assert sent.to == ["hanako@example.jp"] and sent.subject == "【豊中市】健診のご案内"
    assert "/liff/delivery/l/" in sent.body and "配信の停止" in sent.body
    assert sent.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert delivery.email_count == 1 and delivery.status == Delivery.Status.SENT


def test_double_opt_in_and_one_click_unsubscribe(kosodate, events):
    services.email_subscription_request(email="Hanako@Example.jp ", topics=[kosodate, events])
    (confirmation,) = outbox.outbox
    subscriber = EmailSubscriber.objects.get()
    assert subscriber.status == EmailSubscriber.Status.PENDING and confirmation.to == ["hanako@example.jp"]

    services.email_subscription_request(email="hanako@example.jp", topics=[kosodate])
    assert len(outbox.outbox) == 1  # no second mail within minutes: the form cannot mail-bomb someone

    token = re.search(r"/mail/confirm/([^/]+)/", confirmation.body)[1]
    services.email_subscription_confirm(token=token)
    subscriber.refresh_from_db()
    assert subscriber.status == EmailSubscriber.Status.CONFIRMED
    assert set(subscriber.topics.all()) == {kosodate, events}

    with pytest.raises(ValidationError, match="正しくありません"):
        services.email_subscription_confirm(token=token[:-2] + "xx")

    unsubscribe = mail.unsubscribe_token(subscriber)
    assert services.email_unsubscribe(token=unsubscribe) is True
    assert not EmailSubscriber.objects.exists()
    assert services.email_unsubscribe(token=unsubscribe) is False


def test_the_address_is_sealed_and_unconfirmed_ones_are_purged(kosodate):
    from django.db import connection

    subscribed("sachi@example.jp", kosodate, confirm=False)
    with connection.cursor() as cursor:
        cursor.execute("SELECT email FROM delivery_emailsubscriber")
        assert "sachi" not in cursor.fetchone()[0]

    assert services.email_pending_purge(now=timezone.now() + timedelta(days=8)) == 1
    assert not EmailSubscriber.objects.exists()


def test_an_expired_confirmation_link_is_refused(kosodate, monkeypatch):
    subscriber = subscribed("late@example.jp", kosodate, confirm=False)
    token = mail.confirm_token(subscriber, [kosodate.pk])
    monkeypatch.setattr(mail, "CONFIRM_MAX_AGE", -1)

    with pytest.raises(ValidationError, match="有効期限"):
        services.email_subscription_confirm(token=token)
    assert EmailSubscriber.objects.get().status == EmailSubscriber.Status.PENDING


def test_mail_batches_are_sent_once_even_when_run_twice(
    staff_user, infants, kosodate, fake_line_api, run_on_commit
):
    subscribed("a@example.jp", kosodate)
    delivery = send_now(
        staff_user,
        make_delivery(department=staff_user.department, segments=[infants], email_too=True),
        run_on_commit,
    )
    batch = delivery.email_batches.get()

    services.email_batch_send(batch_id=batch.pk)

    assert len(outbox.outbox) == 1


# --- the block-rate guard and the weekly cap ---------------------------------------------------------


def test_unfollows_in_the_24_hours_after_a_delivery_are_counted_among_its_recipients(
    staff_user, infants, kosodate, fake_line_api, run_on_commit
):
    stays, leaves, late = (resident(topics=[kosodate], children=[years_ago(1)]) for _ in range(3))
    outsider = resident()
    delivery = send_now(
        staff_user, make_delivery(department=staff_user.department, segments=[infants]), run_on_commit
    )
    started = delivery.started_at
    Friend.objects.filter(pk=leaves.pk).update(
        state=Friend.State.BLOCKED, blocked_at=started + timedelta(hours=2)
    )
    Friend.objects.filter(pk=late.pk).update(
        state=Friend.State.BLOCKED, blocked_at=started + timedelta(hours=30)
    )
    Friend.objects.filter(pk=outsider.pk).update(
        state=Friend.State.BLOCKED, blocked_at=started + timedelta(hours=1)
    )

    services.deliveries_unfollows_count(now=started + timedelta(hours=25))

    delivery.refresh_from_db()
    assert delivery.unfollows == 1 and delivery.unfollows_counted_at is not None
    assert stays.state == Friend.State.FOLLOWING


def test_the_weekly_cap_leaves_out_residents_who_had_enough_this_week_in_count_and_send(
    staff_user, infants, kosodate, fake_line_api, run_on_commit, settings
):
    settings.DELIVERY_WEEKLY_CAP = 2
    busy, fresh = (resident(topics=[kosodate], children=[years_ago(1)]) for _ in range(2))
    for _ in range(2):
        send_now(
            staff_user, make_delivery(department=staff_user.department, segments=[infants]), run_on_commit
        )
    assert selectors.segment_count(infants) == selectors.AudienceCount(following=0, blocked=0, capped=2)
    DeliveryAudience.objects.filter(friend=fresh).delete()  # as if fresh had joined since
    fake_line_api.requests.clear()

    count = selectors.segment_count(infants)
    delivery = send_now(
        staff_user, make_delivery(department=staff_user.department, segments=[infants]), run_on_commit
    )

    assert (count.following, count.capped) == (1, 1)
    assert addressed(fake_line_api) == [fresh.user_id]
    assert (delivery.target_count, delivery.capped_count) == (1, 1)
    assert busy.user_id not in addressed(fake_line_api)


def test_an_emergency_delivery_reaches_residents_past_the_weekly_cap(
    staff_user, infants, kosodate, fake_line_api, run_on_commit, settings
):
    """An evacuation notice must reach everyone it addresses, however many routine ones came before."""
    settings.DELIVERY_WEEKLY_CAP = 1
    busy = resident(topics=[kosodate], children=[years_ago(1)])
    send_now(staff_user, make_delivery(department=staff_user.department, segments=[infants]), run_on_commit)
    routine = make_delivery(department=staff_user.department, segments=[infants])
    emergency = make_delivery(department=staff_user.department, segments=[infants])
    emergency.emergency = True
    emergency.save()
    fake_line_api.requests.clear()

    routine = send_now(staff_user, routine, run_on_commit)
    assert addressed(fake_line_api) == [] and routine.capped_count == 1
    emergency = send_now(staff_user, emergency, run_on_commit)

    assert addressed(fake_line_api) == [busy.user_id]
    assert (emergency.target_count, emergency.capped_count) == (1, 0)
