"""The rich menu's emergency action for the city's alert policy (RM-4): the emergency menu on for
every friend when an official alert concerns the city, and back with one button."""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext as _

from civicline.core.audit import audit_context
from civicline.core.features import EmergencyOutcome, EmergencyRequest
from civicline.core.models import Staff

from . import selectors, services
from .models import EmergencySwitch


def switch_on(request: EmergencyRequest) -> EmergencyOutcome:
    state = selectors.account_state()
    url = reverse("richmenu:emergency")
    if state.emergency_menu_id is not None:
        # Someone switched already: nothing of ours to undo later.
        return EmergencyOutcome(_("緊急メニューは既に表示中です。"), None, url)
    menu = selectors.prepared_emergency_menus().order_by("pk").first()
    if menu is None:
        raise ValidationError(_("公開（準備）済みの緊急メニューがありません。"))
    with audit_context(actor_label=request.actor_label) if request.actor is None else nullcontext():
        switch = services.emergency_switch_start(
            actor=request.actor, direction=EmergencySwitch.Direction.ON, menu_id=menu.pk
        )
    return EmergencyOutcome(
        _("緊急メニュー「%(menu)s」に切替を開始（友だち%(n)d人）")
        % {"menu": menu.name, "n": switch.friends_total},
        {"menu_id": menu.pk, "switch_id": switch.pk},
        url,
    )


def switch_off(data: dict[str, Any], actor: Staff | None, actor_label: str) -> str:
    state = selectors.account_state()
    if state.emergency_menu_id != data.get("menu_id"):
        return _("緊急メニューは既に切り替えられていたため、変更しませんでした。")
    with audit_context(actor_label=actor_label) if actor is None else nullcontext():
        services.emergency_switch_start(actor=actor, direction=EmergencySwitch.Direction.OFF)
    return _("通常メニューへの切替を開始")
