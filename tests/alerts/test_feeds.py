"""Following the feeds politely: conditional requests, each entry once, links only to the feed's
host; and the jma_ingest command. JMA is played by a loopback server: nothing leaves the machine."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO

import pytest
from django.core.management import call_command

from civicline.alerts import feeds
from civicline.alerts.jma import CodeType, Kind
from civicline.alerts.models import AlertEvent, AlertReport, FeedState

from .factories import SAMPLES, city, policy, sample

pytestmark = pytest.mark.django_db


class FakeJma:
    """A loopback stand-in for www.data.jma.go.jp: one feed, its reports, ETags, a request log."""

    def __init__(self) -> None:
        self.entries: list[tuple[str, str]] = []  # (title, file name)
        self.requests: list[tuple[str, dict]] = []
        self.foreign_link = ""
        server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server = server
        self.base = f"http://127.0.0.1:{server.server_address[1]}"
        threading.Thread(target=server.serve_forever, daemon=True).start()

    def feed(self) -> bytes:
        items = [
            f"<entry><title>{title}</title><id>{self.base}/data/{name}</id><updated>2026-07-01T00:00:00Z</updated>"
            "<author><name>奈良地方気象台</name></author>"
            f'<link type="application/xml" href="{self.base}/data/{name}"/></entry>'
            for title, name in reversed(self.entries)  # newest first, as JMA lists them
        ]
        if self.foreign_link:
            items.append(
                f"<entry><title>気象特別警報・警報・注意報</title><id>x</id><updated>2026-07-01T00:00:00Z</updated>"
                f'<author><name>?</name></author><link href="{self.foreign_link}"/></entry>'
            )
        body = '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>高頻度</title>'
        return (body + "".join(items) + "</feed>").encode()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                fake.requests.append((self.path, dict(self.headers)))
                if self.path.startswith("/feed/"):
                    body = fake.feed()
                    etag = f'"{hash(body) & 0xFFFFFFFF:x}"'
                    if self.headers.get("If-None-Match") == etag:
                        self.send_response(304)
                        self.end_headers()
                        return
                    self.send_response(200)
                    self.send_header("ETag", etag)
                    self.send_header("Content-Type", "application/atom+xml")
                elif self.path.startswith("/data/"):
                    body = (SAMPLES / self.path.rsplit("/", 1)[1]).read_bytes()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/xml")
                else:
                    self.send_response(404)
                    self.end_headers()
                    return
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler

    def paths(self) -> list[str]:
        return [path for path, _headers in self.requests]


@pytest.fixture
def jma(settings) -> Iterator[FakeJma]:
    fake = FakeJma()
    settings.JMA_FEEDS = [f"{fake.base}/feed/extra.xml"]
    settings.JMA_POLL_SECONDS = 60
    yield fake
    fake.server.shutdown()


def test_nothing_is_fetched_before_the_city_has_area_codes(jma):
    assert feeds.poll().feeds == []
    assert jma.requests == []


def test_poll_fetches_new_entries_once_with_conditional_requests(jma, stub_actions):
    city(CodeType.CITY, "2920100", "奈良市")
    policy(Kind.WARNING, 5, emergency_menu="auto")
    jma.entries = [
        ("府県天気予報（Ｒ１）", "ignored.xml"),
        ("気象特別警報・警報・注意報", "15_08_01_130412_VPWW53.xml"),
    ]

    first = feeds.poll(force=True)

    # A first start reads the long feed to catch up; only the kind the city follows is fetched.
    assert jma.paths() == ["/feed/extra_l.xml", "/data/15_08_01_130412_VPWW53.xml"]
    assert first.result.reports[0]["status"] == "issued" and stub_actions.keys() == ["emergency_menu"]

    feeds.poll(force=True)  # the short feed now: its first answer carries an ETag
    feeds.poll(force=True)
    short = [headers for path, headers in jma.requests if path == "/feed/extra.xml"]
    assert len(short) == 2 and short[1].get("If-None-Match")
    assert jma.paths().count("/data/15_08_01_130412_VPWW53.xml") == 1  # seen entries are not fetched again
    assert FeedState.objects.get(url=jma.base + "/feed/extra.xml").ok_at is not None


def test_poll_respects_the_interval(jma, stub_actions):
    city(CodeType.CITY, "2920100")
    feeds.poll(force=True)
    count = len(jma.requests)

    feeds.poll()

    assert len(jma.requests) == count


def test_entry_links_to_other_hosts_are_refused(jma, stub_actions):
    city(CodeType.CITY, "2920100")
    jma.foreign_link = "http://192.0.2.1/evil.xml"

    feeds.poll(force=True)

    assert all("evil" not in path for path in jma.paths()) and AlertReport.objects.count() == 0


def test_the_task_polls(jma, stub_actions, settings):
    from civicline.alerts.tasks import jma_poll_task

    city(CodeType.CITY, "2920100")
    policy(Kind.WARNING, 5, emergency_menu="auto")
    jma.entries = [("気象特別警報・警報・注意報", "15_08_01_130412_VPWW53.xml")]

    jma_poll_task()

    assert AlertEvent.objects.get().level == 5


def test_command_prints_reports_and_actions_as_json(stub_actions):
    city(CodeType.CITY, "2920100", "奈良市")
    policy(Kind.WARNING, 5, emergency_menu="auto")
    out = StringIO()

    call_command("jma_ingest", str(SAMPLES / "15_08_01_130412_VPWW53.xml"), "--json", "--dry-run", stdout=out)

    payload = json.loads(out.getvalue())
    report = payload["reports"][0]
    assert {k: report[k] for k in ("kind", "title", "level", "areas", "status")} == {
        "kind": "warning",
        "title": "奈良県気象警報・注意報",
        "level": 5,
        "areas": ["奈良市"],
        "status": "issued",
    }
    assert [a["action"] for a in payload["actions"]] == ["notify", "emergency_menu"]
    assert AlertReport.objects.count() == 0  # dry run

    out = StringIO()
    call_command("jma_ingest", str(SAMPLES / "15_08_01_130412_VPWW53.xml"), stdout=out)
    assert "issued" in out.getvalue() and stub_actions.keys() == ["emergency_menu"]


def test_command_reads_a_feed_url(jma, stub_actions):
    city(CodeType.CITY, "2920100", "奈良市")
    jma.entries = [("気象特別警報・警報・注意報", "15_08_01_130412_VPWW53.xml")]
    out = StringIO()

    call_command("jma_ingest", f"{jma.base}/feed/extra.xml", "--json", stdout=out)

    assert json.loads(out.getvalue())["reports"][0]["status"] == "issued"
    assert sample("15_08_01_130412_VPWW53.xml")
