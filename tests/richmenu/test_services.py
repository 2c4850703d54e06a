"""Drafts, preview, publish, rollback and the emergency switch against the LINE emulator (RM-1…RM-4, X-11).

What residents see is read back from the emulator (``richmenu_for``: the per-user menu, else the
default one), so the tests check LINE's state, not our records of it.
"""

from __future__ import annotations

import io
import threading
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone
from PIL import Image

from civicline.core.models import AuditEntry
from civicline.line import messaging
from civicline.line.models import Friend
from civicline.linesim.models import RichMenu as LineRichMenu
from civicline.linesim.models import RichMenuAlias, RichMenuLink
from civicline.linesim.models import RichMenuBatch as LineRichMenuBatch
from civicline.richmenu import layouts, line_api, selectors, services, tasks
from civicline.richmenu.actions import ActionType
from civicline.richmenu.models import AccountMenuState, EmergencySwitch, Menu, MenuEditorGrant, MenuTab
from tests.fixtures.core import StaffFactory
from tests.fixtures.line import FriendFactory, PreviewRecipientFactory
from tests.fixtures.linesim import linesim_db

from .factories import build_menu, editor, emergency_menu, nine_tile_menu, tile_specs

pytestmark = linesim_db


@pytest.fixture
def koho():
    return editor(username="koho", display_name="広報 みどり")


def residents(linesim, count: int, prefix: str = "住民") -> list[str]:
    """Friends who follow the account, known both to LINE (the emulator) and to civicline."""
    user_ids = []
    for n in range(count):
        user = linesim.client.create_user(f"{prefix}{n}", follow=True)
        FriendFactory(user_id=user["userId"])
        user_ids.append(user["userId"])
    return user_ids


def shown_menu_id(linesim, user_id: str) -> str:
    return linesim.client.richmenu_for(user_id)["richMenuId"]


def live_tab_ids(menu: Menu) -> list[str]:
    return [tab.line_rich_menu_id for tab in selectors.live_version(menu).japanese_tabs]


# --- publish (RM-1, RM-2, RM-3) ---------------------------------------------------------------------


def test_publishing_makes_the_menu_every_friends_default_with_working_tabs(linesim, koho):
    """RM-2, RM-3: a 9-tile, two-tab menu reaches LINE; the tab strip switches tabs through aliases."""
    hanako, taro = residents(linesim, 2)
    menu = nine_tile_menu(name="通常メニュー")

    version = services.menu_publish(actor=koho, menu=menu)

    tab_a, tab_b = live_tab_ids(menu)
    assert version.number == 1 and version.is_live
    assert shown_menu_id(linesim, hanako) == tab_a == shown_menu_id(linesim, taro)
    body_a = LineRichMenu.objects.get(rich_menu_id=tab_a).body
    assert body_a["size"] == {"width": 2500, "height": 1686}
    assert len(body_a["areas"]) == 1 + 6  # the strip's other tab + six tiles
    switch = body_a["areas"][0]["action"]
    assert switch["type"] == "richmenuswitch" and switch["richMenuAliasId"] == menu.alias_id(1)
    assert {a.alias_id: a.rich_menu_id for a in RichMenuAlias.objects.all()} == {
        menu.alias_id(0): tab_a,
        menu.alias_id(1): tab_b,
    }
    # The resident taps 「暮らし・防災」: LINE links tab B to her only.
    result = linesim.client.switch_richmenu(hanako, menu.alias_id(1), switch["data"])
    assert result["status"] == "SUCCESS"
    assert shown_menu_id(linesim, hanako) == tab_b
    assert shown_menu_id(linesim, taro) == tab_a
    assert selectors.account_state().default_menu == menu


def test_feature_tiles_open_liff_pages_and_send_the_features_postbacks(linesim, koho, settings):
    """RM-6: feature actions come from the registry (facilities' shelter postback, the map LIFF page)."""
    menu = nine_tile_menu()
    services.menu_publish(actor=koho, menu=menu)
    tab_b = LineRichMenu.objects.get(rich_menu_id=live_tab_ids(menu)[1]).body
    actions = [area["action"] for area in tab_b["areas"]]
    assert actions[1] == {
        "type": "postback",
        "label": "近くの避難所",
        "data": "feature=facilities&action=nearest",
    }
    assert actions[2] == {
        "type": "uri",
        "label": "施設マップ",
        "uri": f"https://liff.line.me/{settings.LIFF_ID}/facilities/",
    }
    assert actions[3]["data"] == "feature=chatbot&action=scenario"


def test_publishing_again_replaces_the_menus_on_line_and_drops_tab_links(linesim, koho):
    """A new version deletes the old LINE menus, so residents on an old tab see the new menu."""
    hanako, taro = residents(linesim, 2)
    menu = nine_tile_menu()
    services.menu_publish(actor=koho, menu=menu)
    old_a, old_b = live_tab_ids(menu)
    linesim.client.switch_richmenu(hanako, menu.alias_id(1), "feature=richmenu&action=tab&tab=2")
    assert shown_menu_id(linesim, hanako) == old_b

    tile = MenuTab.objects.get(menu=menu, position=0).tiles.get(position=0)
    tile.label = "窓口の予約"
    tile.save()
    version = services.menu_publish(actor=koho, menu=menu)

    new_a, new_b = live_tab_ids(menu)
    assert version.number == 2
    assert not LineRichMenu.objects.filter(rich_menu_id__in=[old_a, old_b]).exists()
    assert shown_menu_id(linesim, hanako) == new_a == shown_menu_id(linesim, taro)
    assert RichMenuAlias.objects.get(alias_id=menu.alias_id(1)).rich_menu_id == new_b
    assert LineRichMenu.objects.count() == 2


def test_rollback_restores_exactly_the_previous_image_and_actions(linesim, koho):
    """RM-2: roll back to the previous version, published again as a new version."""
    resident = residents(linesim, 1)[0]
    menu = build_menu(tabs=(("メニュー", "large-4"),))
    first = services.menu_publish(actor=koho, menu=menu)
    first_tab = first.tabs.get()
    first_image = first_tab.image.read()
    tile = MenuTab.objects.get(menu=menu).tiles.get(position=0)
    tile.label, tile.action_value = "新しい項目", "https://www.city.example.jp/new"
    tile.save()
    services.menu_publish(actor=koho, menu=menu)

    restored = services.menu_rollback(actor=koho, menu=menu)

    assert (restored.number, restored.restored_from) == (3, first)
    line_menu = LineRichMenu.objects.get(rich_menu_id=shown_menu_id(linesim, resident))
    assert bytes(line_menu.image) == first_image
    assert line_menu.body["areas"] == first_tab.body["areas"]
    assert [v.is_live for v in menu.versions.order_by("number")] == [False, False, True]
    entry = AuditEntry.objects.filter(target_type="richmenu.menu", target_id=str(menu.pk)).first()
    assert "第1版に戻して公開" in entry.summary and entry.actor == koho


def test_rollback_without_a_previous_version_is_refused(linesim, koho):
    menu = build_menu()
    with pytest.raises(ValidationError, match="戻せる前の版がありません"):
        services.menu_rollback(actor=koho, menu=menu)
    services.menu_publish(actor=koho, menu=menu)
    with pytest.raises(ValidationError, match="戻せる前の版がありません"):
        services.menu_rollback(actor=koho, menu=menu)


def test_a_second_normal_menu_replaces_the_first_on_line(linesim, koho):
    resident = residents(linesim, 1)[0]
    spring, summer = build_menu(name="春のメニュー"), build_menu(name="夏のメニュー")
    services.menu_publish(actor=koho, menu=spring)
    services.menu_publish(actor=koho, menu=summer)

    assert shown_menu_id(linesim, resident) == live_tab_ids(summer)[0]
    assert selectors.live_version(spring) is None
    assert LineRichMenu.objects.count() == 1


def test_incomplete_draft_is_refused_with_every_problem_and_nothing_reaches_line(linesim, koho):
    menu = nine_tile_menu()
    tab = MenuTab.objects.get(menu=menu, position=0)
    tab.tiles.filter(position=2).update(action_type=ActionType.URI, action_value="javascript:alert(1)")
    tab.tiles.filter(position=4).update(label="子育て・教育・健康に関する各種相談窓口")
    MenuTab.objects.get(menu=menu, position=1).tiles.get(position=2).delete()

    with pytest.raises(ValidationError) as raised:
        services.menu_publish(actor=koho, menu=menu)

    problems = raised.value.messages
    assert any(p.startswith("「予約・手続き」タブ タイル3: URLは http://") for p in problems)
    assert any(p.startswith("「予約・手続き」タブ: タイル5の文字") and "長すぎ" in p for p in problems)
    assert any("「暮らし・防災」タブ" in p and "タイルが3個設定されていません" in p for p in problems)
    assert LineRichMenu.objects.count() == 0 and menu.versions.count() == 0


def test_line_refusing_an_upload_leaves_nothing_behind(linesim, koho, monkeypatch):
    menu = nine_tile_menu()
    calls = []

    def refuse(rich_menu_id, jpeg):
        calls.append(rich_menu_id)
        if len(calls) == 2:
            raise line_api.LineCallFailed("画像", "HTTP 400", 400)

    monkeypatch.setattr(line_api, "image_upload", refuse)
    with pytest.raises(ValidationError, match="LINEへの画像に失敗しました"):
        services.menu_publish(actor=koho, menu=menu)
    assert LineRichMenu.objects.count() == 0
    assert menu.versions.count() == 0
    assert AccountMenuState.objects.get().lock_token == ""


def test_two_publishes_at_once_are_serialised_by_the_account_lock(linesim, koho):
    menu = build_menu()
    selectors.account_state()
    with services._account_lock(), pytest.raises(services.Busy, match="公開または切替しているところです"):
        services.menu_publish(actor=koho, menu=menu)
    services.menu_publish(actor=koho, menu=menu)  # the lock was released


# --- preview on a test device (X-11) ---------------------------------------------------------------


def test_preview_shows_the_draft_to_the_test_device_only(linesim, koho):
    resident, device = residents(linesim, 2)
    live = build_menu(name="公開中")
    services.menu_publish(actor=koho, menu=live)
    draft = nine_tile_menu(name="新しいメニュー")
    recipient = PreviewRecipientFactory(
        department=koho.department,
        friend=Friend.objects.get(user_id=device),
        label="広報の iPhone",
        owner=koho,
    )

    preview = services.menu_preview(actor=koho, menu=draft, recipient_id=recipient.pk)

    assert shown_menu_id(linesim, device) == preview.line_rich_menu_ids[0]
    assert shown_menu_id(linesim, resident) == live_tab_ids(live)[0]
    # The draft's tabs work on the device through the preview's own aliases.
    switched = linesim.client.switch_richmenu(
        device, preview.alias_id(1), "feature=richmenu&action=tab&tab=2"
    )
    assert switched["richMenu"]["richMenuId"] == preview.line_rich_menu_ids[1]
    assert AuditEntry.objects.filter(action="send", summary__contains="テスト端末「広報の iPhone」").exists()

    # Publishing the draft takes the preview off: the device sees what everyone sees.
    services.menu_publish(actor=koho, menu=draft)
    assert shown_menu_id(linesim, device) == live_tab_ids(draft)[0] == shown_menu_id(linesim, resident)
    assert not RichMenuAlias.objects.filter(alias_id__startswith="cl-p").exists()
    assert LineRichMenu.objects.count() == 2


def test_preview_to_another_departments_device_is_not_found(linesim, koho):
    device = residents(linesim, 1)[0]
    other = editor(code="kankyo", name="環境政策課", username="kankyo")
    recipient = PreviewRecipientFactory(
        department=other.department,
        friend=Friend.objects.get(user_id=device),
        label="環境課の端末",
        owner=other,
    )
    from django.http import Http404

    with pytest.raises(Http404):
        services.menu_preview(actor=koho, menu=build_menu(), recipient_id=recipient.pk)
    assert LineRichMenu.objects.count() == 0


# --- the emergency switch (RM-4) -------------------------------------------------------------------


def test_emergency_menu_reaches_every_friend_including_those_on_another_tab(linesim, koho):
    """RM-4: one action switches everyone, also residents whose per-user link (a tab) would win."""
    friends = residents(linesim, 7)
    main, emergency = nine_tile_menu(name="通常メニュー"), emergency_menu()
    services.menu_publish(actor=koho, menu=main)
    services.menu_publish(actor=koho, menu=emergency)  # prepared, not shown yet
    assert all(shown_menu_id(linesim, f) == live_tab_ids(main)[0] for f in friends)
    for friend in friends[:3]:
        linesim.client.switch_richmenu(friend, main.alias_id(1), "feature=richmenu&action=tab&tab=2")
    assert RichMenuLink.objects.count() == 3

    switch = services.emergency_switch_start(actor=koho, direction="on", menu_id=emergency.pk)

    switch.refresh_from_db()
    emergency_id = live_tab_ids(emergency)[0]
    assert switch.status == EmergencySwitch.Status.DONE
    assert [shown_menu_id(linesim, f) for f in friends] == [emergency_id] * 7
    assert RichMenuLink.objects.count() == 0
    assert (switch.friends_total, switch.friends_done, switch.requests) == (7, 7, 1)
    assert switch.started_at <= switch.default_set_at <= switch.finished_at
    # A resident who still had the main menu open and taps its tab lands on the emergency menu.
    tapped = linesim.client.switch_richmenu(friends[0], main.alias_id(1), "feature=richmenu&action=tab&tab=2")
    assert tapped["richMenu"]["richMenuId"] == emergency_id

    back = services.emergency_switch_start(actor=koho, direction="off")

    back.refresh_from_db()
    assert back.status == EmergencySwitch.Status.DONE
    assert [shown_menu_id(linesim, f) for f in friends] == [live_tab_ids(main)[0]] * 7
    assert RichMenuAlias.objects.get(alias_id=main.alias_id(1)).rich_menu_id == live_tab_ids(main)[1]
    summaries = list(
        AuditEntry.objects.filter(target_type="richmenu.emergencyswitch").values_list("summary", flat=True)
    )
    assert any("緊急メニューに切替が完了：友だち7人に" in s for s in summaries)
    assert any("通常メニューに戻すが完了：友だち7人に" in s for s in summaries)


def test_per_user_menus_go_in_one_batch_request_and_line_works_through_them(linesim, koho, monkeypatch):
    """LINE's batch endpoint (2023-07): one request whatever the number of friends, then its progress."""
    friends = residents(linesim, 4)
    main, emergency = nine_tile_menu(name="通常メニュー"), emergency_menu()
    services.menu_publish(actor=koho, menu=main)
    services.menu_publish(actor=koho, menu=emergency)
    for friend in friends:
        linesim.client.switch_richmenu(friend, main.alias_id(1), "feature=richmenu&action=tab&tab=2")
    polls = []
    real_phase = line_api.menus_unlink_batch_phase
    monkeypatch.setattr(
        line_api, "menus_unlink_batch_phase", lambda rid: polls.append(rid) or real_phase(rid)
    )

    switch = services.emergency_switch_start(actor=koho, direction="on", menu_id=emergency.pk)

    switch.refresh_from_db()
    assert (switch.status, switch.method, switch.requests) == ("done", EmergencySwitch.Method.BATCH, 1)
    batch = LineRichMenuBatch.objects.get()
    assert batch.request_id == switch.line_request_id and polls and set(polls) == {batch.request_id}
    assert sorted(op["from"] for op in batch.operations) == sorted(
        set(live_tab_ids(main) + live_tab_ids(emergency))
    )
    assert batch.resume_request_key == f"civicline-switch-{switch.pk}"
    assert switch.started_at <= switch.line_accepted_at <= switch.finished_at
    assert RichMenuLink.objects.count() == 0
    assert {shown_menu_id(linesim, f) for f in friends} == {live_tab_ids(emergency)[0]}


def test_when_the_batch_cannot_be_used_the_switch_unlinks_500_at_a_time(linesim, koho, monkeypatch):
    main, emergency = build_menu(name="通常"), emergency_menu()
    services.menu_publish(actor=koho, menu=main)
    services.menu_publish(actor=koho, menu=emergency)
    Friend.objects.bulk_create(
        Friend(user_id=f"U{n:032x}", first_seen="2025-01-01T00:00Z", last_seen="2025-01-01T00:00Z")
        for n in range(1, 1203)
    )
    Friend.objects.filter(pk__in=Friend.objects.order_by("pk").values("pk")[:2]).update(
        state=Friend.State.BLOCKED
    )

    def used_up(menus, resume_key):
        # LINE allows 3 batches an hour.
        raise line_api.LineCallFailed("一括解除", "HTTP 429: The API rate limit has been exceeded.", 429)

    monkeypatch.setattr(line_api, "menus_unlink_batch", used_up)
    sizes = unlink_sizes(monkeypatch)

    switch = services.emergency_switch_start(actor=koho, direction="on", menu_id=emergency.pk)

    switch.refresh_from_db()
    # Friends are read 500 at a time; the two who blocked the account are left out of the first.
    assert sorted(sizes) == [202, 498, 500]
    assert (switch.friends_done, switch.requests, switch.status) == (1200, 3, "done")
    assert switch.method == EmergencySwitch.Method.EACH


def test_a_second_switch_within_the_hour_goes_one_by_one(linesim, koho):
    residents(linesim, 2)
    main, emergency = build_menu(name="通常"), emergency_menu()
    services.menu_publish(actor=koho, menu=main)
    services.menu_publish(actor=koho, menu=emergency)

    on = services.emergency_switch_start(actor=koho, direction="on", menu_id=emergency.pk)
    off = services.emergency_switch_start(actor=koho, direction="off")

    on.refresh_from_db(), off.refresh_from_db()
    assert (on.method, off.method) == (EmergencySwitch.Method.BATCH, EmergencySwitch.Method.EACH)
    assert on.status == off.status == EmergencySwitch.Status.DONE
    assert LineRichMenuBatch.objects.count() == 1  # civicline's own bucket kept LINE's 3 an hour


def unlink_sizes(monkeypatch) -> list[int]:
    """The size of every bulk unlink request sent (recorded as the requests are made)."""
    sizes: list[int] = []
    real_send = messaging.BulkSender._send

    def recording(self, request):
        sizes.append(len(request.body["userIds"]))
        return real_send(self, request)

    monkeypatch.setattr(messaging.BulkSender, "_send", recording)
    return sizes


def test_a_failed_switch_resumes_where_it_stopped(linesim, koho, monkeypatch, settings):
    settings.LINE_SEND_CONCURRENCY = 1
    main, emergency = build_menu(name="通常"), emergency_menu()
    services.menu_publish(actor=koho, menu=main)
    services.menu_publish(actor=koho, menu=emergency)
    Friend.objects.bulk_create(
        Friend(user_id=f"U{n:032x}", first_seen="2025-01-01T00:00Z", last_seen="2025-01-01T00:00Z")
        for n in range(1, 1101)
    )
    monkeypatch.setattr(
        line_api,
        "menus_unlink_batch",
        lambda menus, resume_key: (_ for _ in ()).throw(line_api.LineCallFailed("一括解除", "HTTP 503", 503)),
    )
    sent: list[list[str]] = []
    real_send = messaging.BulkSender._send

    def flaky(self, request):
        if len(sent) == 1 and not getattr(flaky, "failed", False):
            flaky.failed = True
            return messaging.BulkOutcome(
                request, messaging.Outcome(False, 500, error="HTTP 500", retryable=True)
            )
        sent.append(request.body["userIds"])
        return real_send(self, request)

    monkeypatch.setattr(messaging.BulkSender, "_send", flaky)
    switch = services.emergency_switch_start(actor=koho, direction="on", menu_id=emergency.pk)
    switch.refresh_from_db()
    assert switch.status == EmergencySwitch.Status.FAILED and switch.friends_done == 500
    assert "HTTP 500" in switch.error

    services.emergency_switch_resume(actor=koho, switch=switch)

    switch.refresh_from_db()
    assert switch.status == EmergencySwitch.Status.DONE
    assert [len(batch) for batch in sent] == [500, 500, 100]
    assert len({user for batch in sent for user in batch}) == 1100  # nobody twice, nobody left out


def test_switch_needs_a_prepared_emergency_menu_and_a_normal_menu_to_return_to(linesim, koho):
    draft = emergency_menu()
    with pytest.raises(ValidationError, match="公開（準備）済みの緊急メニュー"):
        services.emergency_switch_start(actor=koho, direction="on", menu_id=draft.pk)
    with pytest.raises(ValidationError, match="緊急メニューは表示されていません"):
        services.emergency_switch_start(actor=koho, direction="off")
    normal = build_menu()
    services.menu_publish(actor=koho, menu=normal)
    with pytest.raises(ValidationError, match="公開（準備）済みの緊急メニュー"):
        services.emergency_switch_start(actor=koho, direction="on", menu_id=normal.pk)
    assert EmergencySwitch.objects.count() == 0


def test_the_menu_shown_cannot_be_withdrawn_or_deleted(linesim, koho):
    main, emergency = build_menu(name="通常"), emergency_menu()
    services.menu_publish(actor=koho, menu=main)
    services.menu_publish(actor=koho, menu=emergency)
    with pytest.raises(ValidationError, match="通常時のメニュー"):
        services.menu_withdraw(actor=koho, menu=main)
    with pytest.raises(ValidationError, match="公開中のメニューは削除できません"):
        services.menu_delete(actor=koho, menu=emergency)

    services.menu_withdraw(actor=koho, menu=emergency)
    services.menu_delete(actor=koho, menu=emergency)
    assert LineRichMenu.objects.count() == 1
    assert not RichMenuAlias.objects.filter(alias_id__startswith=f"cl-m{emergency.pk}-").exists()


# --- who may change the menus -------------------------------------------------------------------


def test_only_granted_departments_and_the_system_admin_change_menus(linesim, system_admin):
    menu = build_menu()
    plain = StaffFactory(username="shimin")
    crisis = editor(
        code="kikikanri", name="危機管理課", scope=MenuEditorGrant.Scope.EMERGENCY, username="kiki"
    )
    for actor in (plain, crisis):
        with pytest.raises(PermissionDenied):
            services.menu_publish(actor=actor, menu=menu)
        with pytest.raises(PermissionDenied):
            services.menu_update(actor=actor, menu=menu, data={"name": "変更"})
    with pytest.raises(PermissionDenied):
        services.emergency_switch_start(actor=plain, direction="off")
    services.menu_publish(actor=system_admin, menu=menu)
    emergency = emergency_menu()
    services.menu_publish(actor=system_admin, menu=emergency)
    # 危機管理課 may switch (only switch).
    switch = services.emergency_switch_start(actor=crisis, direction="on", menu_id=emergency.pk)
    assert switch.requested_by == crisis


def test_grants_are_set_by_the_system_admin_only_and_audited(db, system_admin):
    koho = editor(username="koho")
    department = StaffFactory(username="doro").department
    with pytest.raises(PermissionDenied):
        services.editor_grant_set(actor=koho, department=department, scope="edit")
    grant = services.editor_grant_set(actor=system_admin, department=department, scope="emergency")
    assert selectors.can_switch_emergency(StaffFactory(department=department)) is True
    assert selectors.can_edit(StaffFactory(department=department)) is False
    services.editor_grant_delete(actor=system_admin, grant_id=grant.pk)
    assert selectors.can_switch_emergency(StaffFactory(department=department)) is False
    assert AuditEntry.objects.filter(target_type="richmenu.menueditorgrant").count() == 2


# --- drafts ---------------------------------------------------------------------------------------


def upload(data: bytes, name: str = "photo.png", content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def png(width: int, height: int, colour: str = "#2e7d32") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "PNG")
    return out.getvalue()


def gif() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (20, 20), "#ff0000").save(out, "GIF")
    return out.getvalue()


def tile_inputs(count: int, **first) -> list[services.TileInput]:
    inputs = [
        services.TileInput(label=label, icon=icon, colour="#1565c0", action_type=kind, action_value=value)
        for label, icon, kind, value in tile_specs(count)
    ]
    if first:
        inputs[0] = services.TileInput(**{**inputs[0].__dict__, **first})
    return inputs


def test_tab_update_replaces_tiles_and_audits_the_change(db, koho):
    menu = build_menu(tabs=(("メニュー", "large-6"),))
    tab = menu.tabs.get()
    services.tab_update(actor=koho, tab=tab, title="くらし", layout="large-3-top", tiles=tile_inputs(3))
    tab.refresh_from_db()
    assert (tab.title, tab.layout, tab.tiles.count()) == ("くらし", "large-3-top", 3)
    entry = AuditEntry.objects.get(action="update", target_id=str(menu.pk))
    assert entry.changes["layout"] == {"before": "large-6", "after": "large-3-top"}


def test_tab_update_refuses_bad_actions_and_changes_nothing(db, koho):
    menu = build_menu(tabs=(("メニュー", "large-4"),))
    tab = menu.tabs.get()
    bad = tile_inputs(4, action_type=ActionType.URI, action_value="javascript:alert(1)")
    with pytest.raises(ValidationError, match="タイル1"):
        services.tab_update(actor=koho, tab=tab, title="x", layout="large-4", tiles=bad)
    with pytest.raises(ValidationError, match="4個"):
        services.tab_update(actor=koho, tab=tab, title="x", layout="large-4", tiles=tile_inputs(3))
    with pytest.raises(ValidationError, match="大きさで使えるレイアウト"):
        services.tab_update(actor=koho, tab=tab, title="x", layout="compact-3", tiles=tile_inputs(3))
    tab.refresh_from_db()
    assert tab.title == "メニュー"


def test_tile_pictures_are_checked_and_reencoded(db, koho):
    menu = build_menu(tabs=(("メニュー", "large-4"),))
    tab = menu.tabs.get()
    services.tab_update(
        actor=koho,
        tab=tab,
        title="メニュー",
        layout="large-4",
        tiles=tile_inputs(4, image=upload(png(3000, 2000))),
    )
    stored = tab.tiles.get(position=0).image
    with Image.open(stored) as image:
        assert image.format == "PNG" and max(image.size) == services.TILE_IMAGE_EDGE
    for bad, message in [
        (upload(b"<svg onload=alert(1)>", "x.png"), "読み込めません"),
        (upload(gif(), "x.gif", "image/gif"), "JPEGまたはPNG"),
        (upload(b"\0" * (services.MAX_UPLOAD_BYTES + 1)), "10MB"),
    ]:
        with pytest.raises(ValidationError, match=message):
            services.tab_update(
                actor=koho, tab=tab, title="メニュー", layout="large-4", tiles=tile_inputs(4, image=bad)
            )


def test_a_design_image_must_be_exactly_the_menus_size(db, koho):
    menu = build_menu(tabs=(("メニュー", "large-4"),))
    tab = menu.tabs.get()
    with pytest.raises(ValidationError, match="2500×1686"):
        services.tab_update(
            actor=koho,
            tab=tab,
            title="メニュー",
            layout="large-4",
            tiles=tile_inputs(4),
            design=upload(png(2500, 843)),
        )
    services.tab_update(
        actor=koho,
        tab=tab,
        title="メニュー",
        layout="large-4",
        tiles=tile_inputs(4),
        design=upload(png(2500, 1686)),
    )
    tab.refresh_from_db()
    assert tab.design_image


def test_tabs_are_limited_moved_and_deleted(db, koho):
    menu = build_menu(tabs=(("A", "large-6"),))
    for title in ("B", "C", "D"):
        services.tab_create(actor=koho, menu=menu, title=title, layout=layouts.default_template("large").key)
    with pytest.raises(ValidationError, match="4個まで"):
        services.tab_create(actor=koho, menu=menu, title="E", layout="large-6")
    services.tab_move(actor=koho, tab=menu.tabs.get(title="C"), offset=-1)
    assert list(menu.tabs.order_by("position").values_list("title", flat=True)) == ["A", "C", "B", "D"]
    services.tab_delete(actor=koho, tab=menu.tabs.get(title="A"))
    assert list(menu.tabs.order_by("position").values_list("title", "position")) == [
        ("C", 0),
        ("B", 1),
        ("D", 2),
    ]
    for tab in list(menu.tabs.exclude(title="C")):
        services.tab_delete(actor=koho, tab=tab)
    with pytest.raises(ValidationError, match="最後のタブ"):
        services.tab_delete(actor=koho, tab=menu.tabs.get())


def test_the_switch_waits_for_a_publish_in_progress(linesim, koho):
    friends = residents(linesim, 2)
    main, emergency = build_menu(name="通常"), emergency_menu()
    services.menu_publish(actor=koho, menu=main)
    services.menu_publish(actor=koho, menu=emergency)
    AccountMenuState.objects.filter(pk=1).update(lock_token="someone-publishing", locked_at=timezone.now())

    def publish_finishes() -> None:
        AccountMenuState.objects.filter(pk=1).update(lock_token="", locked_at=None)
        connection.close()

    timer = threading.Timer(1.0, publish_finishes)
    timer.start()
    switch = services.emergency_switch_start(actor=koho, direction="on", menu_id=emergency.pk)
    timer.join()

    switch.refresh_from_db()
    assert switch.status == EmergencySwitch.Status.DONE
    assert switch.seconds_until_default >= 1.0
    assert {shown_menu_id(linesim, f) for f in friends} == set(live_tab_ids(emergency))


def test_the_worker_carries_on_a_switch_whose_worker_stopped(linesim, koho):
    friends = residents(linesim, 3)
    main, emergency = build_menu(name="通常"), emergency_menu()
    services.menu_publish(actor=koho, menu=main)
    services.menu_publish(actor=koho, menu=emergency)
    # A worker took the switch and died before doing anything.
    switch = EmergencySwitch.objects.create(
        direction="on", menu=emergency, menu_name=emergency.name, requested_by=koho, started_at=timezone.now()
    )
    EmergencySwitch.objects.filter(pk=switch.pk).update(updated_at=timezone.now() - timedelta(minutes=10))

    tasks.emergency_switch_sweep_task()

    switch.refresh_from_db()
    assert switch.status == EmergencySwitch.Status.DONE and switch.friends_done == 3
    assert {shown_menu_id(linesim, f) for f in friends} == set(live_tab_ids(emergency))
