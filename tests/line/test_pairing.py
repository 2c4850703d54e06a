"""Test devices are paired by their owner (X-11): a one-time code from the console, sent from the phone.

No page lists residents to pick from, nothing registers a device but a code sent from that
device, codes are single-use, short-lived and their guessing is cut off per account, and a device
is unpaired by its owner or a system administrator only. Every step is audited with the owner named.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http import Http404
from django.utils import timezone

from civicline.chatbot.models import QuestionLog
from civicline.core.models import AuditEntry
from civicline.line import preview
from civicline.line.models import Friend, OutboundSend, PreviewPairingCode, PreviewRecipient
from tests.conversations.factories import ConversationFactory
from tests.fixtures.core import StaffFactory
from tests.fixtures.line import FriendFactory, PreviewRecipientFactory, post_webhook, text_event

pytestmark = pytest.mark.django_db

DEVICE = "U" + "a" * 32
OTHER_PHONE = "U" + "b" * 32
ADD_URL = "/console/preview/devices/new/"
PAIRED = "テスト端末として登録しました（子育て支援課 / 田中 花子）"


@pytest.fixture(autouse=True)
def fresh_attempts():
    preview.pairing_rate_limits_reset()
    yield
    preview.pairing_rate_limits_reset()


@pytest.fixture
def send(client, run_on_commit, fake_line_api):
    """``send(user_id, text)``: a signed webhook as LINE posts it, processed; the reply's texts."""

    def send(user_id, text, **event):
        before = len(fake_line_api.replies)
        with run_on_commit():
            assert post_webhook(client, [text_event(user_id, text, **event)]).status_code == 200
        if len(fake_line_api.replies) == before:
            return []
        return [m.get("text", "") for m in fake_line_api.replies[-1].body["messages"]]

    return send


def issue(console, label="田中のiPhone"):
    """Staff click 「テスト端末を追加」, name the device and get the code; (code, page)."""
    response = console.post(ADD_URL, {"label": label})
    assert response.status_code == 200
    page = response.content.decode()
    match = re.search(r'id="pairing-code">(\d{8})<', page)
    assert match, page
    return match.group(1), page


def status(console, pairing):
    response = console.get(f"/console/preview/devices/pairing/{pairing.pk}/?format=json")
    return response.status_code, (response.json() if response.status_code == 200 else None)


def paired_device(send, staff_client):
    code, _ = issue(staff_client)
    assert send(DEVICE, f"ペアリング {code}") == [PAIRED]
    return PreviewRecipient.objects.get(friend__user_id=DEVICE)


# --- the pairing flow ---------------------------------------------------------------------------------


def test_staff_pair_their_phone_by_sending_the_code_from_it(send, staff_user, staff_client, fake_line_api):
    fake_line_api.add_profile(DEVICE, "たなか")
    form = staff_client.get(ADD_URL).content.decode()
    assert "ペアリングコードを発行" in form

    code, page = issue(staff_client)

    assert "ペアリング" in page and "有効期限" in page
    assert 'src="/static/line/pairing.js"' in page and "<script>" not in page
    pairing = PreviewPairingCode.objects.get()
    # Only a keyed hash is stored: the code appears in no column.
    assert code not in json.dumps(list(PreviewPairingCode.objects.values()), default=str)
    assert status(staff_client, pairing)[1]["state"] == "waiting"

    assert send(DEVICE, f"ペアリング {code}") == [PAIRED]

    device = PreviewRecipient.objects.get()
    assert (device.friend.user_id, device.department, device.owner, device.label) == (
        DEVICE, staff_user.department, staff_user, "田中のiPhone"
    )
    pairing.refresh_from_db()
    assert pairing.used_at is not None and pairing.recipient == device
    assert status(staff_client, pairing)[0] == 200
    data = status(staff_client, pairing)[1]
    assert data["state"] == "paired" and "「田中のiPhone」を登録しました" in data["text"]
    assert "田中のiPhone" in staff_client.get("/console/preview/devices/").content.decode()
    entry = AuditEntry.objects.get(action=AuditEntry.Action.CREATE, target_type="line.previewrecipient")
    assert entry.actor == staff_user and entry.department == staff_user.department
    assert entry.changes["owner"]["after"] == staff_user.pk and "所有者：田中 花子" in entry.summary
    assert entry.changes["friend"]["after"] == device.friend_id
    issued = AuditEntry.objects.get(action=AuditEntry.Action.CREATE, target_type="line.previewpairingcode")
    assert issued.changes["owner"]["after"] == staff_user.pk and code not in json.dumps(issued.changes)


@pytest.mark.parametrize(
    "text",
    [
        "ペアリング 12345678",
        "ペアリング　１２３４５６７８",
        "ﾍﾟｱﾘﾝｸﾞ 1234-5678",
        "ペアリングコード：１２３４　５６７８。",
        "Pairing: 1234 5678",
        "  ペアリング12345678  ",
    ],
)
def test_the_pairing_message_is_read_whatever_the_width_and_spacing(text):
    assert preview.pairing_code_in(text) == "12345678"


@pytest.mark.parametrize("text", ["12345678", "１２３４５６７８", "ペアリングについて", "こんにちは", ""])
def test_other_messages_are_not_pairing_messages(text):
    assert preview.pairing_code_in(text) is None


def test_a_full_width_code_typed_on_a_phone_pairs(send, staff_client):
    code, _ = issue(staff_client)
    wide = code.translate(str.maketrans("0123456789", "０１２３４５６７８９"))

    assert send(DEVICE, f"ペアリング　{wide[:4]} {wide[4:]}") == [PAIRED]
    assert PreviewRecipient.objects.filter(friend__user_id=DEVICE).exists()


def test_the_keyword_alone_gets_instructions(send, staff_client):
    (reply,) = send(DEVICE, "ペアリング")

    assert "8桁のペアリングコード" in reply
    assert not PreviewRecipient.objects.exists()


def test_a_bare_code_is_not_taken_for_pairing(send, staff_client):
    # A resident may send any number; only the keyword makes a message a pairing attempt.
    code, _ = issue(staff_client)

    replies = send(DEVICE, code)

    assert not any("テスト端末" in reply for reply in replies)
    assert not PreviewRecipient.objects.exists()
    assert PreviewPairingCode.objects.get().used_at is None


def test_pairing_comes_before_an_open_conversation_and_the_chatbot(send, staff_client, department):
    conversation = ConversationFactory(friend=FriendFactory(user_id=DEVICE), topic__department=department)
    code, _ = issue(staff_client)

    assert send(DEVICE, f"ペアリング {code}") == [PAIRED]

    assert not conversation.messages.exists()
    assert not QuestionLog.objects.exists()
    assert PreviewRecipient.objects.filter(friend__user_id=DEVICE).exists()


def test_a_consumed_event_reaches_no_later_handler_not_even_one_for_handled_events(send, line_registry):
    seen = []

    def secret(ctx):
        ctx.consume()
        ctx.reply("受け付けました")

    line_registry.on_event("message", secret, priority=1)
    line_registry.on_event("message", lambda ctx: seen.append("records handled events too"), priority=2)
    line_registry.on_text(r"\S", lambda ctx: seen.append("routed"))

    assert send(DEVICE, "秘密のコード") == ["受け付けました"]
    assert seen == []


def test_a_code_sent_in_a_group_pairs_nothing(send, staff_client):
    code, _ = issue(staff_client)

    (reply,) = send(DEVICE, f"ペアリング {code}", source={"type": "group", "groupId": "C1", "userId": DEVICE})

    assert "1対1のトーク" in reply
    assert not PreviewRecipient.objects.exists()


# --- codes that must not pair -----------------------------------------------------------------------


def test_an_expired_code_does_not_pair(send, staff_client):
    code, _ = issue(staff_client)
    PreviewPairingCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    (reply,) = send(DEVICE, f"ペアリング {code}")

    assert "有効期限が切れています" in reply
    assert not PreviewRecipient.objects.exists()
    assert not AuditEntry.objects.filter(target_type="line.previewrecipient").exists()
    pairing = PreviewPairingCode.objects.get()
    assert pairing.used_at is None and status(staff_client, pairing)[1]["state"] == "expired"


def test_a_code_pairs_once(send, staff_client):
    code, _ = issue(staff_client)
    assert send(DEVICE, f"ペアリング {code}") == [PAIRED]

    (reply,) = send(OTHER_PHONE, f"ペアリング {code}")

    assert "正しくないか" in reply
    assert list(PreviewRecipient.objects.values_list("friend__user_id", flat=True)) == [DEVICE]


def test_an_unknown_or_short_code_changes_nothing(send, staff_client):
    code, _ = issue(staff_client)
    wrong = f"{(int(code) + 1) % 10**8:08d}"

    for text in (f"ペアリング {wrong}", "ペアリング 1234"):
        (reply,) = send(DEVICE, text)
        assert "ペアリングコードが正しくないか" in reply

    assert not PreviewRecipient.objects.exists()
    assert PreviewPairingCode.objects.get().used_at is None


def test_a_new_code_withdraws_the_previous_one(send, staff_client):
    first, _ = issue(staff_client)
    second, _ = issue(staff_client)

    assert "正しくないか" in send(DEVICE, f"ペアリング {first}")[0]
    assert send(DEVICE, f"ペアリング {second}") == [PAIRED]


def test_guessing_is_cut_off_per_account(send, staff_client):
    code, _ = issue(staff_client)
    wrong = [f"{(int(code) + n) % 10**8:08d}" for n in range(1, 6)]
    for guess in wrong:
        assert "正しくないか" in send(OTHER_PHONE, f"ペアリング {guess}")[0]

    (reply,) = send(OTHER_PHONE, f"ペアリング {code}")

    assert "試行が多すぎます" in reply
    assert not PreviewRecipient.objects.exists()
    # The limit is the guessing account's: the owner's phone still pairs.
    assert send(DEVICE, f"ペアリング {code}") == [PAIRED]


def test_an_account_already_a_device_of_the_department_is_told_so(send, staff_client, staff_user):
    paired_device(send, staff_client)
    code, _ = issue(staff_client, label="もう一度")

    (reply,) = send(DEVICE, f"ペアリング {code}")

    assert "既に子育て支援課のテスト端末として登録されています" in reply
    assert PreviewRecipient.objects.count() == 1
    assert PreviewPairingCode.objects.filter(used_at__isnull=True).count() == 1


# --- nothing else registers a device -------------------------------------------------------------------


def test_no_page_lists_residents_to_pick_from(staff_client):
    residents = [
        FriendFactory(display_name="最近話した住民", last_seen=timezone.now()),
        FriendFactory(display_name="いま友だち追加した住民", last_seen=timezone.now()),
    ]

    pages = [
        staff_client.get(ADD_URL).content.decode(),
        issue(staff_client)[1],
        staff_client.get("/console/preview/devices/").content.decode(),
        staff_client.get("/console/preview/").content.decode(),
    ]

    for page in pages:
        for resident in residents:
            assert resident.display_name not in page and resident.user_id not in page
        assert 'type="radio"' not in page and 'name="user_id"' not in page


def test_a_posted_user_id_or_friend_registers_nothing(staff_client):
    friend = FriendFactory(last_seen=timezone.now())

    response = staff_client.post(
        ADD_URL,
        {"label": "住民の端末", "user_id": friend.user_id, "recent": friend.user_id, "friend": friend.pk},
    )

    assert response.status_code == 200
    assert not PreviewRecipient.objects.exists()
    assert friend.user_id not in response.content.decode()
    assert PreviewPairingCode.objects.get().recipient is None


def test_a_device_needs_a_name(staff_client):
    response = staff_client.post(ADD_URL, {"label": " "})

    assert response.status_code == 200 and "必須です" in response.content.decode()
    assert not PreviewPairingCode.objects.exists()


def test_a_code_and_its_status_are_its_issuers_alone(
    staff_client, staff_user, other_staff_user, system_admin_client, console_client
):
    code, _ = issue(staff_client)
    pairing = PreviewPairingCode.objects.get()
    colleague = console_client(StaffFactory(department=staff_user.department))

    for other in (console_client(other_staff_user), colleague, system_admin_client):
        assert other.get(f"/console/preview/devices/pairing/{pairing.pk}/").status_code == 404
        assert status(other, pairing) == (404, None)
        assert code not in other.get("/console/preview/devices/").content.decode()
    # Without the code, the issuer's own page cannot show it again either.
    page = staff_client.get(f"/console/preview/devices/pairing/{pairing.pk}/").content.decode()
    assert code not in page and "テスト端末からの送信を待っています" in page


def test_another_department_neither_sees_nor_sends_to_the_device(
    send, staff_client, other_staff_user, console_client, fake_line_api
):
    device = paired_device(send, staff_client)
    PreviewRecipientFactory(department=other_staff_user.department, owner=other_staff_user)
    other = console_client(other_staff_user)

    assert "田中のiPhone" not in other.get("/console/preview/devices/").content.decode()
    response = other.post("/console/preview/", {"recipient": device.pk, "message": "こんにちは"})
    assert "正しく選択してください" in response.content.decode()
    with pytest.raises(Http404):
        preview.preview_message_send(actor=other_staff_user, recipient_id=device.pk, messages=[])
    assert fake_line_api.to("/v2/bot/message/push") == []


# --- unpairing ------------------------------------------------------------------------------------------


def delete_url(device):
    return f"/console/preview/devices/{device.pk}/delete/"


def test_the_owner_unpairs_their_device_audited(send, staff_client, staff_user):
    device = paired_device(send, staff_client)

    assert staff_client.post(delete_url(device)).status_code == 302

    assert not PreviewRecipient.objects.exists()
    entry = AuditEntry.objects.get(action=AuditEntry.Action.DELETE, target_type="line.previewrecipient")
    assert entry.actor == staff_user and entry.changes["before"]["owner"] == staff_user.pk


def test_a_system_administrator_unpairs_anyones_device_with_the_owner_named(
    send, staff_client, staff_user, system_admin, system_admin_client
):
    device = paired_device(send, staff_client)

    assert system_admin_client.post(delete_url(device)).status_code == 302

    assert not PreviewRecipient.objects.exists()
    entry = AuditEntry.objects.get(action=AuditEntry.Action.DELETE, target_type="line.previewrecipient")
    assert entry.actor == system_admin
    assert entry.changes["before"]["owner"] == staff_user.pk and "所有者：田中 花子" in entry.summary


def test_a_colleague_cannot_unpair_and_another_department_does_not_find_it(
    send, staff_client, staff_user, other_staff_user, console_client
):
    device = paired_device(send, staff_client)
    colleague = console_client(StaffFactory(department=staff_user.department, display_name="山田 次郎"))

    assert delete_url(device) not in colleague.get("/console/preview/devices/").content.decode()
    refused = colleague.post(delete_url(device))
    assert refused.status_code == 403
    assert "所有者（田中 花子）とシステム管理者だけ" in refused.content.decode()
    assert console_client(other_staff_user).post(delete_url(device)).status_code == 404

    assert PreviewRecipient.objects.filter(pk=device.pk).exists()
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.DELETE).exists()


def test_an_unpaired_device_gets_no_preview(send, staff_client, staff_user, fake_line_api):
    device = paired_device(send, staff_client)
    staff_client.post(delete_url(device))

    response = staff_client.post("/console/preview/", {"recipient": device.pk, "message": "下書き"})

    assert "テスト端末を追加" in response.content.decode()
    with pytest.raises(Http404):
        preview.preview_message_send(actor=staff_user, recipient_id=device.pk, messages=[])
    assert not OutboundSend.objects.filter(kind=OutboundSend.Kind.PUSH).exists()


# --- the demo's seeded device and the migration -------------------------------------------------------


def test_the_demo_seeds_its_staff_members_own_virtual_phone(staff_user):
    device = preview.preview_recipient_seed_demo(owner=staff_user, user_id=DEVICE, label="田中の端末")

    assert (device.owner, device.department) == (staff_user, staff_user.department)
    assert preview.preview_recipient_seed_demo(owner=staff_user, user_id=DEVICE, label="x") == device


@pytest.mark.django_db(transaction=True)
def test_the_migration_drops_every_device_registered_without_proof(department):
    executor = MigrationExecutor(connection)
    executor.migrate([("line", "0003_direct_message")])
    old_apps = executor.loader.project_state([("line", "0003_direct_message")]).apps
    OldFriend = old_apps.get_model("line", "Friend")
    OldRecipient = old_apps.get_model("line", "PreviewRecipient")
    now = timezone.now()
    resident = OldFriend.objects.create(user_id=DEVICE, first_seen=now, last_seen=now)
    OldRecipient.objects.create(department_id=department.pk, friend=resident, label="誰かの端末")

    executor = MigrationExecutor(connection)
    try:
        executor.migrate([("line", "0005_preview_pairing")])

        assert not PreviewRecipient.objects.exists()
        assert Friend.objects.filter(user_id=DEVICE).exists()
    finally:
        # Going back to line 0003 also unapplied every later migration that depends on line (e.g.
        # facilities' check-ins): the tests after this one need the whole schema back.
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
