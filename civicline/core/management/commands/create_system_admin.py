"""The first system administrator of a new installation (X-3), before anyone can log in to the console.

    python manage.py create_system_admin USERNAME --name "氏名" [--department-code digital]
        [--department-name デジタル戦略課]

Prints a temporary password once; the administrator changes it and enrols an authenticator app
at first login. Later accounts are created in the console.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from civicline.core.models import Department, Staff
from civicline.core.services import department_create, staff_create


class Command(BaseCommand):
    help = "Create the first system administrator (and its department) of a new installation."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", required=True, help="the administrator's display name")
        parser.add_argument("--department-code", default="digital")
        parser.add_argument("--department-name", default="デジタル戦略課")

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        if Staff.objects.filter(username=options["username"]).exists():
            raise CommandError(f"an account named {options['username']!r} already exists")
        try:
            code = options["department_code"]
            department = Department.objects.filter(code=code).first() or department_create(
                actor=None, code=code, name=options["department_name"]
            )
            staff, password = staff_create(
                actor=None,
                username=options["username"],
                display_name=options["name"],
                department=department,
                role=Staff.Role.SYSTEM_ADMIN,
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(f"system administrator {staff.username} ({department.name}) created")
        self.stdout.write(f"temporary password (shown once): {password}")
