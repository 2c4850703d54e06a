"""Content-Security-Policy, Referrer-Policy and Permissions-Policy of the console and resident pages.

The policy forbids inline scripts, inline event handlers and style="" attributes, so the templates
are scanned for them too: one left behind is a page that silently stops working in the browser.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.http import HttpResponse
from django.test import Client, RequestFactory

from civicline.line.csp import ContentSecurityPolicyMiddleware, tile_source

pytestmark = pytest.mark.django_db

TEMPLATES_ROOT = Path(__file__).resolve().parents[2] / "civicline"
TEMPLATES = sorted(TEMPLATES_ROOT.glob("**/templates/**/*.html"))
EMULATOR = "http://127.0.0.1:8001"


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    parsed = {}
    for part in policy.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


@pytest.fixture
def real_line(settings):
    settings.LINE_API_BASE_URL = "https://api.line.me"
    settings.LINESIM_PHONE_URL = ""
    settings.LIFF_SDK_URL = "https://static.line-scdn.net/liff/edge/2/sdk.js"
    settings.MAP_TILE_URL = "https://cyberjapandata.gsi.go.jp/xyz/std/{z}/{x}/{y}.png"


@pytest.fixture
def emulator(settings):
    settings.LINE_API_BASE_URL = EMULATOR
    settings.LINESIM_PHONE_URL = ""
    settings.LIFF_SDK_URL = f"{EMULATOR}/sim/liff-sdk.js"


def test_console_pages_run_only_our_own_scripts_and_styles_and_are_never_framed(client, real_line):
    response = client.get("/console/login/")
    csp = directives(response)

    assert response.status_code == 200
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]  # no nonce asked for on this page, so none offered
    assert csp["style-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]
    assert csp["form-action"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert response["X-Frame-Options"] == "DENY"
    # The report maps of the console show the configured tiles.
    assert csp["img-src"] == ["'self'", "data:", "blob:", "https://cyberjapandata.gsi.go.jp"]
    assert csp["connect-src"] == ["'self'"]
    assert not [value for values in csp.values() for value in values if "unsafe" in value]


def test_resident_pages_with_real_line_load_the_liff_sdk_and_talk_to_line_only(real_line):
    response = Client().get("/liff/")
    csp = directives(response)

    assert csp["script-src"] == ["'self'", "https://static.line-scdn.net"]
    assert csp["connect-src"] == [
        "'self'", "https://api.line.me", "https://access.line.me", "https://liffsdk.line-scdn.net"
    ]
    assert csp["frame-ancestors"] == ["'none'"]  # LINE's app opens LIFF pages as pages of their own
    assert response["X-Frame-Options"] == "DENY"
    assert csp["object-src"] == ["'none'"]
    assert not [value for values in csp.values() for value in values if "unsafe" in value]


def test_resident_pages_in_the_demo_take_the_sdk_from_the_emulator_and_only_its_phone_may_frame_them(
    emulator,
):
    response = Client().get("/liff/")
    csp = directives(response)

    assert csp["script-src"] == ["'self'", EMULATOR]
    assert EMULATOR in csp["connect-src"]
    assert csp["frame-ancestors"] == [EMULATOR]
    assert "X-Frame-Options" not in response


def test_the_mail_sign_up_a_resident_page_links_to_opens_in_the_emulators_frame_too(emulator):
    # It is a public page under /liff/ without a resident session; it once answered X-Frame-Options: DENY.
    response = Client().get("/liff/delivery/mail/")

    assert response.status_code == 200
    assert directives(response)["frame-ancestors"] == [EMULATOR]
    assert "X-Frame-Options" not in response


def test_a_separate_phone_page_address_is_the_one_allowed_to_frame(settings, emulator):
    settings.LINESIM_PHONE_URL = "https://linesim.example.jp/"

    response = Client().get("/liff/")

    assert directives(response)["frame-ancestors"] == ["https://linesim.example.jp"]


def test_tile_servers_with_subdomains_are_allowed_by_wildcard(settings, client):
    settings.MAP_TILE_URL = "https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png"

    assert "https://*.tile.openstreetmap.org" in directives(client.get("/console/login/"))["img-src"]
    assert tile_source("http://127.0.0.1:9000/tiles/{z}/{x}/{y}.png") == "http://127.0.0.1:9000"
    assert tile_source("") == ""


def test_a_nonce_is_offered_only_to_a_page_that_uses_one(settings):
    def page_with_inline_data(request):
        return HttpResponse(f'<script nonce="{request.csp_nonce}">var x = 1;</script>')

    middleware = ContentSecurityPolicyMiddleware(page_with_inline_data)
    request = RequestFactory().get("/console/")
    response = middleware(request)

    nonce = re.search(r'nonce="([^"]+)"', response.content.decode()).group(1)
    assert directives(response)["script-src"] == ["'self'", f"'nonce-{nonce}'"]


def test_referrer_and_permissions_policies_are_sent(client):
    for path in ("/console/login/", "/liff/"):
        response = client.get(path)
        assert response["Referrer-Policy"] == "same-origin"
        features = dict(item.split("=", 1) for item in response["Permissions-Policy"].split(", "))
        # The resident map and reports ask for the position; photo reports may use the camera.
        assert features["geolocation"] == "(self)"
        assert features["camera"] == "(self)"
        assert features["microphone"] == "()"
        assert features["payment"] == "()"
        assert features["usb"] == "()"
        assert [name for name, allowed in features.items() if allowed != "()"] == ["camera", "geolocation"]


# --- the templates -------------------------------------------------------------------------------

TAG = re.compile(r"<([a-zA-Z][\w:-]*)((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>", re.S)
EVENT_HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)
STYLE_ATTRIBUTE = re.compile(r"\sstyle\s*=", re.I)


def _tags():
    """(template, tag name, attributes, whole tag) of every start tag in every template."""
    for path in TEMPLATES:
        for match in TAG.finditer(path.read_text(encoding="utf-8")):
            yield path.relative_to(TEMPLATES_ROOT), match.group(1).lower(), match.group(2), match.group(0)


def test_the_scan_sees_the_templates():
    assert len(TEMPLATES) > 100


def test_no_template_has_an_inline_event_handler():
    found = [f"{path}: {tag}" for path, _name, attrs, tag in _tags() if EVENT_HANDLER.search(attrs)]
    assert found == []


def test_no_template_has_a_script_without_src_or_nonce():
    found = [
        f"{path}: {tag}"
        for path, name, attrs, tag in _tags()
        if name == "script" and not re.search(r"\s(src|nonce)\s*=", attrs)
    ]
    assert found == []


def test_no_template_styles_inline():
    attributes = [
        f"{path}: {tag}" for path, _name, attrs, tag in _tags() if STYLE_ATTRIBUTE.search(attrs)
    ]
    elements = [f"{path}: {tag}" for path, name, _attrs, tag in _tags() if name == "style"]
    assert attributes == []
    assert elements == []


def test_no_template_links_to_javascript_urls():
    javascript_url = re.compile(r"=\s*[\"']?\s*javascript:", re.I)
    found = [str(path) for path in TEMPLATES if javascript_url.search(path.read_text(encoding="utf-8"))]
    assert found == []
