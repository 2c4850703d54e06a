"""The delivery's emergency action for the city's alert policy (SD-1/SD-2/SD-9): a message from
the city's template to the residents an official alert concerns, with its e-mail co-delivery.

Residents who chose the priority topic (防災) or live in an affected area are reached first: they
are one delivery (sent first), everyone else — when the policy says "everyone", or the whole city
is affected — a second one (the same conditions negated), so nobody gets it twice. The segments
are the system's own, one per set of areas, granted to the responsible department so that its
staff may send a prepared draft (SD-7). E-mail subscribers of the priority topic get the same text.
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from civicline.core import languages
from civicline.core.audit import Action, audit_context, audit_record, audited_create
from civicline.core.features import EmergencyOutcome, EmergencyRequest
from civicline.core.models import Department, Staff
from civicline.core.permissions import require_department

from . import conditions, services
from .models import Area, Delivery, DeliveryMessage, Segment, SegmentGrant, Topic

SEGMENT_PREFIX = "緊急配信（自動）"


def _priority_tree(request: EmergencyRequest) -> dict[str, Any] | None:
    """Residents of the affected areas or of the priority topic; None if neither exists."""
    items: list[dict[str, Any]] = []
    topic = Topic.objects.filter(name=request.topic_name).first() if request.topic_name else None
    if topic is not None:
        items.append({"kind": "topic", "negate": False, "topics": [topic.pk]})
    areas = Area.objects.all()
    if request.area_names:
        areas = areas.filter(name__in=request.area_names)
    area_ids = sorted(areas.values_list("pk", flat=True))
    if area_ids:
        items.append({"kind": "area", "negate": False, "areas": area_ids})
    if not items:
        return None
    return conditions.clean({"op": "or", "negate": False, "items": items})


def _segment(department: Department, name: str, tree: dict[str, Any]) -> Segment:
    """The system's segment for these conditions (made once, reused), granted to ``department``."""
    segment = Segment.objects.filter(department=department, name=name, conditions=tree).first()
    if segment is None:
        segment = Segment(
            department=department,
            name=name,
            description=_("防災情報の自動対応で使う配信先です。"),
            conditions=tree,
        )
        summary = _("セグメント「%(name)s」を作成") % {"name": name}
        audited_create(actor=None, obj=segment, summary=summary, fields=services.SEGMENT_FIELDS)
    if not SegmentGrant.objects.filter(segment=segment, department=department).exists():
        SegmentGrant.objects.create(segment=segment, department=department)
        audit_record(
            action=Action.UPDATE,
            target=department,
            summary=_("「%(dept)s」にセグメント「%(name)s」の配信を許可（防災情報の自動対応）")
            % {"dept": department.name, "name": name},
        )
    return segment


def _input(request: EmergencyRequest, title: str, segment: Segment) -> services.DeliveryInput:
    versions = {code: dict(texts) for code, texts in request.translations.items()}  # issue 21
    return services.DeliveryInput(
        title=title[:100],
        audience=Delivery.Audience.SEGMENTS,
        segments=[segment],
        combine=Delivery.Combine.ANY,
        email_too=True,
        messages=[
            services.MessageInput(kind=DeliveryMessage.Kind.TEXT, text=request.text, translations=versions)
        ],
        emergency=True,  # answers an official alert: never held back by the weekly cap
    )


def send_alert(request: EmergencyRequest) -> EmergencyOutcome:
    department = Department.objects.filter(pk=request.department_id, is_active=True).first()
    if department is None:
        raise ValidationError(_("防災情報の担当課が設定されていません（防災情報の対応方針で設定します）。"))
    require_department(
        request.actor, department, message=_("担当課の職員とシステム管理者だけが緊急配信を用意できます。")
    )
    tree = _priority_tree(request)
    if tree is None:
        raise ValidationError(_("配信先がありません（受信設定の地域も優先する分野もありません）。"))
    # The deliveries' titles (the e-mail's subject) and segments are the city's Japanese master,
    # whatever language the staff member who asked reads the console in (issue 21).
    with languages.speaking(languages.JAPANESE):
        areas = "・".join(request.area_names) or _("市全域")
        label = f"{SEGMENT_PREFIX} {request.topic_name or ''}・{areas}"
        plan = [(_("【優先】") + request.title, _segment(department, label[:80], tree))]
        if request.everyone or not request.area_names:
            rest = {**tree, "negate": True}
            plan.append(
                (_("【その他の方】") + request.title, _segment(department, (label + _(" 以外"))[:80], rest))
            )
    label_ctx = audit_context(actor_label=request.actor_label) if request.actor is None else nullcontext()
    made = []
    with label_ctx, transaction.atomic():
        for title, segment in plan:
            delivery = services.delivery_create_system(
                actor=request.actor, department=department, data=_input(request, title, segment)
            )
            made.append(delivery)
        if not request.prepare_only:
            # The priority delivery is queued first: the worker reaches those residents first.
            for delivery in made:
                services.delivery_send_system(actor=request.actor, delivery=delivery)
    first = made[0]
    verb = _("下書きを用意") if request.prepare_only else _("配信を開始")
    return EmergencyOutcome(
        _("緊急配信の%(verb)s（%(n)d件: 優先して届ける住民から）") % {"verb": verb, "n": len(made)},
        {"deliveries": [d.pk for d in made]},
        reverse("delivery:delivery-detail", args=[first.pk]),
    )


def withdraw_alert(data: dict[str, Any], actor: Staff | None, actor_label: str) -> str:
    """Delete the drafts still unsent; a delivery already sent cannot be taken back from phones."""
    removed, sent = 0, 0
    with audit_context(actor_label=actor_label) if actor is None else nullcontext():
        for delivery in Delivery.objects.filter(pk__in=data.get("deliveries", [])):
            if delivery.status == Delivery.Status.DRAFT:
                services.delivery_delete(actor=actor, delivery=delivery)
                removed += 1
            else:
                sent += 1
    if sent and not removed:
        raise ValidationError(_("送信済み・送信中の配信は取り消せません。必要なら訂正の配信をしてください。"))
    if sent:
        return _(
            "下書き%(removed)d件を削除。送信済み・送信中の%(sent)d件は取り消せません（訂正の配信をしてください）"
        ) % {
            "removed": removed,
            "sent": sent,
        }
    return _("下書き%(n)d件を削除") % {"n": removed}
