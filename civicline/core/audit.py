"""The audit log's public API (X-15): append entries to the keyed hash chain, verify it, purge it.

Every state change by staff goes through a service that writes through the one door below:
``audited_create`` / ``audited_update`` / ``audited_delete``, or ``audited_change`` around a change
that is more than setting fields, after ``civicline.core.permissions.require_department``. The audit
context (one per request, task or command run) supplies the actor, client address and request id.
Logins, logouts and failed logins are recorded from Django's auth signals (see ``signals.py``).

Tamper evidence holds against someone who can write to the database but does not have the keys:
each entry carries an HMAC (``AUDIT_HMAC_KEYS``, kept outside the database) over its content and
its predecessor's; an anchor left by a purge must be backed by the (signed) purge entry; and signed
checkpoints of the chain's head, written outside the database, catch a truncated tail.
"""

from __future__ import annotations

import contextvars
import hashlib
import hmac
import json
import os
import tempfile
import uuid
from collections.abc import Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, models, transaction
from django.db.models.fields.files import FieldFile
from django.http import HttpRequest
from django.utils import timezone

from .logging import request_id_var
from .models import AuditChainHead, AuditEntry, Department
from .netaddr import client_ip
from .permissions import department_of

if TYPE_CHECKING:
    from .models import Staff

Action = AuditEntry.Action
_HEAD_PK = 1


# --- who and where: the audit context ------------------------------------------------------------


@dataclass(frozen=True)
class AuditContext:
    """Who acts and from where, for every entry written while it is current.

    The middleware sets one per request and the worker one per task, so services record the actor,
    the client address and the request id without passing the request around.
    """

    request: HttpRequest | None = None
    actor_label: str = ""
    request_id: str = ""


_context: contextvars.ContextVar[AuditContext | None] = contextvars.ContextVar("audit_context", default=None)


@contextmanager
def audit_context(
    *, request: HttpRequest | None = None, actor_label: str = "", request_id: str = ""
) -> Iterator[AuditContext]:
    """Make ``request`` (or, in a task, ``actor_label``) the source of the entries written inside.

    The entries share one request id: the request's, else ``request_id``, else the enclosing
    context's (a task's), else the one the logs carry (a command's run), else a fresh one.
    """
    context = AuditContext(
        request=request, actor_label=actor_label, request_id=_request_id_for(request, request_id)
    )
    token = _context.set(context)
    try:
        yield context
    finally:
        _context.reset(token)


def audit_context_enter(*, actor_label: str, request_id: str = "") -> contextvars.Token | None:
    """Start a task's context; ``None`` when a request's is current (a task run inline by a request)."""
    current = _context.get()
    if current is not None and current.request is not None:
        return None
    return _context.set(AuditContext(actor_label=actor_label, request_id=_request_id_for(None, request_id)))


def audit_context_exit(token: contextvars.Token | None) -> None:
    if token is not None:
        _context.reset(token)


def _request_id_for(request: HttpRequest | None, request_id: str) -> str:
    current = _context.get()
    return (
        getattr(request, "id", "")
        or request_id
        or (current.request_id if current is not None else "")
        or new_request_id()
    )


def new_request_id() -> str:
    """The id of the work under way when no request or task names it: the logs' (a command run's)
    if set, else a fresh one, so that no audit entry is left without an id."""
    value = request_id_var.get()
    return uuid.uuid4().hex if value == "-" else value


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

    ``request`` defaults to the current audit context's, and ``actor`` to its logged-in staff.
    ``department`` defaults to the target's department, then the actor's, so that the entry is
    visible to the department it concerns. Runs inside the caller's transaction: an audited change
    that rolls back leaves no entry.
    """
    context = _context.get()
    if request is None and context is not None:
        request = context.request
    if actor is None and request is not None:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            actor = user
    if not actor_label and actor is None and context is not None:
        actor_label = context.actor_label
    if department is None:
        department = department_of(target) or (actor.department if actor is not None else None)
    request_id = getattr(request, "id", "") or (context.request_id if context is not None else "")
    fields = {
        "actor_id": actor.pk if actor is not None else None,
        "actor_label": (actor_label or _label(actor))[:200],
        "department_id": department.pk if department is not None else None,
        "client_address": client_ip(request) if request is not None else "",
        "request_id": (request_id or new_request_id())[:64],
        "action": action,
        "target_type": target._meta.label_lower if target is not None else "",
        "target_id": str(target.pk) if target is not None and target.pk is not None else "",
        "target_repr": str(target)[:200] if target is not None else "",
        "summary": summary[:500],
        # A JSON round trip now makes what we hash exactly what the database gives back later.
        "changes": json.loads(json.dumps(changes or {}, cls=DjangoJSONEncoder, ensure_ascii=False)),
    }
    signing_key = audit_keys()[0]
    with transaction.atomic():
        head = _lock_head()
        entry = AuditEntry(
            sequence=head.last_sequence + 1,
            created_at=timezone.now(),
            prev_hash=head.last_hash,
            key_id=signing_key.key_id,
            **fields,
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


# --- the one door for writes: audited create / update / delete / change -------------------------


class _AuditJSONEncoder(DjangoJSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, FieldFile):
            return o.name or None
        return super().default(o)


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """``fields`` of ``obj`` as the audit log keeps them: plain JSON values.

    A foreign key is its id, a many-to-many field its sorted ids, a file its name, a date ISO text.
    A name that is no model field is read as an attribute: a related manager gives its items as
    text (``FAQ.phrasings`` → the phrasings), an object its id.
    """
    values: dict[str, Any] = {}
    for name in fields:
        values[name] = _snapshot_value(obj, name)
    return json.loads(json.dumps(values, cls=_AuditJSONEncoder, ensure_ascii=False))


def _snapshot_value(obj: models.Model, name: str) -> Any:
    try:
        field = obj._meta.get_field(name)
    except FieldDoesNotExist:
        field = None
    if field is not None and field.many_to_many:
        return sorted(item.pk for item in getattr(obj, name).all()) if obj.pk is not None else []
    if field is not None and field.concrete:
        return getattr(obj, field.attname)
    value = getattr(obj, name)
    if isinstance(value, models.Manager):
        return [str(item) for item in value.all()] if obj.pk is not None else []
    return value.pk if isinstance(value, models.Model) else value


def _editable_fields(obj: models.Model) -> list[str]:
    return [f.name for f in obj._meta.concrete_fields if f.editable and not f.primary_key]


# What an audited write was given is what it returns, typed as the caller's model.
ModelT = TypeVar("ModelT", bound=models.Model)


def audited_create(
    *, actor: Staff | None, obj: ModelT, summary: str, fields: Iterable[str] | None = None
) -> ModelT:
    """Validate and save the new ``obj``; audit it as created with ``fields`` (default: all editable)."""
    obj.full_clean()
    obj.save()
    audit_record(
        action=Action.CREATE,
        actor=actor,
        target=obj,
        summary=summary,
        changes=changes_between({}, snapshot(obj, _editable_fields(obj) if fields is None else fields)),
    )
    return obj


def audited_update(
    *,
    actor: Staff | None,
    obj: ModelT,
    data: Mapping[str, Any],
    summary: str,
    fields: Collection[str] | None = None,
) -> ModelT:
    """Set ``data`` on ``obj``, validate, save, and audit what changed (no entry if nothing did).

    ``fields``, when given, are the only ones this service lets ``data`` set.
    """
    unknown = set(data) - set(fields) if fields is not None else set()
    if unknown:
        raise ValueError(f"fields not editable here: {sorted(unknown)}")
    with audited_change(actor=actor, obj=obj, summary=summary, fields=list(data), action=Action.UPDATE):
        for name, value in data.items():
            setattr(obj, name, value)
        obj.full_clean()
        obj.save()
    return obj


def audited_delete(*, actor: Staff | None, obj: models.Model, summary: str, fields: Iterable[str]) -> None:
    """Delete ``obj``, auditing the values of ``fields`` it had, so the entry shows what was lost."""
    audit_record(
        action=Action.DELETE,
        actor=actor,
        target=obj,
        summary=summary,
        changes={"before": snapshot(obj, fields)},
    )
    obj.delete()


@contextmanager
def audited_change(
    *,
    actor: Staff | None,
    obj: ModelT,
    summary: str,
    fields: Iterable[str],
    action: str | None = None,
) -> Iterator[ModelT]:
    """Audit whatever the block does to ``obj`` as one entry with the difference in ``fields``.

    For a change that is more than setting fields (a state transition, related rows, a send).
    The entry is CREATE when ``obj`` had no primary key before the block, else ``action``
    (default UPDATE); an update that changed none of ``fields`` writes no entry unless ``action``
    is given. The block and the entry commit together; a block that raises leaves neither.
    """
    fields = list(fields)
    creating = obj.pk is None
    before = {} if creating else snapshot(obj, fields)
    with transaction.atomic():
        yield obj
        changes = changes_between(before, snapshot(obj, fields))
        if creating or changes or action not in (None, Action.UPDATE):
            audit_record(
                action=Action.CREATE if creating else action or Action.UPDATE,
                actor=actor,
                target=obj,
                summary=summary,
                changes=changes,
            )


# --- keys and hashes ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditKey:
    key_id: str
    secret: bytes


class UnknownAuditKey(LookupError):
    pass


def audit_keys() -> list[AuditKey]:
    """The HMAC keys, newest (the one that signs) first; ids name them without revealing them."""
    configured = list(settings.AUDIT_HMAC_KEYS)
    if not configured:
        # Still outside the database; `check --deploy` insists on keys of their own in production.
        configured = ["derived-from-secret-key:" + settings.SECRET_KEY]
    return [_audit_key(value) for value in configured]


def _audit_key(value: str) -> AuditKey:
    secret = value.encode()
    key_id = hashlib.sha256(b"civicline audit key id\0" + secret).hexdigest()[:12]
    return AuditKey(key_id=key_id, secret=secret)


def _key_for(key_id: str) -> AuditKey:
    for key in audit_keys():
        if key.key_id == key_id:
            return key
    raise UnknownAuditKey(key_id)


def entry_hash(entry: AuditEntry) -> str:
    """The entry's seal: HMAC-SHA256 with its key, or plain SHA-256 for entries from before keys."""
    if not entry.key_id:
        return hashlib.sha256(_canonical(entry).encode()).hexdigest()
    payload = _canonical(entry, keyed=True).encode()
    return hmac.new(_key_for(entry.key_id).secret, payload, hashlib.sha256).hexdigest()


def _canonical(entry: AuditEntry, *, keyed: bool = False) -> str:
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
    if keyed:
        payload.update(request_id=entry.request_id, key_id=entry.key_id)
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


def _label(actor: Staff | None) -> str:
    if actor is None:
        return ""
    name = actor.display_name
    return f"{name} ({actor.username})" if name else actor.username


# --- checkpoints ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    """The chain's head at one moment, signed: kept where a database writer cannot reach it."""

    sequence: int
    hash: str
    created_at: str
    key_id: str
    mac: str

    @staticmethod
    def _message(sequence: int, entry_hash_: str, created_at: str) -> bytes:
        return f"civicline audit checkpoint\0{sequence}\0{entry_hash_}\0{created_at}".encode()

    def signature_ok(self) -> bool:
        try:
            key = _key_for(self.key_id)
        except UnknownAuditKey:
            return False
        expected = hmac.new(key.secret, self._message(self.sequence, self.hash, self.created_at), "sha256")
        return hmac.compare_digest(expected.hexdigest(), self.mac)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    @classmethod
    def from_json(cls, text: str) -> Checkpoint:
        data = json.loads(text)
        return cls(
            sequence=int(data["sequence"]),
            hash=str(data["hash"]),
            created_at=str(data["created_at"]),
            key_id=str(data["key_id"]),
            mac=str(data["mac"]),
        )


CHECKPOINT_PREFIX = "audit-checkpoint-"


def checkpoint_create() -> Checkpoint | None:
    """Sign the chain's current head and write it into ``AUDIT_CHECKPOINT_DIR``; ``None`` if empty."""
    head = AuditChainHead.objects.filter(pk=_HEAD_PK).first()
    if head is None or head.last_sequence == 0:
        return None
    key = audit_keys()[0]
    created_at = timezone.now().astimezone(UTC).isoformat(timespec="seconds")
    mac = hmac.new(key.secret, Checkpoint._message(head.last_sequence, head.last_hash, created_at), "sha256")
    checkpoint = Checkpoint(head.last_sequence, head.last_hash, created_at, key.key_id, mac.hexdigest())
    directory = Path(settings.AUDIT_CHECKPOINT_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    # Written whole under a temporary name, then renamed: a crash never leaves half a checkpoint.
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".partial-")
    with os.fdopen(handle, "w") as out:
        out.write(checkpoint.to_json())
    os.replace(temporary, directory / f"{CHECKPOINT_PREFIX}{checkpoint.sequence:012d}.json")
    for stale in checkpoint_files()[settings.AUDIT_CHECKPOINT_KEEP :]:
        stale.unlink(missing_ok=True)
    return checkpoint


def checkpoint_files() -> list[Path]:
    """Checkpoint files in ``AUDIT_CHECKPOINT_DIR``, newest first."""
    directory = Path(settings.AUDIT_CHECKPOINT_DIR)
    if not directory.is_dir():
        return []
    return sorted(directory.glob(f"{CHECKPOINT_PREFIX}*.json"), reverse=True)


def checkpoints_supersede(*, after_sequence: int) -> list[Path]:
    """Set aside checkpoints newer than a restored database's head, which legitimately lacks them."""
    moved = []
    aside = Path(settings.AUDIT_CHECKPOINT_DIR) / f"superseded-{timezone.now():%Y%m%d-%H%M%S}"
    for path in checkpoint_files():
        if Checkpoint.from_json(path.read_text()).sequence > after_sequence:
            aside.mkdir(exist_ok=True)
            moved.append(path.replace(aside / path.name))
    return moved


# --- verification ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    broken_sequence: int | None = None
    reason: str = ""
    checkpoints: int = 0
    unkeyed: int = 0


def verify_chain(*, extra_checkpoints: Iterable[Checkpoint] = ()) -> ChainReport:
    """Recompute every link from the purge anchor to the head; report the first broken entry.

    Beyond the links: each seal must be the HMAC of a configured key; entries sealed before keys
    existed may only precede the keyed ones; an anchor must be the one a signed purge entry left;
    and every checkpoint (on disk, plus ``extra_checkpoints`` such as one from a mail) must be
    signed, lie within the chain and match the entry it names.
    """
    head = AuditChainHead.objects.filter(pk=_HEAD_PK).first() or AuditChainHead()
    checkpoints = [*_disk_checkpoints(), *extra_checkpoints]
    for checkpoint in checkpoints:
        if not checkpoint.signature_ok():
            return ChainReport(False, 0, checkpoint.sequence, "checkpoint signature invalid or key unknown")
    wanted = {c.sequence for c in checkpoints if c.sequence > head.anchor_sequence}
    seen_hashes: dict[int, str] = {}
    expected_sequence, expected_prev = head.anchor_sequence + 1, head.anchor_hash
    checked = unkeyed = 0
    anchor_backed = head.anchor_sequence == 0
    for entry in AuditEntry.objects.order_by("sequence").iterator(chunk_size=2000):
        broken = _entry_problem(entry, expected_sequence, expected_prev, keyed_seen=checked > unkeyed)
        if broken:
            return ChainReport(False, checked, broken[0], broken[1], unkeyed=unkeyed)
        if entry.action == Action.PURGE and (
            entry.changes.get("anchor_sequence"), entry.changes.get("anchor_hash")
        ) == (head.anchor_sequence, head.anchor_hash):
            anchor_backed = True
        if entry.sequence in wanted:
            seen_hashes[entry.sequence] = entry.hash
        unkeyed += not entry.key_id
        checked += 1
        expected_sequence, expected_prev = entry.sequence + 1, entry.hash
    last = expected_sequence - 1
    if (head.last_sequence, head.last_hash) != (last, expected_prev):
        return ChainReport(False, checked, expected_sequence, "entries missing at the end of the chain")
    if not anchor_backed:
        return ChainReport(
            False, checked, head.anchor_sequence + 1, "chain starts at an anchor that no purge entry backs"
        )
    for checkpoint in sorted(checkpoints, key=lambda c: c.sequence):
        if checkpoint.sequence <= head.anchor_sequence:
            continue
        if checkpoint.sequence > last:
            return ChainReport(
                False, checked, last + 1, f"entries missing after a checkpoint at {checkpoint.sequence}"
            )
        if seen_hashes.get(checkpoint.sequence) != checkpoint.hash:
            return ChainReport(False, checked, checkpoint.sequence, "entry differs from its checkpoint")
    return ChainReport(True, checked, checkpoints=len(checkpoints), unkeyed=unkeyed)


def _entry_problem(
    entry: AuditEntry, expected_sequence: int, expected_prev: str, *, keyed_seen: bool
) -> tuple[int, str] | None:
    if entry.sequence != expected_sequence:
        return expected_sequence, "missing entry"
    if entry.prev_hash != expected_prev:
        return entry.sequence, "link to the previous entry broken"
    if not entry.key_id and keyed_seen:
        return entry.sequence, "unkeyed entry after keyed ones"
    try:
        sealed = entry_hash(entry)
    except UnknownAuditKey:
        return entry.sequence, f"sealed with an unknown key ({entry.key_id})"
    if not hmac.compare_digest(sealed, entry.hash):
        return entry.sequence, "content does not match its hash"
    return None


def _disk_checkpoints() -> list[Checkpoint]:
    found = []
    for path in checkpoint_files():
        try:
            found.append(Checkpoint.from_json(path.read_text()))
        except (OSError, ValueError, KeyError):
            # An unreadable checkpoint cannot vouch for anything; a forged one fails its signature.
            found.append(Checkpoint(0, "", "", "", ""))
    return found


# --- purge ----------------------------------------------------------------------------------------


class RetentionTooShort(ValueError):
    pass


def purge_expired(*, retention_days: int | None = None) -> int:
    """Delete entries older than the retention period and record the purge itself.

    The last deleted entry becomes the chain's anchor, backed by the signed purge entry, so the
    remaining chain still verifies. ``retention_days`` may keep more than ``AUDIT_RETENTION_DAYS``,
    never less. Only this function may delete entries; on PostgreSQL the trigger checks the flag
    set here.
    """
    days = settings.AUDIT_RETENTION_DAYS if retention_days is None else retention_days
    if days < settings.AUDIT_RETENTION_DAYS:
        raise RetentionTooShort(
            f"the audit log is kept {settings.AUDIT_RETENTION_DAYS} days (AUDIT_RETENTION_DAYS); "
            f"{days} days would purge entries still inside it"
        )
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
            changes={
                "cutoff": cutoff,
                "retention_days": days,
                "anchor_sequence": last[0],
                "anchor_hash": last[1],
                "deleted": count,
            },
        )
    return count


__all__ = [
    "Action",
    "AuditContext",
    "Checkpoint",
    "audit_context",
    "audit_record",
    "audited_change",
    "audited_create",
    "audited_delete",
    "audited_update",
    "changes_between",
    "checkpoint_create",
    "new_request_id",
    "purge_expired",
    "snapshot",
    "verify_chain",
]
