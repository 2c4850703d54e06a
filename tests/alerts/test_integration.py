"""The real emergency actions, end to end against the LINE emulator: a special heavy-rain warning
(JMA's sample) switches every friend to the emergency menu, sets the disaster kind and sends the
alert to the 防災 / affected-area residents first, by LINE and e-mail; one button undoes the menu."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from civicline.alerts import services
from civicline.alerts.jma import CodeType, Kind
from civicline.alerts.models import AlertAction, AlertSettings
from civicline.delivery import services as delivery_services
from civicline.delivery.models import Delivery, EmailSubscriber
from civicline.facilities.models import MapState
from civicline.richmenu import services as richmenu_services
from tests.delivery.factories import AreaFactory, TopicFactory
from tests.fixtures.core import DepartmentFactory, SystemAdminFactory
from tests.fixtures.linesim import linesim_db
from tests.richmenu.factories import emergency_menu, nine_tile_menu
from tests.richmenu.test_services import live_tab_ids, residents, shown_menu_id

from .factories import city, policy, sample

pytestmark = linesim_db


def test_special_warning_runs_every_feature_and_the_menu_comes_back_with_one_button(linesim, settings):
    admin = SystemAdminFactory()
    kiki = DepartmentFactory(name="危機管理課", email="kiki@city.example.jp")
    current = AlertSettings.current()
    current.department = kiki
    current.save()
    bosai, north, south = TopicFactory(name="防災"), AreaFactory(name="北部"), AreaFactory(name="南部")
    main, emergency = nine_tile_menu(name="通常メニュー"), emergency_menu()
    richmenu_services.menu_publish(actor=admin, menu=main)
    richmenu_services.menu_publish(actor=admin, menu=emergency)
    topic_friend, north_friend, other_friend = residents(linesim, 3)
    from civicline.line.models import Friend

    for user_id, area, topics in (
        (topic_friend, south, [bosai]),
        (north_friend, north, []),
        (other_friend, south, []),
    ):
        delivery_services.resident_settings_save(
            friend=Friend.objects.get(user_id=user_id),
            area=area,
            birth_year=None,
            gender="",
            topics=topics,
            children=[],
        )
    EmailSubscriber.objects.create(
        email="no-line@example.jp", email_digest="d", status="confirmed", requested_at=kiki.created_at
    )
    EmailSubscriber.objects.get().topics.set([bosai])
    city(CodeType.CITY, "2920100", "奈良市", resident_areas="北部")
    policy(
        Kind.WARNING, 5, emergency_menu="auto", disaster_kind="auto", emergency_delivery="auto", everyone=True
    )

    result = services.report_ingest(data=sample("15_08_01_130412_VPWW53.xml"), source="test")

    assert {a["action"]: a["status"] for a in result.actions} == {
        "notify": "done",
        "emergency_menu": "done",
        "disaster_kind": "done",
        "emergency_delivery": "done",
    }
    emergency_id = live_tab_ids(emergency)[0]
    assert [shown_menu_id(linesim, f) for f in (topic_friend, north_friend, other_friend)] == [
        emergency_id
    ] * 3
    assert MapState.current().disaster_kind == "flood"
    priority, rest = Delivery.objects.order_by("pk")
    assert priority.title.startswith("【優先】") and priority.department == kiki
    assert priority.emergency and rest.emergency  # never held back by the weekly cap
    assert (priority.target_count, rest.target_count) == (2, 1)
    texts = {
        u: [m for m in linesim.client.messages_for(u)] for u in (topic_friend, north_friend, other_friend)
    }
    assert all(any("大雨特別警報" in str(m) for m in texts[u]) for u in texts)
    assert any("no-line@example.jp" in m.to for m in mail.outbox)  # the e-mail co-delivery (SD-9)

    menu_action = AlertAction.objects.get(action_key="emergency_menu")
    services.action_undo(action=menu_action, actor=admin)

    assert [shown_menu_id(linesim, f) for f in (topic_friend, north_friend, other_friend)] == [
        live_tab_ids(main)[0]
    ] * 3
    delivery_action = AlertAction.objects.get(action_key="emergency_delivery")
    with pytest.raises(ValidationError, match="取り消せません"):
        services.action_undo(action=delivery_action, actor=admin)
