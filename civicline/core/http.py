"""The request as civicline's middleware leaves it, for type hints (issue 19).

Django's ``HttpRequest`` knows nothing of the attributes our middleware sets, nor that a console
view past ``staff_required`` always has a staff member as ``request.user``. Views and middleware
annotate their request with these classes; no request is ever made from them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from .models import Staff


class CivicRequest(HttpRequest):
    # RequestIdMiddleware: the id the logs and audit entries carry.
    id: str
    # ConsoleAllowlistMiddleware, on /console/ only: the address the allowlist was checked for.
    client_ip: str


class StaffRequest(CivicRequest):
    """A console request past ``staff_required``: signed in with both factors, active."""

    user: Staff
