"""Logins, logouts and failed logins go to the audit log (X-15) from Django's auth signals; entries
written by worker tasks name the task as their actor and carry its id as the request id."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest
from huey.contrib.djhuey import HUEY

from .audit import Action, audit_context_enter, audit_context_exit, audit_record
from .logging import request_id_var
from .outbound import off_request_enter, off_request_exit

_TASK_TOKENS = "_civicline_audit_tokens"


@HUEY.pre_execute(name="core.audit_context")
def _task_started(task: Any) -> None:
    request_id = f"task-{task.id}"
    context = audit_context_enter(actor_label=f"自動処理（{task.name}）", request_id=request_id)
    if context is not None:  # None: run inline by a request (immediate mode), whose context stays
        setattr(task, _TASK_TOKENS, (context, request_id_var.set(request_id), off_request_enter()))
    else:
        # Still a task: it may wait on LINE as the worker would, even when run inside a request.
        setattr(task, _TASK_TOKENS, (None, None, off_request_enter()))


@HUEY.post_execute(name="core.audit_context")
def _task_finished(task: Any, task_value: Any, exc: BaseException | None) -> None:
    tokens = getattr(task, _TASK_TOKENS, None)
    if tokens is not None:
        audit_context_exit(tokens[0])
        if tokens[1] is not None:
            request_id_var.reset(tokens[1])
        off_request_exit(tokens[2])


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
