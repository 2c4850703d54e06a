"""Error pages in the city's words and in the frame the visitor was in (console or LIFF).

Django's own pages are bare English; staff who follow an old link, or residents whose booking was
cancelled, should see a Japanese page that says what happened and leads back. The 500 page uses
no database and no context processors: it must render when those are what failed.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.template import loader
from django.template.exceptions import TemplateDoesNotExist

logger = logging.getLogger(__name__)


def _frame(request: HttpRequest) -> str:
    if request.path.startswith("/console/"):
        return "console"
    if request.path.startswith("/liff/"):
        return "liff"
    return "plain"


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    template = loader.get_template(f"core/errors/404_{_frame(request)}.html")
    return HttpResponse(template.render({}, request), status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    try:
        template = loader.get_template("core/errors/500.html")
        return HttpResponseServerError(template.render({"frame": _frame(request)}))
    except (TemplateDoesNotExist, OSError):
        logger.exception("the error page itself failed")
        return HttpResponseServerError(
            "<h1>エラーが発生しました</h1>", content_type="text/html; charset=utf-8"
        )
