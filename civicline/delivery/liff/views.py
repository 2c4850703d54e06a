"""The resident's 受信設定 page (LIFF, SD-4/SD-6), the public email subscription pages (SD-9), and the
public addresses LINE and mail readers reach: tracked links (SD-8) and delivery images (SD-12)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from civicline.core import languages
from civicline.line import services as line_services
from civicline.line.liff.auth import resident_required

from .. import images, selectors, services
from ..models import Gender
from .forms import CHILD_FIELD, EmailSubscribeForm, ResidentSettingsForm

EMPTY_CHILD_ROWS = 3  # blank date inputs offered below the registered children (JS shows one at a time)


@require_http_methods(["GET", "POST"])
@resident_required
def settings_page(request: HttpRequest) -> HttpResponse:
    friend = request.resident
    if request.method == "POST" and request.POST.get("action") == "clear":
        services.resident_settings_clear(friend=friend)
        return redirect(reverse("delivery_liff:settings") + "?cleared=1")
    current = selectors.resident_settings(friend=friend)
    if request.method == "POST":
        form = ResidentSettingsForm(request.POST)
        children = [v for v in request.POST.getlist(CHILD_FIELD) if v.strip()]
        if form.is_valid():
            try:
                with transaction.atomic():  # the settings and the language together, or neither
                    services.resident_settings_save(
                        friend=friend,
                        area=form.cleaned_data["area"],
                        birth_year=form.cleaned_data["birth_year"],
                        gender=""
                        if form.cleaned_data["gender"] == Gender.NO_ANSWER
                        else form.cleaned_data["gender"],
                        topics=list(form.cleaned_data["topics"]),
                        children=form.cleaned_data["children"],
                    )
                    line_services.friend_language_set(friend=friend, language=form.cleaned_data["language"])
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                # The next page is in the language just chosen: resident_required speaks the
                # resident's language, read afresh on every request.
                return redirect(reverse("delivery_liff:settings") + "?saved=1")
    else:
        form = ResidentSettingsForm(
            initial={
                "topics": current.topic_ids,
                "area": current.area_id,
                "birth_year": current.birth_year or "",
                "gender": current.gender or Gender.NO_ANSWER,
                "language": friend.preferred_language,
            }
        )
        children = [c.isoformat() for c in current.children]
    context = {
        "form": form,
        "children": children,
        "new_rows": range(len(children) + 1, len(children) + 1 + EMPTY_CHILD_ROWS),
        "saved": "saved" in request.GET,
        "cleared": "cleared" in request.GET,
        "has_settings": not current.is_empty,
    }
    return render(request, "delivery/liff/settings.html", context, status=400 if form.errors else 200)


def resident_summary(request: HttpRequest) -> str:
    """What the resident registered, for their own page (/liff/)."""
    current = selectors.resident_settings(friend=request.resident)
    topics = selectors.topic_list().filter(pk__in=current.topic_ids)
    context = {
        "current": current,
        "topics": topics,
        "language": languages.names()[request.resident.resident_language],
        "language_chosen": bool(request.resident.preferred_language),
    }
    return render_to_string("delivery/liff/summary.html", context, request=request)


# --- email subscription (public: people without LINE) ---------------------------------------------


@require_http_methods(["GET", "POST"])
def email_subscribe(request: HttpRequest) -> HttpResponse:
    form = EmailSubscribeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.email_subscription_request(
                email=form.cleaned_data["email"], topics=list(form.cleaned_data["topics"])
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return render(request, "delivery/public/subscribe_sent.html")
    return render(
        request, "delivery/public/subscribe.html", {"form": form}, status=400 if form.errors else 200
    )


@require_http_methods(["GET", "POST"])
def email_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button, POST confirms: mail scanners that open links must not subscribe anyone."""
    error = ""
    if request.method == "POST":
        try:
            subscriber = services.email_subscription_confirm(token=token)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            return render(request, "delivery/public/confirmed.html", {"topics": subscriber.topics.all()})
    return render(request, "delivery/public/confirm.html", {"error": error}, status=400 if error else 200)


@csrf_exempt  # RFC 8058: mail apps POST "List-Unsubscribe=One-Click" here; the signed token is the proof
@require_http_methods(["GET", "POST"])
def email_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    if request.method == "POST":
        services.email_unsubscribe(token=token)
        return render(request, "delivery/public/unsubscribed.html")
    known = services.email_subscriber_for_unsubscribe(token=token) is not None
    return render(request, "delivery/public/unsubscribe.html", {"known": known})


# --- what LINE and mail readers fetch -------------------------------------------------------------


@require_GET
def link(request: HttpRequest, token: str) -> HttpResponse:
    url = services.link_follow(token=token, count="preview" not in request.GET)
    if url is None:
        raise Http404
    response = HttpResponseRedirect(url)
    response["Cache-Control"] = "no-store"  # every click must reach us to be counted
    return response


@require_GET
def image(request: HttpRequest, filename: str) -> HttpResponse:
    if not images.FILENAME.match(filename):
        raise Http404
    name = f"{images.FOLDER}/{filename}"
    if not default_storage.exists(name):
        raise Http404
    response = FileResponse(default_storage.open(name), content_type="image/jpeg")
    patch_cache_control(response, public=True, max_age=86400)
    return response
