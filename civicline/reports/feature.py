"""The photo reports' manifest: reports by the LIFF form or in the talk, and their clean-up."""

from django.utils.translation import gettext_lazy as _
from huey import crontab

from civicline.core.features import Feature, MenuAction, NavItem, OnEvent, OnPostback, PeriodicTask

from . import demo, handlers, line_messages, selectors, tasks
from .liff.views import resident_summary

FEATURE = Feature(
    key="reports",
    label=_("通報"),
    console_urls="civicline.reports.console.urls",
    liff_urls="civicline.reports.liff.urls",
    nav=(
        NavItem(_("通報の受付"), "reports:report-list"),
        NavItem(_("通報の振り分け待ち"), "reports:triage", system_admin_only=True),
        NavItem(_("通報の設定"), "reports:category-list", system_admin_only=True),
    ),
    demo_seed=demo.seed,
    liff_summary=resident_summary,
    menu_actions=(
        MenuAction("report", _("通報する（道路・公園など）"), liff_path="/liff/reports/", icon="camera"),
        MenuAction("how", _("通報のしかた"), postback="feature=reports&action=start", icon="warning"),
        MenuAction("mine", _("通報の状況"), liff_path="/liff/reports/mine", icon="checklist"),
    ),
    resident_history=selectors.resident_history,
    line_handlers=(
        OnEvent("message", handlers.on_message, priority=handlers.TALK_PRIORITY),
        OnPostback(line_messages.FEATURE, handlers.on_start, action="start"),
    ),
    periodic_tasks=(PeriodicTask(tasks.pending_photos_expire_task, crontab(minute="17", hour="3")),),
)
