"""Staff pages of delivery: composing with pictures (SD-12), test send (SD-10), scheduling (SD-11), progress
and opens/clicks (SD-8), the segment editor with counts (SD-3, SD-13), grants (SD-7); department
isolation (X-4), escaped text (XSS), oversized and malformed uploads."""

from __future__ import annotations

from datetime import date, timedelta
from io import BytesIO

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from civicline.delivery.models import (
    Delivery,
    DeliveryBatch,
    DeliveryImage,
    DeliveryPolicy,
    Segment,
    SegmentGrant,
)
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
from tests.fixtures.line import FriendFactory, PreviewRecipientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def kosodate():
    return TopicFactory(name="子育て")


@pytest.fixture
def infants(department, kosodate):
    return granted(
        SegmentFactory(
            department=department, name="乳幼児", conditions=group(topic_leaf(kosodate), child_age_leaf(0, 2))
        )
    )


def png(width=3000, height=2000, color="#3a7") -> bytes:
    buffer = BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, format="PNG")
    return buffer.getvalue()


def compose_data(segment, **fields):
    data = {"title": "健診のご案内", "audience": "segments", "segments": [segment.pk], "combine": "any"}
    for position in range(1, 6):
        data[f"m{position}-kind"] = ""
    data.update({"m1-kind": "text", "m1-text": "1歳6か月児健診のお知らせです。"})
    data.update(fields)
    return data


def test_staff_compose_text_picture_and_buttons_and_see_the_preview(staff_client, infants):
    data = compose_data(
        infants,
        **{
            "m2-kind": "image",
            "m2-image": SimpleUploadedFile("poster.png", png(), content_type="image/png"),
            "m3-kind": "buttons",
            "m3-title": "健診の予約",
            "m3-text": "日程を選んで予約してください。",
            "m3-label1": "予約する",
            "m3-value1": "https://www.city.example.jp/yoyaku",
            "m3-label2": "持ち物",
            "m3-value2": "持ち物を教えて",
        },
    )

    response = staff_client.post("/console/delivery/new/", data)

    delivery = Delivery.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/console/delivery/{delivery.pk}/"
    assert [m.kind for m in delivery.messages.all()] == ["text", "image", "buttons"]
    picture = DeliveryImage.objects.get()
    assert (picture.width, picture.height) == (2048, 1365)  # LINE-sized, re-encoded as JPEG
    with default_storage.open(picture.preview_name) as preview:
        assert Image.open(preview).size == (1024, 683)
    page = staff_client.get(f"/console/delivery/{delivery.pk}/").content.decode()
    assert "健診の予約" in page and "予約する" in page and picture.preview_name.rsplit("/", 1)[1] in page


@pytest.mark.parametrize(
    ("upload", "error"),
    [
        (
            SimpleUploadedFile("big.png", b"\x89PNG" + b"0" * (10 * 1024 * 1024), content_type="image/png"),
            "10MBまで",
        ),
        (
            SimpleUploadedFile("fake.png", b"<svg onload=alert(1)>", content_type="image/png"),
            "読み込めませんでした",
        ),
    ],
)
def test_oversized_or_malformed_pictures_are_refused_and_nothing_is_saved(
    staff_client, infants, media, upload, error
):
    response = staff_client.post(
        "/console/delivery/new/", compose_data(infants, **{"m1-kind": "image", "m1-image": upload})
    )

    assert response.status_code == 400 and error in response.content.decode()
    assert not Delivery.objects.exists() and not list(media.rglob("*.jpg"))


def test_a_segment_not_granted_cannot_be_chosen_even_by_a_forged_post(
    staff_client, other_department, kosodate
):
    theirs = granted(SegmentFactory(department=other_department, conditions=group(topic_leaf(kosodate))))

    page = staff_client.get("/console/delivery/new/").content.decode()
    response = staff_client.post("/console/delivery/new/", compose_data(theirs))

    assert theirs.name not in page
    assert response.status_code == 400 and not Delivery.objects.exists()


def test_what_staff_typed_is_shown_as_text_not_markup(staff_client, infants):
    staff_client.post(
        "/console/delivery/new/",
        compose_data(
            infants, title="<script>alert(1)</script>", **{"m1-text": "<img src=x onerror=alert(2)>"}
        ),
    )
    delivery = Delivery.objects.get()

    for url in ("/console/delivery/", f"/console/delivery/{delivery.pk}/"):
        page = staff_client.get(url).content.decode()
        assert "<script>alert(1)" not in page and "<img src=x" not in page
        assert "&lt;script&gt;alert(1)" in page


def test_another_departments_delivery_answers_404_everywhere(staff_client, other_department):
    theirs = make_delivery(department=other_department, title="環境課のお知らせ")

    assert "環境課のお知らせ" not in staff_client.get("/console/delivery/").content.decode()
    for path in ("", "edit/"):
        assert staff_client.get(f"/console/delivery/{theirs.pk}/{path}").status_code == 404
    for path in ("test/", "schedule/", "unschedule/", "delete/", "insight/"):
        assert staff_client.post(f"/console/delivery/{theirs.pk}/{path}", {"when": "now"}).status_code == 404
    assert Delivery.objects.get(pk=theirs.pk).status == Delivery.Status.DRAFT


def test_staff_schedule_then_unschedule(staff_client, staff_user, infants):
    delivery = make_delivery(department=staff_user.department, segments=[infants])
    at = timezone.localtime() + timedelta(days=1)

    response = staff_client.post(
        f"/console/delivery/{delivery.pk}/schedule/", {"when": "later", "at": at.strftime("%Y-%m-%dT%H:%M")}
    )
    delivery.refresh_from_db()
    assert response.status_code == 302 and delivery.status == Delivery.Status.SCHEDULED
    assert timezone.localtime(delivery.scheduled_at).strftime("%H:%M") == at.strftime("%H:%M")
    assert "配信予約中" in staff_client.get(f"/console/delivery/{delivery.pk}/").content.decode()

    staff_client.post(f"/console/delivery/{delivery.pk}/unschedule/")
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.DRAFT


def test_a_time_in_the_past_is_refused_on_the_page(staff_client, staff_user, infants):
    delivery = make_delivery(department=staff_user.department, segments=[infants])
    past = timezone.localtime() - timedelta(hours=1)

    response = staff_client.post(
        f"/console/delivery/{delivery.pk}/schedule/", {"when": "later", "at": past.strftime("%Y-%m-%dT%H:%M")}
    )

    assert response.status_code == 400 and "これから先の日時" in response.content.decode()


def test_test_send_from_the_page(staff_client, staff_user, infants, fake_line_api):
    device = PreviewRecipientFactory(
        department=staff_user.department, friend=FriendFactory(), label="共用iPhone", owner=staff_user
    )
    delivery = make_delivery(department=staff_user.department, segments=[infants])

    response = staff_client.post(f"/console/delivery/{delivery.pk}/test/", {"recipients": [device.pk]})

    assert "「共用iPhone」: 送信済み" in response.content.decode()
    assert [r.body["to"] for r in fake_line_api.to("/v2/bot/message/push")] == [device.friend.user_id]


def test_progress_and_line_statistics_with_hidden_counts_as_dashes(staff_client, staff_user, infants):
    delivery = make_delivery(department=staff_user.department, segments=[infants])
    Delivery.objects.filter(pk=delivery.pk).update(
        status=Delivery.Status.SENT,
        started_at=timezone.now(),
        finished_at=timezone.now(),
        target_count=12,
        blocked_count=3,
        insight={"opened": None, "clicked": 25, "messages": [], "clicks": []},
        insight_fetched_at=timezone.now(),
    )

    page = staff_client.get(f"/console/delivery/{delivery.pk}/").content.decode()

    assert 'id="dl-opened">—<' in page and 'id="dl-clicked">25<' in page
    assert 'id="dl-blocked">3' in page and "20人未満" in page


def test_the_segment_editor_adds_conditions_counts_and_saves(staff_client, staff_user, kosodate):
    resident(topics=[kosodate], children=[date.today().replace(year=date.today().year - 1)])
    resident(topics=[kosodate])
    start = {
        "name": "乳幼児",
        "description": "",
        "c-type": "and",
        "c.0-type": "topic",
        "c.0-topics": [kosodate.pk],
    }

    page = staff_client.post(
        "/console/delivery/segments/new/", {**start, "edit": "add:c", "c-add": "child_age"}
    )
    assert 'name="c.1-min"' in page.content.decode() and not Segment.objects.exists()

    with_age = {**start, "c.1-type": "child_age", "c.1-min": "0", "c.1-max": "2"}
    counted = staff_client.post(
        "/console/delivery/segments/new/", {**with_age, "count": "1"}
    ).content.decode()
    assert "<strong>1人</strong>" in counted

    broken = staff_client.post("/console/delivery/segments/new/", {**with_age, "c.1-max": "x"})
    assert "数字で入力" in broken.content.decode() and not Segment.objects.exists()

    response = staff_client.post("/console/delivery/segments/new/", with_age)
    segment = Segment.objects.get()
    assert response.status_code == 302 and segment.department == staff_user.department
    listing = staff_client.get("/console/delivery/segments/").content.decode()
    assert "「子育て」を受け取る かつ 配信日に0〜2歳の子どもがいる" in listing and "未許可" in listing


def test_another_departments_segment_cannot_be_opened_for_editing(staff_client, other_department):
    theirs = SegmentFactory(department=other_department)
    assert staff_client.get(f"/console/delivery/segments/{theirs.pk}/").status_code == 404
    assert staff_client.post(f"/console/delivery/segments/{theirs.pk}/delete/").status_code == 404


def test_grants_and_lists_are_the_system_administrators(
    staff_client, system_admin_client, department, infants
):
    for path in ("grants/", f"grants/{department.pk}/", "topics/", "topics/new/"):
        assert staff_client.get(f"/console/delivery/{path}").status_code == 403

    response = system_admin_client.post(
        f"/console/delivery/grants/{department.pk}/", {"segments": [], "may_send_to_all": "on"}
    )

    assert response.status_code == 302
    assert not SegmentGrant.objects.filter(department=department).exists()
    assert DeliveryPolicy.objects.get(department=department).may_send_to_all
    assert "友だち全員" in system_admin_client.get("/console/delivery/grants/").content.decode()


def test_the_system_administrator_adds_a_topic(system_admin_client):
    response = system_admin_client.post(
        "/console/delivery/topics/new/", {"name": "防災", "description": "", "position": 4, "is_active": "on"}
    )
    assert response.status_code == 302
    assert "防災" in system_admin_client.get("/console/delivery/topics/").content.decode()


def test_editing_keeps_or_removes_the_picture_and_its_files(staff_client, infants, media, run_on_commit):
    staff_client.post(
        "/console/delivery/new/",
        compose_data(
            infants, **{"m1-kind": "image", "m1-image": SimpleUploadedFile("a.png", png(), "image/png")}
        ),
    )
    delivery = Delivery.objects.get()
    picture = DeliveryImage.objects.get()
    edit = f"/console/delivery/{delivery.pk}/edit/"

    staff_client.post(edit, compose_data(infants, title="写真そのまま", **{"m1-kind": "image"}))
    assert delivery.messages.get().image == picture and default_storage.exists(picture.name)

    response = staff_client.post(edit, compose_data(infants, **{"m1-kind": "image", "m1-remove_image": "on"}))
    assert (
        response.status_code == 400 and "画像を選んで" in response.content.decode()
    )  # an image message needs one

    with run_on_commit():  # files go once the change is committed
        staff_client.post(
            edit,
            compose_data(infants, **{"m1-kind": "text", "m1-text": "文字だけに", "m1-remove_image": "on"}),
        )
    assert not DeliveryImage.objects.exists() and not default_storage.exists(picture.name)
    assert delivery.messages.get().text == "文字だけに"


def test_a_delivery_to_everyone_is_offered_only_to_departments_allowed_to(
    staff_client, staff_user, console_client, system_admin
):
    assert "友だち全員" not in staff_client.get("/console/delivery/new/").content.decode()
    DeliveryPolicy.objects.create(department=staff_user.department, may_send_to_all=True)
    assert "友だち全員" in staff_client.get("/console/delivery/new/").content.decode()


def test_a_kept_picture_follows_its_message_when_an_earlier_one_is_dropped(staff_client, infants):
    picture = SimpleUploadedFile("a.png", png(), "image/png")
    staff_client.post(
        "/console/delivery/new/", compose_data(infants, **{"m2-kind": "image", "m2-image": picture})
    )
    delivery = Delivery.objects.get()

    staff_client.post(
        f"/console/delivery/{delivery.pk}/edit/", compose_data(infants, **{"m1-kind": "", "m2-kind": "image"})
    )

    (message,) = delivery.messages.all()
    assert message.kind == "image" and message.image == DeliveryImage.objects.get()


# --- progress in words staff can act on ----------------------------------------------------------


def sending(delivery, **fields):
    Delivery.objects.filter(pk=delivery.pk).update(
        status=Delivery.Status.SENDING, started_at=timezone.now() - timedelta(seconds=20), **fields
    )


def batch(delivery, number, status, *, size=500, http_status=None, error=""):
    return DeliveryBatch.objects.create(
        delivery=delivery, number=number, size=size, status=status, http_status=http_status, error=error
    )


def test_a_send_in_progress_says_so_with_counts_and_time_left(staff_client, staff_user, infants):
    delivery = make_delivery(department=staff_user.department, segments=[infants])
    sending(delivery, target_count=100_000)
    batch(delivery, 1, DeliveryBatch.Status.ACCEPTED)
    batch(delivery, 2, DeliveryBatch.Status.PENDING)

    page = staff_client.get(f"/console/delivery/{delivery.pk}/").content.decode()

    assert "送信中" in page and 'id="dl-time-left">（残り約' in page
    assert 'id="dl-accepted">500<' in page and 'id="dl-pending">99500<' in page
    assert "失敗" not in page and 'id="dl-failed"' not in page


def test_line_unreachable_is_waiting_to_retry_never_failed(staff_client, staff_user, infants):
    delivery = make_delivery(department=staff_user.department, segments=[infants])
    sending(delivery, target_count=1000, retry_at=timezone.now() + timedelta(minutes=1))
    batch(delivery, 1, DeliveryBatch.Status.ACCEPTED)
    batch(delivery, 2, DeliveryBatch.Status.RETRYING, error="network: Connection refused")

    page = staff_client.get(f"/console/delivery/{delivery.pk}/").content.decode()

    assert "LINEに接続できず再試行中" in page and "次の再試行" in page
    assert "自動で送り直します" in page and 'id="dl-retrying">500<' in page
    assert "失敗" not in page and "不明" not in page and 'id="dl-failed"' not in page


def test_lines_429_is_said_as_busy(staff_client, staff_user, infants):
    delivery = make_delivery(department=staff_user.department, segments=[infants])
    sending(delivery, target_count=500)
    batch(delivery, 1, DeliveryBatch.Status.RETRYING, http_status=429, error="HTTP 429 (request -): …")

    page = staff_client.get(f"/console/delivery/{delivery.pk}/").content.decode()

    assert "LINEが混み合っているため再試行中" in page and "失敗" not in page


def test_a_real_failure_says_who_missed_it_why_and_what_to_do(staff_client, staff_user, infants):
    delivery = make_delivery(department=staff_user.department, segments=[infants])
    sending(delivery, target_count=1000)
    Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.PARTIAL, finished_at=timezone.now())
    batch(delivery, 1, DeliveryBatch.Status.ACCEPTED)
    batch(
        delivery,
        2,
        DeliveryBatch.Status.FAILED,
        http_status=400,
        error="HTTP 400 (request r-1): The request body has 1 error(s)",
    )

    page = staff_client.get(f"/console/delivery/{delivery.pk}/").content.decode()

    assert "一部の人に届けられませんでした" in page and 'id="dl-failed" class="dl-bad">500<' in page
    assert "配信を複製して送り直してください" in page and "The request body has 1 error(s)" in page


def test_finished_shows_done_and_the_unfollows_after_it(staff_client, staff_user, infants):
    delivery = make_delivery(department=staff_user.department, segments=[infants])
    sending(delivery, target_count=2000, unfollows=3, unfollows_counted_at=timezone.now())
    Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.SENT, finished_at=timezone.now())
    batch(delivery, 1, DeliveryBatch.Status.ACCEPTED, size=2000)

    page = staff_client.get(f"/console/delivery/{delivery.pk}/").content.decode()

    assert "完了" in page and 'id="dl-unfollows">3<small>人（0.15%）' in page


def test_before_a_send_to_everyone_staff_see_recent_block_rates(staff_client, staff_user, other_department):
    DeliveryPolicy.objects.create(department=staff_user.department, may_send_to_all=True)
    ours = make_delivery(department=staff_user.department, title="防災訓練のお知らせ")
    theirs = make_delivery(department=other_department, title="他課の秘密の件名")
    for past, unfollows in ((ours, 40), (theirs, 5)):
        Delivery.objects.filter(pk=past.pk).update(
            status=Delivery.Status.SENT, started_at=timezone.now(), target_count=10_000, unfollows=unfollows
        )
    draft = make_delivery(department=staff_user.department, audience=Delivery.Audience.ALL)

    page = staff_client.get(f"/console/delivery/{draft.pk}/").content.decode()

    assert "最近の配信のブロック率" in page and "防災訓練のお知らせ" in page and "0.40%" in page
    assert "他課の秘密の件名" not in page and "0.05%" in page
