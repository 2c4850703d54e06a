"""Staff pages: the timeline of official alerts and what was done, its buttons, and the settings."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civicline.core.console.decorators import staff_required, system_admin_required
from civicline.core.http import StaffRequest

from .. import selectors, services
from ..models import AlertSettings
from .forms import AreaCodeForm, PolicyForm, SettingsForm

PAGE_SIZE = 30


def banner(request: HttpRequest) -> str:
    """The console's banner while an alert concerning the city is in force (every staff member)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return ""
    events = list(selectors.current_events()[:3])
    if not events:
        return ""
    # Without the request: its context processors would render the banners again, endlessly.
    return render_to_string("alerts/console/banner.html", {"events": events})


@staff_required
def event_list(request: StaffRequest) -> HttpResponse:
    events = selectors.event_list_for(fetched_by=request.user).prefetch_related("actions")
    context = {
        "page": Paginator(events, PAGE_SIZE).get_page(request.GET.get("page")),
        "can_act": selectors.can_act(request.user),
        "feeds": selectors.feed_states(),
    }
    return render(request, "alerts/console/event_list.html", context)


@staff_required
def event_detail(request: StaffRequest, pk: int) -> HttpResponse:
    event = selectors.access_event(fetched_by=request.user, pk=pk)
    context = {
        "event": event,
        "reports": selectors.report_list(event),
        "actions": selectors.action_list(event),
        "can_act": selectors.can_act(request.user),
    }
    return render(request, "alerts/console/event_detail.html", context)


def _button(request: StaffRequest, pk: int, operation: str) -> HttpResponse:
    if not selectors.can_act(request.user):
        # The responsible department and the system administrator act; others are refused outright.
        return render(request, "core/console/forbidden.html", status=403)
    action = selectors.access_action(fetched_by=request.user, pk=pk)
    service = {
        "execute": services.action_execute,
        "dismiss": services.action_dismiss,
        "undo": services.action_undo,
    }[operation]
    try:
        done = service(action=action, actor=request.user)
    except PermissionDenied as exc:
        messages.error(request, str(exc) or _("この操作の権限がありません。"))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if done.status == done.Status.FAILED:
            messages.error(
                request,
                _("「%(label)s」に失敗しました: %(error)s") % {"label": done.label, "error": done.error},
            )
        else:
            messages.success(
                request,
                _("「%(label)s」: %(status)s") % {"label": done.label, "status": done.get_status_display()},
            )
    return redirect("alerts:event-detail", pk=action.event_id)


@staff_required
@require_POST
def action_execute(request: StaffRequest, pk: int) -> HttpResponse:
    return _button(request, pk, "execute")


@staff_required
@require_POST
def action_dismiss(request: StaffRequest, pk: int) -> HttpResponse:
    return _button(request, pk, "dismiss")


@staff_required
@require_POST
def action_undo(request: StaffRequest, pk: int) -> HttpResponse:
    return _button(request, pk, "undo")


# --- settings (system administrator) ---------------------------------------------------------------


@system_admin_required
def settings_page(request: StaffRequest) -> HttpResponse:
    current = AlertSettings.current()
    settings_form = SettingsForm(instance=current, prefix="s")
    area_form = AreaCodeForm(prefix="a")
    if request.method == "POST":
        try:
            if "save_settings" in request.POST:
                settings_form = SettingsForm(request.POST, instance=AlertSettings.current(), prefix="s")
                if settings_form.is_valid():
                    services.settings_update(
                        actor=request.user,
                        data=settings_form.settings_data(),
                    )
                    messages.success(request, _("設定を保存しました。"))
                    return redirect("alerts:settings")
            elif "add_area" in request.POST:
                area_form = AreaCodeForm(request.POST, prefix="a")
                if area_form.is_valid():
                    services.area_code_create(actor=request.user, data=area_form.cleaned_data)
                    messages.success(request, _("対象地域のコードを追加しました。"))
                    return redirect("alerts:settings")
        except ValidationError as exc:
            (area_form if "add_area" in request.POST else settings_form).add_error(None, exc)
    context = {
        "settings_form": settings_form,
        "area_form": area_form,
        "areas": selectors.area_code_list(),
        "policies": selectors.policy_list(),
        "feeds": selectors.feed_states(),
    }
    status = 400 if settings_form.errors or area_form.errors else 200
    return render(request, "alerts/console/settings.html", context, status=status)


@system_admin_required
@require_POST
def area_code_delete(request: StaffRequest, pk: int) -> HttpResponse:
    area_code = selectors.access_area_code(fetched_by=request.user, pk=pk)
    services.area_code_delete(actor=request.user, area_code=area_code)
    messages.success(request, _("対象地域のコードを削除しました。"))
    return redirect("alerts:settings")


@system_admin_required
def policy_edit(request: StaffRequest, pk: int | None = None) -> HttpResponse:
    policy = selectors.access_policy(fetched_by=request.user, pk=pk) if pk is not None else None
    form = PolicyForm(request.POST or None, policy=policy)
    if request.method == "POST" and form.is_valid():
        try:
            services.policy_save(actor=request.user, policy=policy, data=form.policy_data())
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("対応方針を保存しました。"))
            return redirect("alerts:settings")
    title = _("対応方針の変更") if policy else _("対応方針の追加")
    return render(
        request,
        "alerts/console/policy_form.html",
        {"form": form, "policy": policy, "title": title},
        status=400 if form.errors else 200,
    )


@system_admin_required
@require_POST
def policy_delete(request: StaffRequest, pk: int) -> HttpResponse:
    policy = selectors.access_policy(fetched_by=request.user, pk=pk)
    services.policy_delete(actor=request.user, policy=policy)
    messages.success(request, _("対応方針を削除しました。"))
    return redirect("alerts:settings")
