"""Segments and the grants that let a department deliver to them (SD-3, SD-7)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from civicline.core.audit import Action, audit_record, changes_between
from civicline.core.models import Department, Staff

from .. import conditions
from ..models import (
    Delivery,
    DeliveryPolicy,
    Segment,
    SegmentGrant,
)
from .lists import admin_only


def _segment_values(segment: Segment) -> dict[str, Any]:
    return {"name": segment.name, "description": segment.description, "conditions": segment.conditions}


def segment_create(
    *,
    staff: Staff,
    name: str,
    description: str = "",
    tree: dict[str, Any],
    request: HttpRequest | None = None,
) -> Segment:
    if staff.department_id is None:
        raise ValidationError(_("所属課のない職員はセグメントを作成できません。"))
    tree = conditions.clean(tree)
    with transaction.atomic():
        segment = Segment.objects.create(
            department_id=staff.department_id,
            name=name.strip(),
            description=description.strip(),
            conditions=tree,
            created_by=staff,
        )
        audit_record(
            action=Action.CREATE,
            actor=staff,
            request=request,
            target=segment,
            summary=_("セグメント「%(name)s」を作成") % {"name": segment.name},
            changes={**_segment_values(segment), "description_text": conditions.describe(tree)},
        )
    return segment


def segment_update(
    *,
    staff: Staff,
    segment: Segment,
    name: str,
    description: str = "",
    tree: dict[str, Any],
    request: HttpRequest | None = None,
) -> Segment:
    """Change a segment; once granted to a department, its conditions are the administrator's to change."""
    tree = conditions.clean(tree)
    if not staff.is_system_admin and (segment.department_id != staff.department_id):
        raise ValidationError(_("他の課が作成したセグメントは変更できません。"))
    if tree != segment.conditions and not staff.is_system_admin and segment.grants.exists():
        raise ValidationError(
            _("配信に使うことが許可されたセグメントの条件は、システム管理者だけが変更できます。")
        )
    before = _segment_values(segment)
    with transaction.atomic():
        segment.name, segment.description, segment.conditions = name.strip(), description.strip(), tree
        segment.save()
        audit_record(
            action=Action.UPDATE,
            actor=staff,
            request=request,
            target=segment,
            summary=_("セグメント「%(name)s」を変更") % {"name": segment.name},
            changes=changes_between(before, _segment_values(segment)),
        )
    return segment


def segment_delete(*, staff: Staff, segment: Segment, request: HttpRequest | None = None) -> None:
    if not staff.is_system_admin and segment.department_id != staff.department_id:
        raise ValidationError(_("他の課が作成したセグメントは削除できません。"))
    if segment.deliveries.filter(status__in=Delivery.EDITABLE).exists():
        raise ValidationError(_("下書きまたは配信予約中の配信で使われているため削除できません。"))
    with transaction.atomic():
        audit_record(
            action=Action.DELETE,
            actor=staff,
            request=request,
            target=segment,
            summary=_("セグメント「%(name)s」を削除") % {"name": segment.name},
            changes=_segment_values(segment),
        )
        segment.delete()


def grants_set(
    *,
    staff: Staff,
    department: Department,
    segments: Sequence[Segment],
    may_send_to_all: bool,
    request: HttpRequest | None = None,
) -> None:
    """Which segments ``department`` may deliver to, and whether to everyone (SD-7)."""
    admin_only(staff)
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
            actor=staff,
            request=request,
            target=department,
            summary=_("「%(dept)s」の配信権限を変更") % {"dept": department.name},
            changes=changes_between(
                {"segments": before, "may_send_to_all": was_all},
                {"segments": after, "may_send_to_all": may_send_to_all},
            ),
        )
