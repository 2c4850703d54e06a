"""The resident's 受信設定 page (SD-1, SD-4, SD-6, SD-14), the public email pages (SD-9), tracked links
(SD-8) and delivery pictures served to LINE."""

from __future__ import annotations

import re
import time
from datetime import date

import pytest
from django.core import mail as outbox
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client

from civicline.delivery import mail, selectors, services
from civicline.delivery.models import EmailSubscriber, TrackedLink
from civicline.line.liff.auth import SESSION_KEY
from tests.delivery.factories import AreaFactory, TopicFactory, make_delivery, resident
from tests.fixtures.line import FriendFactory

pytestmark = pytest.mark.django_db

SETTINGS = "/liff/delivery/settings/"


def resident_client(friend) -> Client:
    """A client with the resident's LIFF session open, as after /liff/session."""
    client = Client()
    session = client.session
    session[SESSION_KEY] = {"user_id": friend.user_id, "seen": time.time()}
    session.save()
    return client


@pytest.fixture
def topics():
    return [TopicFactory(name="子育て"), TopicFactory(name="防災"), TopicFactory(name="イベント")]


def test_without_a_liff_session_the_page_shows_the_sign_in_gate_and_nobodys_data(topics):
    resident(topics=[topics[0]], children=[date(2024, 4, 1)])

    response = Client().get(SETTINGS)

    assert "本人確認" in response.content.decode() and "2024-04-01" not in response.content.decode()


def test_a_resident_registers_topics_area_and_a_childs_birth_date(topics):
    friend = FriendFactory()
    north = AreaFactory(name="北部")
    client = resident_client(friend)

    response = client.post(
        SETTINGS,
        {
            "topics": [topics[0].pk, topics[1].pk],
            "area": north.pk,
            "birth_year": "1990",
            "gender": "female",
            "child": ["2024-05-10", "", ""],
            "action": "save",
        },
    )

    assert response.status_code == 302 and response["Location"] == SETTINGS + "?saved=1"
    current = selectors.resident_settings(friend=friend)
    assert current.topic_ids == [topics[0].pk, topics[1].pk] and current.area_id == north.pk
    assert current.children == [date(2024, 5, 10)] and (current.birth_year, current.gender) == (
        1990,
        "female",
    )
    page = client.get(response["Location"]).content.decode()
    assert "受信設定を保存しました" in page and 'value="2024-05-10"' in page


def test_a_resident_changes_and_clears_everything_at_any_time(topics):
    friend = resident(topics=[topics[0]], children=[date(2024, 5, 10)], gender="male")
    client = resident_client(friend)

    client.post(SETTINGS, {"topics": [topics[2].pk], "gender": "no_answer", "child": [""], "action": "save"})
    current = selectors.resident_settings(friend=friend)
    assert current.topic_ids == [topics[2].pk] and current.children == [] and current.gender == ""

    client.post(SETTINGS, {"action": "clear"})
    assert selectors.resident_settings(friend=friend).is_empty


@pytest.mark.parametrize(
    ("child", "message"),
    [("2999-01-01", "正しくありません"), ("10/5/2024", "2024-05-10")],
)
def test_a_bad_birth_date_is_explained_and_nothing_changes(topics, child, message):
    friend = resident(topics=[topics[0]])

    response = resident_client(friend).post(
        SETTINGS, {"topics": [topics[1].pk], "child": [child], "action": "save"}
    )

    assert response.status_code == 400 and message in response.content.decode()
    assert selectors.resident_settings(friend=friend).topic_ids == [topics[0].pk]


def test_a_resident_never_sees_another_residents_children(topics):
    resident(children=[date(2023, 3, 3)])
    page = resident_client(FriendFactory()).get(SETTINGS).content.decode()
    assert "2023-03-03" not in page


def test_the_residents_own_page_summarises_the_settings(topics):
    friend = resident(topics=[topics[1]], children=[date(2024, 1, 1), date(2022, 1, 1)])
    page = resident_client(friend).get("/liff/").content.decode()
    assert "防災" in page and "2人" in page and SETTINGS in page


# --- email subscription (public) ------------------------------------------------------------------


def test_subscribing_by_email_takes_a_confirmation_and_a_button(topics):
    client = Client(enforce_csrf_checks=False)
    response = client.post(
        "/liff/delivery/mail/", {"email": "hanako@example.jp", "topics": [topics[0].pk], "agree": "on"}
    )
    assert "確認メールを送りました" in response.content.decode()
    link = re.search(r"http\S+/liff/delivery/mail/confirm/\S+/", outbox.outbox[0].body)[0]
    path = link.split("://", 1)[1].split("/", 1)[1]

    shown = client.get("/" + path)
    assert "登録を完了する" in shown.content.decode()
    assert EmailSubscriber.objects.get().status == EmailSubscriber.Status.PENDING  # a mail scanner's GET

    confirmed = client.post("/" + path)
    assert "登録が完了しました" in confirmed.content.decode() and "子育て" in confirmed.content.decode()
    assert EmailSubscriber.objects.get().status == EmailSubscriber.Status.CONFIRMED


def test_the_subscription_form_explains_what_is_missing(topics):
    response = Client().post("/liff/delivery/mail/", {"email": "not-an-address", "topics": []})
    page = response.content.decode()
    assert response.status_code == 400 and "1つ以上" in page and "同意" in page and not outbox.outbox


def test_one_click_unsubscribe_works_from_a_mail_app_without_a_form(topics):
    services.email_subscription_request(email="kenta@example.jp", topics=[topics[0]])
    subscriber = EmailSubscriber.objects.get()
    path = f"/liff/delivery/mail/unsubscribe/{mail.unsubscribe_token(subscriber)}/"
    strict = Client(enforce_csrf_checks=True)

    assert "配信を停止する" in strict.get(path).content.decode()
    response = strict.post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 200 and not EmailSubscriber.objects.exists()
    assert "すでに停止" in strict.get(path).content.decode()


# --- tracked links and pictures -------------------------------------------------------------------


def test_a_tracked_link_redirects_and_counts(department):
    delivery = make_delivery(department=department)
    link = TrackedLink.objects.create(
        delivery=delivery, url="https://www.city.example.jp/kenshin", token="abcdefghijkl"
    )

    response = Client().get("/liff/delivery/l/abcdefghijkl")
    Client().get("/liff/delivery/l/abcdefghijkl?preview=1")

    assert response.status_code == 302 and response["Location"] == link.url
    link.refresh_from_db()
    assert link.clicks == 1
    assert Client().get("/liff/delivery/l/unknown").status_code == 404


def test_delivery_pictures_are_served_by_name_and_nothing_else(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    name = default_storage.save("delivery/images/" + "a" * 24 + ".jpg", ContentFile(b"\xff\xd8jpeg"))

    response = Client().get("/liff/delivery/images/" + name.rsplit("/", 1)[1])

    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert Client().get("/liff/delivery/images/..%2F..%2Fsettings.py").status_code == 404
    assert Client().get("/liff/delivery/images/" + "b" * 24 + ".jpg").status_code == 404
