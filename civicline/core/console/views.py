"""Console pages of core: home, audit log, departments, staff accounts, allowed networks.

Views stay thin: check access, call a selector or a service, respond.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from .. import selectors, services
from ..exports import csv_response
from ..forms import AllowedNetworkForm, AuditFilterForm, DepartmentForm, StaffCreateForm, StaffForm
from ..http import StaffRequest
from ..models import AllowedNetwork, Department, Staff
from .decorators import staff_required, system_admin_required
from .forms import form_page, model_data

PAGE_SIZE = 50


def _page(request: StaffRequest, queryset: QuerySet, per_page: int = PAGE_SIZE) -> Page:
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def _show_password_once(request: StaffRequest, staff: Staff, password: str, *, created: bool) -> HttpResponse:
    # Rendered in the POST's response, never stored in the session or in messages, never cached.
    response = render(
        request,
        "core/console/staff_password.html",
        {"staff": staff, "password": password, "created": created},
    )
    response["Cache-Control"] = "no-store"
    return response


# --- home --------------------------------------------------------------------------------------


@staff_required
def home(request: StaffRequest) -> HttpResponse:
    recent = selectors.audit_entry_list_for(fetched_by=request.user)[:8]
    return render(request, "core/console/home.html", {"recent_entries": recent})


# --- audit log (X-15) --------------------------------------------------------------------------


@staff_required
def audit_list(request: StaffRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None, staff=request.user)
    entries = selectors.audit_entry_list_for(fetched_by=request.user, filters=form.filters())
    return render(request, "core/console/audit_list.html", {"form": form, "page": _page(request, entries)})


@staff_required
def audit_detail(request: StaffRequest, sequence: int) -> HttpResponse:
    entry = selectors.access_audit_entry(fetched_by=request.user, sequence=sequence)
    return render(request, "core/console/audit_detail.html", {"entry": entry})


@staff_required
def audit_export(request: StaffRequest) -> StreamingHttpResponse:
    form = AuditFilterForm(request.GET or None, staff=request.user)
    filters = form.filters()
    services.audit_export_record(actor=request.user, filters=vars(filters))
    entries = selectors.audit_entry_list_for(fetched_by=request.user, filters=filters)
    header = [
        _("通番"),
        _("日時"),
        _("操作者"),
        _("課"),
        _("接続元"),
        _("操作"),
        _("対象の種類"),
        _("対象ID"),
        _("対象"),
        _("概要"),
        _("変更内容"),
        _("ハッシュ"),
    ]
    rows = (
        [
            e.sequence,
            e.created_at,
            e.actor_label,
            e.department or "",
            e.client_address,
            e.action_label,
            e.target_type,
            e.target_id,
            e.target_repr,
            e.summary,
            e.changes or "",
            e.hash,
        ]
        for e in entries.iterator(chunk_size=1000)
    )
    filename = f"監査ログ_{timezone.localtime():%Y%m%d_%H%M}.csv"
    return csv_response(filename=filename, header=header, rows=rows)


# --- departments (X-3, X-8) --------------------------------------------------------------------


@system_admin_required
def department_list(request: StaffRequest) -> HttpResponse:
    page = _page(request, selectors.department_list())
    return render(request, "core/console/department_list.html", {"page": page})


@system_admin_required
def department_create(request: StaffRequest) -> HttpResponse:
    return form_page(
        request,
        form=DepartmentForm(request.POST or None),
        title=_("課の作成"),
        back="console:department-list",
        save=lambda form: services.department_create(actor=request.user, **model_data(form)),
        success_message=lambda department: _("課「%(name)s」を作成しました。") % {"name": department.name},
    )


@system_admin_required
def department_update(request: StaffRequest, pk: int) -> HttpResponse:
    department = get_object_or_404(Department, pk=pk)
    return form_page(
        request,
        form=DepartmentForm(request.POST or None, instance=department),
        title=_("課の編集"),
        back="console:department-list",
        save=lambda form: services.department_update(
            department=department, actor=request.user, data=model_data(form)
        ),
        success_message=_("課の設定を保存しました。"),
    )


# --- staff accounts (X-3) ----------------------------------------------------------------------


@system_admin_required
def staff_list(request: StaffRequest) -> HttpResponse:
    text = request.GET.get("q", "").strip()
    page = _page(request, selectors.staff_list(text=text))
    return render(request, "core/console/staff_list.html", {"page": page, "q": text})


@system_admin_required
@never_cache
def staff_create(request: StaffRequest) -> HttpResponse:
    return form_page(
        request,
        form=StaffCreateForm(request.POST or None),
        title=_("職員アカウントの作成"),
        back="console:staff-list",
        save=lambda form: services.staff_create(actor=request.user, **form.cleaned_data),
        redirect_to=lambda created: _show_password_once(request, *created, created=True),
        note=_("作成すると仮パスワードが一度だけ表示されます。"),
    )


@system_admin_required
def staff_update(request: StaffRequest, pk: int) -> HttpResponse:
    staff = get_object_or_404(Staff.objects.select_related("department"), pk=pk)
    form = StaffForm(request.POST or None, instance=staff)
    if request.method == "POST" and form.is_valid():
        try:
            services.staff_update(staff=staff, actor=request.user, data=model_data(form))
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("職員アカウントを保存しました。"))
            return redirect("console:staff-update", pk=staff.pk)
        staff.refresh_from_db()  # the form changed the instance in memory; show what is stored
    has_device = TOTPDevice.objects.devices_for_user(staff, confirmed=True).exists()
    return render(
        request, "core/console/staff_form.html", {"form": form, "staff": staff, "has_device": has_device}
    )


def _staff_action(
    service: Callable[..., object], done: str | Promise
) -> Callable[[StaffRequest, int], HttpResponseBase]:
    """A POST-only account action (disable, enable, reset device) that returns to the account page."""

    @require_POST
    @system_admin_required
    def view(request: StaffRequest, pk: int) -> HttpResponse:
        staff = get_object_or_404(Staff, pk=pk)
        try:
            service(staff=staff, actor=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, str(done))
        return redirect("console:staff-update", pk=staff.pk)

    return view


staff_disable = _staff_action(services.staff_disable, gettext_lazy("アカウントを無効にしました。"))
staff_enable = _staff_action(services.staff_enable, gettext_lazy("アカウントを有効にしました。"))
staff_reset_totp = _staff_action(
    services.staff_reset_totp,
    gettext_lazy("二要素認証の登録を解除しました。次回ログイン時に再登録が必要です。"),
)


@require_POST
@system_admin_required
@never_cache
def staff_reset_password(request: StaffRequest, pk: int) -> HttpResponse:
    staff = get_object_or_404(Staff, pk=pk)
    password = services.staff_reset_password(staff=staff, actor=request.user)
    return _show_password_once(request, staff, password, created=False)


# --- allowed networks (X-5) --------------------------------------------------------------------


@system_admin_required
def network_list(request: StaffRequest) -> HttpResponse:
    form = AllowedNetworkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            network = services.allowed_network_add(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error("cidr", exc)
        else:
            messages.success(
                request, _("%(cidr)s を許可しました。すぐに有効になります。") % {"cidr": network.cidr}
            )
            return redirect("console:network-list")
    context = {
        "form": form,
        "networks": selectors.allowed_network_list(),
        "configured": settings.CONSOLE_ALLOWED_NETWORKS,
        "client_address": getattr(request, "client_ip", ""),
    }
    return render(request, "core/console/network_list.html", context)


@require_POST
@system_admin_required
def network_delete(request: StaffRequest, pk: int) -> HttpResponse:
    network = get_object_or_404(AllowedNetwork, pk=pk)
    services.allowed_network_delete(network=network, actor=request.user)
    messages.success(request, _("%(cidr)s の許可を削除しました。") % {"cidr": network.cidr})
    return redirect("console:network-list")
