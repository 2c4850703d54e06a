"""Console pages of delivery: deliveries (compose, test, schedule, progress, opens and clicks),
segments with their counts, the system administrator's grants and the city's lists.

Views stay thin: check access (selectors), call a service, respond.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from civicline.core import languages
from civicline.core.console.decorators import staff_required, system_admin_required
from civicline.core.console.forms import model_data
from civicline.core.models import Department
from civicline.line.phone import phone_url

from .. import conditions, images, line_messages, selectors, services
from ..line_messages import MessageDraft
from ..models import Area, Delivery, Topic
from .forms import (
    AreaForm,
    DeliveryForm,
    GrantForm,
    ScheduleForm,
    SegmentForm,
    TestSendForm,
    TopicForm,
    message_forms,
    stored_image_or_error,
)

PAGE_SIZE = 30

# --- deliveries -----------------------------------------------------------------------------------


@staff_required
def delivery_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    status = status if status in Delivery.Status.values else ""
    deliveries = selectors.delivery_list_for(fetched_by=request.user, status=status)
    page = Paginator(deliveries, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "delivery/console/delivery_list.html",
        {"page": page, "status": status, "statuses": Delivery.Status.choices},
    )


def _compose(request: HttpRequest, delivery: Delivery | None) -> HttpResponse:
    staff = request.user
    initial = {}
    if delivery is not None:
        initial = {
            "title": delivery.title,
            "audience": delivery.audience,
            "segments": list(delivery.segments.all()),
            "combine": delivery.combine,
            "email_too": delivery.email_too,
            "emergency": delivery.emergency,
        }
    form = DeliveryForm(request.POST or None, staff=staff, initial=initial)
    slots = message_forms(request.POST or None, request.FILES or None, delivery=delivery)
    if request.method == "POST" and form.is_valid() and all(s.is_valid() for s in slots):
        used = [s for s in slots if s.used]
        stored = [stored_image_or_error(s) for s in used]
        if not any(s.errors for s in used):
            data = services.DeliveryInput(
                title=form.cleaned_data["title"],
                audience=form.cleaned_data["audience"],
                segments=list(form.cleaned_data["segments"]),
                combine=form.cleaned_data["combine"],
                email_too=form.cleaned_data["email_too"],
                messages=[s.to_input(image) for s, image in zip(used, stored, strict=True)],
                emergency=form.cleaned_data["emergency"],
            )
            try:
                if delivery is None:
                    delivery = services.delivery_create(actor=staff, data=data)
                else:
                    services.delivery_update(actor=staff, delivery=delivery, data=data)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("配信「%(title)s」を保存しました。") % {"title": delivery.title})
                return redirect("delivery:delivery-detail", pk=delivery.pk)
        images.image_delete(*(n for image in stored if image for n in (image.name, image.preview_name)))
    context = {"form": form, "slots": slots, "delivery": delivery}
    return render(
        request,
        "delivery/console/delivery_form.html",
        context,
        status=400 if request.method == "POST" else 200,
    )


@staff_required
def delivery_create(request: HttpRequest) -> HttpResponse:
    return _compose(request, None)


@staff_required
def delivery_update(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = selectors.access_delivery(fetched_by=request.user, pk=pk)
    if not delivery.is_editable:
        messages.error(request, _("配信が始まったため、変更できません。"))
        return redirect("delivery:delivery-detail", pk=pk)
    return _compose(request, delivery)


@staff_required
def delivery_detail(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = selectors.access_delivery(fetched_by=request.user, pk=pk)
    return _detail(request, delivery)


def _links(delivery: Delivery) -> list[tuple[Any, int | None]]:
    """Each tracked link with its clicks as LINE counted them (None: hidden under 20, or not fetched)."""
    line_clicks: dict[str, int | None] = {}
    for row in delivery.insight.get("clicks") or []:
        if row.get("click") is not None:
            line_clicks[row["url"]] = line_clicks.get(row["url"], 0) + row["click"]
    return [(link, line_clicks.get(services.tracked_url(link))) for link in delivery.links.all()]


def _versions(request: HttpRequest, drafts: list[MessageDraft]) -> dict[str, Any]:
    """The delivery's languages for the page: which it goes out in, which lack a version, and the
    drafts in the one the preview shows (``?language=``, Japanese by default)."""
    names = languages.names()
    versions = line_messages.versions_of(drafts)
    shown = request.GET.get("language", "")
    shown = shown if shown in versions else languages.JAPANESE
    return {
        "drafts": [d.in_language(shown) for d in drafts],
        "versions": [(code, names[code]) for code in versions],
        "version_shown": shown,
        "missing_languages": [names[code] for code in line_messages.missing_of(drafts)],
    }


def _detail(request: HttpRequest, delivery: Delivery, *, status: int = 200, **forms: Any) -> HttpResponse:
    drafts = [MessageDraft.of(m) for m in delivery.messages.select_related("image")]
    started = delivery.started_at is not None
    test_form = forms.get("test_form") or TestSendForm(staff=request.user)
    names = conditions.Names()
    estimate = None if started else selectors.delivery_estimate(delivery)
    language_names = languages.names()
    context = {
        "delivery": delivery,
        **_versions(request, drafts),
        # Who gets which version: before the send as estimated, after it as addressed.
        "estimate_languages": (
            [(language_names[code], n) for code, n in estimate.count.by_language.items()] if estimate else []
        ),
        "language_counts": (
            [(language_names[code], n) for code, n in selectors.delivery_language_counts(delivery).items()]
            if started and delivery.sent_versions
            else []
        ),
        "segments": [(s, conditions.describe(s.conditions, names)) for s in delivery.segments.all()],
        "estimate": estimate,
        "progress": selectors.delivery_progress(delivery) if started else None,
        "links": _links(delivery) if started else [],
        "test_form": test_form,
        "test_phones": [(r, phone_url(r.friend.user_id)) for r in test_form.fields["recipients"].queryset],
        "schedule_form": forms.get("schedule_form") or ScheduleForm(),
        "test_result": forms.get("test_result"),
        # Before a send to every friend: how the latest deliveries were received (block-rate guard).
        "block_rates": (
            selectors.recent_block_rates(fetched_by=request.user)
            if delivery.audience == Delivery.Audience.ALL and delivery.is_editable
            else []
        ),
    }
    return render(request, "delivery/console/delivery_detail.html", context, status=status)


@require_POST
@staff_required
def delivery_test(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = selectors.access_delivery(fetched_by=request.user, pk=pk)
    form = TestSendForm(request.POST, staff=request.user)
    if not form.is_valid():
        return _detail(request, delivery, status=400, test_form=form)
    sends = services.delivery_test_send(
        actor=request.user,
        delivery=delivery,
        recipient_ids=[r.pk for r in form.cleaned_data["recipients"]],
        language=form.cleaned_data["language"],
    )
    result = list(zip(form.cleaned_data["recipients"], sends, strict=True))
    return _detail(request, delivery, test_form=form, test_result=result)


@require_POST
@staff_required
def delivery_schedule(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = selectors.access_delivery(fetched_by=request.user, pk=pk)
    form = ScheduleForm(request.POST)
    if form.is_valid():
        try:
            services.delivery_schedule(actor=request.user, delivery=delivery, at=form.moment())
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            delivery.refresh_from_db()
            if delivery.status == Delivery.Status.SCHEDULED:
                done = _("%(at)sに配信を予約しました。") % {
                    "at": timezone.localtime(delivery.scheduled_at).strftime("%Y年%m月%d日 %H:%M")
                }
            else:
                done = _("配信を開始しました。")
            messages.success(request, done)
            return redirect("delivery:delivery-detail", pk=pk)
    return _detail(request, delivery, status=400, schedule_form=form)


def _delivery_action(
    service: Callable[..., Any], done: Promise, *, to_list: bool = False
) -> Callable[..., HttpResponse]:
    @require_POST
    @staff_required
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        delivery = selectors.access_delivery(fetched_by=request.user, pk=pk)
        try:
            service(actor=request.user, delivery=delivery)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("delivery:delivery-detail", pk=pk)
        messages.success(request, done)
        return redirect("delivery:delivery-list") if to_list else redirect("delivery:delivery-detail", pk=pk)

    return view


delivery_unschedule = _delivery_action(
    services.delivery_unschedule, gettext_lazy("配信予約を取り消しました（下書きに戻りました）。")
)
delivery_delete = _delivery_action(
    services.delivery_delete, gettext_lazy("下書きを削除しました。"), to_list=True
)


@require_POST
@staff_required
def delivery_insight(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = selectors.access_delivery(fetched_by=request.user, pk=pk)
    if services.delivery_insight_refresh(delivery=delivery):
        messages.success(request, _("LINEの集計を取得しました。"))
    else:
        messages.warning(
            request, _("LINEの集計を取得できませんでした。しばらくしてからもう一度お試しください。")
        )
    return redirect("delivery:delivery-detail", pk=pk)


# --- segments (SD-3, SD-13) -----------------------------------------------------------------------


@staff_required
def segment_list(request: HttpRequest) -> HttpResponse:
    usable = set(selectors.segment_usable_by(staff=request.user).values_list("pk", flat=True))
    own = set(selectors.segment_changeable_by(staff=request.user).values_list("pk", flat=True))
    names = conditions.Names()
    rows = [
        {
            "segment": s,
            "description": conditions.describe(s.conditions, names),
            "count": selectors.segment_count(s),
            "usable": s.pk in usable,
            "editable": s.pk in own,
        }
        for s in selectors.segment_list_for(fetched_by=request.user)
    ]
    return render(
        request, "delivery/console/segment_list.html", {"rows": rows, "today": timezone.localdate()}
    )


def _segment_editor(request: HttpRequest, segment: Any) -> HttpResponse:
    initial = {"name": segment.name, "description": segment.description} if segment else {}
    form = SegmentForm(request.POST or None, initial=initial)
    tree = (
        segment.conditions
        if segment
        else {"op": "and", "negate": False, "items": [conditions.new_leaf("topic")]}
    )
    errors: dict[str, str] = {}
    count = None
    if request.method == "POST":
        tree = conditions.from_post(request.POST)
        action = request.POST.get("edit", "")
        if action:
            path = action.partition(":")[2]
            tree = conditions.edit(tree, action, request.POST.get(f"{path}-add", ""))
        else:
            errors = conditions.tree_errors(tree)
            if not errors and request.POST.get("count"):
                count = selectors.audience_count(
                    conditions.q(conditions.normalised(tree), on=timezone.localdate())
                )
            elif not errors and form.is_valid():
                try:
                    if segment is None:
                        segment = services.segment_create(actor=request.user, tree=tree, **form.cleaned_data)
                    else:
                        services.segment_update(
                            actor=request.user, segment=segment, tree=tree, **form.cleaned_data
                        )
                except ValidationError as exc:
                    form.add_error(None, exc)
                else:
                    messages.success(
                        request, _("セグメント「%(name)s」を保存しました。") % {"name": segment.name}
                    )
                    return redirect("delivery:segment-list")
    context = {
        "form": form,
        "segment": segment,
        "root": conditions.editor_nodes(tree, errors),
        "condition_types": conditions.types(),
        "count": count,
        "has_errors": bool(errors),
    }
    return render(request, "delivery/console/segment_form.html", context)


@staff_required
def segment_create(request: HttpRequest) -> HttpResponse:
    return _segment_editor(request, None)


@staff_required
def segment_update(request: HttpRequest, pk: int) -> HttpResponse:
    return _segment_editor(request, selectors.access_own_segment(fetched_by=request.user, pk=pk))


@require_POST
@staff_required
def segment_delete(request: HttpRequest, pk: int) -> HttpResponse:
    segment = selectors.access_own_segment(fetched_by=request.user, pk=pk)
    try:
        services.segment_delete(actor=request.user, segment=segment)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("セグメントを削除しました。"))
    return redirect("delivery:segment-list")


# --- grants (SD-7) --------------------------------------------------------------------------------


@system_admin_required
def grant_list(request: HttpRequest) -> HttpResponse:
    return render(request, "delivery/console/grant_list.html", {"rows": selectors.grant_overview()})


@system_admin_required
def grant_update(request: HttpRequest, department_pk: int) -> HttpResponse:
    department = get_object_or_404(Department, pk=department_pk, is_active=True)
    initial = {
        "segments": list(selectors.department_segments(department_id=department.pk)),
        "may_send_to_all": selectors.department_may_send_to_all(department_id=department.pk),
    }
    form = GrantForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.grants_set(actor=request.user, department=department, **form.cleaned_data)
        messages.success(request, _("「%(dept)s」の配信権限を保存しました。") % {"dept": department.name})
        return redirect("delivery:grant-list")
    return render(
        request,
        "core/console/form_page.html",
        {
            "form": form,
            "title": _("配信権限：%(dept)s") % {"dept": department.name},
            "note": _("この課が配信に使えるセグメントを選びます。"),
            "back_url_name": "delivery:grant-list",
        },
    )


# --- the city's lists -----------------------------------------------------------------------------


@system_admin_required
def topic_list(request: HttpRequest) -> HttpResponse:
    context = {"topics": selectors.topic_list_with_counts(), "areas": selectors.area_list()}
    return render(request, "delivery/console/topic_list.html", context)


def _list_item_page(
    request: HttpRequest, form: Any, save: Callable[[dict[str, Any]], Any], title: str
) -> HttpResponse:
    if request.method == "POST" and form.is_valid():
        save(model_data(form))
        messages.success(request, _("保存しました。"))
        return redirect("delivery:topic-list")
    return render(
        request,
        "core/console/form_page.html",
        {"form": form, "title": title, "back_url_name": "delivery:topic-list"},
    )


@system_admin_required
def topic_create(request: HttpRequest) -> HttpResponse:
    form = TopicForm(request.POST or None)
    return _list_item_page(
        request,
        form,
        lambda data: services.topic_create(actor=request.user, data=data),
        _("分野の追加"),
    )


@system_admin_required
def topic_update(request: HttpRequest, pk: int) -> HttpResponse:
    topic = get_object_or_404(Topic, pk=pk)
    form = TopicForm(request.POST or None, instance=topic)
    return _list_item_page(
        request,
        form,
        lambda data: services.topic_update(actor=request.user, topic=Topic.objects.get(pk=pk), data=data),
        _("分野の編集"),
    )


@system_admin_required
def area_create(request: HttpRequest) -> HttpResponse:
    form = AreaForm(request.POST or None)
    return _list_item_page(
        request,
        form,
        lambda data: services.area_create(actor=request.user, data=data),
        _("地域の追加"),
    )


@system_admin_required
def area_update(request: HttpRequest, pk: int) -> HttpResponse:
    area = get_object_or_404(Area, pk=pk)
    form = AreaForm(request.POST or None, instance=area)
    return _list_item_page(
        request,
        form,
        lambda data: services.area_update(actor=request.user, area=Area.objects.get(pk=pk), data=data),
        _("地域の編集"),
    )
