"""The Content-Security-Policy in a real browser: injected markup runs nothing, and journeys notice refusals.

Every other browser test fails on any refusal (tests/fixtures/browser.py); this one provokes some on
purpose, so that a policy or a detector that quietly stopped working is caught.
"""

from __future__ import annotations

import time

import pytest

from tests.fixtures.linesim import linesim_db

INJECT = """() => {
  document.body.insertAdjacentHTML(
    "beforeend", '<img id="probe" src="/static/none.png" alt="" onerror="window.injected = 1">');
  var script = document.createElement("script");
  script.textContent = "window.injected = 2";
  document.body.appendChild(script);
  var styled = document.createElement("div");
  styled.id = "styled";
  styled.setAttribute("style", "width: 123px");
  document.body.appendChild(styled);
}"""


def _wait_for(violations: list[str], count: int, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while len(violations) < count and time.monotonic() < deadline:
        time.sleep(0.05)


@pytest.mark.django_db(transaction=True)
def test_markup_injected_into_a_console_page_runs_and_restyles_nothing(live_server, new_page):
    page = new_page()
    page.goto(f"{live_server.url}/console/login/")

    page.evaluate(INJECT)
    page.wait_for_function("() => document.getElementById('probe').complete")
    _wait_for(new_page.violations, 3)

    assert page.evaluate("() => window.injected") is None
    assert page.evaluate("() => document.getElementById('styled').offsetWidth") != 123
    refused = "\n".join(new_page.violations)
    assert "script-src" in refused
    assert "style-src" in refused
    # Provoked on purpose: the fixture must not fail this test for them.
    new_page.violations.clear()


@pytest.fixture
def liff_site(liff, live_server):
    # On 127.0.0.1 like the emulator, so that the framed page gets its session cookie (same site).
    liff.register(live_server.url.replace("://localhost:", "://127.0.0.1:") + "/liff/")
    return liff


@linesim_db
def test_a_resident_follows_the_mail_sign_up_link_inside_the_phones_liff_frame(liff_site, phone, shot):
    # The link once opened an empty frame: the public page under /liff/ answered X-Frame-Options: DENY.
    hanako = phone("豊中 はなこ")
    hanako.follow()
    hanako.page.evaluate(
        "uri => window.linesimPhone.performAction({type: 'uri', uri}, {})",
        f"https://liff.line.me/{liff_site.liff_id}/delivery/settings/",
    )
    frame = hanako.liff_frame()
    frame.wait_for_selector("#dl-topics", timeout=15_000)

    frame.click("a[href$='/liff/delivery/mail/']")
    frame.wait_for_selector("#dl-subscribe")
    shot(hanako.page, "mail-sign-up-in-the-liff-frame")

    assert "メールでお知らせを受け取る" in frame.inner_text("h1")
