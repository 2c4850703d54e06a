"""The city's lists that residents choose from (areas, topics); the system administrator keeps them."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from civicline.core.audit import audited_create, audited_update
from civicline.core.models import Staff
from civicline.core.permissions import require_system_admin

from ..models import Area, Topic


def admin_only_message() -> str:
    return _("この操作はシステム管理者だけが行えます。")


def _added(item: Area | Topic) -> str:
    return _("%(what)s「%(name)s」を追加") % {"what": type(item)._meta.verbose_name, "name": item}


def _changed(item: Area | Topic, data: dict[str, Any]) -> str:
    name = data.get("name", item.name)
    return _("%(what)s「%(name)s」を変更") % {"what": type(item)._meta.verbose_name, "name": name}


def area_create(*, actor: Staff, data: dict[str, Any]) -> Area:
    require_system_admin(actor, message=admin_only_message())
    area = Area(**data)
    audited_create(actor=actor, obj=area, summary=_added(area), fields=list(data))
    return area


def area_update(*, actor: Staff, area: Area, data: dict[str, Any]) -> Area:
    require_system_admin(actor, message=admin_only_message())
    audited_update(actor=actor, obj=area, data=data, summary=_changed(area, data))
    return area


def topic_create(*, actor: Staff, data: dict[str, Any]) -> Topic:
    require_system_admin(actor, message=admin_only_message())
    topic = Topic(**data)
    audited_create(actor=actor, obj=topic, summary=_added(topic), fields=list(data))
    return topic


def topic_update(*, actor: Staff, topic: Topic, data: dict[str, Any]) -> Topic:
    require_system_admin(actor, message=admin_only_message())
    audited_update(actor=actor, obj=topic, data=data, summary=_changed(topic, data))
    return topic
