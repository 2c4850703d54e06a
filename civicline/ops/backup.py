"""Backup archives (X-13): what goes in, how the database is copied out and back.

An archive holds ``manifest.json``, the database (PostgreSQL: ``pg_dump`` custom format, one
consistent snapshot; SQLite: the online backup API, consistent while others write) and
``media/…`` (every uploaded file) and ``audit-checkpoints/…`` (the signed audit checkpoints, one
taken just before the dump). The database is copied first, then the files: a file deleted
in between may be missing, but every file a restored record refers to that still existed is there.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.db import connections
from django.db.migrations.recorder import MigrationRecorder

from civicline.core.audit import checkpoint_create, checkpoint_files

from .archive import ArchiveError, EncryptingWriter, decrypted_chunks, fernet_for
from .conf import setting

FORMAT = 1
ARCHIVE_PREFIX, ARCHIVE_SUFFIX = "civicline-", ".backup"
MANIFEST = "manifest.json"
# Signed audit checkpoints travel with every archive, away from the database they vouch for.
CHECKPOINT_PREFIX_IN_ARCHIVE = "audit-checkpoints/"
MEDIA_PREFIX = "media/"
DATABASE_MEMBERS = {"postgresql": "database.pgdump", "sqlite": "database.sqlite3"}


@dataclass(frozen=True)
class BackupFile:
    path: Path
    created_at: datetime
    size: int

    @property
    def name(self) -> str:
        return self.path.name


@dataclass(frozen=True)
class BackupResult:
    archive: BackupFile
    vendor: str
    media_files: int


def archive_files(directory: Path | None = None) -> list[BackupFile]:
    """Complete archives in the backup directory, newest first (``.partial`` files are not backups)."""
    directory = directory or setting("BACKUP_DIR")
    if not directory.is_dir():
        return []
    found = []
    for path in directory.glob(f"{ARCHIVE_PREFIX}*{ARCHIVE_SUFFIX}"):
        stat = path.stat()
        found.append(BackupFile(path, datetime.fromtimestamp(stat.st_mtime, UTC), stat.st_size))
    return sorted(found, key=lambda b: (b.created_at, b.name), reverse=True)


def write_archive(*, directory: Path, now: datetime) -> BackupResult:
    """Write one encrypted archive into ``directory``; it appears under its final name only when complete."""
    fernet = fernet_for(setting("BACKUP_ENCRYPTION_KEY"))
    connection = connections["default"]
    vendor = connection.vendor
    if vendor not in DATABASE_MEMBERS:
        raise ArchiveError(f"backups support PostgreSQL and SQLite, not {vendor}")
    directory.mkdir(parents=True, exist_ok=True)
    final = directory / f"{ARCHIVE_PREFIX}{now:%Y%m%d-%H%M%S-%f}{ARCHIVE_SUFFIX}"
    partial = final.with_suffix(".partial")
    media_files = 0
    with tempfile.TemporaryDirectory(prefix="civicline-backup-") as scratch:
        dump = Path(scratch) / DATABASE_MEMBERS[vendor]
        # Signed before the dump, so the archive always holds a checkpoint its own audit log reaches.
        checkpoint_create()
        _dump_database(connection.settings_dict, vendor, dump)
        manifest = {
            "format": FORMAT,
            "created_at": now.isoformat(),
            "database": {"vendor": vendor, "member": dump.name},
            "migrations": _applied_migrations(),
        }
        with partial.open("wb") as out:
            writer = EncryptingWriter(out, fernet)
            with (
                gzip.GzipFile(fileobj=writer, mode="wb", compresslevel=6) as gz,
                tarfile.open(fileobj=gz, mode="w|") as tar,
            ):
                _add_bytes(tar, MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2).encode())
                tar.add(dump, arcname=dump.name)
                for path in checkpoint_files():
                    tar.add(path, arcname=CHECKPOINT_PREFIX_IN_ARCHIVE + path.name, recursive=False)
                for path, relative in _media_files():
                    tar.add(path, arcname=MEDIA_PREFIX + relative, recursive=False)
                    media_files += 1
            writer.finish()
            out.flush()
            os.fsync(out.fileno())
    partial.replace(final)
    stat = final.stat()
    return BackupResult(
        BackupFile(final, datetime.fromtimestamp(stat.st_mtime, UTC), stat.st_size), vendor, media_files
    )


def restore_archive(*, archive: Path) -> dict:
    """Replace the database and put back the media files from ``archive``; return its manifest.

    The archive is decrypted and verified whole before anything is touched.
    """
    fernet = fernet_for(setting("BACKUP_ENCRYPTION_KEY"))
    with tempfile.TemporaryDirectory(prefix="civicline-restore-") as scratch:
        plain = Path(scratch) / "backup.tar.gz"
        with archive.open("rb") as source, plain.open("wb") as out:
            for chunk in decrypted_chunks(source, fernet):
                out.write(chunk)
        with tarfile.open(plain, mode="r:gz") as tar:
            manifest = _read_manifest(tar)
            connection = connections["default"]
            if manifest["database"]["vendor"] != connection.vendor:
                raise ArchiveError(
                    f"this backup holds a {manifest['database']['vendor']} database; "
                    f"the configured database is {connection.vendor}"
                )
            dump = Path(scratch) / "database"
            member = tar.extractfile(manifest["database"]["member"])
            if member is None:
                raise ArchiveError("the archive has no database")
            with member, dump.open("wb") as out:
                shutil.copyfileobj(member, out)
            connections.close_all()
            _restore_database(connection.settings_dict, connection.vendor, dump)
            _restore_media(tar)
    return manifest


# --- database engines ---------------------------------------------------------------------------


def _dump_database(settings_dict: dict, vendor: str, dest: Path) -> None:
    if vendor == "postgresql":
        # Uncompressed custom format: the archive is gzipped as a whole, compressing twice only costs time.
        _run(["pg_dump", "--format=custom", "--compress=0", "--no-owner", f"--file={dest}"], settings_dict)
    else:
        _sqlite_copy(Path(settings_dict["NAME"]), dest)


def _restore_database(settings_dict: dict, vendor: str, dump: Path) -> None:
    if vendor == "postgresql":
        _run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--no-privileges",
                "--single-transaction",
                "--exit-on-error",
                f"--dbname={settings_dict['NAME']}",
                str(dump),
            ],
            settings_dict,
        )
    else:
        _sqlite_copy(dump, Path(settings_dict["NAME"]))


def _sqlite_copy(source: Path, dest: Path) -> None:
    """SQLite's online backup: a consistent copy, page by page, while other connections keep writing."""
    src = sqlite3.connect(source, timeout=20)
    dst = sqlite3.connect(dest, timeout=20)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def _run(command: list[str], settings_dict: dict) -> None:
    """Run a PostgreSQL client with the connection in its environment (the password never on argv)."""
    env = {**os.environ, "PGDATABASE": settings_dict["NAME"]}
    for variable, key in (
        ("PGHOST", "HOST"),
        ("PGPORT", "PORT"),
        ("PGUSER", "USER"),
        ("PGPASSWORD", "PASSWORD"),
    ):
        if settings_dict.get(key):
            env[variable] = str(settings_dict[key])
    if sslmode := settings_dict.get("OPTIONS", {}).get("sslmode"):
        env["PGSSLMODE"] = sslmode
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise ArchiveError(f"{command[0]} failed: {result.stderr.strip()[-2000:]}")


def _applied_migrations() -> dict[str, str]:
    latest: dict[str, str] = {}
    for app, name in MigrationRecorder.Migration.objects.order_by("app", "name").values_list("app", "name"):
        latest[app] = name
    return latest


# --- media --------------------------------------------------------------------------------------


def _media_files() -> Iterator[tuple[Path, str]]:
    root = Path(settings.MEDIA_ROOT)
    if not root.is_dir():
        return
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            path = Path(folder) / name
            if path.is_file() and not path.is_symlink():
                yield path, path.relative_to(root).as_posix()


def _restore_media(tar: tarfile.TarFile) -> None:
    root = Path(settings.MEDIA_ROOT)
    root.mkdir(parents=True, exist_ok=True)
    for member in tar:
        if not member.isfile() or not member.name.startswith(MEDIA_PREFIX):
            continue
        relative = PurePosixPath(member.name[len(MEDIA_PREFIX) :])
        # The "data" filter refuses absolute paths, "..", links and device files: nothing lands outside.
        tar.extract(member.replace(name=str(relative), deep=False), path=root, filter="data")


def _read_manifest(tar: tarfile.TarFile) -> dict:
    try:
        member = tar.extractfile(MANIFEST)
    except KeyError as exc:
        raise ArchiveError("the archive has no manifest") from exc
    if member is None:
        raise ArchiveError("the archive has no manifest")
    manifest = json.loads(member.read())
    if manifest.get("format") != FORMAT:
        raise ArchiveError(f"unknown backup format {manifest.get('format')!r}")
    return manifest


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(datetime.now(UTC).timestamp())
    tar.addfile(info, io.BytesIO(data))
