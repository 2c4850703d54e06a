"""The facilities' emergency action for the city's alert policy (MP-4): set the disaster under way,
so that residents are sent to shelters designated for it, and put it back with one button."""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext as _

from civicline.core.audit import audit_context
from civicline.core.features import EmergencyOutcome, EmergencyRequest
from civicline.core.models import Staff

from . import services
from .models import DisasterKind, MapState


def disaster_kind_on(request: EmergencyRequest) -> EmergencyOutcome:
    if request.disaster_kind not in DisasterKind.values:
        raise ValidationError(_("この情報に当たる災害種別がありません。"))
    before = MapState.current().disaster_kind
    url = reverse("facilities:shelter-board")
    label = DisasterKind(request.disaster_kind).label
    if before == request.disaster_kind:
        return EmergencyOutcome(_("災害種別は既に「%(kind)s」です。") % {"kind": label}, None, url)
    with audit_context(actor_label=request.actor_label) if request.actor is None else nullcontext():
        services.disaster_kind_set(kind=request.disaster_kind, actor=request.actor)
    return EmergencyOutcome(
        _("現在の災害種別を「%(kind)s」に設定") % {"kind": label},
        {"before": before, "after": request.disaster_kind},
        url,
    )


def disaster_kind_back(data: dict[str, Any], actor: Staff | None, actor_label: str) -> str:
    if MapState.current().disaster_kind != data.get("after"):
        return _("災害種別は既に変更されていたため、そのままにしました。")
    with audit_context(actor_label=actor_label) if actor is None else nullcontext():
        services.disaster_kind_set(kind=data.get("before", ""), actor=actor)
    before = data.get("before", "")
    return _("災害種別を「%(kind)s」に戻した") % {
        "kind": DisasterKind(before).label if before in DisasterKind.values else _("平常時")
    }
