"""The rich menu's manifest: menus and their tabs, the emergency menu and its switch."""

from django.utils.translation import gettext_lazy as _
from huey import crontab

from civicline.core.features import EmergencyAction, Feature, NavItem, OnEvent, OnPostback, PeriodicTask

from . import demo, emergency, handlers, selectors, signals, tasks
from .actions import TAB_SWITCH_ACTION, TAB_SWITCH_FEATURE

FEATURE = Feature(
    key="richmenu",
    label=_("リッチメニュー"),
    console_urls="civicline.richmenu.console.urls",
    nav=(
        NavItem(_("リッチメニュー"), "richmenu:menu-list"),
        NavItem(_("緊急メニューの切替"), "richmenu:emergency"),
        NavItem(_("メニュー担当の課"), "richmenu:grant-list", system_admin_only=True),
    ),
    demo_seed=demo.seed,
    emergency_active=selectors.emergency_menu_on,
    emergency_actions=(
        EmergencyAction(
            "emergency_menu",
            _("緊急メニューに切替"),
            run=emergency.switch_on,
            undo=emergency.switch_off,
            order=10,
        ),
    ),
    line_handlers=(
        OnPostback(TAB_SWITCH_FEATURE, handlers.tab_switched, action=TAB_SWITCH_ACTION),
        OnEvent("follow", handlers.followed),
    ),
    periodic_tasks=(PeriodicTask(tasks.emergency_switch_sweep_task, crontab(minute="*")),),
    signals=(signals.connect,),
)
