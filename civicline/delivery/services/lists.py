"""The city's lists that residents choose from (areas, topics); the system administrator keeps them."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from civicline.core.audit import Action, audit_record, changes_between
from civicline.core.models import Staff

from ..models import (
    Area,
    Topic,
)


def admin_only(staff: Staff) -> None:
    if not staff.is_system_admin:
        raise ValidationError(_("この操作はシステム管理者だけが行えます。"))


def _list_item_save(
    *,
    staff: Staff,
    model: type[Area] | type[Topic],
    instance: Area | Topic | None,
    data: dict[str, Any],
    request: HttpRequest | None,
) -> Area | Topic:
    admin_only(staff)
    with transaction.atomic():
        if instance is None:
            instance = model.objects.create(**data)
            audit_record(
                action=Action.CREATE,
                actor=staff,
                request=request,
                target=instance,
                summary=_("%(what)s「%(name)s」を追加")
                % {"what": model._meta.verbose_name, "name": instance},
                changes=data,
            )
            return instance
        before = {k: getattr(instance, k) for k in data}
        for key, value in data.items():
            setattr(instance, key, value)
        instance.save()
        audit_record(
            action=Action.UPDATE,
            actor=staff,
            request=request,
            target=instance,
            summary=_("%(what)s「%(name)s」を変更") % {"what": model._meta.verbose_name, "name": instance},
            changes=changes_between(before, data),
        )
    return instance


def area_save(
    *, staff: Staff, area: Area | None = None, data: dict[str, Any], request: HttpRequest | None = None
) -> Area:
    return _list_item_save(staff=staff, model=Area, instance=area, data=data, request=request)


def topic_save(
    *, staff: Staff, topic: Topic | None = None, data: dict[str, Any], request: HttpRequest | None = None
) -> Topic:
    return _list_item_save(staff=staff, model=Topic, instance=topic, data=data, request=request)
