"""Sessions renewed for idle expiry without a database write on every request (X-14).

Django's ``SESSION_SAVE_EVERY_REQUEST`` loads and saves the session of every request that carries a
session cookie — the public shelter map and its data included, which never look at the session —
to push its expiry back. At a disaster's peak that is a read and a write per page for nothing.
Here a request that never touched the session leaves it alone, and a session in use is renewed at
most once every ``RENEW_SECONDS`` unless it changed (a change is saved at once, as always).
Staff and resident sessions still end after ``SESSION_COOKIE_AGE`` of inactivity, give or take
``RENEW_SECONDS``.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.exceptions import SessionInterrupted
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers
from django.utils.http import http_date

RENEW_SECONDS = 60
RENEWED_KEY = "civicline.session.renewed"


class SessionMiddleware(DjangoSessionMiddleware):
    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        try:
            session = request.session
            accessed, modified = session.accessed, session.modified
            empty = session.is_empty()
        except AttributeError:
            return response
        if settings.SESSION_COOKIE_NAME in request.COOKIES and empty:
            response.delete_cookie(
                settings.SESSION_COOKIE_NAME,
                path=settings.SESSION_COOKIE_PATH,
                domain=settings.SESSION_COOKIE_DOMAIN,
                samesite=settings.SESSION_COOKIE_SAMESITE,
            )
            patch_vary_headers(response, ("Cookie",))
            return response
        now = time.time()
        # A session that was not even read is not loaded now: nothing of it was used.
        renew = (
            settings.SESSION_SAVE_EVERY_REQUEST
            and accessed
            and now - float(session.get(RENEWED_KEY, 0)) >= RENEW_SECONDS
        )
        if (modified or renew) and not empty and response.status_code < 500:
            session[RENEWED_KEY] = now
            self._save(request, response)
        if accessed or modified:
            patch_vary_headers(response, ("Cookie",))
        return response

    @staticmethod
    def _save(request: HttpRequest, response: HttpResponse) -> None:
        # As Django's SessionMiddleware saves, and sets the cookie again.
        session = request.session
        if session.get_expire_at_browser_close():
            max_age, expires = None, None
        else:
            max_age = session.get_expiry_age()
            expires = http_date(time.time() + max_age)
        try:
            session.save()
        except UpdateError as exc:
            raise SessionInterrupted(
                "The request's session was deleted before the request completed. The user may have "
                "logged out in a concurrent request, for example."
            ) from exc
        response.set_cookie(
            settings.SESSION_COOKIE_NAME,
            session.session_key,  # type: ignore[arg-type]  # save() has just set it
            max_age=max_age,
            expires=expires,
            domain=settings.SESSION_COOKIE_DOMAIN,
            path=settings.SESSION_COOKIE_PATH,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=settings.SESSION_COOKIE_HTTPONLY,
            samesite=settings.SESSION_COOKIE_SAMESITE,
        )
