"""The audit log's public API (X-15): append entries to the hash chain, verify it, purge it.

Every state change by staff goes through a service that calls ``audit_record``; logins, logouts
and failed logins are recorded from Django's auth signals (see ``signals.py``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, models, transaction
from django.forms.models import model_to_dict
from django.http import HttpRequest
from django.utils import timezone

from .models import AuditChainHead, AuditEntry, Department
from .netaddr import client_ip

if TYPE_CHECKING:
    from .models import Staff

Action = AuditEntry.Action
_HEAD_PK = 1


def audit_record(
    *,
    action: str,
    actor: Staff | None = None,
    request: HttpRequest | None = None,
    target: models.Model | None = None,
    department: Department | None = None,
    summary: str = "",
    changes: dict | None = None,
    actor_label: str = "",
) -> AuditEntry:
    """Append one entry to the audit chain and return it.

    ``department`` defaults to the target's department, then the actor's, so that the entry is
    visible to the department it concerns. ``actor`` defaults to the request's logged-in staff.
    Runs inside the caller's transaction: an audited change that rolls back leaves no entry.
    """
    if actor is None and request is not None:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            actor = user
    if department is None:
        department = _department_of(target) or (actor.department if actor is not None else None)
    fields = {
        "actor_id": actor.pk if actor is not None else None,
        "actor_label": (actor_label or _label(actor))[:200],
        "department_id": department.pk if department is not None else None,
        "client_address": client_ip(request) if request is not None else "",
        "action": action,
        "target_type": target._meta.label_lower if target is not None else "",
        "target_id": str(target.pk) if target is not None and target.pk is not None else "",
        "target_repr": str(target)[:200] if target is not None else "",
        "summary": summary[:500],
        # A JSON round trip now makes what we hash exactly what the database gives back later.
        "changes": json.loads(json.dumps(changes or {}, cls=DjangoJSONEncoder, ensure_ascii=False)),
    }
    with transaction.atomic():
        head = _lock_head()
        entry = AuditEntry(
            sequence=head.last_sequence + 1, created_at=timezone.now(), prev_hash=head.last_hash, **fields
        )
        entry.hash = entry_hash(entry)
        entry.save(force_insert=True)
        AuditChainHead.objects.filter(pk=_HEAD_PK).update(last_sequence=entry.sequence, last_hash=entry.hash)
    return entry


def changes_between(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``{field: {"before": old, "after": new}}`` for each field whose value differs."""
    return {
        key: {"before": before.get(key), "after": after.get(key)}
        for key in sorted(before.keys() | after.keys())
        if before.get(key) != after.get(key)
    }


def audited_save(
    *, actor: Staff | None, obj: models.Model, data: dict[str, Any], summary: str
) -> models.Model:
    """Set ``data`` on ``obj``, validate, save, and audit it as a create or an update with what changed.

    The settings pages of every feature (counters, topics, canned replies…) are this one motion.
    """
    creating = obj.pk is None
    before = {} if creating else {name: getattr(obj, name) for name in data}
    for name, value in data.items():
        setattr(obj, name, value)
    obj.full_clean()
    obj.save()
    audit_record(
        action=Action.CREATE if creating else Action.UPDATE,
        actor=actor,
        target=obj,
        summary=summary,
        changes=changes_between(before, {name: getattr(obj, name) for name in data}),
    )
    return obj


def audited_delete(*, actor: Staff | None, obj: models.Model, summary: str, fields: Iterable[str]) -> None:
    """Delete ``obj``, auditing the values of ``fields`` it had, so the entry shows what was lost."""
    audit_record(
        action=Action.DELETE,
        actor=actor,
        target=obj,
        summary=summary,
        changes={"before": model_to_dict(obj, fields=list(fields))},
    )
    obj.delete()


def entry_hash(entry: AuditEntry) -> str:
    return hashlib.sha256(_canonical(entry).encode()).hexdigest()


def _canonical(entry: AuditEntry) -> str:
    created = entry.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    payload = {
        "sequence": entry.sequence,
        "created_at": created,
        "actor_id": entry.actor_id,
        "actor_label": entry.actor_label,
        "department_id": entry.department_id,
        "client_address": entry.client_address,
        "action": entry.action,
        "target_type": entry.target_type,
        "target_id": entry.target_id,
        "target_repr": entry.target_repr,
        "summary": entry.summary,
        "changes": entry.changes,
        "prev_hash": entry.prev_hash,
    }
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _lock_head() -> AuditChainHead:
    """Take the chain head under a write lock; call inside a transaction.

    Writing first, then reading, serialises appends on both databases: on PostgreSQL the UPDATE
    takes the row lock (a concurrent append waits, then reads the committed head); on SQLite the
    write takes the database's write lock before our snapshot starts, so we read the newest head
    instead of failing to upgrade a stale read transaction.
    """
    touched = AuditChainHead.objects.filter(pk=_HEAD_PK).update(last_sequence=models.F("last_sequence"))
    if not touched:
        try:
            with transaction.atomic():
                AuditChainHead.objects.create(pk=_HEAD_PK)
        except IntegrityError:
            pass  # created concurrently; the select below waits for it
    return AuditChainHead.objects.select_for_update().get(pk=_HEAD_PK)


def _department_of(target: models.Model | None) -> Department | None:
    if target is None:
        return None
    if isinstance(target, Department):
        return target
    path = getattr(type(target), "scope_department_field", "department")
    value: Any = target
    for part in path.split("__"):
        value = getattr(value, part, None)
        if value is None:
            return None
    return value if isinstance(value, Department) else None


def _label(actor: Staff | None) -> str:
    if actor is None:
        return ""
    name = actor.display_name
    return f"{name} ({actor.username})" if name else actor.username


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    broken_sequence: int | None = None
    reason: str = ""


def verify_chain() -> ChainReport:
    """Recompute every link from the purge anchor to the head; report the first broken entry."""
    head = AuditChainHead.objects.filter(pk=_HEAD_PK).first() or AuditChainHead()
    expected_sequence, expected_prev = head.anchor_sequence + 1, head.anchor_hash
    checked = 0
    for entry in AuditEntry.objects.order_by("sequence").iterator(chunk_size=2000):
        if entry.sequence != expected_sequence:
            return ChainReport(False, checked, expected_sequence, "missing entry")
        if entry.prev_hash != expected_prev:
            return ChainReport(False, checked, entry.sequence, "link to the previous entry broken")
        if entry_hash(entry) != entry.hash:
            return ChainReport(False, checked, entry.sequence, "content does not match its hash")
        checked += 1
        expected_sequence, expected_prev = entry.sequence + 1, entry.hash
    if (head.last_sequence, head.last_hash) != (expected_sequence - 1, expected_prev):
        return ChainReport(False, checked, expected_sequence, "entries missing at the end of the chain")
    return ChainReport(True, checked)


def purge_expired(*, retention_days: int | None = None) -> int:
    """Delete entries older than the retention period and record the purge itself.

    The last deleted entry becomes the chain's anchor, so the remaining chain still verifies.
    Only this function may delete entries; on PostgreSQL the trigger checks the flag set here.
    """
    days = settings.AUDIT_RETENTION_DAYS if retention_days is None else retention_days
    cutoff = timezone.now() - timedelta(days=days)
    with transaction.atomic():
        head = _lock_head()
        expired = AuditEntry.objects.filter(created_at__lt=cutoff)
        last = expired.order_by("-sequence").values_list("sequence", "hash").first()
        if last is None:
            return 0
        # Entries are appended in time order, so "older than the cutoff" is a prefix of the chain.
        doomed = AuditEntry.objects.filter(sequence__lte=last[0])
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL civicline.audit_purge = 'on'")
        count = doomed._purge_delete()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL civicline.audit_purge = 'off'")
        AuditChainHead.objects.filter(pk=head.pk).update(anchor_sequence=last[0], anchor_hash=last[1])
        audit_record(
            action=Action.PURGE,
            actor_label="system",
            summary=f"保存期間（{days}日）を過ぎた監査ログ {count} 件を削除",
            changes={"cutoff": cutoff, "anchor_sequence": last[0], "anchor_hash": last[1], "deleted": count},
        )
    return count


__all__ = [
    "Action",
    "audit_record",
    "audited_delete",
    "audited_save",
    "changes_between",
    "purge_expired",
    "verify_chain",
]
