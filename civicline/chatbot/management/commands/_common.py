"""What the chatbot's bulk commands share: picking the owning department, reporting a result."""

from __future__ import annotations

from django.core.management.base import CommandError

from civicline.core.models import Department, Staff

ACTOR_LABEL = "コマンド"


def department_option(code: str | None) -> Department:
    """The department named by ``--department`` (code or name), else the system administrator's."""
    if code:
        department = (
            Department.objects.filter(code=code).first() or Department.objects.filter(name=code).first()
        )
        if department is None:
            raise CommandError(
                f"課「{code}」が見つかりません。--department に課コードか課名を指定してください。"
            )
        return department
    admin = (
        Staff.objects.filter(role=Staff.Role.SYSTEM_ADMIN, department__isnull=False).order_by("pk").first()
    )
    if admin is not None:
        return admin.department
    only = list(Department.objects.all()[:2])
    if len(only) == 1:
        return only[0]
    raise CommandError("担当課を決められません。--department に課コードを指定してください。")
