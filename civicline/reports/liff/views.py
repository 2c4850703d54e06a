"""Resident pages (LIFF) of photo reports: the form, photo uploads, the receipt, the resident's reports.

Photos travel one by one (uploaded as soon as they are chosen, or one by one from a posted form),
so a refused photo costs only itself: the report and the other photos are kept, and a filed
report takes more photos from its receipt page. Photos are never served back to residents: the
form previews the phone's own files.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from civicline.line.liff.auth import resident_required
from civicline.line.models import Friend

from .. import selectors, services
from ..models import LocationSource, Report
from .forms import AddPhotosForm, ReportForm

PHOTO_ERRORS_KEY = "reports.photo_errors"
# Multipart framing around one photo; a request longer than this and the limit is refused unread.
UPLOAD_OVERHEAD = 64 * 1024


def _store_each(friend: Friend, uploads: list[UploadedFile], store: Any) -> tuple[list[int], list[str]]:
    """Store each photo on its own; returns the stored ids and one message per refused photo."""
    stored, errors = [], []
    for upload in uploads:
        try:
            stored.append(store(upload).pk)
        except ValidationError as exc:
            errors.append(f"{upload.name}: {' '.join(exc.messages)}")
    return stored, errors


def _config(request: HttpRequest, form: ReportForm) -> dict[str, Any]:
    friend = request.resident
    draft = selectors.talk_draft_of(friend=friend)
    initial: dict[str, Any] | None = None
    if form.is_bound and form.data.get("latitude") and form.data.get("longitude"):
        initial = {
            "lat": form.data.get("latitude"),
            "lng": form.data.get("longitude"),
            "source": form.data.get("location_source") or LocationSource.PIN,
        }
    elif draft is not None and draft.latitude is not None:
        initial = {"lat": draft.latitude, "lng": draft.longitude, "source": LocationSource.TALK}
    return {
        "uploadUrl": reverse("reports_liff:photo-upload"),
        "discardUrl": reverse("reports_liff:photo-discard"),
        "maxPhotos": services.MAX_PHOTOS,
        "maxBytes": services.MAX_UPLOAD_BYTES,
        "tileUrl": settings.MAP_TILE_URL,
        "tileAttribution": settings.MAP_TILE_ATTRIBUTION,
        "centre": settings.MAP_CENTER,
        "initial": initial,
        "pending": [
            {"id": p.pk, "location": p.exif_location, "fromTalk": p.source == "talk"}
            for p in selectors.pending_photos_of(friend=friend)
        ],
        "text": {
            "uploading": _("送信中…"),
            "failed": _("送信できませんでした。通信の良い所でもう一度お試しください。"),
            "session": _("ページの有効期限が切れました。LINEから開き直してください。"),
            "tooLarge": _("写真は1枚%(mb)sMBまでです。") % {"mb": services.MAX_UPLOAD_BYTES // (1024 * 1024)},
            "tooMany": _("写真は%(n)s枚までです。") % {"n": services.MAX_PHOTOS},
            "remove": _("取り消す"),
            "retry": _("もう一度送る"),
            "fromTalk": _("トークで送った写真"),
            "photo": _("写真"),
            "located": {
                LocationSource.PHOTO: _("写真の撮影場所を指定しました。"),
                LocationSource.DEVICE: _("現在地を指定しました。"),
                LocationSource.PIN: _("地図で指定しました。"),
                LocationSource.TALK: _("トークで送った場所を指定しました。"),
            },
            "noPosition": _("現在地を取得できませんでした。地図をタップして場所を指定してください。"),
            "tilesFailed": _(
                "地図の画像を読み込めません。タップした場所は指定できます。目印もご入力ください。"
            ),
        },
    }


@require_http_methods(["GET", "POST"])
@resident_required
def report_form(request: HttpRequest) -> HttpResponse:
    friend = request.resident
    photo_errors: list[str] = []
    if request.method == "POST":
        # Photos posted with the form (when the page's script did not send them already).
        stored, photo_errors = _store_each(
            friend,
            request.FILES.getlist("photos"),
            lambda upload: services.report_photo_upload(friend=friend, upload=upload),
        )
        data = request.POST.copy()
        data.setlist("photo", data.getlist("photo") + [str(pk) for pk in stored])
        form = ReportForm(data, friend=friend)
        if form.is_valid():
            try:
                report = services.report_submit(
                    friend=friend,
                    category=form.cleaned_data["category"],
                    message=form.cleaned_data["message"],
                    photo_ids=form.cleaned_data["photo"],
                    location=form.location(),
                    place_note=form.cleaned_data["place_note"],
                    contact_name=form.cleaned_data["contact_name"],
                    contact=form.cleaned_data["contact"],
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                request.session[PHOTO_ERRORS_KEY] = photo_errors
                return redirect("reports_liff:receipt", receipt=report.receipt_number)
    else:
        form = ReportForm(friend=friend)
    context = {
        "form": form,
        "config": _config(request, form),
        "photo_errors": photo_errors,
        "pending": selectors.pending_photos_of(friend=friend),
    }
    return render(request, "reports/liff/form.html", context)


@require_POST
@resident_required
def photo_upload(request: HttpRequest) -> HttpResponse:
    """One photo, sent by the form's script as soon as it is chosen; answers JSON."""
    if int(request.META.get("CONTENT_LENGTH") or 0) > services.MAX_UPLOAD_BYTES + UPLOAD_OVERHEAD:
        message = _("写真は1枚%(mb)sMBまでです。") % {"mb": services.MAX_UPLOAD_BYTES // (1024 * 1024)}
        return JsonResponse({"ok": False, "error": message}, status=413)
    upload = request.FILES.get("photo")
    if upload is None:
        return JsonResponse({"ok": False, "error": _("写真を選んでください。")}, status=400)
    try:
        photo = services.report_photo_upload(friend=request.resident, upload=upload)
    except ValidationError as exc:
        status = 429 if exc.code == "rate_limited" else 400
        return JsonResponse({"ok": False, "error": " ".join(exc.messages)}, status=status)
    return JsonResponse({"ok": True, "id": photo.pk, "location": photo.exif_location})


@require_POST
@resident_required
def photo_discard(request: HttpRequest) -> HttpResponse:
    photo_id = request.POST.get("id", "")
    if photo_id.isdigit():
        services.report_photo_discard(friend=request.resident, photo_id=int(photo_id))
    return JsonResponse({"ok": True})


@require_http_methods(["GET", "POST"])
@resident_required
def receipt(request: HttpRequest, receipt: str) -> HttpResponse:
    """The receipt number and state of one of the resident's reports; photos can be added here."""
    report = selectors.resident_report(friend=request.resident, receipt_number=receipt)
    photo_errors = request.session.pop(PHOTO_ERRORS_KEY, []) if request.method == "GET" else []
    added = 0
    form = AddPhotosForm()
    if request.method == "POST":
        form = AddPhotosForm(request.POST, request.FILES)
        if form.is_valid():
            stored, photo_errors = _store_each(
                request.resident,
                form.cleaned_data["photos"],
                lambda upload: services.report_photo_add(
                    friend=request.resident, report=report, upload=upload
                ),
            )
            added = len(stored)
            form = AddPhotosForm()
    context = {
        "report": report,
        "photo_count": report.photos.count(),
        "can_add": report.is_open and report.photos.count() < services.MAX_PHOTOS,
        "photo_errors": photo_errors,
        "added": added,
        "form": form,
    }
    return render(request, "reports/liff/receipt.html", context)


@require_GET
@resident_required
def mine(request: HttpRequest) -> HttpResponse:
    reports = selectors.resident_reports(friend=request.resident)[:50]
    return render(request, "reports/liff/mine.html", {"reports": reports})


def resident_summary(request: HttpRequest) -> str:
    """The resident's open reports, for their own page (/liff/)."""
    reports: list[Report] = [r for r in selectors.resident_reports(friend=request.resident)[:20] if r.is_open]
    if not reports:
        return ""
    return render_to_string("reports/liff/summary.html", {"reports": reports}, request=request)
