"""Logins, logouts and failed logins go to the audit log (X-15) from Django's auth signals."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from .audit import Action, audit_record


@receiver(user_logged_in, dispatch_uid="core.audit.login")
def _on_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    audit_record(action=Action.LOGIN, actor=user, request=request, summary="ログイン")


@receiver(user_logged_out, dispatch_uid="core.audit.logout")
def _on_logout(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit_record(action=Action.LOGOUT, actor=user, request=request, summary="ログアウト")


@receiver(user_login_failed, dispatch_uid="core.audit.login_failed")
def _on_login_failed(
    sender: Any, credentials: dict, request: HttpRequest | None = None, **kwargs: Any
) -> None:
    # Django has already masked the password in ``credentials``; only the username is kept.
    username = str(credentials.get("username", ""))[:150]
    staff = get_user_model().objects.filter(username=username).first() if username else None
    reason = "アカウントロック中" if getattr(request, "axes_locked_out", False) else kwargs.get("reason", "")
    audit_record(
        action=Action.LOGIN_FAILED,
        actor=staff,
        actor_label=username,
        request=request,
        summary="ログイン失敗" + (f"（{reason}）" if reason else ""),
    )
