"""Every URL of the console and of the resident pages, swept with another department's and another
resident's ids (X-4 department isolation, X-1 residents' data).

Nobody has to remember to add a view here: the URL patterns are read from the project's resolver.
Department A owns a row of every kind of department data and resident Y a row of every kind of
resident record (``world.py``). Staff of department B then request every console URL with A's
ids and keys, resident X every resident URL with Y's. A positive control proves the ids reach
something: the owner gets a page for every URL, or the test fails and says what to add.
"""

from __future__ import annotations

import json
import logging
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.test import Client, override_settings
from django_otp import DEVICE_ID_SESSION_KEY

from civicline.core.models import AuditEntry, Staff
from civicline.line import client as line_client
from civicline.line import messaging
from civicline.line.liff.auth import SESSION_KEY
from civicline.line.models import Friend
from civicline.reports import services as report_services
from tests.fixtures.core import totp_device_for
from tests.fixtures.line import FakeLineApi, _handler

from .sweep import Hit, Pattern, changes, hit, hit_rolled_back, paths, snapshot, url_patterns
from .world import World, build_world

pytestmark = pytest.mark.django_db

# Whose rows' ids and keys fill the URLs: department A's (its residents' records included) and the
# city's shared settings; resident Y's records and the public pages they hang from.
OF_A = ("A", "Y", "X", "shared")
OF_Y = ("Y", "A", "shared")

# The project's refusal pages (core's and the rich menu's) both say this.
FORBIDDEN_TEXT = "この操作を行う権限がありません"

# Console pages any staff member may open whatever their department, because what they show is
# not a department's: the rich menus are the account's, seen by every friend (RM, see
# civicline/richmenu/models.py). Their answers must still never show A's data or change anything.
SHARED_CONSOLE_PAGES = {
    "richmenu:menu-detail": "rich menus are account-wide; every staff member may look",
    "richmenu:menu-tab-image": "rich menus are account-wide; every staff member may look",
    "richmenu:menu-tab-svg": "rich menus are account-wide; every staff member may look",
    "richmenu:menu-version-image": "rich menus are account-wide; every staff member may look",
    "alerts:event-detail": "official alerts are public information about the whole city",
}

# Resident URLs whose key is a bearer capability (a signed or random token in a link sent to its
# holder), not a resident's record: whoever has the link may use it (RFC 8058 one-click
# unsubscribe, tracked links in deliveries, delivery images LINE fetches). Requested with GET only.
CAPABILITY_LIFF_PAGES = {
    "delivery_liff:email-confirm": "the signed token in the confirmation mail is the proof",
    "delivery_liff:email-unsubscribe": "the signed token is the proof (RFC 8058 one-click)",
    "delivery_liff:link": "a tracked link of a delivery, public by design",
    "delivery_liff:image": "a delivery's image, fetched by LINE by its random name",
}

# Rows that change by themselves on any request: sessions, the audit chain (checked on its own),
# operational counters, the authenticator's last use, login lock-outs, staff's last login.
VOLATILE = frozenset(
    {
        "sessions.session",
        "core.auditentry",
        "core.auditchainhead",
        "ops.heartbeat",
        "ops.securityeventcount",
        "ops.alertstate",
        "otp_totp.totpdevice",
        "axes.accessattempt",
        "axes.accesslog",
        "axes.accessfailurelog",
        "core.staff.last_login",
    }
)


# Opening a delivery's tracked link counts a click (totals only, SD-8): that is what it is for.
CLICKS = frozenset({"delivery.trackedlink.clicks"})


# --- the world, built once for the module ---------------------------------------------------------


class LineApi(FakeLineApi):
    """LINE's API as the owner's actions need it: rich menus get an id, aliases are listed."""

    def answer(self, method: str, path: str) -> tuple[int, bytes, dict[str, str]]:
        if method == "POST" and path == "/v2/bot/richmenu":
            return 200, json.dumps({"richMenuId": f"richmenu-{uuid.uuid4().hex}"}).encode(), {}
        if method == "GET" and path == "/v2/bot/richmenu/alias/list":
            return 200, json.dumps({"aliases": []}).encode(), {}
        return super().answer(method, path)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[World]:
    """Built once for the module inside a transaction rolled back at its end; each test runs in a
    savepoint of its own. LINE is a stand-in on a loopback port, files go to a temporary folder."""
    api = LineApi()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(api))
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    base_url = f"http://127.0.0.1:{server.server_address[1]}"
    overrides = override_settings(
        MEDIA_ROOT=str(tmp_path_factory.mktemp("sweep-media")),
        LINE_API_BASE_URL=base_url,
        LINE_API_DATA_BASE_URL=base_url,
        # Sessions are saved on every request (SESSION_SAVE_EVERY_REQUEST): in memory, thousands of
        # requests take a third less time, and what is checked does not depend on where they live.
        SESSION_ENGINE="django.contrib.sessions.backends.cache",
    )
    try:
        with (
            django_db_blocker.unblock(),
            overrides,
            pytest.MonkeyPatch.context() as patch,
            transaction.atomic(),
        ):
            patch.setattr(messaging, "_sleep", lambda seconds: None)
            patch.setattr(logging.getLogger("django.request"), "disabled", True)  # thousands of 404s
            line_client.reset_rate_limits()
            report_services.rate_limits_reset()
            try:
                yield build_world()
            finally:
                transaction.set_rollback(True)
    finally:
        server.shutdown()
        server.server_close()


def staff_client(staff: Staff) -> Client:
    client = Client()
    client.force_login(staff)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = totp_device_for(staff).persistent_id
    session.save()
    return client


def resident_client(friend: Friend) -> Client:
    client = Client()
    session = client.session
    session[SESSION_KEY] = {"user_id": friend.user_id, "seen": time.time()}
    session.save()
    return client


def console_patterns(*, with_kwargs: bool) -> list[Pattern]:
    return [p for p in url_patterns("console/") if bool(p.kwargs) == with_kwargs]


def liff_patterns(*, with_kwargs: bool) -> list[Pattern]:
    return [p for p in url_patterns("liff/") if bool(p.kwargs) == with_kwargs]


def receipts_of(world: World, *owners: str) -> set[str]:
    """The receipt numbers of the owners' records: a page about one is a page about them."""
    return {row.receipt_number for row in world.rows_of(*owners) if getattr(row, "receipt_number", "")}


def last_audit_sequence() -> int:
    return AuditEntry.objects.order_by("-sequence").values_list("sequence", flat=True).first() or 0


@pytest.fixture
def media_kept(world):
    """The owner's positive control may POST a delete: its files come back afterwards."""
    media = Path(settings.MEDIA_ROOT)
    backup = media.with_name(media.name + "-backup")
    shutil.rmtree(backup, ignore_errors=True)
    shutil.copytree(media, backup)
    yield
    shutil.rmtree(media)
    shutil.move(backup, media)


# --- the console (X-4) ------------------------------------------------------------------------------


def _refused(result: Hit) -> bool:
    return result.status in (404, 405) or (result.status == 403 and FORBIDDEN_TEXT in result.body)


def test_staff_of_another_department_get_404_or_403_for_every_console_url_with_department_a_ids(world):
    """X-4: every console URL, filled with the ids of department A's rows, refuses B's staff.

    Given department A owning a row of every kind, and staff of department B
    When B requests every console URL pattern with every candidate id/key of A's rows, GET and POST
    Then each answer is 404 (A's rows), 403 (the system administrator's pages) or 405;
    pages shared by the whole account never show A's data; and none of A's rows changed, nor did
    B's requests write an audit entry.
    """
    b = staff_client(world.staff_b)
    markers = world.markers_a | world.markers_y | receipts_of(world, "A", "Y", "X")
    files = world.file_contents("A", "Y", "X")
    before, audit_before = snapshot(VOLATILE), last_audit_sequence()

    findings, requests = [], 0
    for pattern in console_patterns(with_kwargs=True):
        for path in paths(pattern, world, OF_A, mixed_with="B"):
            for method in ("GET", "POST"):
                result = hit(b, method, path)
                requests += 1
                leaked = result.shows(markers, files)
                if leaked:
                    findings.append(f"{pattern}: {result} showing {sorted(leaked)}")
                elif not _refused(result) and pattern.name not in SHARED_CONSOLE_PAGES:
                    findings.append(f"{pattern}: {result}")

    assert requests > 1000, "the sweep made suspiciously few requests"
    assert not findings, "department B reached department A's data:\n" + "\n".join(findings)
    assert changes(before, snapshot(VOLATILE)) == []
    by_b = AuditEntry.objects.filter(sequence__gt=audit_before, actor=world.staff_b)
    assert list(by_b.values_list("action", "target_type", "target_id", "summary")) == []


def test_every_console_url_reaches_a_row_of_department_a_for_its_owner(world, media_kept):
    """X-4, positive control: the ids the sweep tries do reach something, so it cannot pass vacuously.

    Given department A's world
    When A's staff (or the system administrator, for the pages only they may open) request every
    console URL pattern with the same candidate ids
    Then at least one combination answers something other than 404 for every pattern.
    """
    a, admin = staff_client(world.staff_a), staff_client(world.admin)

    unreached = []
    for pattern in console_patterns(with_kwargs=True):
        candidates = paths(pattern, world, OF_A)
        if not _reaches(pattern, candidates, a) and not _reaches(pattern, candidates, admin):
            unreached.append(str(pattern))

    assert not unreached, (
        "No row of department A's world is found by these console URLs, so the sweep proves nothing "
        "for them. Add a row of the model they show to build_world() in tests/security/world.py "
        "(world.own_a(...) with a world.marker_a(...) in a field the page shows):\n" + "\n".join(unreached)
    )


def _reaches(pattern: Pattern, candidates: list[str], client: Client) -> bool:
    for path in candidates:
        result = hit(client, "GET", path)
        if result.status == 405:  # a POST-only view: try it, and undo what it did
            result = hit_rolled_back(client, "POST", path)
        if result.error:
            raise AssertionError(f"{pattern}: {result}")
        if result.status == 403 and FORBIDDEN_TEXT in result.body:
            return False  # a page this client may not open, whatever the ids: someone else tries
        if result.status not in (404, 405):
            return True
    return False


def test_staff_of_another_department_never_see_department_a_on_lists_and_exports(world):
    """X-4: console pages without ids (lists, searches, CSV exports) show B only B's own data.

    Given department A's world with a marker string in every row
    When B's staff GET every console URL pattern that takes no ids (and A's staff do too)
    Then no marker or receipt number of A's rows (nor of its residents' records) is in any of B's
    answers, while A's own lists and exports do show them (so the check is not vacuous).
    """
    a, b = staff_client(world.staff_a), staff_client(world.staff_b)
    markers = world.markers_a | world.markers_y | receipts_of(world, "A", "Y", "X")
    files = world.file_contents("A", "Y", "X")

    findings, listing = [], []
    for pattern in console_patterns(with_kwargs=False):
        path = pattern.path({})
        result = hit(b, "GET", path)
        leaked = result.shows(markers, files)
        if leaked or result.error:
            findings.append(f"{pattern}: {result} showing {leaked}")
        if set(hit(a, "GET", path).shows(markers - {world.staff_a.display_name})):
            listing.append(pattern.name)

    assert not findings, "department B saw department A's data:\n" + "\n".join(findings)
    assert len(listing) >= 20, f"A's own lists show too little of A's world to prove anything: {listing}"


# --- the resident pages (X-1) -----------------------------------------------------------------------


def test_a_resident_never_sees_or_changes_another_residents_records_through_any_liff_url(world):
    """X-1: every resident URL, filled with resident Y's receipt numbers and ids, shows X nothing of Y's.

    Given resident Y's bookings, reports, comments, survey answers, conversations, photos and drafts
    When resident X requests every /liff/ URL pattern with every candidate key of Y's records (and
    of the department's public pages), GET and POST
    Then no answer shows Y's data; Y's receipt numbers answer 404 (or a redirect to X's own page);
    and none of Y's rows changed (X may only have made rows of their own).
    """
    x = resident_client(world.resident_x)
    markers, files = world.markers_y | receipts_of(world, "Y"), world.file_contents("Y")
    before = snapshot(VOLATILE | CLICKS)

    findings, requests = [], 0
    for pattern in liff_patterns(with_kwargs=True):
        methods = ("GET",) if pattern.name in CAPABILITY_LIFF_PAGES else ("GET", "POST")
        for path in paths(pattern, world, (*OF_Y, "X")):
            names_receipt = any(f"/{receipt}/" in f"{path}/" for receipt in receipts_of(world, "Y"))
            for method in methods:
                result = hit(x, method, path)
                requests += 1
                leaked = result.shows(markers, files)
                if result.error or leaked:
                    findings.append(f"{pattern}: {result} showing {sorted(leaked)}")
                elif names_receipt and result.status not in (302, 404, 405):
                    findings.append(f"{pattern}: {result} for Y's receipt number")

    assert requests > 100, "the sweep made suspiciously few requests"
    assert not findings, "resident X reached resident Y's records:\n" + "\n".join(findings)
    after = snapshot(VOLATILE | CLICKS)
    found = _not_of(world.resident_x, before, after)
    assert found == [], "\n".join(found)


def _not_of(resident: Friend, before: dict, after: dict) -> list[str]:
    """Changes to rows other than the resident's own (their draft, the booking of theirs they
    cancelled, a message pushed to them…): a row naming them, pointing to a row of theirs, or made
    along with one (the send a recipient row of theirs belongs to)."""
    rows, created = {**before, **after}, after.keys() - before.keys()
    theirs = {
        key
        for key, values in rows.items()
        if values.get("friend_id") == resident.pk or values.get("user_id") == resident.user_id
    }
    for _ in range(2):
        for key, values in rows.items():
            relations = [f for f in apps.get_model(key[0])._meta.concrete_fields if f.is_relation]
            targets = {(f.related_model._meta.label_lower, values.get(f.attname)) for f in relations}
            if targets & theirs:
                theirs.add(key)
            if key in theirs:
                theirs.update(targets & created)
    return [change for change in changes(before, after) if _row_of(change) not in theirs]


def _row_of(change: str) -> tuple[str, object]:
    label, number = change.split(" ", 2)[1], change.split("#", 1)[1].split(":", 1)[0]
    return label, int(number) if number.isdigit() else number


def test_every_liff_url_reaches_a_record_of_resident_y_for_that_resident(world, media_kept):
    """X-1, positive control: resident Y's own keys reach a page for every /liff/ URL pattern.

    Given resident Y's records
    When Y requests every /liff/ URL pattern with the same candidate keys
    Then at least one combination answers something other than 404 for every pattern.
    """
    y = resident_client(world.resident_y)

    unreached = [
        str(pattern)
        for pattern in liff_patterns(with_kwargs=True)
        if not _reaches(pattern, paths(pattern, world, ("Y", "A", "shared")), y)
    ]

    assert not unreached, (
        "No record of resident Y is found by these resident URLs, so the sweep proves nothing for "
        "them. Add a record of the model they show to build_world() in tests/security/world.py "
        "(world.own_y(...) with a world.marker_y(...) in a field the page shows):\n" + "\n".join(unreached)
    )


def test_a_resident_never_sees_another_residents_records_on_pages_without_ids(world):
    """X-1: resident pages without ids (my bookings, my reports, forms…) show X nothing of Y's.

    Given resident Y's records
    When resident X GETs every /liff/ URL pattern that takes no ids (and Y does too)
    Then no answer to X shows Y's data or receipt numbers, while Y's own pages do show them.
    """
    x, y = resident_client(world.resident_x), resident_client(world.resident_y)
    markers, files = world.markers_y | receipts_of(world, "Y"), world.file_contents("Y")

    findings, listing = [], []
    for pattern in liff_patterns(with_kwargs=False):
        path = pattern.path({})
        result = hit(x, "GET", path)
        leaked = result.shows(markers, files)
        if leaked or result.error:
            findings.append(f"{pattern}: {result} showing {leaked}")
        if hit(y, "GET", path).shows(markers):
            listing.append(pattern.name)

    assert not findings, "resident X saw resident Y's records:\n" + "\n".join(findings)
    assert len(listing) >= 3, f"Y's own pages show too little of Y's records to prove anything: {listing}"
