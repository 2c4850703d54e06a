"""The city's policy on official alerts, with JMA's real sample reports: issue, correction,
lifting, cancellation, another area, drills, duplicates — and each action at most once."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from civicline.alerts import services
from civicline.alerts.jma import CodeType, Kind
from civicline.alerts.models import ACTOR_LABEL, AlertAction, AlertEvent, AlertReport, AlertSettings
from civicline.core.models import AuditEntry

from .factories import city, corrected, policy, sample

pytestmark = pytest.mark.django_db

SPECIAL = "15_08_01_130412_VPWW53.xml"  # 奈良県 大雨特別警報
LIFTED = "15_08_05_130412_VPWW53.xml"


@pytest.fixture
def nara(department):
    department.email = "kiki@city.example.jp"
    department.save()
    current = AlertSettings.current()
    current.department, current.notify_emails = department, "touban@city.example.jp"
    current.save()
    return city(CodeType.CITY, "2920100", "奈良市", resident_areas="北部、中部")


def ingest(name_or_bytes, **kwargs):
    data = sample(name_or_bytes) if isinstance(name_or_bytes, str) else name_or_bytes
    return services.report_ingest(data=data, source="test", **kwargs)


def test_special_warning_acts_automatically_once_and_is_audited(
    nara, stub_actions, django_capture_on_commit_callbacks
):
    policy(Kind.WARNING, 3, emergency_delivery="suggest")
    policy(
        Kind.WARNING, 5, emergency_menu="auto", disaster_kind="auto", emergency_delivery="auto", everyone=True
    )

    with django_capture_on_commit_callbacks(execute=True):
        result = ingest(SPECIAL)

    assert result.reports[0]["status"] == "issued" and result.reports[0]["level"] == 5
    assert result.reports[0]["areas"] == ["奈良市"]
    # Both policies' deliveries (one per level), the menu and the kind once; in the manifests' order.
    assert stub_actions.keys() == [
        "emergency_menu",
        "disaster_kind",
        "emergency_delivery",
        "emergency_delivery",
    ]
    menu, kind, prepared, sent = (request for _key, request in stub_actions.calls)
    assert kind.disaster_kind == "flood" and menu.actor is None and menu.actor_label == ACTOR_LABEL
    assert (prepared.prepare_only, sent.prepare_only, sent.everyone) == (True, False, True)
    assert sent.area_names == ("北部", "中部") and sent.topic_name == "防災"
    assert "大雨特別警報" in sent.text and "奈良市" in sent.text
    event = AlertEvent.objects.get()
    assert (event.level, event.title, event.closed_at) == (5, "大雨特別警報", None)
    assert set(event.actions.values_list("status", flat=True)) == {AlertAction.Status.DONE}
    assert len(mail.outbox) == 1 and "大雨特別警報" in mail.outbox[0].subject
    assert set(mail.outbox[0].to) == {"kiki@city.example.jp", "touban@city.example.jp"}
    audited = AuditEntry.objects.filter(actor_label=ACTOR_LABEL, target_type="alerts.alertaction")
    assert audited.count() == 4

    again = ingest(SPECIAL)
    assert again.reports[0]["status"] == "duplicate" and len(stub_actions.calls) == 4


def test_the_same_situation_never_acts_twice_through_another_format(nara, stub_actions):
    """VPWW53 and its twin VPWW54 (or a later report at the same level) state the same warning."""
    policy(Kind.WARNING, 5, emergency_menu="auto")
    ingest(SPECIAL)
    twin = sample(SPECIAL).replace(
        "<Title>気象特別警報・警報・注意報</Title>".encode(),
        "<Title>気象警報・注意報（Ｈ２７）</Title>".encode(),
        1,
    )

    assert ingest(twin).reports[0]["status"] == "issued"
    assert stub_actions.keys() == ["emergency_menu"]
    assert AlertEvent.objects.count() == 1


def test_a_report_for_another_area_does_nothing(stub_actions):
    city(CodeType.CITY, "2720300", "豊中市")
    policy(Kind.WARNING, 2, emergency_menu="auto")

    result = ingest(SPECIAL)

    assert result.reports[0]["status"] == "not_concerned"
    assert stub_actions.calls == [] and AlertReport.objects.count() == 0 and AlertEvent.objects.count() == 0


def test_suggested_actions_wait_for_staff_and_run_as_them(nara, stub_actions, system_admin):
    policy(Kind.WARNING, 5, emergency_menu="suggest")
    ingest(SPECIAL)
    action = AlertAction.objects.get(action_key="emergency_menu")
    assert action.status == AlertAction.Status.SUGGESTED and stub_actions.calls == []

    done = services.action_execute(action=action, actor=system_admin)

    assert done.status == AlertAction.Status.DONE and done.done_by == system_admin
    assert stub_actions.calls[0][1].actor == system_admin
    with pytest.raises(ValidationError):
        services.action_execute(action=done, actor=system_admin)


def test_staff_of_other_departments_cannot_press_the_buttons(nara, stub_actions, other_staff_user):
    policy(Kind.WARNING, 5, emergency_menu="auto")
    ingest(SPECIAL)
    action = AlertAction.objects.get(action_key="emergency_menu")

    with pytest.raises(PermissionDenied):
        services.action_undo(action=action, actor=other_staff_user)


def test_one_button_undoes_an_automatic_action(nara, stub_actions, staff_user):
    policy(Kind.WARNING, 5, emergency_menu="auto")
    ingest(SPECIAL)
    action = AlertAction.objects.get(action_key="emergency_menu")

    undone = services.action_undo(action=action, actor=staff_user)  # staff of the responsible department

    assert undone.status == AlertAction.Status.REVERTED and undone.reverted_by == staff_user
    assert stub_actions.undone == [("emergency_menu", {"n": 1})]
    assert AuditEntry.objects.filter(target_type="alerts.alertaction", summary__contains="元に戻す").exists()


def test_lifting_closes_the_situation_and_tells_staff(nara, stub_actions, django_capture_on_commit_callbacks):
    policy(Kind.WARNING, 5, emergency_menu="auto")
    ingest(SPECIAL)

    with django_capture_on_commit_callbacks(execute=True):
        result = ingest(LIFTED)

    assert result.reports[0]["status"] == "lifted" or result.reports[0]["level"] < 5
    event = AlertEvent.objects.get()
    assert event.max_level == 5 and event.level < 5
    assert stub_actions.undone == []  # a lifting is staff's call: the emergency may go on


def test_correction_that_raises_the_level_acts(nara, stub_actions):
    """A 訂正 of an ordinary warning into a special one acts; the original was below the policy."""
    policy(Kind.WARNING, 5, emergency_menu="auto")
    ordinary = sample(SPECIAL).decode().replace("大雨特別警報", "大雨警報").encode()
    assert ingest(ordinary).reports[0]["level"] == 3
    assert stub_actions.calls == []

    result = ingest(corrected(ordinary, ("大雨警報", "大雨特別警報")))

    assert result.reports[0]["status"] == "corrected" and result.reports[0]["level"] == 5
    assert stub_actions.keys() == ["emergency_menu"]
    assert AlertReport.objects.filter(outcome=AlertReport.Outcome.CORRECTED).count() == 1


def test_correction_at_the_same_level_does_not_act_again(nara, stub_actions):
    policy(Kind.WARNING, 5, emergency_menu="auto")
    ingest(SPECIAL)

    result = ingest(corrected(sample(SPECIAL)))

    assert result.reports[0]["status"] == "corrected"
    assert stub_actions.keys() == ["emergency_menu"]


def test_cancellation_undoes_what_was_done_automatically(stub_actions):
    """取消 of an earthquake report: what it set off automatically is put back."""
    city(CodeType.CITY, "0321500", "奥州市")
    policy(Kind.QUAKE, 6, emergency_menu="auto", disaster_kind="auto")
    issued = ingest("32-35_06_03_240613_VXSE53.xml")
    assert issued.reports[0]["level"] == 8 and stub_actions.keys() == ["emergency_menu", "disaster_kind"]
    assert stub_actions.calls[1][1].disaster_kind == "earthquake"

    result = ingest("32-35_06_06_100915_VXSE53.xml")

    assert result.reports[0]["status"] == "cancelled"
    assert [key for key, _data in stub_actions.undone] == ["emergency_menu", "disaster_kind"]
    event = AlertEvent.objects.get()
    assert event.closed_at is not None and event.level == 0
    undone = event.actions.exclude(action_key="notify")
    assert set(undone.values_list("status", flat=True)) == {AlertAction.Status.REVERTED}


def test_landslide_record_rain_flood_and_tsunami_samples(stub_actions):
    city(CodeType.CITY, "1420600", "小田原市")
    city(CodeType.REGION, "270000", "大阪府")
    city(CodeType.RIVER, "1234567890", "○○川")
    city(CodeType.TSUNAMI, "771", "種子島・屋久島地方")
    for kind, level in ((Kind.LANDSLIDE, 4), (Kind.RECORD_RAIN, 4), (Kind.FLOOD, 4), (Kind.TSUNAMI, 2)):
        policy(kind, level, disaster_kind="auto")

    statuses = [
        ingest(name).reports[0]["status"]
        for name in (
            "17_04_01_250630_VXWW50.xml",
            "18_01_01_100806_VPOA50.xml",
            "16_06_01_220728_VXKOii.xml",
            "16_02_02_220728_VXKOii.xml",  # another river
            "38-39_02_01_250206_VTSE41.xml",
            "38-39_02_04_250206_VTSE41.xml",  # the advisory lifted
            "17_04_03_250630_VXWW50.xml",  # 全警戒解除
        )
    ]

    assert statuses == ["issued", "issued", "issued", "not_concerned", "issued", "lifted", "lifted"]
    assert [r.disaster_kind for _k, r in stub_actions.calls] == ["landslide", "flood", "flood", "tsunami"]
    assert AlertEvent.objects.filter(closed_at__isnull=True, kind=Kind.TSUNAMI).count() == 0


def test_earthquake_below_the_policy_level_only_records(stub_actions):
    city(CodeType.SEISMIC, "520", "大阪府北部")
    policy(Kind.QUAKE, 6, emergency_menu="auto")

    result = ingest("32-35_07_02_100915_VXSE51.xml")

    assert (result.reports[0]["status"], result.reports[0]["level_label"]) == ("issued", "震度3")
    assert stub_actions.calls == []


def test_drills_are_never_acted_on(stub_actions):
    city(CodeType.TSUNAMI, "100", "北海道太平洋沿岸東部")
    policy(Kind.TSUNAMI, 1, emergency_menu="auto")

    assert ingest("32-39_13_02_250206_VTSE41.xml").reports[0]["status"] == "drill"
    assert stub_actions.calls == []


def test_dry_run_changes_nothing(nara, stub_actions):
    policy(Kind.WARNING, 5, emergency_menu="auto")

    result = ingest(SPECIAL, dry_run=True)

    assert result.actions[0]["action"] == "notify" and result.actions[1]["action"] == "emergency_menu"
    assert AlertReport.objects.count() == 0 and stub_actions.calls == []


def test_a_failing_action_does_not_stop_the_others(nara, stub_actions):
    stub_actions.fail.add("emergency_menu")
    policy(Kind.WARNING, 5, emergency_menu="auto", disaster_kind="auto")

    ingest(SPECIAL)

    statuses = dict(AlertAction.objects.values_list("action_key", "status"))
    assert statuses["emergency_menu"] == AlertAction.Status.FAILED
    assert statuses["disaster_kind"] == AlertAction.Status.DONE


def test_garbage_is_listed_as_an_error(stub_actions):
    assert ingest(b"<html>not a report</html>").reports[0]["status"] == "error"


def test_settings_and_policies_are_for_the_system_administrator(staff_user, system_admin):
    with pytest.raises(PermissionDenied):
        services.policy_save(actor=staff_user, policy=None, data={"kind": Kind.WARNING, "min_level": 5})
    with pytest.raises(ValidationError):
        services.policy_save(actor=system_admin, policy=None, data={"kind": Kind.QUAKE, "min_level": 12})
    saved = services.policy_save(
        actor=system_admin,
        policy=None,
        data={"kind": Kind.QUAKE, "min_level": 6, "actions": {"emergency_menu": "auto"}},
    )
    assert AuditEntry.objects.filter(target_type="alerts.policy", target_id=str(saved.pk)).exists()
