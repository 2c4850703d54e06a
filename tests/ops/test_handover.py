"""Handover export (X-20): every record of every civicline app in open formats, with a README."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.utils import timezone

from civicline.core.models import AuditEntry
from civicline.line.models import Friend, MessageContent
from civicline.ops.handover import exported_models

pytestmark = pytest.mark.django_db

HOSTILE_NAME = '=HYPERLINK("http://evil.example","x")'


@pytest.fixture
def resident_data(ops_settings, staff_user):
    now = timezone.now()
    friend = Friend.objects.create(
        user_id="U" + "a" * 32, display_name=HOSTILE_NAME, first_seen=now, last_seen=now
    )
    content = MessageContent(message_id="m1", user_id=friend.user_id)
    content.file.save("damage.jpg", ContentFile(b"\xff\xd8photo-bytes"), save=True)
    return friend, content


def _read_csv(path: Path) -> list[dict]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def test_export_all_writes_every_model_decrypted_with_files_and_readme(resident_data, tmp_path):
    friend, content = resident_data
    out = tmp_path / "export"
    call_command("export_all", str(out), stdout=io.StringIO())

    # Generic over the app registry: one CSV and one JSONL per model of every installed civicline app.
    expected = {
        f"data/{m._meta.app_label}/{m._meta.model_name}.{ext}"
        for m in exported_models()
        for ext in ("csv", "jsonl")
    }
    written = {
        p.relative_to(out).as_posix()
        for p in out.rglob("*")
        if p.is_file() and p.parts[len(out.parts)] == "data"
    }
    assert written == expected
    assert {"core", "line", "facilities", "reservations", "chatbot", "ops"} <= {
        m._meta.app_label for m in exported_models()
    }
    assert not any(m._meta.app_label == "linesim" for m in exported_models())

    rows = _read_csv(out / "data/line/friend.csv")
    assert rows[0]["display_name"] == "'" + HOSTILE_NAME  # decrypted, and harmless in a spreadsheet
    jsonl = [json.loads(line) for line in (out / "data/line/friend.jsonl").read_text().splitlines()]
    assert jsonl[0]["display_name"] == HOSTILE_NAME and jsonl[0]["user_id"] == friend.user_id

    assert (out / "files" / content.file.name).read_bytes() == b"\xff\xd8photo-bytes"
    assert "password" not in _read_csv(out / "data/core/staff.csv")[0]

    readme = (out / "README.md").read_text()
    assert "## 友だち（`line.friend`）" in readme and "`display_name` | 表示名" in readme
    assert "復号済み" in readme and "`data/line/friend.jsonl`" in readme

    entry = AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).first()
    assert entry is not None and "引き渡し" in entry.summary


def test_export_all_refuses_a_non_empty_directory(ops_settings, tmp_path):
    (tmp_path / "old.txt").write_text("x")
    with pytest.raises(CommandError, match="not empty"):
        call_command("export_all", str(tmp_path))


def test_console_handover_page_is_for_system_administrators_only(staff_client, system_admin_client):
    assert staff_client.get("/console/ops/handover/").status_code == 403
    assert staff_client.post("/console/ops/handover/download/").status_code == 403
    page = system_admin_client.get("/console/ops/handover/")
    assert page.status_code == 200
    assert "data/line/friend.csv" in page.content.decode()


def test_console_download_streams_a_zip_of_everything_and_is_audited(resident_data, system_admin_client):
    _friend, content = resident_data
    assert system_admin_client.get("/console/ops/handover/download/").status_code == 405
    response = system_admin_client.post("/console/ops/handover/download/")
    assert response.status_code == 200 and response.streaming
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    names = set(archive.namelist())
    assert {
        "civicline-export/README.md",
        "civicline-export/data/line/friend.jsonl",
        f"civicline-export/files/{content.file.name}",
    } <= names
    line = archive.read("civicline-export/data/line/friend.jsonl").decode().splitlines()[0]
    assert json.loads(line)["display_name"] == HOSTILE_NAME
    assert AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT, actor__username="admin").exists()
