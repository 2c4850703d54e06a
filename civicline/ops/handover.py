"""The handover export (X-20): every record of every civicline app, in open formats, streamed.

Generic over Django's app registry, so a feature added later is exported without a change here.
Each model becomes ``data/<app>/<model>.csv`` (for spreadsheets) and ``.jsonl`` (exact values),
with personal fields decrypted; uploaded files are copied under ``files/``; ``README.md``
describes every file. Rows are read with ``iterator()`` and written as they come: memory stays
bounded whatever the size of the city's data.
"""

from __future__ import annotations

import base64
import json
import uuid
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.apps import apps
from django.db import models
from django.utils import timezone

from civicline.core.crypto import EncryptedTextField
from civicline.core.exports import csv_lines

# The emulator's tables are "LINE's" state in their own database, not the city's records.
EXCLUDED_APPS = {"linesim"}
# Password hashes are credentials, not records: a new vendor issues new passwords.
EXCLUDED_FIELDS = {"core.staff": {"password"}}
FILE_CHUNK = 256 * 1024

Entry = tuple[str, Iterable[bytes]]


@dataclass
class ModelStats:
    model: type[models.Model]
    rows: int = 0


@dataclass
class ExportStats:
    models: list[ModelStats] = field(default_factory=list)
    files: int = 0
    missing_files: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(m.rows for m in self.models)


def exported_models() -> list[type[models.Model]]:
    """Every concrete model of every installed civicline app, including many-to-many tables."""
    return [
        model
        for config in apps.get_app_configs()
        if config.name.startswith("civicline.") and config.label not in EXCLUDED_APPS
        for model in config.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    ]


def exported_fields(model: type[models.Model]) -> list[models.Field]:
    skipped = EXCLUDED_FIELDS.get(model._meta.label_lower, set())
    return [f for f in model._meta.concrete_fields if f.name not in skipped]


def data_path(model: type[models.Model], suffix: str) -> str:
    return f"data/{model._meta.app_label}/{model._meta.model_name}.{suffix}"


def export_entries(stats: ExportStats) -> Iterator[Entry]:
    """(file name, byte chunks) for every file of the export, README last; fills ``stats`` as it goes."""
    written_files: set[str] = set()
    for model in exported_models():
        model_stats = ModelStats(model)
        stats.models.append(model_stats)
        yield data_path(model, "csv"), _csv_chunks(model, model_stats)
        yield data_path(model, "jsonl"), _jsonl_chunks(model)
        yield from _file_entries(model, stats, written_files)
    yield "README.md", [readme(stats).encode()]


def write_directory(root: Path, entries: Iterable[Entry]) -> None:
    for name, chunks in entries:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as out:
            for chunk in chunks:
                out.write(chunk)


class _Pipe:
    """A write-only file whose contents are taken out as they arrive (zipfile copes with no seek)."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        """Nothing is buffered here: ``drain`` hands everything written so far to the response."""

    def drain(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


def zip_chunks(entries: Iterable[Entry]) -> Iterator[bytes]:
    """The export as one ZIP, produced while it is downloaded."""
    pipe = _Pipe()
    with zipfile.ZipFile(pipe, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        for name, chunks in entries:
            with archive.open(f"civicline-export/{name}", "w", force_zip64=True) as member:
                for chunk in chunks:
                    member.write(chunk)
                    if data := pipe.drain():
                        yield data
            yield pipe.drain()
    yield pipe.drain()


# --- rows ---------------------------------------------------------------------------------------


def _rows(model: type[models.Model]) -> Iterator[tuple]:
    names = [f.attname for f in exported_fields(model)]
    # The base manager: no default filters or scoping, every row; values_list still decrypts.
    return model._base_manager.order_by("pk").values_list(*names).iterator(chunk_size=1000)


def _csv_chunks(model: type[models.Model], stats: ModelStats) -> Iterator[bytes]:
    header = [f.attname for f in exported_fields(model)]

    def rows() -> Iterator[list]:
        for row in _rows(model):
            stats.rows += 1
            yield [
                json.dumps(v, ensure_ascii=False, default=_json_default)
                if isinstance(v, dict | list)
                else _plain(v)
                for v in row
            ]

    batch: list[str] = []
    for line in csv_lines(header, rows()):
        batch.append(line)
        if len(batch) >= 500:
            yield "".join(batch).encode()
            batch.clear()
    yield "".join(batch).encode()


def _jsonl_chunks(model: type[models.Model]) -> Iterator[bytes]:
    names = [f.attname for f in exported_fields(model)]
    batch: list[str] = []
    for row in _rows(model):
        batch.append(
            json.dumps(dict(zip(names, row, strict=True)), ensure_ascii=False, default=_json_default)
        )
        if len(batch) >= 500:
            yield ("\n".join(batch) + "\n").encode()
            batch.clear()
    if batch:
        yield ("\n".join(batch) + "\n").encode()


def _plain(value: Any) -> Any:
    if isinstance(value, uuid.UUID | time):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode()
    return value


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode()
    raise TypeError(f"cannot export {type(value).__name__}")


# --- uploaded files -----------------------------------------------------------------------------


def _file_entries(model: type[models.Model], stats: ExportStats, written: set[str]) -> Iterator[Entry]:
    for file_field in [f for f in exported_fields(model) if isinstance(f, models.FileField)]:
        names = (
            model._base_manager.exclude(**{file_field.attname: ""})
            .exclude(**{f"{file_field.attname}__isnull": True})
            .values_list(file_field.attname, flat=True)
        )
        for name in names.iterator(chunk_size=1000):
            if name in written:
                continue
            written.add(name)
            if not file_field.storage.exists(name):
                stats.missing_files.append(name)
                continue
            stats.files += 1
            yield f"files/{name}", _storage_chunks(file_field.storage, name)


def _storage_chunks(storage: Any, name: str) -> Iterator[bytes]:
    with storage.open(name, "rb") as handle:
        while chunk := handle.read(FILE_CHUNK):
            yield chunk


# --- README -------------------------------------------------------------------------------------


def _describe(f: models.Field) -> str:
    notes = []
    if isinstance(f, EncryptedTextField):
        notes.append("個人情報（保存時は暗号化。このファイルでは復号済み）")
    if f.is_relation and f.related_model is not None:
        notes.append(f"`{f.related_model._meta.label_lower}` の id")
    if isinstance(f, models.FileField):
        notes.append("`files/` 以下の相対パス")
    if f.choices:
        notes.append("値: " + "、".join(f"`{k}`={v}" for k, v in f.flatchoices))
    if f.primary_key:
        notes.append("主キー")
    return "；".join(notes)


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def readme(stats: ExportStats) -> str:
    lines = [
        "# civicline データ引き渡しファイル",
        "",
        f"作成日時: {timezone.localtime():%Y-%m-%d %H:%M:%S %Z}　"
        f"モデル数: {len(stats.models)}　行数: {stats.rows}　添付ファイル数: {stats.files}",
        "",
        "civicline に登録された全データを、ほかのシステムへ移行するための公開形式で出力したものです。",
        "",
        "- `data/<アプリ>/<モデル>.csv` — 表計算ソフト用（UTF-8 BOM付き）。日時は日本時間。"
        "`=`・`+`・`-`・`@` で始まる文字列は数式として実行されないよう先頭に `'` を付けています。",
        "- `data/<アプリ>/<モデル>.jsonl` — 1行1件のJSON。値は加工せずそのまま"
        "（日時はISO 8601、タイムゾーン付き）。移行にはこちらを使ってください。",
        "- `files/` — 写真などアップロードされたファイル。"
        "各データのファイル項目の値がこのフォルダからの相対パスです。",
        "- 列名は項目名（外部キーは `<項目>_id`）。個人情報は暗号化を解いた平文で出力しています。"
        "取り扱いに注意してください。",
        "- 職員のパスワード（ハッシュ）は出力していません。",
        "",
    ]
    if stats.missing_files:
        lines += ["## 見つからなかった添付ファイル", "", *[f"- `{name}`" for name in stats.missing_files], ""]
    for model_stats in stats.models:
        meta = model_stats.model._meta
        lines += [
            f"## {meta.verbose_name_plural}（`{meta.label_lower}`）",
            "",
            f"ファイル: `{data_path(model_stats.model, 'csv')}`、`{data_path(model_stats.model, 'jsonl')}`　"
            f"件数: {model_stats.rows}",
            "",
        ]
        doc = (model_stats.model.__doc__ or "").strip()
        # Django gives undocumented models a docstring listing their fields: it says nothing new.
        if doc and not doc.startswith(f"{model_stats.model.__name__}("):
            lines += [_cell(doc.splitlines()[0]), ""]
        lines += ["| 列名 | 項目名 | 型 | 説明 | 備考 |", "|---|---|---|---|---|"]
        for f in exported_fields(model_stats.model):
            lines.append(
                f"| `{f.attname}` | {_cell(f.verbose_name)} | {f.get_internal_type()} | "
                f"{_cell(f.help_text)} | {_cell(_describe(f))} |"
            )
        lines.append("")
    return "\n".join(lines)
