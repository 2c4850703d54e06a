"""Deliveries in the residents' languages (issue 21): staff write a version per language, each
resident gets theirs by the city's fallbacks, a delivery in Japanese only goes out as before, and a
resident chooses their language in 受信設定."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext

from civicline.core import languages
from civicline.core.models import AuditEntry
from civicline.delivery import services
from civicline.delivery.models import Delivery, DeliveryBatch, DeliveryMessage, DeliveryPolicy
from civicline.delivery.services import DeliveryInput, MessageInput
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
from tests.delivery.test_liff import SETTINGS, resident_client
from tests.fixtures.line import FriendFactory, PreviewRecipientFactory

pytestmark = pytest.mark.django_db

MULTICAST = "/v2/bot/message/multicast"
BROADCAST = "/v2/bot/message/broadcast"
JAPANESE = "1歳6か月児健診のご案内です。"
VIETNAMESE = "Thông báo khám sức khỏe cho trẻ 18 tháng tuổi."
EASY = "1さい6かげつの こどもの けんしんの おしらせです。"


@pytest.fixture
def kosodate():
    return TopicFactory(name="子育て")


@pytest.fixture
def infants(department, kosodate):
    segment = SegmentFactory(
        department=department, name="乳幼児", conditions=group(topic_leaf(kosodate), child_age_leaf(0, 2))
    )
    return granted(segment)


def parent(kosodate, **friend):
    born = timezone.localdate() - timedelta(days=400)
    return resident(topics=[kosodate], children=[born], **friend)


def translated_delivery(department, segments=(), **versions):
    """A delivery written in Japanese, with ``versions`` ({language: text}) of its one text message."""
    delivery = make_delivery(department=department, segments=segments, text=JAPANESE)
    DeliveryMessage.objects.filter(delivery=delivery).update(
        translations={code: {"text": text} for code, text in versions.items()}
    )
    return delivery


def send_now(staff, delivery, run_on_commit):
    with run_on_commit():
        services.delivery_schedule(actor=staff, delivery=delivery, at=None)
    delivery.refresh_from_db()
    return delivery


def received(fake_line_api, path=MULTICAST) -> dict[str, str]:
    """{user id: the text of the message they were sent}."""
    return {
        user_id: request.body["messages"][0]["text"]
        for request in fake_line_api.to(path)
        for user_id in request.body["to"]
    }


# --- sending --------------------------------------------------------------------------------------


def test_each_resident_gets_the_version_in_their_language_or_the_citys_fallback(
    staff_user, infants, kosodate, fake_line_api, run_on_commit
):
    """issue 21: vi reads Vietnamese, ja Japanese, en (no English version) the やさしい日本語 one."""
    vietnamese = parent(kosodate, language="vi")
    japanese = parent(kosodate, language="ja")
    english = parent(kosodate, language="en")
    chose_vietnamese = parent(kosodate, language="ja", preferred_language="vi")
    delivery = translated_delivery(staff_user.department, [infants], vi=VIETNAMESE, **{"ja-easy": EASY})

    delivery = send_now(staff_user, delivery, run_on_commit)

    assert received(fake_line_api) == {
        vietnamese.user_id: VIETNAMESE,
        japanese.user_id: JAPANESE,
        english.user_id: EASY,
        chose_vietnamese.user_id: VIETNAMESE,
    }
    assert fake_line_api.to(BROADCAST) == []
    assert delivery.status == Delivery.Status.SENT and delivery.target_count == 4
    assert sorted(delivery.batches.values_list("language", "size")) == [("ja", 1), ("ja-easy", 1), ("vi", 2)]
    # Every request is one version; LINE's statistics still count the delivery as one.
    units = {tuple(r.body["customAggregationUnits"]) for r in fake_line_api.to(MULTICAST)}
    assert units == {(delivery.aggregation_unit,)}


def test_without_an_easy_japanese_version_the_fallback_is_japanese(
    staff_user, infants, kosodate, fake_line_api, run_on_commit
):
    """issue 21: an English reader with neither English nor やさしい日本語 written gets Japanese."""
    english = parent(kosodate, language="en")
    vietnamese = parent(kosodate, language="vi")
    delivery = translated_delivery(staff_user.department, [infants], vi=VIETNAMESE)

    send_now(staff_user, delivery, run_on_commit)

    assert received(fake_line_api) == {english.user_id: JAPANESE, vietnamese.user_id: VIETNAMESE}


def test_a_delivery_in_japanese_only_to_everyone_stays_one_broadcast(
    staff_user, fake_line_api, run_on_commit
):
    """issue 21: nothing changes for a delivery nobody translated: LINE's one broadcast."""
    DeliveryPolicy.objects.create(department=staff_user.department, may_send_to_all=True)
    FriendFactory(language="vi")
    FriendFactory(language="ja")
    delivery = make_delivery(department=staff_user.department, audience=Delivery.Audience.ALL, text=JAPANESE)

    delivery = send_now(staff_user, delivery, run_on_commit)

    (broadcast,) = fake_line_api.to(BROADCAST)
    assert broadcast.body["messages"][0]["text"] == JAPANESE
    assert fake_line_api.to(MULTICAST) == [] and delivery.status == Delivery.Status.SENT
    assert not AuditEntry.objects.filter(summary__contains="言語別").exists()


def test_a_translated_delivery_to_everyone_is_never_a_japanese_broadcast(
    staff_user, fake_line_api, run_on_commit
):
    """issue 21: to everyone, in several languages: each friend once, in their version; audited."""
    DeliveryPolicy.objects.create(department=staff_user.department, may_send_to_all=True)
    vietnamese = FriendFactory(language="vi")
    japanese = FriendFactory(language="ja")
    unknown = FriendFactory(language="")
    FriendFactory(language="vi", state=Friend.State.BLOCKED)
    delivery = translated_delivery(staff_user.department, vi=VIETNAMESE)
    Delivery.objects.filter(pk=delivery.pk).update(audience=Delivery.Audience.ALL)
    delivery.refresh_from_db()

    delivery = send_now(staff_user, delivery, run_on_commit)

    assert fake_line_api.to(BROADCAST) == []
    assert received(fake_line_api) == {
        vietnamese.user_id: VIETNAMESE,
        japanese.user_id: JAPANESE,
        unknown.user_id: JAPANESE,
    }
    assert (delivery.status, delivery.target_count, delivery.blocked_count) == (Delivery.Status.SENT, 3, 1)
    entry = AuditEntry.objects.get(summary__contains="言語別")
    assert entry.changes["languages"] == {"ja": 2, "vi": 1}


def test_a_send_resumed_after_the_worker_died_addresses_nobody_twice_in_any_language(
    staff_user, infants, kosodate, fake_line_api, run_on_commit
):
    """issue 21: a resumed send sends each recorded batch again in its own language, then goes on."""
    vietnamese = parent(kosodate, language="vi")
    japanese = parent(kosodate, language="ja")
    delivery = translated_delivery(staff_user.department, [infants], vi=VIETNAMESE)
    delivery = send_now(staff_user, delivery, run_on_commit)
    # As if LINE had not answered the Vietnamese batch before the worker died.
    DeliveryBatch.objects.filter(delivery=delivery, language="vi").update(status=DeliveryBatch.Status.PENDING)
    Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.SENDING, planned_at=None)
    fake_line_api.requests.clear()

    services.delivery_send(delivery_id=delivery.pk)

    assert received(fake_line_api) == {vietnamese.user_id: VIETNAMESE}
    assert japanese.user_id not in received(fake_line_api)


def test_a_translated_version_line_would_refuse_is_refused_naming_its_language(staff_user, infants):
    """issue 21: each version is checked against LINE's limits (a translation is often longer)."""
    data = DeliveryInput(
        title="健診",
        audience=Delivery.Audience.SEGMENTS,
        segments=[infants],
        combine=Delivery.Combine.ANY,
        email_too=False,
        messages=[
            MessageInput(
                kind="buttons",
                text="日程を選んでください。",
                actions=[{"label": "予約する", "value": "https://www.city.example.jp/"}],
                translations={"en": {"label1": "Make a reservation for the check-up"}},
            )
        ],
    )

    with pytest.raises(Exception, match="English") as refused:
        services.delivery_create(actor=staff_user, data=data)
    assert "20文字まで" in str(refused.value)
    assert not Delivery.objects.exists()


def test_a_test_send_goes_in_the_language_staff_chose_or_the_devices_own(staff_user, infants, fake_line_api):
    """issue 21: staff preview each version on their paired phone."""
    vietnamese_phone = PreviewRecipientFactory(
        department=staff_user.department, friend=FriendFactory(language="vi"), owner=staff_user
    )
    japanese_phone = PreviewRecipientFactory(
        department=staff_user.department, friend=FriendFactory(language="ja"), owner=staff_user
    )
    delivery = translated_delivery(staff_user.department, [infants], vi=VIETNAMESE, **{"ja-easy": EASY})

    services.delivery_test_send(
        actor=staff_user, delivery=delivery, recipient_ids=[vietnamese_phone.pk, japanese_phone.pk]
    )
    services.delivery_test_send(
        actor=staff_user, delivery=delivery, recipient_ids=[japanese_phone.pk], language="ja-easy"
    )

    texts = [(p.body["to"], p.body["messages"][0]["text"]) for p in fake_line_api.to("/v2/bot/message/push")]
    assert texts == [
        (vietnamese_phone.friend.user_id, VIETNAMESE),
        (japanese_phone.friend.user_id, JAPANESE),
        (japanese_phone.friend.user_id, EASY),
    ]


# --- the console ----------------------------------------------------------------------------------


def compose_data(segment, **fields):
    data = {"title": "健診のご案内", "audience": "segments", "segments": [segment.pk], "combine": "any"}
    for position in range(1, 6):
        data[f"m{position}-kind"] = ""
    data.update({"m1-kind": "text", "m1-text": JAPANESE})
    data.update(fields)
    return data


def test_staff_write_versions_per_language_and_see_which_languages_are_missing(staff_client, infants):
    """issue 21: the editor has a version per language; list and detail mark what is missing."""
    form = staff_client.get("/console/delivery/new/").content.decode()
    assert 'name="m1-text__vi"' in form and 'name="m1-label1__en"' in form and "Tiếng Việt" in form

    response = staff_client.post(
        "/console/delivery/new/",
        compose_data(
            infants,
            **{
                "m1-text__vi": VIETNAMESE,
                "m1-text__ja_easy": EASY,
                "m2-kind": "buttons",
                "m2-text": "予約はこちら",
                "m2-label2": "予約する",
                "m2-value2": "https://www.city.example.jp/yoyaku",
                "m2-text__vi": "Đặt lịch tại đây",
                "m2-label2__vi": "Đặt lịch",
            },
        ),
    )

    delivery = Delivery.objects.get()
    assert response.status_code == 302
    first, second = delivery.messages.all()
    assert first.translations == {"ja-easy": {"text": EASY}, "vi": {"text": VIETNAMESE}}
    # The button typed in the second row is the message's first: its label's version follows it.
    assert second.actions == [{"label": "予約する", "value": "https://www.city.example.jp/yoyaku"}]
    assert second.translations == {"vi": {"text": "Đặt lịch tại đây", "label1": "Đặt lịch"}}
    detail = staff_client.get(f"/console/delivery/{delivery.pk}/").content.decode()
    assert "配信する言語" in detail and "Tiếng Việt" in detail and "未翻訳" in detail
    assert 'id="dl-estimate-languages"' in detail  # who would get which version, before sending
    assert "English" in detail.split('id="dl-missing"')[1].split("</span>")[0]
    vietnamese = staff_client.get(f"/console/delivery/{delivery.pk}/?language=vi").content.decode()
    assert VIETNAMESE in vietnamese and "Đặt lịch" in vietnamese
    listing = staff_client.get("/console/delivery/").content.decode()
    assert "未翻訳" in listing and "日本語・やさしい にほんご・Tiếng Việt" in listing


def test_before_sending_staff_see_how_many_residents_will_get_each_version(
    staff_client, staff_user, infants, kosodate
):
    """issue 21: the estimate counts each version's readers, by the same fallbacks as the send."""
    parent(kosodate, language="vi")
    parent(kosodate, language="ja", preferred_language="vi")
    parent(kosodate, language="en")  # no English version: the やさしい日本語 one
    parent(kosodate, language="ja")
    parent(kosodate, language="vi", blocked=True)
    delivery = translated_delivery(staff_user.department, [infants], vi=VIETNAMESE, **{"ja-easy": EASY})

    detail = staff_client.get(f"/console/delivery/{delivery.pk}/").content.decode()

    figures = re.sub(r"<[^>]+>|\s", "", detail.split('id="dl-estimate-languages"')[1].split("</dl>")[0])
    assert figures == ">日本語の版1人やさしいにほんごの版1人TiếngViệtの版2人"


def test_a_delivery_written_in_every_language_has_no_missing_badge(staff_client, staff_user, infants):
    """issue 21: the badge goes once every offered language has its version."""
    delivery = translated_delivery(
        staff_user.department,
        [infants],
        **{code: f"{code}: {JAPANESE}" for code in languages.translation_languages()},
    )

    listing = staff_client.get("/console/delivery/").content.decode()
    detail = staff_client.get(f"/console/delivery/{delivery.pk}/").content.decode()

    assert "未翻訳" not in listing and 'id="dl-missing"' not in detail


# --- 受信設定: the resident's language ---------------------------------------------------------------


def test_a_resident_chooses_their_language_in_the_settings_and_the_page_follows_it():
    """issue 21: the choice is saved, changes resident_language, and the page is in it from then on."""
    friend = FriendFactory(language="ja")
    client = resident_client(friend)
    page = client.get(SETTINGS).content.decode()
    assert "表示言語" in page and "LINEの設定に合わせる" in page and "Tiếng Việt" in page

    response = client.post(SETTINGS, {"language": "ja-easy", "action": "save"})

    friend.refresh_from_db()
    assert response.status_code == 302 and friend.preferred_language == "ja-easy"
    assert friend.resident_language == "ja-easy"
    again = client.get(response["Location"])
    assert again["Content-Language"] == "ja-easy"
    assert re.search(r'value="ja-easy"[^>]*checked', again.content.decode())

    own_page = client.get("/liff/").content.decode()  # their own page says which they chose
    assert re.search(r'id="dl-summary-language">やさしい にほんご<', own_page)

    client.post(SETTINGS, {"language": "", "action": "save"})
    friend.refresh_from_db()
    assert (friend.preferred_language, friend.resident_language) == ("", "ja")


def test_an_unknown_language_is_refused_with_a_clear_message_and_nothing_changes(kosodate):
    """issue 21: a forged code changes neither the language nor the other settings."""
    friend = FriendFactory(language="en", preferred_language="vi")

    response = resident_client(friend).post(
        SETTINGS, {"language": "tlh", "topics": [kosodate.pk], "action": "save"}
    )

    friend.refresh_from_db()
    assert response.status_code == 400
    with translation.override("vi"):  # the page is in the resident's language
        assert gettext("選べない言語です。一覧から選んでください。") in response.content.decode()
    assert friend.preferred_language == "vi" and not friend.delivery_topics.exists()


# --- the demo -------------------------------------------------------------------------------------


def test_the_demo_delivery_is_written_in_english_vietnamese_and_easy_japanese():
    """issue 21: a city trying the demo sees a delivery with versions LINE would take."""
    from civicline.delivery import demo, line_messages
    from tests.fixtures.core import DepartmentFactory

    DepartmentFactory(code="kosodate")
    demo.seed()
    demo.seed()

    (message,) = DeliveryMessage.objects.filter(delivery__title=demo.CHECKUP_TITLE)
    draft = line_messages.MessageDraft.of(message)
    assert line_messages.versions_of([draft]) == ["ja", "ja-easy", "en", "vi"]
    assert draft.in_language("vi").actions[0]["label"] == "Xem lịch khám"
    for code in ("en", "vi", "ja-easy"):
        assert line_messages.draft_errors(draft.in_language(code)) == [], code


# --- the city's lists residents choose from ------------------------------------------------------


def test_topics_and_areas_are_named_in_the_residents_language(system_admin_client):
    """issue 21: the system administrator writes a topic's versions; 受信設定 shows the resident's."""
    from civicline.delivery.models import Topic
    from tests.delivery.factories import AreaFactory

    AreaFactory(name="北部", translations={"vi": {"name": "Khu vực phía Bắc"}})
    response = system_admin_client.post(
        "/console/delivery/topics/new/",
        {
            "name": "子育て",
            "description": "子育て支援のお知らせ",
            "position": "1",
            "is_active": "on",
            "name__vi": "Nuôi dạy con",
            "name__en": "Child-rearing",
        },
    )
    assert response.status_code == 302
    topic = Topic.objects.get(name="子育て")
    assert topic.translations == {"en": {"name": "Child-rearing"}, "vi": {"name": "Nuôi dạy con"}}
    listing = system_admin_client.get("/console/delivery/topics/").content.decode()
    assert "未翻訳" in listing  # its description, and other languages, have no version yet

    vietnamese = resident_client(FriendFactory(language="vi")).get(SETTINGS).content.decode()
    korean = resident_client(FriendFactory(language="ko")).get(SETTINGS).content.decode()

    assert "Nuôi dạy con" in vietnamese and "Khu vực phía Bắc" in vietnamese
    assert "子育て" in korean and "Nuôi dạy con" not in korean  # no Korean version: the master


# --- emergency deliveries -------------------------------------------------------------------------


def test_an_emergency_delivery_prepared_by_english_reading_staff_is_titled_in_japanese(staff_user):
    """issue 21: the deliveries' titles (the e-mail subject) are the Japanese master, whoever asks."""
    from civicline.core.features import EmergencyRequest
    from civicline.delivery import emergency
    from tests.delivery.factories import AreaFactory

    AreaFactory(name="北部")
    TopicFactory(name="防災")
    request = EmergencyRequest(
        title="大雨特別警報",
        text="避難してください。",
        disaster_kind="flood",
        department_id=staff_user.department_id,
        topic_name="防災",
        prepare_only=True,
        actor=staff_user,
    )

    with translation.override("en"):
        emergency.send_alert(request)

    titles = sorted(Delivery.objects.values_list("title", flat=True))
    assert titles == ["【その他の方】大雨特別警報", "【優先】大雨特別警報"]
    assert all(d.emergency and d.status == Delivery.Status.DRAFT for d in Delivery.objects.all())
