"""A resident's language (issue 21): taken from LINE at follow, changed in 受信設定, spoken everywhere."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import translation

from civicline.line import services
from civicline.line.languages import resident_language_changed, resident_languages, speaking_to
from civicline.line.models import Friend
from tests.fixtures.line import FriendFactory, follow_event, text_event
from tests.fixtures.linesim import linesim_db

pytestmark = pytest.mark.django_db


@pytest.fixture
def changes():
    seen = []

    def receiver(sender, friend, old, new, **kwargs):
        seen.append((friend.user_id, old, new))

    resident_language_changed.connect(receiver)
    yield seen
    resident_language_changed.disconnect(receiver)


def test_a_follower_reads_the_language_of_their_line_app(deliver, fake_line_api, line_registry, changes):
    fake_line_api.add_profile("U1", "Emma", language="en-GB")
    spoken = []
    line_registry.on_event("follow", lambda ctx: spoken.append(translation.get_language()))

    deliver(follow_event("U1"))

    friend = Friend.objects.get(user_id="U1")
    assert friend.language == "en-GB" and friend.resident_language == "en"
    assert spoken == ["en"]  # the handlers (and the greeting) were built in English
    assert changes == [("U1", "ja", "en")]  # the rich menu is told
    assert translation.get_language() == "ja"  # the worker goes back to the city's language


def test_what_the_resident_chose_is_spoken_to_them_whatever_their_line_app_says(
    deliver, fake_line_api, line_registry, changes
):
    FriendFactory(
        user_id="U2", language="en", preferred_language="vi", profile_fetched_at="2026-01-01T00:00Z"
    )
    spoken = []
    line_registry.on_text(".*", lambda ctx: spoken.append(translation.get_language()))

    deliver(text_event("U2", "ごみ"))

    assert spoken == ["vi"]
    assert changes == []


def test_a_resident_changes_their_language_and_back_to_their_line_apps(changes):
    friend = FriendFactory(user_id="U3", language="ko")

    services.friend_language_set(friend=friend, language="ja-easy")
    assert Friend.objects.get(user_id="U3").resident_language == "ja-easy"
    services.friend_language_set(friend=friend, language="")
    assert Friend.objects.get(user_id="U3").resident_language == "ko"

    assert changes == [("U3", "ko", "ja-easy"), ("U3", "ja-easy", "ko")]


def test_a_language_the_city_does_not_offer_is_refused_and_nothing_changes(settings, changes):
    settings.RESIDENT_LANGUAGES = ["ja", "en"]
    friend = FriendFactory(user_id="U4", language="en")

    with pytest.raises(ValidationError, match="選べない言語"):
        services.friend_language_set(friend=friend, language="vi")

    assert Friend.objects.get(user_id="U4").preferred_language == "" and changes == []


def test_many_residents_languages_at_once_and_japanese_for_strangers():
    FriendFactory(user_id="Ua", language="vi")
    FriendFactory(user_id="Ub", language="", preferred_language="ko")
    FriendFactory(user_id="Uc", language="ja")

    assert resident_languages(["Ua", "Ub", "Uc", "Unknown"]) == {
        "Ua": "vi",
        "Ub": "ko",
        "Uc": "ja",
        "Unknown": "ja",
    }


def test_a_push_built_for_a_resident_speaks_their_language():
    FriendFactory(user_id="U5", language="zh-TW")

    with speaking_to("U5") as language:
        assert language == "zh-hans" and translation.get_language() == "zh-hans"
    with speaking_to("Unknown") as language:
        assert language == "ja"


@linesim_db
def test_a_residents_page_is_in_their_language_not_their_browsers(liff, linesim):
    user = linesim.client.create_user("Lan", language="vi")
    client = Client()
    assert client.post("/liff/session", {"id_token": liff.id_token(user["userId"])}).status_code == 200
    Friend.objects.filter(user_id=user["userId"]).update(language="vi")

    page = client.get("/liff/", HTTP_ACCEPT_LANGUAGE="ja")

    assert page.status_code == 200
    assert page["Content-Language"] == "vi"
    assert '<html lang="vi"' in page.content.decode()


@linesim_db
def test_a_resident_who_opens_a_page_before_following_is_spoken_to_in_their_line_apps_language(liff, linesim):
    user = linesim.client.create_user("Min-jun", language="ko")
    client = Client()

    client.post("/liff/session", {"id_token": liff.id_token(user["userId"]), "language": "ko-KR"})

    assert Friend.objects.get(user_id=user["userId"]).resident_language == "ko"
    assert client.get("/liff/")["Content-Language"] == "ko"


def test_what_liff_says_never_overrides_the_profile_line_gave():
    friend = FriendFactory(user_id="U6", language="en")

    services.friend_liff_open(user_id="U6", line_language="th")

    assert Friend.objects.get(pk=friend.pk).language == "en"
