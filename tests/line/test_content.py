"""Copying content residents send (images…) out of LINE into our storage."""

import pytest
from linebot.v3.messaging import ApiException

from civicline.line.models import MessageContent
from civicline.line.services import message_content_save

pytestmark = pytest.mark.django_db

JPEG = b"\xff\xd8\xff\xe0" + b"0" * 100


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_image_is_stored_once_with_its_type(fake_line_api):
    fake_line_api.contents["4711"] = (JPEG, "image/jpeg")

    content = message_content_save(message_id="4711", user_id="U1")
    again = message_content_save(message_id="4711")

    assert again.pk == content.pk and len(fake_line_api.requests) == 1
    assert fake_line_api.requests[0].path == "/v2/bot/message/4711/content"
    assert (content.content_type, content.size, content.user_id) == ("image/jpeg", len(JPEG), "U1")
    assert content.file.name.endswith(".jpg")
    with content.file.open("rb") as stored:
        assert stored.read() == JPEG


def test_content_line_no_longer_has_raises_and_stores_nothing(fake_line_api):
    with pytest.raises(ApiException):
        message_content_save(message_id="gone")

    assert not MessageContent.objects.exists()
