"""Operations' manifest: status and handover pages, production checks, the worker's routine jobs
(heartbeat, backups, alert checks, audit checkpoints: X-13, X-15, X-17, X-19)."""

from django.utils.translation import gettext_lazy as _
from huey import crontab

from civicline.core.features import Feature, NavItem, PeriodicTask, SystemCheck

from . import checks, signals, tasks

FEATURE = Feature(
    key="ops",
    label=_("運用"),
    console_urls="civicline.ops.console.urls",
    nav=(
        NavItem(_("運用状況"), "ops:status", system_admin_only=True),
        NavItem(_("データの引き渡し"), "ops:handover", system_admin_only=True),
    ),
    signals=(signals.connect,),
    system_checks=(SystemCheck(checks.production_settings, tags=(checks.TAG,), deploy=True),),
    periodic_tasks=(
        PeriodicTask(tasks.heartbeat_task, crontab(minute="*")),
        PeriodicTask(tasks.backup_task, tasks.backup_due),
        PeriodicTask(tasks.alerts_task, crontab(minute="*/5")),
        PeriodicTask(tasks.slow_alerts_task, crontab(minute="17")),
        # Hourly; the morning's first is mailed too (``CHECKPOINT_MAIL_HOUR``).
        PeriodicTask(tasks.audit_checkpoint_task, crontab(minute="23")),
    ),
)
