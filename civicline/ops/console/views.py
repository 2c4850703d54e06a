"""System administrators' operations pages: status (alerts, worker, backups) and the handover export."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_POST

from civicline.core.console.decorators import system_admin_required

from .. import selectors, services
from ..handover import ExportStats, export_entries, exported_models, zip_chunks


@system_admin_required
def status(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "ops/status.html",
        {
            "alerts": selectors.alert_state_list(),
            "heartbeats": selectors.heartbeat_list()[:10],
            "backups": selectors.backup_list()[:20],
            "today": timezone.localdate(),
        },
    )


@system_admin_required
def handover(request: HttpRequest) -> HttpResponse:
    models = [(m._meta, m._base_manager.count()) for m in exported_models()]
    return render(request, "ops/handover.html", {"models": models})


@system_admin_required
@require_POST
def handover_download(request: HttpRequest) -> HttpResponse:
    services.handover_export_record(
        actor=request.user, request=request, destination="管理画面からZIPでダウンロード"
    )
    response = StreamingHttpResponse(
        zip_chunks(export_entries(ExportStats())), content_type="application/zip"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="civicline-export-{timezone.localtime():%Y%m%d-%H%M}.zip"'
    )
    response["Cache-Control"] = "no-store"
    return response
