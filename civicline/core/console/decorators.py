"""Access checks every console view uses: ``staff_required`` and ``system_admin_required``.

A staff member counts as logged in only after the second factor (the session carries a verified
OTP device) and while the account is active. Function views use the decorators; class-based
views use the mixins.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.views import View as DjangoView

View = Callable[..., HttpResponseBase]
PASSWORD_CHANGE_URL_NAME = "console:password-change"


def _refusal(request: HttpRequest, *, admin_only: bool) -> HttpResponse | None:
    user = request.user
    if not (user.is_authenticated and user.is_active and user.is_verified()):
        return redirect_to_login(request.get_full_path())
    view_name = request.resolver_match.view_name if request.resolver_match else ""
    if user.must_change_password and view_name != PASSWORD_CHANGE_URL_NAME:
        return redirect(PASSWORD_CHANGE_URL_NAME)
    if admin_only and not user.is_system_admin:
        return render(request, "core/console/forbidden.html", status=403)
    return None


def _guard(view: View, *, admin_only: bool) -> View:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        return _refusal(request, admin_only=admin_only) or view(request, *args, **kwargs)

    return wrapped


def staff_required(view: View) -> View:
    """Any active staff member who passed password and one-time code."""
    return _guard(view, admin_only=False)


def system_admin_required(view: View) -> View:
    """Only the system administrator (X-3); others get 403."""
    return _guard(view, admin_only=True)


class StaffRequiredMixin(DjangoView):
    admin_only = False

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        return _refusal(request, admin_only=self.admin_only) or super().dispatch(request, *args, **kwargs)


class SystemAdminRequiredMixin(StaffRequiredMixin):
    admin_only = True
