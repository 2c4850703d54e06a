"""Japanese error pages inside the frame the visitor was in (issue 17, item 7)."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from civicline.core import errors

pytestmark = pytest.mark.django_db


def test_a_missing_console_page_is_japanese_and_inside_the_console(staff_client):
    response = staff_client.get("/console/no-such-page/")

    assert response.status_code == 404
    html = response.content.decode()
    assert "ページが見つかりません" in html and "Not Found" not in html
    assert "ホームへ戻る" in html and 'class="side-nav"' in html  # the console's own navigation


def test_another_departments_object_gets_the_same_page(staff_client, other_department):
    from tests.conversations.factories import TopicFactory

    topic = TopicFactory(department=other_department)

    response = staff_client.get(f"/console/conversations/topics/{topic.pk}/edit")

    assert response.status_code == 404 and "別の課が担当しているため" in response.content.decode()


def test_a_missing_resident_page_is_japanese_and_inside_the_liff_frame(client):
    response = client.get("/liff/no-such-page/")

    assert response.status_code == 404
    html = response.content.decode()
    assert "ページが見つかりません" in html and 'class="liff"' in html


def test_the_500_page_needs_neither_database_nor_session(django_assert_num_queries):
    request = RequestFactory().get("/liff/reservations/")

    with django_assert_num_queries(0):
        response = errors.server_error(request)

    assert response.status_code == 500
    assert "エラーが発生しました" in response.content.decode()
    assert "市役所の担当窓口" in response.content.decode()
