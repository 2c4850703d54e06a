"""The official alerts' manifest: JMA's feeds followed by the worker, the console's alert banner."""

from django.utils.translation import gettext_lazy as _
from huey import crontab

from civicline.core.features import Feature, NavItem, PeriodicTask

from . import tasks
from .console.views import banner

FEATURE = Feature(
    key="alerts",
    label=_("防災情報"),
    console_urls="civicline.alerts.console.urls",
    nav=(
        NavItem(_("防災情報（気象庁）"), "alerts:event-list"),
        NavItem(_("防災情報の対応方針"), "alerts:settings", system_admin_only=True),
    ),
    console_banner=banner,
    periodic_tasks=(PeriodicTask(tasks.jma_poll_task, crontab(minute="*")),),
)
