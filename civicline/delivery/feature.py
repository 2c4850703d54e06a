"""Delivery's manifest: deliveries and segments, residents' 受信設定, the emergency delivery."""

from django.utils.translation import gettext_lazy as _
from huey import crontab

from civicline.core.features import EmergencyAction, Feature, MenuAction, NavItem, OnEvent, PeriodicTask

from . import conditions, demo, emergency, handlers, tasks
from .liff.views import resident_summary

FEATURE = Feature(
    key="delivery",
    label=_("お知らせの受信設定"),
    console_urls="civicline.delivery.console.urls",
    liff_urls="civicline.delivery.liff.urls",
    nav=(
        NavItem(_("配信"), "delivery:delivery-list"),
        NavItem(_("セグメント"), "delivery:segment-list"),
        NavItem(_("受信設定の項目"), "delivery:topic-list", system_admin_only=True),
        NavItem(_("配信権限"), "delivery:grant-list", system_admin_only=True),
    ),
    demo_seed=demo.seed,
    liff_summary=resident_summary,
    menu_actions=(
        MenuAction("settings", _("受信設定"), liff_path="/liff/delivery/settings/", icon="settings"),
    ),
    emergency_actions=(
        EmergencyAction(
            "emergency_delivery",
            _("緊急配信（LINE・メール）"),
            run=emergency.send_alert,
            undo=emergency.withdraw_alert,
            order=30,
            prepares=True,
            per_level=True,
        ),
    ),
    line_handlers=(OnEvent("follow", handlers.invite_on_follow, priority=handlers.INVITATION_PRIORITY),),
    segment_conditions=(
        conditions.TopicCondition(),
        conditions.AreaCondition(),
        conditions.AgeCondition(),
        conditions.GenderCondition(),
        conditions.ChildAgeCondition(),
        conditions.ChildBornCondition(),
    ),
    periodic_tasks=(
        PeriodicTask(tasks.deliveries_due_task, crontab(minute="*")),
        PeriodicTask(tasks.deliveries_sweep_task, crontab(minute="*")),
        PeriodicTask(tasks.deliveries_insight_task, crontab(minute="17")),
        PeriodicTask(tasks.email_pending_purge_task, crontab(minute="40", hour="3")),
    ),
)
