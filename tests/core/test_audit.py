"""The audit log (X-15): recorded, append-only, tamper-evident, purged with the chain intact."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory

from civicline.core.audit import audit_record, changes_between, purge_expired, verify_chain
from civicline.core.models import GENESIS_HASH, AuditChainHead, AuditEntry

pytestmark = pytest.mark.django_db


def _behind_the_applications_back(sql: str, params: list) -> None:
    """What someone with database access might do; on PostgreSQL they must disable the trigger."""
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute(sql, params)
            return
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # ALTER TABLE refuses pending FK checks
        cursor.execute("ALTER TABLE core_auditentry DISABLE TRIGGER core_auditentry_append_only")
        cursor.execute(sql, params)
        cursor.execute("ALTER TABLE core_auditentry ENABLE TRIGGER core_auditentry_append_only")


def _set_column(sequence: int, column: str, value) -> None:
    _behind_the_applications_back(
        f"UPDATE core_auditentry SET {column} = %s WHERE sequence = %s", [value, sequence]
    )


def _age(sequence_upto: int, days: int) -> None:
    for entry in AuditEntry.objects.filter(sequence__lte=sequence_upto):
        _set_column(entry.sequence, "created_at", entry.created_at - timedelta(days=days))


def _rehash_all() -> None:
    """Re-seal the chain after aging rows in a test, as if they had really been written long ago."""
    from civicline.core.audit import entry_hash

    prev = AuditChainHead.objects.get(pk=1).anchor_hash
    for entry in AuditEntry.objects.order_by("sequence"):
        entry.prev_hash = prev
        new = entry_hash(entry)
        _set_column(entry.sequence, "prev_hash", prev)
        _set_column(entry.sequence, "hash", new)
        prev = new
    AuditChainHead.objects.filter(pk=1).update(last_hash=prev)


def test_entries_form_a_hash_chain(staff_user):
    first = audit_record(action="create", actor=staff_user, summary="一件目")
    second = audit_record(action="update", actor=staff_user, summary="二件目", changes={"n": 1})

    assert (first.sequence, second.sequence) == (first.sequence, first.sequence + 1)
    assert second.prev_hash == first.hash
    assert second.department == staff_user.department
    assert second.actor_label == "田中 花子 (tanaka)"
    report = verify_chain()
    assert report.ok and report.checked == AuditEntry.objects.count()


def test_department_defaults_to_the_target_then_the_actor(system_admin, staff_user, department):
    by_target = audit_record(action="update", actor=system_admin, target=staff_user)
    by_actor = audit_record(action="update", actor=system_admin)

    assert by_target.department == department
    assert by_target.target_type == "core.staff" and by_target.target_id == str(staff_user.pk)
    assert by_actor.department == system_admin.department


def test_client_address_comes_from_the_request(staff_user):
    request = RequestFactory().get("/console/", REMOTE_ADDR="10.1.2.3")
    request.user = staff_user

    entry = audit_record(action="view_personal", request=request)

    assert entry.client_address == "10.1.2.3"
    assert entry.actor == staff_user


def test_changes_between_lists_only_what_changed():
    assert changes_between({"name": "A", "email": "x"}, {"name": "B", "email": "x"}) == {
        "name": {"before": "A", "after": "B"}
    }


def test_entries_cannot_be_changed_or_deleted_through_the_orm(staff_user):
    entry = audit_record(action="create", actor=staff_user)

    entry.summary = "書き換え"
    with pytest.raises(PermissionDenied):
        entry.save()
    with pytest.raises(PermissionDenied):
        entry.delete()
    with pytest.raises(PermissionDenied):
        AuditEntry.objects.filter(pk=entry.pk).update(summary="書き換え")
    with pytest.raises(PermissionDenied):
        AuditEntry.objects.all().delete()


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only")
def test_postgresql_trigger_refuses_raw_update_and_delete(staff_user):
    entry = audit_record(action="create", actor=staff_user)
    for sql in (
        "UPDATE core_auditentry SET summary = 'x' WHERE id = %s",
        "DELETE FROM core_auditentry WHERE id = %s",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [entry.pk])


@pytest.mark.parametrize(
    ("column", "value"),
    [("summary", "書き換えた概要"), ("actor_label", "someone else"), ("changes", '{"x": 1}')],
)
def test_verification_names_the_first_tampered_entry(staff_user, column, value):
    entries = [audit_record(action="update", actor=staff_user, summary=f"#{i}") for i in range(4)]
    tampered = entries[1]
    _set_column(tampered.sequence, column, value)

    report = verify_chain()

    assert not report.ok
    assert report.broken_sequence == tampered.sequence
    with pytest.raises(CommandError, match=f"sequence {tampered.sequence}"):
        call_command("verify_audit_chain")


def test_verification_detects_a_removed_entry(staff_user):
    entries = [audit_record(action="update", actor=staff_user) for _ in range(3)]
    _behind_the_applications_back("DELETE FROM core_auditentry WHERE sequence = %s", [entries[1].sequence])

    report = verify_chain()

    assert not report.ok and report.broken_sequence == entries[1].sequence


def test_verify_command_reports_ok(staff_user, capsys):
    audit_record(action="create", actor=staff_user)

    call_command("verify_audit_chain")

    assert capsys.readouterr().out.strip() == f"OK {AuditEntry.objects.count()} entries"


def test_purge_removes_expired_entries_keeps_the_chain_verifiable_and_is_audited(staff_user, settings):
    settings.AUDIT_RETENTION_DAYS = 30
    old = [audit_record(action="update", actor=staff_user, summary="古い") for _ in range(3)]
    recent = audit_record(action="update", actor=staff_user, summary="新しい")
    _age(old[-1].sequence, days=40)
    _rehash_all()
    assert verify_chain().ok

    call_command("purge_audit_log")

    remaining = set(AuditEntry.objects.values_list("summary", flat=True))
    assert "古い" not in remaining and "新しい" in remaining
    purge = AuditEntry.objects.get(action="purge")
    assert purge.changes["anchor_sequence"] == old[-1].sequence
    assert purge.sequence > recent.sequence
    report = verify_chain()
    assert report.ok, report
    head = AuditChainHead.objects.get(pk=1)
    assert head.anchor_sequence == old[-1].sequence


def test_purge_with_nothing_expired_changes_nothing(staff_user, settings):
    settings.AUDIT_RETENTION_DAYS = 30
    audit_record(action="update", actor=staff_user)
    count = AuditEntry.objects.count()

    assert purge_expired() == 0
    assert AuditEntry.objects.count() == count


def test_login_logout_and_failed_login_are_audited_through_signals(rf, staff_user):
    from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

    request = rf.post("/console/login/", REMOTE_ADDR="192.0.2.7")
    user_logged_in.send(sender=type(staff_user), request=request, user=staff_user)
    user_logged_out.send(sender=type(staff_user), request=request, user=staff_user)
    user_login_failed.send(
        sender=__name__, credentials={"username": "nobody", "password": "*****"}, request=request
    )

    actions = list(
        AuditEntry.objects.order_by("sequence").values_list("action", "actor_label", "client_address")
    )
    assert actions[-3:] == [
        ("login", "田中 花子 (tanaka)", "192.0.2.7"),
        ("logout", "田中 花子 (tanaka)", "192.0.2.7"),
        ("login_failed", "nobody", "192.0.2.7"),
    ]


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_never_fork_the_chain():
    """Appends from many threads at once still form one unbroken chain (serialised on the head row)."""
    import threading

    from django.db import connections

    errors: list[BaseException] = []

    def append(n: int) -> None:
        try:
            for i in range(5):
                audit_record(action="update", actor_label=f"worker{n}", summary=f"{n}-{i}")
        except BaseException as exc:  # reported below; a thread's exception would be lost otherwise
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=append, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors
    sequences = list(AuditEntry.objects.order_by("sequence").values_list("sequence", flat=True))
    assert sequences == list(range(sequences[0], sequences[0] + 30))
    assert verify_chain().ok


# --- keyed seals, purge anchors and checkpoints: what a database writer without the key tries ------


def _reseal_from(sequence: int, *, key_id: str | None = None, guessed_key: bytes | None = None) -> None:
    """The attacker's rewrite: recompute every link from ``sequence`` on with the project's own code
    (and, for keyed entries, a key they can only guess)."""
    import hashlib
    import hmac

    from civicline.core.audit import _canonical, entry_hash

    prev = AuditEntry.objects.get(sequence=sequence - 1).hash if sequence > 1 else GENESIS_HASH
    for entry in AuditEntry.objects.filter(sequence__gte=sequence).order_by("sequence"):
        entry.prev_hash = prev
        if key_id is not None:
            entry.key_id = key_id
            _set_column(entry.sequence, "key_id", key_id)
        if guessed_key is not None and entry.key_id:
            new = hmac.new(guessed_key, _canonical(entry, keyed=True).encode(), hashlib.sha256).hexdigest()
        else:
            new = entry_hash(entry)
        _set_column(entry.sequence, "prev_hash", prev)
        _set_column(entry.sequence, "hash", new)
        prev = new
    AuditChainHead.objects.filter(pk=1).update(last_hash=prev)


def test_entries_are_sealed_with_an_hmac_of_a_configured_key(staff_user, settings):
    settings.AUDIT_HMAC_KEYS = ["k" * 40]
    entry = audit_record(action="update", actor=staff_user, summary="x")

    assert entry.key_id
    settings.AUDIT_HMAC_KEYS = ["another key that is not the one" * 2]
    report = verify_chain()
    assert not report.ok and "unknown key" in report.reason


def test_an_edited_entry_resealed_without_the_key_is_caught(staff_user, settings):
    """Pen-test finding 2a: edit entry 2 and recompute the rest with the project's hash function."""
    settings.AUDIT_HMAC_KEYS = ["the city's real key, kept off the database server"]
    entries = [audit_record(action="update", actor=staff_user, summary=f"#{i}") for i in range(5)]
    _set_column(entries[1].sequence, "summary", "書き換えた")

    _reseal_from(entries[1].sequence, guessed_key=b"the attacker's guess")
    report = verify_chain()
    assert not report.ok and report.broken_sequence == entries[1].sequence

    _reseal_from(entries[1].sequence, key_id="")  # passing them off as entries from before keys
    report = verify_chain()
    assert not report.ok and report.broken_sequence == entries[1].sequence
    assert "unkeyed" in report.reason


def test_a_whole_chain_rewritten_as_unkeyed_is_caught_by_a_checkpoint(staff_user):
    from civicline.core.audit import checkpoint_create

    entries = [audit_record(action="update", actor=staff_user, summary=f"#{i}") for i in range(3)]
    checkpoint_create()
    _set_column(entries[0].sequence, "summary", "書き換えた")
    _reseal_from(entries[0].sequence, key_id="")

    report = verify_chain()

    assert not report.ok and report.broken_sequence == entries[-1].sequence
    assert "checkpoint" in report.reason


def test_deleting_the_oldest_entries_and_moving_the_anchor_is_caught(staff_user):
    """Pen-test finding 2b: delete entries and point the anchor past them, without a purge."""
    entries = [audit_record(action="update", actor=staff_user) for _ in range(6)]
    cut = entries[2]
    _behind_the_applications_back("DELETE FROM core_auditentry WHERE sequence <= %s", [cut.sequence])
    AuditChainHead.objects.filter(pk=1).update(anchor_sequence=cut.sequence, anchor_hash=cut.hash)

    report = verify_chain()

    assert not report.ok
    assert "no purge entry backs" in report.reason


def test_purging_inside_the_retention_period_is_refused(staff_user, settings):
    settings.AUDIT_RETENTION_DAYS = 365
    audit_record(action="update", actor=staff_user)

    with pytest.raises(CommandError, match="365 days"):
        call_command("purge_audit_log", "--days", "30")
    assert not AuditEntry.objects.filter(action="purge").exists()


def test_truncating_the_tail_after_a_checkpoint_is_caught(staff_user):
    from civicline.core.audit import checkpoint_create

    entries = [audit_record(action="update", actor=staff_user) for _ in range(5)]
    checkpoint = checkpoint_create()
    assert checkpoint.sequence == entries[-1].sequence
    keep = entries[2]
    _behind_the_applications_back("DELETE FROM core_auditentry WHERE sequence > %s", [keep.sequence])
    AuditChainHead.objects.filter(pk=1).update(last_sequence=keep.sequence, last_hash=keep.hash)

    report = verify_chain()

    assert not report.ok and report.broken_sequence == keep.sequence + 1
    assert "after a checkpoint" in report.reason
    with pytest.raises(CommandError, match="after a checkpoint"):
        call_command("verify_audit_chain")


def test_a_forged_checkpoint_is_refused(staff_user, settings):
    from civicline.core.audit import Checkpoint, checkpoint_create, checkpoint_files

    audit_record(action="update", actor=staff_user)
    checkpoint_create()
    path = checkpoint_files()[0]
    original = Checkpoint.from_json(path.read_text())
    path.write_text(Checkpoint(original.sequence - 1, "0" * 64, original.created_at, original.key_id,
                               original.mac).to_json())

    report = verify_chain()

    assert not report.ok and "checkpoint signature" in report.reason


def test_a_mailed_checkpoint_given_to_the_command_is_compared(staff_user, tmp_path, capsys):
    from civicline.core.audit import checkpoint_create, checkpoint_files

    audit_record(action="update", actor=staff_user)
    checkpoint_create()
    mailed = tmp_path / "mailed.json"
    mailed.write_text(checkpoint_files()[0].read_text())
    checkpoint_files()[0].unlink()  # the server's copy is gone; the administrator's mail is not
    last = AuditEntry.objects.order_by("-sequence").first()
    _behind_the_applications_back("DELETE FROM core_auditentry WHERE sequence = %s", [last.sequence])
    AuditChainHead.objects.filter(pk=1).update(last_sequence=last.sequence - 1, last_hash=last.prev_hash)

    call_command("verify_audit_chain")  # nothing on disk to compare with: the truncation is invisible
    with pytest.raises(CommandError, match="after a checkpoint"):
        call_command("verify_audit_chain", "--checkpoint", str(mailed))


def test_a_purge_leaves_a_chain_that_verifies_against_earlier_checkpoints(staff_user, settings):
    from civicline.core.audit import checkpoint_create

    settings.AUDIT_RETENTION_DAYS = 30
    old = [audit_record(action="update", actor=staff_user, summary="古い") for _ in range(3)]
    _age(old[-1].sequence, days=40)
    _rehash_all()
    checkpoint_create()  # names the newest of the old entries, which the purge removes
    audit_record(action="update", actor=staff_user, summary="新しい")

    assert purge_expired() == 3

    report = verify_chain()
    assert report.ok, report


def test_key_rotation_keeps_older_entries_verifiable(staff_user, settings):
    settings.AUDIT_HMAC_KEYS = ["first key of the city, forty characters long"]
    before = audit_record(action="update", actor=staff_user)
    settings.AUDIT_HMAC_KEYS = ["second key of the city, forty characters!!", *settings.AUDIT_HMAC_KEYS]
    after = audit_record(action="update", actor=staff_user)

    assert before.key_id != after.key_id
    assert verify_chain().ok
    settings.AUDIT_HMAC_KEYS = settings.AUDIT_HMAC_KEYS[:1]  # the old key dropped too early
    report = verify_chain()
    assert not report.ok and report.broken_sequence == before.sequence


def test_entries_from_before_keys_verify_when_keyed_entries_follow(staff_user):
    first = audit_record(action="update", actor=staff_user)
    _reseal_from(first.sequence, key_id="")  # as an installation upgraded from unkeyed seals has them
    audit_record(action="update", actor=staff_user)

    report = verify_chain()

    assert report.ok and report.unkeyed == 1


# --- who, where, which request: the audit context -----------------------------------------------------


def test_a_service_called_without_the_request_still_records_actor_address_and_request_id(rf, staff_user):
    from civicline.core.audit import audit_context

    request = rf.post("/console/anything/", REMOTE_ADDR="192.0.2.44")
    request.user, request.id = staff_user, "req-1234"

    with audit_context(request=request):
        entry = audit_record(action="update", summary="サービスが書いた")

    assert (entry.actor, entry.client_address, entry.request_id) == (staff_user, "192.0.2.44", "req-1234")


def test_every_console_request_gives_its_entries_the_request_id_it_answers_with(console_client, system_admin):
    client = console_client(system_admin)

    response = client.get("/console/audit/export.csv", REMOTE_ADDR="127.0.0.9")

    entry = AuditEntry.objects.filter(action="export").latest("sequence")
    assert entry.request_id == response["X-Request-ID"]
    assert entry.client_address == "127.0.0.9"
    assert entry.actor == system_admin


def test_a_worker_task_names_itself_as_the_actor():
    from huey.contrib.djhuey import task

    @task(name="tests.audit_context_probe")
    def probe() -> None:
        audit_record(action="update", summary="自動処理が書いた")

    probe()

    entry = AuditEntry.objects.latest("sequence")
    assert entry.actor_label == "自動処理（tests.audit_context_probe）"
    assert entry.request_id.startswith("task-")
