"""Failed console logins feed the Prometheus counter (alerts count them from the audit log)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_login_failed

from . import metrics


def _on_login_failed(sender: Any, **kwargs: Any) -> None:
    metrics.LOGIN_FAILURES.inc()


def connect() -> None:
    user_login_failed.connect(_on_login_failed, dispatch_uid="ops.metrics.login_failed")
