"""The line app's manifest: the staff preview (X-11) as its console section, the default replies,
the pairing handler and the worker's jobs. Resident pages (/liff/) are core routes mounted by
civicline.urls, not a feature's."""

from django.utils.translation import gettext_lazy as _
from huey import crontab

from civicline.core.features import Feature, NavItem, OnEvent, PeriodicTask

from . import handlers, preview, tasks
from .liff import keys

FEATURE = Feature(
    key="preview",
    label=_("プレビュー"),
    console_urls="civicline.line.console.urls",
    nav=(NavItem(_("プレビュー（テスト端末）"), "preview:send"),),
    line_default_replies=handlers.DEFAULT_REPLIES,
    # Before every feature's message handler (lowest priority runs first): a pairing code must
    # not land in an open conversation with staff, a public comment or the chatbot.
    line_handlers=(OnEvent("message", preview.pairing_on_message, priority=preview.PAIRING_PRIORITY),),
    periodic_tasks=(
        PeriodicTask(tasks.webhook_events_sweep_task, crontab(minute="*")),
        PeriodicTask(tasks.outbound_sends_sweep_task, crontab(minute="*/5")),
        PeriodicTask(tasks.liff_jwks_refresh_task, crontab(minute=f"*/{keys.REFRESH_MINUTES}")),
    ),
    worker_startup=(tasks.liff_jwks_at_startup,),
)
