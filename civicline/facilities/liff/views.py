"""The facility map residents open from LINE (MP-1, MP-3): public information, no sign-in needed."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import condition, require_GET

from civicline.line.liff.auth import liff_response

from .. import selectors
from ..models import DisasterKind, Shelter

# Seconds a phone reuses the data without asking; then a cheap ETag check (304). Short, so that a
# shelter opened or full shows within seconds; the check costs one indexed read.
DATA_MAX_AGE = 5


@require_GET
def map_page(request: HttpRequest) -> HttpResponse:
    focus = request.GET.get("facility", "")
    config = {
        "dataUrl": reverse("facilities_liff:data"),
        "tileUrl": settings.MAP_TILE_URL,
        "tileAttribution": settings.MAP_TILE_ATTRIBUTION,
        "centre": settings.MAP_CENTER,
        "focus": int(focus) if focus.isdigit() else None,
        "statuses": dict(Shelter.Status.choices),
        "kinds": dict(DisasterKind.choices),
        "text": {
            "fromHere": _("現在地から"),
            "fromCentre": _("市役所から"),
            "locating": _("現在地を確認しています…"),
            "noPosition": _("現在地を取得できませんでした。市役所からの距離で並べています。"),
            "tilesFailed": _("地図の画像を読み込めません。施設は一覧からお探しいただけます。"),
            "loadFailed": _("施設の情報を読み込めませんでした。通信の良い所でもう一度開いてください。"),
            "none": _("条件に合う施設はありません。"),
            "more": _("さらに表示"),
            "count": _("{n} 件"),
            "disaster": _("災害種別「{kind}」に対応した避難先を表示しています。"),
            "openOnly": _("開設中の避難所のみ"),
            "kinds": _("対象の災害"),
            "address": _("住所"),
            "phone": _("電話"),
            "hours": _("利用時間"),
            "capacity": _("収容人数・定員"),
            "accessibility": _("バリアフリー"),
            "website": _("ホームページ"),
            "description": _("説明"),
            "google": _("Googleマップで経路"),
            "apple": _("Appleマップで経路"),
            "close": _("閉じる"),
            "source": _("出典"),
        },
    }
    return liff_response(request, render(request, "facilities/liff/map.html", {"config": config}))


def _etag(request: HttpRequest) -> str:
    return f"map-{selectors.map_revision()}"


@require_GET
@condition(etag_func=_etag)
def map_data(request: HttpRequest) -> HttpResponse:
    """All facilities as compact GeoJSON, rebuilt (and compressed) only when the data changed."""
    compressed = "gzip" in request.headers.get("Accept-Encoding", "")
    response = HttpResponse(
        selectors.map_geojson(compressed=compressed), content_type="application/geo+json"
    )
    if compressed:
        response["Content-Encoding"] = "gzip"
    patch_vary_headers(response, ["Accept-Encoding"])
    response["Cache-Control"] = f"public, max-age={DATA_MAX_AGE}"
    return response
