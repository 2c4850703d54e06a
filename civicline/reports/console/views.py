"""Staff pages of photo reports: the department's inbox (list and map), the triage queue, a report's
detail with photos and history, status changes, reassignment, notes and replies to the reporter;
and the system administrator's settings (categories, routing rules, areas, status messages).

Views stay thin: access through selectors (404 for another department's reports), call a service,
respond. Every page showing a report's personal data or photos writes an audit entry first.
"""

from __future__ import annotations

import copy
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.db import models
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from civicline.core import languages
from civicline.core.console.decorators import staff_required, system_admin_required
from civicline.core.console.forms import FORM_PAGE_TEMPLATE, form_page, model_data
from civicline.core.translations import TranslationsFormMixin
from civicline.line.direct import (
    DirectMessageRefused,
    confirmation_forget,
    confirmation_remember,
    confirmation_remembered,
    direct_message_confirmation,
)

from .. import line_messages, selectors, services
from ..models import Area, Category, Report, RoutingRule, Status, StatusTemplate
from .forms import (
    AreaForm,
    CategoryForm,
    NoteForm,
    ReassignForm,
    ReplyForm,
    ReplySendForm,
    ReportFilterForm,
    RoutingRuleForm,
    StatusForm,
    StatusSendForm,
    StatusTemplateForm,
)

PAGE_SIZE = 50


def _map_config(**extra: Any) -> dict[str, Any]:
    return {
        "tileUrl": settings.MAP_TILE_URL,
        "tileAttribution": settings.MAP_TILE_ATTRIBUTION,
        "centre": settings.MAP_CENTER,
        "statuses": dict(Status.choices),
        **extra,
    }


# --- inbox -----------------------------------------------------------------------------------------


def _inbox(request: HttpRequest, *, triage: bool) -> HttpResponse:
    form = ReportFilterForm(request.GET or None)
    reports = selectors.report_list_for(fetched_by=request.user, filters=form.filters(triage=triage))
    page = Paginator(reports, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "triage": triage,
        "triage_count": selectors.triage_count_for(fetched_by=request.user),
        "map_config": _map_config(points=selectors.map_points(reports)),
    }
    return render(request, "reports/console/report_list.html", context)


@staff_required
def report_list(request: HttpRequest) -> HttpResponse:
    return _inbox(request, triage=False)


@system_admin_required
def triage(request: HttpRequest) -> HttpResponse:
    return _inbox(request, triage=True)


# --- one report ------------------------------------------------------------------------------------


def _thumbnail_url(report: Report) -> str:
    first = report.photos.first()
    return reverse("reports:photo-thumb", args=[report.pk, first.pk]) if first else ""


def _detail_context(request: HttpRequest, report: Report, **forms: Any) -> dict[str, Any]:
    return {
        "report": report,
        "photos": report.photos.all(),
        "history": selectors.report_history(report=report),
        "sent": selectors.report_messages(report=report),
        "status_form": forms.get("status_form") or StatusForm(initial={"status": report.status}),
        "reassign_form": forms.get("reassign_form") or ReassignForm(current=report.department),
        "note_form": forms.get("note_form") or NoteForm(),
        "reply_form": forms.get("reply_form") or ReplyForm(),
        "confirmation": direct_message_confirmation(record=report),
        "confirmed": bool(confirmation_remembered(request, report)),
        "map_config": _map_config(
            points=[{"lat": report.latitude, "lng": report.longitude, "status": report.status}]
            if report.has_location
            else []
        ),
    }


@staff_required
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = selectors.access_report(fetched_by=request.user, pk=pk)
    services.report_view_record(actor=request.user, report=report)
    return render(request, "reports/console/report_detail.html", _detail_context(request, report))


@staff_required
def photo(request: HttpRequest, pk: int, photo_pk: int, thumbnail: bool = False) -> HttpResponse:
    """A report's photo, to staff who may see the report only; every look is in the audit log."""
    item = selectors.access_report_photo(fetched_by=request.user, report_pk=pk, pk=photo_pk)
    what = _("通報の写真（縮小）を表示") if thumbnail else _("通報の写真を表示")
    services.report_view_record(actor=request.user, report=item.report, what=what)
    name = item.thumbnail.name if thumbnail and item.thumbnail else item.image.name
    response = FileResponse(default_storage.open(name, "rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, no-store"
    return response


def _refused(request: HttpRequest, exc: ValidationError | DirectMessageRefused) -> None:
    messages.error(request, " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc))


def _confirm_page(
    request: HttpRequest, report: Report, form: Any, message: dict, action: str
) -> HttpResponse:
    """The PH-5 screen: receipt number, thumbnail, masked name and the message exactly as it will go."""
    context = {
        "report": report,
        "form": form,
        "action": action,
        "confirmation": direct_message_confirmation(
            record=report, thumbnail_url=_thumbnail_url(report), messages=[message]
        ),
        "post_url": reverse(f"reports:report-{action}", args=[report.pk]),
    }
    return render(
        request, "reports/console/message_confirm.html", context, status=400 if form.errors else 200
    )


@staff_required
@require_POST
def report_status(request: HttpRequest, pk: int) -> HttpResponse:
    """Change the status; with a notice to the reporter, the confirmation screen comes first (PH-5)."""
    report = selectors.access_report(fetched_by=request.user, pk=pk)
    confirming = "confirmed_receipt_number" in request.POST
    form: Any = StatusSendForm(request.POST) if confirming else StatusForm(request.POST)
    valid = form.is_valid()
    status = form.cleaned_data.get("status") or request.POST.get("status", "")
    if confirming and status in Status.values and not valid:
        return _confirm_page(request, report, form, line_messages.status_message(report, status), "status")
    if not valid:
        context = _detail_context(request, report, status_form=form)
        return render(request, "reports/console/report_detail.html", context, status=400)
    data = form.cleaned_data
    notify = confirming or data["notify"]
    remembered = confirmation_remembered(request, report) if notify else ""
    number = data.get("confirmed_receipt_number") or remembered
    if notify and not number:
        send_form = StatusSendForm(initial={"status": status, "note": data["note"]})
        return _confirm_page(
            request, report, send_form, line_messages.status_message(report, status), "status"
        )
    try:
        services.report_status_change(
            actor=request.user,
            report=report,
            status=status,
            note=data["note"],
            notify=notify,
            confirmed_receipt_number=number,
        )
    except DirectMessageRefused as exc:
        confirmation_forget(request, report)
        form = form if confirming else StatusSendForm(initial={"status": status, "note": data["note"]})
        form.add_error("confirmed_receipt_number", str(exc))
        return _confirm_page(request, report, form, line_messages.status_message(report, status), "status")
    except ValidationError as exc:
        _refused(request, exc)
        return redirect("reports:report-detail", pk=report.pk)
    if notify:
        confirmation_remember(request, report, number)
    done = _("状況を「%(s)s」にしました。") % {"s": report.get_status_display()}
    messages.success(request, done + (_("送信者にお知らせを送りました。") if notify else ""))
    return redirect("reports:report-detail", pk=report.pk)


@staff_required
@require_POST
def report_reply(request: HttpRequest, pk: int) -> HttpResponse:
    """Write to the reporter (PH-4): the text, then the confirmation screen with the receipt number."""
    report = selectors.access_report(fetched_by=request.user, pk=pk)
    if "confirmed_receipt_number" not in request.POST:
        form = ReplyForm(request.POST)
        if not form.is_valid():
            context = _detail_context(request, report, reply_form=form)
            return render(request, "reports/console/report_detail.html", context, status=400)
        text = form.cleaned_data["text"]
        remembered = confirmation_remembered(request, report)
        if not remembered:
            send_form = ReplySendForm(initial={"text": text})
            return _confirm_page(
                request, report, send_form, line_messages.reply_message(report, text), "reply"
            )
        # Confirmed earlier in this case: send as if the number had been typed again.
        send_form = ReplySendForm({"text": text, "confirmed_receipt_number": remembered})
    else:
        send_form = ReplySendForm(request.POST)
        text = request.POST.get("text", "")
    if send_form.is_valid():
        try:
            services.report_message_send(
                actor=request.user,
                report=report,
                text=send_form.cleaned_data["text"],
                confirmed_receipt_number=send_form.cleaned_data["confirmed_receipt_number"],
            )
        except DirectMessageRefused as exc:
            confirmation_forget(request, report)
            if "confirmed_receipt_number" not in request.POST:
                send_form = ReplySendForm(initial={"text": text})  # staff type the number afresh
            send_form.add_error("confirmed_receipt_number", str(exc))
        except ValidationError as exc:
            _refused(request, exc)
            return redirect("reports:report-detail", pk=report.pk)
        else:
            confirmation_remember(request, report, send_form.cleaned_data["confirmed_receipt_number"])
            messages.success(request, _("送信者にメッセージを送りました。"))
            return redirect("reports:report-detail", pk=report.pk)
    if not text.strip():
        return redirect("reports:report-detail", pk=report.pk)
    return _confirm_page(request, report, send_form, line_messages.reply_message(report, text), "reply")


@staff_required
@require_POST
def report_reassign(request: HttpRequest, pk: int) -> HttpResponse:
    report = selectors.access_report(fetched_by=request.user, pk=pk)
    form = ReassignForm(request.POST, current=report.department)
    if not form.is_valid():
        return render(
            request,
            "reports/console/report_detail.html",
            _detail_context(request, report, reassign_form=form),
            status=400,
        )
    try:
        services.report_reassign(
            actor=request.user,
            report=report,
            department=form.cleaned_data["department"],
            reason=form.cleaned_data["reason"],
        )
    except ValidationError as exc:
        _refused(request, exc)
        return redirect("reports:report-detail", pk=report.pk)
    messages.success(request, _("担当課を%(d)sに変更しました。") % {"d": report.department.name})
    # The report may have left the staff member's department: back to what they can still see.
    if Report.objects.visible_to(request.user).filter(pk=report.pk).exists():
        return redirect("reports:report-detail", pk=report.pk)
    return redirect("reports:report-list")


@staff_required
@require_POST
def report_note(request: HttpRequest, pk: int) -> HttpResponse:
    report = selectors.access_report(fetched_by=request.user, pk=pk)
    form = NoteForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "reports/console/report_detail.html",
            _detail_context(request, report, note_form=form),
            status=400,
        )
    services.report_note_add(
        actor=request.user, report=report, text=form.cleaned_data["text"]
    )
    messages.success(request, _("内部メモを追加しました。"))
    return redirect("reports:report-detail", pk=report.pk)


# --- settings (system administrator) ---------------------------------------------------------------


@system_admin_required
def category_list(request: HttpRequest) -> HttpResponse:
    templates = {t.status: t for t in StatusTemplate.objects.all()}
    context = {
        "categories": Category.objects.select_related("department"),
        "rules": RoutingRule.objects.select_related("category", "area", "department"),
        "areas": Area.objects.all(),
        "templates": [
            (status, label, templates.get(status), line_messages.DEFAULT_STATUS_TEXTS[Status(status)])
            for status, label in Status.choices
        ],
    }
    return render(request, "reports/console/settings.html", context)


def _setting_form(
    request: HttpRequest,
    form_class: type,
    model: type[models.Model],
    pk: int | None,
    *,
    title: str,
    template: str = FORM_PAGE_TEMPLATE,
    **extra: Any,
) -> HttpResponse:
    instance = get_object_or_404(model, pk=pk) if pk else model()
    return _setting_page(request, form_class, instance, title=title, template=template, **extra)


def _setting_page(
    request: HttpRequest,
    form_class: type,
    instance: models.Model,
    *,
    title: str,
    template: str = FORM_PAGE_TEMPLATE,
    **extra: Any,
) -> HttpResponse:
    def save(form: forms.ModelForm) -> models.Model:
        if instance.pk is None:
            obj = form.save(commit=False)
            if isinstance(form, TranslationsFormMixin):
                obj.translations = form.translations_cleaned()
            return services.setting_create(actor=request.user, obj=obj)
        return services.setting_update(actor=request.user, obj=instance, data=model_data(form))

    return form_page(
        request,
        # The form works on a copy: validating fills its instance, and the service compares before/after.
        form=form_class(request.POST or None, instance=copy.copy(instance)),
        title=title,
        template=template,
        back="reports:category-list",
        save=save,
        success_message=_("保存しました。"),
        **extra,
    )


@system_admin_required
@require_http_methods(["GET", "POST"])
def category_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    return _setting_form(request, CategoryForm, Category, pk, title=_("通報の種類"))


@system_admin_required
@require_http_methods(["GET", "POST"])
def rule_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    return _setting_form(
        request,
        RoutingRuleForm,
        RoutingRule,
        pk,
        title=_("振り分けルール"),
        note=_(
            "種類・地域・キーワードのうち指定したものがすべて当てはまる通報を、指定した課に振り分けます。"
        ),
    )


@system_admin_required
@require_http_methods(["GET", "POST"])
def area_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    return _setting_form(
        request,
        AreaForm,
        Area,
        pk,
        title=_("地域"),
        template="reports/console/area_form.html",
        map_config=_map_config(),
    )


@system_admin_required
@require_http_methods(["GET", "POST"])
def template_edit(request: HttpRequest, status: str) -> HttpResponse:
    if status not in Status.values:
        return redirect("reports:category-list")
    with languages.speaking(languages.JAPANESE):  # the master is Japanese whatever the console's language
        default = str(line_messages.DEFAULT_STATUS_TEXTS[Status(status)])
    instance = StatusTemplate.objects.filter(status=status).first() or StatusTemplate(
        status=status, text=default
    )
    title = _("状況のお知らせ文（%(s)s）") % {"s": Status(status).label}
    return _setting_page(request, StatusTemplateForm, instance, title=title)


@system_admin_required
@require_POST
def setting_delete(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    model = {"rule": RoutingRule, "area": Area}.get(kind)
    if model is None:
        return redirect("reports:category-list")
    try:
        services.setting_delete(actor=request.user, obj=get_object_or_404(model, pk=pk))
    except ValidationError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("削除しました。"))
    return redirect("reports:category-list")
