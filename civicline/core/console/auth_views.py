"""Console login in two steps (password, then a one-time code), lockout, logout, password change.

The staff member is logged in (``django.contrib.auth.login``) only once the one-time code is
verified, so a session that has passed only the password step is not authenticated at all: it
holds a short-lived "pending" marker that the code pages accept and nothing else does.
"""

from __future__ import annotations

import math
import time
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from ..forms import LoginForm, OTPTokenForm, PasswordChangeForm
from ..http import StaffRequest
from ..models import Staff
from ..services import staff_change_password, totp_device_confirm
from ..totp import device_qr_svg, device_secret_base32
from .decorators import staff_required

PENDING_SESSION_KEY = "console_pending_login"
PENDING_LOGIN_SECONDS = 300


def locked_out(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict | None = None,
    *args: Any,
    **kwargs: Any,
) -> HttpResponse:
    """django-axes' lockout response: a Japanese page saying how long the account stays locked."""
    cool_off = get_cool_off(request)
    minutes = math.ceil(cool_off.total_seconds() / 60) if cool_off else None
    if hasattr(request, "session"):
        request.session.pop(PENDING_SESSION_KEY, None)
    return render(request, "core/console/locked_out.html", {"minutes": minutes}, status=429)


@never_cache
@sensitive_post_parameters("password")
def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated and request.user.is_verified():
        return redirect("console:home")
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # authenticate(request=...) lets django-axes count failures and refuse locked accounts;
        # Django's ModelBackend refuses disabled (inactive) accounts.
        user = authenticate(request, **form.cleaned_data)
        if user is not None:
            request.session.cycle_key()
            request.session[PENDING_SESSION_KEY] = {
                "id": user.pk,
                "backend": user.backend,
                "at": time.time(),
                "next": _safe_next(request),
            }
            return redirect(_second_step_for(user))
        form.add_error(None, _("ユーザーIDまたはパスワードが正しくありません。"))
    return render(request, "core/console/login.html", {"form": form})


@never_cache
def otp_view(request: HttpRequest) -> HttpResponse:
    user = _pending_user(request)
    if user is None:
        return redirect("console:login")
    device = TOTPDevice.objects.devices_for_user(user, confirmed=True).first()
    if device is None:
        return redirect("console:login-enroll")
    return _code_step(request, user, device, template="core/console/login_otp.html", context={})


@never_cache
def enroll_view(request: HttpRequest) -> HttpResponse:
    """First login (or after an administrator reset the device): register an authenticator app.

    Reaching this page needs the account's password; the administrator's reset is what makes a
    new registration possible, and it is audited.
    """
    user = _pending_user(request)
    if user is None:
        return redirect("console:login")
    if TOTPDevice.objects.devices_for_user(user, confirmed=True).exists():
        return redirect("console:login-otp")
    device = TOTPDevice.objects.devices_for_user(user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=_("認証アプリ"), confirmed=False)
    context = {"secret": device_secret_base32(device), "qr_svg": device_qr_svg(device)}
    return _code_step(request, user, device, template="core/console/login_enroll.html", context=context)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, _("ログアウトしました。"))
    return redirect("console:login")


@staff_required
@sensitive_post_parameters()
def password_change_view(request: StaffRequest) -> HttpResponse:
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        staff_change_password(staff=request.user, new_password=form.cleaned_data["new_password1"])
        update_session_auth_hash(request, request.user)
        messages.success(request, _("パスワードを変更しました。"))
        return redirect("console:home")
    return render(request, "core/console/password_change.html", {"form": form})


def _code_step(
    request: HttpRequest, user: Staff, device: TOTPDevice, *, template: str, context: dict
) -> HttpResponse:
    credentials = {"username": user.get_username()}
    if AxesProxyHandler.is_locked(request, credentials):
        return locked_out(request, None, credentials)
    form = OTPTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            if not device.confirmed:
                totp_device_confirm(device=device)
            return _complete_login(request, user, device)
        form.add_error(
            "token",
            _("確認コードが正しくありません。認証アプリに表示されている最新のコードを入力してください。"),
        )
        # A wrong code counts as a failed login, towards the lockout and in the audit log.
        user_login_failed.send(
            sender=__name__, credentials=credentials, request=request, reason=_("確認コードの誤り")
        )
    return render(request, template, {"form": form, "pending_user": user, **context})


def _complete_login(request: HttpRequest, user: Staff, device: TOTPDevice) -> HttpResponse:
    pending = request.session.pop(PENDING_SESSION_KEY)
    user.otp_device = device  # django_otp's user_logged_in receiver stores it in the session
    login(request, user, backend=pending["backend"])
    return redirect(pending.get("next") or "console:home")


def _pending_user(request: HttpRequest) -> Staff | None:
    pending = request.session.get(PENDING_SESSION_KEY)
    if not pending or time.time() - pending["at"] > PENDING_LOGIN_SECONDS:
        request.session.pop(PENDING_SESSION_KEY, None)
        return None
    return Staff.objects.filter(pk=pending["id"], is_active=True).first()


def _second_step_for(user: Staff) -> str:
    has_device = TOTPDevice.objects.devices_for_user(user, confirmed=True).exists()
    return "console:login-otp" if has_device else "console:login-enroll"


def _safe_next(request: HttpRequest) -> str:
    target = request.GET.get("next", "")
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if allowed and target.startswith("/console/") else ""
