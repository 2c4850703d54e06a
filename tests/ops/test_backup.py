"""Backups and restore (X-13): back up, wipe, restore, and every record and photo is back."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone
from PIL import Image

from civicline.core.audit import audit_record, verify_chain
from civicline.core.models import AuditEntry
from civicline.line.models import Friend, MessageContent
from civicline.ops import services
from civicline.ops.archive import MAGIC, ArchiveError
from civicline.ops.backup import archive_files
from tests.fixtures.core import DepartmentFactory, StaffFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _photo(colour: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(out, "JPEG")
    return out.getvalue()


def _city_data() -> dict[str, bytes]:
    """A department, staff, residents with personal data, their photos, and audit entries."""
    department = DepartmentFactory(code="kankyo", name="環境課")
    staff = StaffFactory(department=department)
    now = timezone.now()
    photos = {}
    for n, colour in enumerate(["red", "green", "blue"]):
        friend = Friend.objects.create(
            user_id=f"U{n:032d}", display_name=f"住民{n} 🌸", first_seen=now, last_seen=now
        )
        content = MessageContent(message_id=f"m{n}", user_id=friend.user_id, content_type="image/jpeg")
        content.file.save(f"photo{n}.jpg", ContentFile(_photo(colour)), save=True)
        photos[content.file.name] = content.file.read()
        audit_record(action="create", actor=staff, target=friend, summary=f"テスト{n}")
    return photos


def _snapshot() -> dict[str, list[tuple]]:
    """Every row of every civicline table (linesim is LINE's side, in its own database)."""
    return {
        model._meta.label: list(
            model._base_manager.order_by("pk").values_list(*[f.attname for f in model._meta.concrete_fields])
        )
        for config in apps.get_app_configs()
        if config.name.startswith("civicline.") and config.label != "linesim"
        for model in config.get_models(include_auto_created=True)
    }


def _wipe(media_root: Path) -> None:
    call_command("flush", interactive=False, verbosity=0)
    shutil.rmtree(media_root)
    assert not Friend.objects.exists() and not AuditEntry.objects.exists()


def test_backup_wipe_restore_brings_back_every_record_and_photo(ops_settings):
    """X-13: the whole round trip, on whichever database the suite runs (SQLite or PostgreSQL)."""
    photos = _city_data()
    before = _snapshot()

    out = io.StringIO()
    call_command("backup", stdout=out)
    archive = archive_files()[0].path
    assert f"{connection.vendor} database, 3 media files" in out.getvalue()
    raw = archive.read_bytes()
    assert raw.startswith(MAGIC)
    assert "住民0".encode() not in raw and b"JFIF" not in raw  # encrypted, not just compressed
    backup_entries = before["core.AuditEntry"]

    _wipe(Path(ops_settings.MEDIA_ROOT))
    call_command("restore", str(archive), "--yes", stdout=io.StringIO())

    after = _snapshot()
    restored_entries = after.pop("core.AuditEntry")
    before.pop("core.AuditEntry")
    before.pop("core.AuditChainHead"), after.pop("core.AuditChainHead")
    assert after == before
    # The log is the backup's log plus the restore's own entry, still one valid chain.
    assert restored_entries[:-1] == backup_entries
    assert verify_chain().ok
    assert AuditEntry.objects.order_by("-sequence").first().summary.startswith("バックアップから復元")
    friend = Friend.objects.get(user_id=f"U{0:032d}")
    assert friend.display_name == "住民0 🌸"
    for name, content in photos.items():
        assert (Path(ops_settings.MEDIA_ROOT) / name).read_bytes() == content


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs DATABASE_URL pointing at PostgreSQL")
def test_postgresql_backup_is_a_pg_dump_snapshot_restored_with_pg_restore(ops_settings):
    """X-13 on PostgreSQL: pg_dump's archive inside; the append-only audit trigger survives the restore."""
    _city_data()
    result = services.backup_create()
    assert result.vendor == "postgresql"
    _wipe(Path(ops_settings.MEDIA_ROOT))
    services.backup_restore(archive=result.archive.path)
    assert Friend.objects.count() == 3
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_trigger WHERE tgname = 'core_auditentry_append_only'")
        assert cursor.fetchone()[0] == 1


def test_keep_leaves_only_the_newest_archives(ops_settings):
    for _ in range(4):
        services.backup_create(keep=2)
    assert len(archive_files()) == 2


def test_backup_without_key_refuses_clearly(ops_settings):
    ops_settings.BACKUP_ENCRYPTION_KEY = ""
    with pytest.raises(CommandError, match="BACKUP_ENCRYPTION_KEY"):
        call_command("backup")
    assert archive_files() == []


def test_restore_refuses_altered_truncated_or_foreign_archives_and_changes_nothing(ops_settings):
    _city_data()
    archive = services.backup_create().archive.path
    Friend.objects.filter(user_id=f"U{0:032d}").update(language="en")
    data = archive.read_bytes()
    cases = {
        "altered": data[:200] + bytes([data[200] ^ 1]) + data[201:],
        "truncated": data[: len(data) - 10],
        "not a backup": b"hello",
    }
    for name, content in cases.items():
        bad = archive.with_name(f"bad-{name.replace(' ', '-')}.backup")
        bad.write_bytes(content)
        with pytest.raises(ArchiveError):
            services.backup_restore(archive=bad)
    ops_settings.BACKUP_ENCRYPTION_KEY = Fernet.generate_key().decode()
    with pytest.raises(CommandError, match="BACKUP_ENCRYPTION_KEY"):
        call_command("restore", str(archive), "--yes")
    assert Friend.objects.get(user_id=f"U{0:032d}").language == "en"


def test_an_older_key_still_opens_old_archives_after_rotation(ops_settings):
    old = ops_settings.BACKUP_ENCRYPTION_KEY
    archive = services.backup_create().archive.path
    ops_settings.BACKUP_ENCRYPTION_KEY = f"{Fernet.generate_key().decode()},{old}"
    services.backup_restore(archive=archive)


def test_every_backup_carries_the_signed_audit_checkpoints(ops_settings):
    """X-15: a copy of the checkpoints travels with each archive, away from the database."""
    import tarfile

    from civicline.ops.archive import decrypted_chunks, fernet_for

    _city_data()
    head = AuditEntry.objects.order_by("-sequence").first()

    call_command("backup", stdout=io.StringIO())

    archive = archive_files()[0].path
    plain = b"".join(decrypted_chunks(archive.open("rb"), fernet_for([ops_settings.BACKUP_ENCRYPTION_KEY])))
    with tarfile.open(fileobj=io.BytesIO(plain), mode="r:gz") as tar:
        names = [n for n in tar.getnames() if n.startswith("audit-checkpoints/")]
        checkpoint = tar.extractfile(names[0]).read().decode()
    assert f'"sequence": {head.sequence}' in checkpoint


def test_restoring_an_older_backup_sets_aside_the_checkpoints_it_predates(ops_settings):
    from civicline.core.audit import checkpoint_create, checkpoint_files

    _city_data()
    call_command("backup", stdout=io.StringIO())
    archive = archive_files()[0].path
    audit_record(action="update", actor_label="after the backup", summary="後")
    checkpoint_create()  # names an entry the backup does not have

    call_command("restore", str(archive), "--yes", stdout=io.StringIO())

    report = verify_chain()
    assert report.ok, report
    restore = AuditEntry.objects.order_by("-sequence").first()
    assert len(restore.changes["checkpoints_superseded"]) == 1
    assert all("superseded" not in str(path) for path in checkpoint_files())
