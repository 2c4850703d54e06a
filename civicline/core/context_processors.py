from __future__ import annotations

from django.http import HttpRequest

from .features import all_features


def console(request: HttpRequest) -> dict:
    if not request.path.startswith("/console/"):
        return {}
    user = getattr(request, "user", None)
    is_admin = bool(user and user.is_authenticated and user.is_system_admin)
    nav = [item for f in all_features() for item in f.nav if is_admin or not item.system_admin_only]
    return {"feature_nav": nav}
