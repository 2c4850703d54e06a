"""Staff pages: facilities, datasets and their imports, categories, and the shelter board.

Views stay thin: check access (selectors), call a service, respond.
"""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import urlencode

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civicline.core.console.decorators import staff_required, system_admin_required
from civicline.core.console.forms import form_page, model_data
from civicline.core.exports import csv_response
from civicline.line.liff.links import liff_url

from .. import selectors, services
from ..importing import SHOWN_IN_PREVIEW, build_plan
from ..models import Facility, FacilityCategory, FacilityDataset, MapState, Need, Shelter
from ..opendata import export_columns, export_key_column, export_row
from .forms import (
    CategoryForm,
    DatasetForm,
    DisasterKindForm,
    FacilityFilterForm,
    FacilityForm,
    ImportUploadForm,
    ShelterFilterForm,
)

PAGE_SIZE = 50
BOARD_FILTERS = ("q", "status", "page")


def _department(request: HttpRequest, form: forms.Form) -> Any:
    return form.cleaned_data.get("department") or request.user.department


# --- facilities ------------------------------------------------------------------------------------


@staff_required
def facility_list(request: HttpRequest) -> HttpResponse:
    datasets = selectors.dataset_list_for(fetched_by=request.user)
    form = FacilityFilterForm(request.GET or None, datasets=datasets)
    facilities = selectors.facility_list_for(fetched_by=request.user, **form.filters())
    page = Paginator(facilities, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "facilities/console/facility_list.html", {"form": form, "page": page})


@staff_required
def facility_export(request: HttpRequest) -> HttpResponse:
    datasets = selectors.dataset_list_for(fetched_by=request.user)
    form = FacilityFilterForm(request.GET or None, datasets=datasets)
    facilities = selectors.facility_list_for(fetched_by=request.user, **form.filters()).select_related(
        "shelter"
    )
    services.facility_export_record(
        actor=request.user, dataset=None, count=facilities.count()
    )
    columns = [*export_columns(None), _("分類"), _("担当課")]
    rows = ([*export_row(f, columns[:-2]), f.category.name, f.department.name] for f in facilities.iterator())
    return csv_response(filename=f"施設一覧_{timezone.localtime():%Y%m%d}.csv", header=columns, rows=rows)


@staff_required
def facility_create(request: HttpRequest) -> HttpResponse:
    def create(form: FacilityForm) -> Facility:
        return services.facility_create(
            actor=request.user,
            department=_department(request, form),
            data=model_data(form),
            kinds=form.cleaned_data["kinds"],
        )

    return form_page(
        request,
        form=FacilityForm(request.POST or None, staff=request.user, with_department=True),
        title=_("施設の登録"),
        back="facilities:facility-list",
        save=create,
        success_message=lambda facility: _("施設「%(name)s」を登録しました。") % {"name": facility.name},
    )


@staff_required
def facility_update(request: HttpRequest, pk: int) -> HttpResponse:
    facility = selectors.access_facility(fetched_by=request.user, pk=pk)

    def update(form: FacilityForm) -> None:
        services.facility_update(
            facility=facility,
            actor=request.user,
            data=model_data(form),
            kinds=form.cleaned_data["kinds"],
        )

    note = (
        _("この施設はデータセット「%(name)s」から取り込んだものです。次の取り込みで上書きされます。")
        % {"name": facility.dataset.name}
        if facility.dataset
        else ""
    )
    return form_page(
        request,
        # The form works on a copy: validating fills its instance, and the service compares before/after.
        form=FacilityForm(request.POST or None, instance=copy.copy(facility), staff=request.user),
        title=_("施設の編集"),
        back="facilities:facility-list",
        save=update,
        success_message=lambda _saved: _("施設「%(name)s」を保存しました。") % {"name": facility.name},
        note=note,
    )


@staff_required
@require_POST
def facility_delete(request: HttpRequest, pk: int) -> HttpResponse:
    facility = selectors.access_facility(fetched_by=request.user, pk=pk)
    services.facility_delete(facility=facility, actor=request.user)
    messages.success(request, _("施設「%(name)s」を削除しました。") % {"name": facility.name})
    return redirect("facilities:facility-list")


# --- datasets and imports (MP-2) --------------------------------------------------------------------


@staff_required
def dataset_list(request: HttpRequest) -> HttpResponse:
    datasets = selectors.dataset_list_for(fetched_by=request.user)
    return render(request, "facilities/console/dataset_list.html", {"datasets": datasets})


@staff_required
def dataset_create(request: HttpRequest) -> HttpResponse:
    def create(form: DatasetForm) -> FacilityDataset:
        return services.dataset_create(
            actor=request.user,
            department=_department(request, form),
            **model_data(form),
        )

    return form_page(
        request,
        form=DatasetForm(request.POST or None, staff=request.user, with_department=True),
        title=_("データセットの作成"),
        back="facilities:dataset-list",
        save=create,
        success_message=lambda dataset: _(
            "データセット「%(name)s」を作成しました。ファイルを取り込んでください。"
        )
        % {"name": dataset.name},
        redirect_to=lambda dataset: reverse("facilities:dataset-detail", args=[dataset.pk]),
        note=_("各課が管理している施設の一覧（オープンデータのCSVなど）ごとに1つ作成します。"),
    )


@staff_required
def dataset_update(request: HttpRequest, pk: int) -> HttpResponse:
    dataset = selectors.access_dataset(fetched_by=request.user, pk=pk)
    return form_page(
        request,
        form=DatasetForm(request.POST or None, instance=copy.copy(dataset), staff=request.user),
        title=_("データセットの編集"),
        back="facilities:dataset-list",
        save=lambda form: services.dataset_update(
            dataset=dataset, actor=request.user, data=model_data(form)
        ),
        success_message=_("データセットを保存しました。"),
        redirect_to=reverse("facilities:dataset-detail", args=[dataset.pk]),
    )


@staff_required
@require_POST
def dataset_delete(request: HttpRequest, pk: int) -> HttpResponse:
    dataset = selectors.access_dataset(fetched_by=request.user, pk=pk)
    count = services.dataset_delete(dataset=dataset, actor=request.user)
    messages.success(
        request,
        _("データセット「%(name)s」と施設 %(n)d 件を削除しました。") % {"name": dataset.name, "n": count},
    )
    return redirect("facilities:dataset-list")


@staff_required
def dataset_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The dataset, and the form to upload a new version of its file."""
    dataset = selectors.access_dataset(fetched_by=request.user, pk=pk)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        facility_import = services.facility_import_upload(
            dataset=dataset, actor=request.user, filename=upload.name, content=upload.read()
        )
        return redirect("facilities:import-preview", pk=facility_import.pk)
    imports = list(dataset.imports.select_related("uploaded_by")[:10])
    last_applied = next((i for i in imports if i.applied_at is not None), None)
    context = {
        "dataset": dataset,
        "form": form,
        "count": dataset.facilities.count(),
        "imports": imports,
        # Rows the last applied file could not give: listed until a corrected file is imported.
        "last_refused": last_applied.summary.get("refused_rows", []) if last_applied else [],
        "last_applied": last_applied,
    }
    return render(request, "facilities/console/dataset_detail.html", context)


@staff_required
def dataset_export(request: HttpRequest, pk: int) -> HttpResponse:
    """The dataset in the columns of the file it was imported from (same format, MP-2)."""
    dataset = selectors.access_dataset(fetched_by=request.user, pk=pk)
    facilities = dataset.facilities.select_related("shelter").order_by("pk")
    services.facility_export_record(
        actor=request.user, dataset=dataset, count=facilities.count()
    )
    columns = export_columns(dataset)
    key_column = export_key_column(dataset, columns)
    rows = (export_row(f, columns, key_column=key_column) for f in facilities.iterator())
    return csv_response(filename=f"{dataset.name}.csv", header=columns, rows=rows)


@staff_required
def import_preview(request: HttpRequest, pk: int) -> HttpResponse:
    facility_import = selectors.access_facility_import(fetched_by=request.user, pk=pk)
    if facility_import.applied_at is not None:
        return redirect("facilities:dataset-detail", pk=facility_import.dataset_id)
    plan = build_plan(facility_import.dataset, bytes(facility_import.content))
    context = {
        "facility_import": facility_import,
        "dataset": facility_import.dataset,
        "plan": plan,
        "shown": SHOWN_IN_PREVIEW,
        "shown_slice": f":{SHOWN_IN_PREVIEW}",
    }
    return render(request, "facilities/console/import_preview.html", context)


@staff_required
@require_POST
def import_apply(request: HttpRequest, pk: int) -> HttpResponse:
    facility_import = selectors.access_facility_import(fetched_by=request.user, pk=pk)
    try:
        plan = services.facility_import_apply(
            facility_import=facility_import,
            actor=request.user,
            # The box staff tick on the preview: apply the good rows, leave the refused ones out.
            skip_refused=request.POST.get("skip_refused") == "1",
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("facilities:import-preview", pk=pk)
    message = _("取り込みました: 追加 %(new)d件・変更 %(changed)d件・削除 %(removed)d件") % plan.counts()
    if plan.refused:
        message += _("（エラーの %(n)d 行は反映していません。データセットの画面に一覧があります）") % {
            "n": len(plan.refused)
        }
    messages.success(request, message)
    return redirect("facilities:dataset-detail", pk=facility_import.dataset_id)


# --- categories (system administrator) ----------------------------------------------------------------


@system_admin_required
def category_list(request: HttpRequest) -> HttpResponse:
    return render(request, "facilities/console/category_list.html", {"categories": selectors.category_list()})


@system_admin_required
def category_create(request: HttpRequest) -> HttpResponse:
    return form_page(
        request,
        form=CategoryForm(request.POST or None),
        title=_("施設の分類の作成"),
        back="facilities:category-list",
        save=lambda form: services.category_create(actor=request.user, **model_data(form)),
        success_message=_("分類を作成しました。"),
    )


@system_admin_required
def category_update(request: HttpRequest, pk: int) -> HttpResponse:
    category = get_object_or_404(FacilityCategory, pk=pk)
    return form_page(
        request,
        form=CategoryForm(request.POST or None, instance=copy.copy(category)),
        title=_("施設の分類の編集"),
        back="facilities:category-list",
        save=lambda form: services.category_update(
            category=category, actor=request.user, data=model_data(form)
        ),
        success_message=_("分類を保存しました。"),
    )


# --- shelters in an emergency (MP-4) ----------------------------------------------------------------


@staff_required
def shelter_board(request: HttpRequest) -> HttpResponse:
    """The phone-friendly page staff use during a disaster: open, close, mark full."""
    form = ShelterFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    shelters = selectors.shelter_list_for(
        fetched_by=request.user, status=filters.get("status", ""), text=filters.get("q", "").strip()
    )
    state = MapState.current()
    context = {
        "form": form,
        "page": Paginator(shelters, PAGE_SIZE).get_page(request.GET.get("page")),
        "state": state,
        "kind_form": DisasterKindForm(initial={"kind": state.disaster_kind}),
        "can_set_kind": selectors.can_set_disaster_kind(request.user),
        "statuses": Shelter.Status.choices,
    }
    return render(request, "facilities/console/shelter_board.html", context)


@staff_required
@require_POST
def shelter_status(request: HttpRequest, pk: int) -> HttpResponse:
    shelter = selectors.access_shelter(fetched_by=request.user, pk=pk)
    try:
        services.shelter_status_set(
            shelter=shelter, status=request.POST.get("status", ""), actor=request.user
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("「%(name)s」を「%(status)s」にしました。")
            % {"name": shelter.facility.name, "status": shelter.get_status_display()},
        )
    return redirect(_back_to_board(request))


@staff_required
@require_POST
def disaster_kind(request: HttpRequest) -> HttpResponse:
    if not selectors.can_set_disaster_kind(request.user):
        raise Http404
    form = DisasterKindForm(request.POST)
    if form.is_valid():
        state = services.disaster_kind_set(
            kind=form.cleaned_data["kind"], actor=request.user
        )
        messages.success(request, _("現在の災害種別を「%(kind)s」にしました。") % {"kind": str(state)})
    else:
        messages.error(request, _("災害種別の指定が正しくありません。"))
    return redirect(_back_to_board(request))


def _back_to_board(request: HttpRequest) -> str:
    """The board again, with the filters the staff member was using."""
    kept = QueryDict(request.POST.get("back", "")).dict()
    query = urlencode({k: v for k, v in kept.items() if k in BOARD_FILTERS and v})
    return reverse("facilities:shelter-board") + (f"?{query}" if query else "")


# --- who is inside (MP-4): occupancy for headquarters, the desk at the shelter, the QR poster --------


def _occupancy_rows(request: HttpRequest) -> tuple[ShelterFilterForm, list[selectors.Occupancy]]:
    form = ShelterFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    rows = selectors.shelter_occupancy_for(
        fetched_by=request.user, status=filters.get("status", ""), text=filters.get("q", "").strip()
    )
    return form, rows


@staff_required
def shelter_occupancy(request: HttpRequest) -> HttpResponse:
    """Headquarters: people against capacity and needs, per shelter (counts only, no one's data)."""
    form, rows = _occupancy_rows(request)
    context = {
        "form": form,
        "rows": rows,
        "totals": {
            "people": sum(r.people for r in rows),
            "households": sum(r.households for r in rows),
            "capacity": sum(r.capacity or 0 for r in rows if r.shelter.status != Shelter.Status.CLOSED),
        },
        "needs": [str(n.label) for n in Need],
    }
    return render(request, "facilities/console/shelter_occupancy.html", context)


@staff_required
def shelter_occupancy_export(request: HttpRequest) -> HttpResponse:
    """The occupancy as CSV for headquarters' own sheets (counts only; formula-escaped)."""
    _form, rows = _occupancy_rows(request)
    services.shelter_occupancy_export_record(actor=request.user, count=len(rows))
    now = timezone.localtime()
    header = [
        *(_("施設ID"), _("名称"), _("住所"), _("開設状況"), _("収容人数・定員")),
        *(_("避難者数"), _("世帯数"), _("収容率（%）")),
        *[str(n.label) for n in Need],
        *(_("状況の更新日時"), _("集計日時")),
    ]
    lines = (
        [
            r.shelter.facility.pk,
            r.shelter.facility.name,
            r.shelter.facility.address,
            r.shelter.get_status_display(),
            r.capacity,
            r.people,
            r.households,
            r.percent,
            *[count for _label, count in r.need_rows],
            r.shelter.status_changed_at,
            now,
        ]
        for r in rows
    )
    return csv_response(filename=f"避難所の受付状況_{now:%Y%m%d_%H%M}.csv", header=header, rows=lines)


@staff_required
def shelter_desk(request: HttpRequest, pk: int) -> HttpResponse:
    """The phone page of the staff at a shelter: who is inside, occupancy, status buttons."""
    shelter = selectors.access_shelter(fetched_by=request.user, pk=pk)
    occupancy = selectors.shelter_occupancy_for(fetched_by=request.user, shelter_id=shelter.pk)[0]
    checkins = list(selectors.checkin_list_for(fetched_by=request.user, shelter=shelter))
    services.shelter_checkins_viewed(actor=request.user, shelter=shelter, count=len(checkins))
    context = {
        "shelter": shelter,
        "occupancy": occupancy,
        "checkins": checkins,
        "statuses": Shelter.Status.choices,
    }
    return render(request, "facilities/console/shelter_desk.html", context)


@staff_required
@require_POST
def checkin_checkout(request: HttpRequest, pk: int) -> HttpResponse:
    checkin = selectors.access_checkin(fetched_by=request.user, pk=pk)
    try:
        services.shelter_checkout_by_staff(checkin=checkin, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("退所にしました。"))
    return redirect("facilities:shelter-desk", pk=checkin.shelter_id)


@staff_required
def shelter_poster(request: HttpRequest, pk: int) -> HttpResponse:
    """An A4 poster for the shelter's entrance: a QR code that opens the check-in page in LINE."""
    shelter = selectors.access_shelter(fetched_by=request.user, pk=pk)
    url = liff_url(reverse("facilities_liff:checkin", args=[shelter.checkin_key]))
    qr = segno.make(url, error="m")
    context = {
        "shelter": shelter,
        "url": url,
        # Inline SVG (markup, no script or style attribute): printable at any size, CSP-clean.
        "qr_svg": qr.svg_inline(scale=8, border=2, omitsize=True, svgclass="poster-qr", lineclass=None),
        "list_url": settings.SITE_URL + reverse("facilities_liff:shelter-list"),
    }
    return render(request, "facilities/console/shelter_poster.html", context)
