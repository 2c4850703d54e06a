"""The reservations' manifest: counters and bookings, the morning reminders, cancelling in the talk."""

from django.utils.translation import gettext_lazy as _
from huey import crontab

from civicline.core.features import Feature, MenuAction, NavItem, OnPostback, PeriodicTask

from . import demo, handlers, line_messages, selectors, tasks
from .liff.views import resident_summary

FEATURE = Feature(
    key="reservations",
    label=_("予約"),
    console_urls="civicline.reservations.console.urls",
    liff_urls="civicline.reservations.liff.urls",
    nav=(
        NavItem(_("予約窓口の設定"), "reservations:counter-list"),
        NavItem(_("予約一覧"), "reservations:booking-list"),
    ),
    demo_seed=demo.seed,
    liff_summary=resident_summary,
    menu_actions=(
        MenuAction("book", _("窓口予約"), liff_path="/liff/reservations/", icon="calendar"),
        MenuAction(
            "mine",
            _("予約の確認・キャンセル"),
            liff_path="/liff/reservations/mine",
            icon="checklist",
        ),
    ),
    resident_history=selectors.resident_history,
    line_handlers=(
        OnPostback(line_messages.FEATURE, handlers.cancel_asked, action="cancel"),
        OnPostback(line_messages.FEATURE, handlers.cancel_confirmed, action="cancel_confirm"),
        OnPostback(line_messages.FEATURE, handlers.cancel_kept, action="cancel_keep"),
    ),
    periodic_tasks=(PeriodicTask(tasks.booking_reminders_task, crontab(minute="*/5")),),
)
