"""The facility map residents open from LINE (MP-1, MP-3): public information, no sign-in needed."""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import condition, require_GET, require_http_methods

from civicline.core import languages
from civicline.line.liff.auth import liff_response, resident_required

from .. import selectors, services
from ..models import DisasterKind, Need, Shelter

# Seconds a phone reuses the data without asking; then a cheap ETag check (304). Short, so that a
# shelter opened or full shows within seconds; the check costs one indexed read.
DATA_MAX_AGE = 5


def _page_language(request: HttpRequest) -> str:
    """The language of a public page: the one its link names (the talk's links carry the resident's,
    issue 21), else the browser's (the LINE app's)."""
    asked = request.GET.get("lang", "")
    return asked if asked in languages.resident_languages() else languages.current()


def language_query(language: str | None = None) -> str:
    """``lang=…`` for a link to a public page, so that it opens in the language being spoken."""
    return urlencode({"lang": language or languages.current()})


@require_GET
def map_page(request: HttpRequest) -> HttpResponse:
    with languages.speaking(_page_language(request)) as language:
        response = render(request, "facilities/liff/map.html", {"config": _map_config(request, language)})
    response.headers["Content-Language"] = language
    return liff_response(request, response)


def _map_config(request: HttpRequest, language: str) -> dict[str, object]:
    focus = request.GET.get("facility", "")
    return {
        # The data in the page's language: names staff wrote per language (a cache entry each).
        "dataUrl": f"{reverse('facilities_liff:data')}?{language_query(language)}",
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
            "listSeparator": _("、"),
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


def _etag(request: HttpRequest) -> str:
    request.map_revision = selectors.map_revision()  # the view serves that revision's data
    return f"map-{request.map_revision}-{_page_language(request)}"


@require_GET
@condition(etag_func=_etag)
def map_data(request: HttpRequest) -> HttpResponse:
    """All facilities as compact GeoJSON, rebuilt (and compressed) only when the data changed."""
    compressed = "gzip" in request.headers.get("Accept-Encoding", "")
    language = _page_language(request)
    response = HttpResponse(
        selectors.map_geojson(
            compressed=compressed, revision=getattr(request, "map_revision", None), language=language
        ),
        content_type="application/geo+json",
    )
    response.headers["Content-Language"] = language
    if compressed:
        response["Content-Encoding"] = "gzip"
    patch_vary_headers(response, ["Accept-Encoding"])
    response["Cache-Control"] = f"public, max-age={DATA_MAX_AGE}"
    return response


# --- shelters without LINE, and check-in at a shelter (MP-4) ----------------------------------------


@require_GET
def shelter_list(request: HttpRequest) -> HttpResponse:
    """Every shelter and whether it takes residents now: a plain page anyone can open, with or
    without LINE (the e-mail co-delivery links here), no script needed."""
    with languages.speaking(_page_language(request)) as language:
        response = _shelter_list(request)
    response.headers["Content-Language"] = language
    return liff_response(request, response)


def _shelter_list(request: HttpRequest) -> HttpResponse:
    revision, kind = selectors.map_state_values()

    # The list is the same for everyone until the map data's next revision (every change to a
    # shelter renews it): rendered once per revision and language, not for each of the thousands
    # who open it at a disaster's peak.
    def render_items() -> str:
        shelters = selectors.public_shelter_list(kind=kind or None)
        return render_to_string("facilities/liff/shelter_items.html", {"shelters": shelters})

    items = selectors.per_revision(("shelter-list", get_language()), revision, render_items)
    context = {
        "items": mark_safe(items),  # noqa: S308 - our template's output, escaped when rendered
        "kind": DisasterKind(kind).label if kind else "",
        "map_url": f"{reverse('facilities_liff:map')}?{language_query()}",
    }
    response = render(request, "facilities/liff/shelter_list.html", context)
    response["Cache-Control"] = f"public, max-age={DATA_MAX_AGE}"
    return response


class CheckinForm(forms.Form):
    household_size = forms.IntegerField(
        label=gettext_lazy("人数（あなたを含む）"), min_value=1, max_value=30, initial=1
    )
    needs = forms.MultipleChoiceField(
        label=gettext_lazy("必要な配慮"),
        choices=Need.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    note = forms.CharField(
        label=gettext_lazy("職員に伝えたいこと（任意）"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("アレルギーの品目、必要な医療的ケアなど。市の担当職員だけが見ます。"),
    )


@require_http_methods(["GET", "POST"])
@resident_required
def checkin_page(request: HttpRequest, key: str) -> HttpResponse:
    """The page the poster's QR code opens: check in (household and needs), or check out."""
    shelter = selectors.shelter_by_checkin_key(key)
    if shelter is None:
        raise Http404
    friend = request.resident
    current = selectors.open_checkin_of(friend)
    here = current if current is not None and current.shelter_id == shelter.pk else None
    initial = dict(household_size=here.household_size, needs=here.needs, note=here.note) if here else {}
    form = CheckinForm(request.POST if request.POST.get("action") == "checkin" else None, initial=initial)
    if request.method == "POST" and request.POST.get("action") == "checkout":
        services.shelter_checkout(friend=friend)
        return redirect(reverse("facilities_liff:checkin", args=[key]) + "?left=1")
    if request.method == "POST" and form.is_valid():
        try:
            services.shelter_checkin(
                shelter=shelter,
                friend=friend,
                household_size=form.cleaned_data["household_size"],
                needs=form.cleaned_data["needs"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return redirect(reverse("facilities_liff:checkin", args=[key]) + "?done=1")
    context = {
        "shelter": shelter,
        "form": form,
        "here": here,
        "elsewhere": current if current is not None and here is None else None,
        "done": "done" in request.GET,
        "left": "left" in request.GET,
        "list_url": reverse("facilities_liff:shelter-list"),
    }
    return render(request, "facilities/liff/checkin.html", context, status=400 if form.errors else 200)
