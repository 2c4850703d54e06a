"""A resident switching tabs: LINE's postback is taken quietly (no "we do not reply" message)."""

from __future__ import annotations

import pytest

from tests.fixtures.line import post_webhook, postback_event

pytestmark = pytest.mark.django_db(transaction=True)


def test_tab_switch_postback_gets_no_reply(client, fake_line_api, run_on_commit):
    with run_on_commit():
        response = post_webhook(client, [postback_event("U" + "1" * 32, "feature=richmenu&action=tab&tab=2")])
    assert response.status_code == 200
    assert fake_line_api.replies == []


def test_an_unknown_postback_still_gets_the_default_reply(client, fake_line_api, run_on_commit):
    """The control: without our handler the resident would get the account's default message."""
    with run_on_commit():
        post_webhook(client, [postback_event("U" + "1" * 32, "feature=richmenu&action=unknown")])
    assert len(fake_line_api.replies) == 1
