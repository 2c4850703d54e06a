"""Segments and the grants that let a department deliver to them (SD-3, SD-7)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from civicline.core.audit import (
    Action,
    audit_record,
    audited_create,
    audited_delete,
    audited_update,
    changes_between,
)
from civicline.core.models import Department, Staff
from civicline.core.permissions import require_department, require_system_admin

from .. import conditions
from ..models import (
    Delivery,
    DeliveryPolicy,
    Segment,
    SegmentGrant,
)
from .lists import admin_only_message

SEGMENT_FIELDS = ["name", "description", "conditions"]


def segment_create(*, actor: Staff, name: str, description: str = "", tree: dict[str, Any]) -> Segment:
    if actor.department_id is None:
        raise ValidationError(_("所属課のない職員はセグメントを作成できません。"))
    segment = Segment(
        department_id=actor.department_id,
        name=name.strip(),
        description=description.strip(),
        conditions=conditions.clean(tree),
        created_by=actor,
    )
    with transaction.atomic():
        audited_create(
            actor=actor,
            obj=segment,
            summary=_("セグメント「%(name)s」を作成") % {"name": segment.name},
            fields=SEGMENT_FIELDS,
        )
    return segment


def segment_update(
    *, actor: Staff, segment: Segment, name: str, description: str = "", tree: dict[str, Any]
) -> Segment:
    """Change a segment; once granted to a department, its conditions are the administrator's to change."""
    tree = conditions.clean(tree)
    require_department(actor, segment, message=_("他の課が作成したセグメントは変更できません。"))
    if tree != segment.conditions and not actor.is_system_admin and segment.grants.exists():
        raise ValidationError(
            _("配信に使うことが許可されたセグメントの条件は、システム管理者だけが変更できます。")
        )
    audited_update(
        actor=actor,
        obj=segment,
        data={"name": name.strip(), "description": description.strip(), "conditions": tree},
        summary=_("セグメント「%(name)s」を変更") % {"name": name.strip()},
    )
    return segment


def segment_delete(*, actor: Staff, segment: Segment) -> None:
    require_department(actor, segment, message=_("他の課が作成したセグメントは削除できません。"))
    if segment.deliveries.filter(status__in=Delivery.EDITABLE).exists():
        raise ValidationError(_("下書きまたは配信予約中の配信で使われているため削除できません。"))
    with transaction.atomic():
        audited_delete(
            actor=actor,
            obj=segment,
            summary=_("セグメント「%(name)s」を削除") % {"name": segment.name},
            fields=SEGMENT_FIELDS,
        )


def grants_set(
    *,
    actor: Staff,
    department: Department,
    segments: Sequence[Segment],
    may_send_to_all: bool,
) -> None:
    """Which segments ``department`` may deliver to, and whether to everyone (SD-7)."""
    require_system_admin(actor, message=admin_only_message())
    with transaction.atomic():
        before = sorted(
            SegmentGrant.objects.filter(department=department).values_list("segment__name", flat=True)
        )
        policy, _created = DeliveryPolicy.objects.get_or_create(department=department)
        was_all = policy.may_send_to_all
        SegmentGrant.objects.filter(department=department).exclude(segment__in=segments).delete()
        SegmentGrant.objects.bulk_create(
            [SegmentGrant(segment=s, department=department) for s in segments], ignore_conflicts=True
        )
        policy.may_send_to_all = may_send_to_all
        policy.save()
        after = sorted(s.name for s in segments)
        audit_record(
            action=Action.UPDATE,
            actor=actor,
            target=department,
            summary=_("「%(dept)s」の配信権限を変更") % {"dept": department.name},
            changes=changes_between(
                {"segments": before, "may_send_to_all": was_all},
                {"segments": after, "may_send_to_all": may_send_to_all},
            ),
        )
