"""The resident session endpoint and the resident's own page (登録情報の確認)."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.utils.html import conditional_escape
from django.views.decorators.http import require_GET, require_POST

from civicline.core.features import all_features

from .auth import (
    REFUSALS,
    ResidentRequest,
    TokenRefused,
    VerifyUnavailable,
    id_token_verify,
    liff_response,
    resident_login,
    resident_logout,
    resident_required,
)

logger = logging.getLogger(__name__)


def _refusal(request: HttpRequest, reason: str, status: int) -> JsonResponse:
    # A page that presents a bad token must not go on showing whoever was signed in before.
    resident_logout(request)
    response = JsonResponse({"ok": False, "reason": reason, "message": str(REFUSALS[reason])}, status=status)
    return liff_response(request, response)


@require_POST
def session_open(request: HttpRequest) -> HttpResponse:
    """POST id_token (from ``liff.getIDToken()``): verified by LINE, it opens a resident session."""
    try:
        token = id_token_verify(request.POST.get("id_token", ""))
    except TokenRefused as exc:
        logger.info("LIFF ID token refused (%s): %s", exc.reason, exc)
        return _refusal(request, exc.reason, 401)
    except VerifyUnavailable as exc:
        logger.warning("LIFF ID token not verified, LINE unavailable: %s", exc)
        return _refusal(request, "unavailable", 503)
    resident_login(request, token, line_language=request.POST.get("language", "")[:16])
    # The CSRF token was rotated with the session: the page needs the new one to replay a POST.
    return liff_response(request, JsonResponse({"ok": True, "csrfToken": get_token(request)}))


@require_GET
@resident_required
def me(request: ResidentRequest) -> HttpResponse:
    """The resident's own registration: what LINE told us, and what each feature holds about them."""
    sections = []
    for feature in all_features():
        if feature.liff_summary:
            html = feature.liff_summary(request)
            if html:
                # render_to_string's output stays HTML; a plain string is shown as text.
                sections.append((feature.label, conditional_escape(html)))
    return render(request, "line/liff/me.html", {"resident": request.resident, "sections": sections})
