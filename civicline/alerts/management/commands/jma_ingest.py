"""``manage.py jma_ingest FILE_OR_URL [--dry-run] [--json]``: read a JMA report (or a feed) now.

For operators and drills: a report saved from JMA's site, or a feed's URL, goes through exactly the
policy the worker applies. ``--dry-run`` says what would happen and changes nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from civicline.alerts import feeds, jma, services


class Command(BaseCommand):
    help = "気象庁防災情報XMLの電文（ファイル・URL・Atomフィード）を読み、市の対応方針どおりに処理します。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("source", help="電文のファイル、またはURL")
        parser.add_argument("--dry-run", action="store_true", help="何も変更せず、行われる処理を表示する")
        parser.add_argument("--json", action="store_true", dest="as_json", help="結果をJSONで出力する")

    def handle(self, *args: Any, source: str, dry_run: bool, as_json: bool, **options: Any) -> None:
        data = self._read(source)
        result = services.IngestResult()
        try:
            entries = jma.parse_feed(data)
        except jma.ReportError:
            entries = None
        if entries is None:
            result = services.report_ingest(data=data, source=source, dry_run=dry_run)
        else:
            for entry in reversed(entries):
                if jma.kind_of_title(entry.title) and entry.link:
                    result.extend(
                        services.report_ingest(
                            data=self._read(entry.link), source=entry.link, dry_run=dry_run
                        )
                    )
        self._print(result.as_dict(), as_json=as_json)

    def _read(self, source: str) -> bytes:
        try:
            if "://" in source:
                return feeds.fetch(source) or b""
            return Path(source).read_bytes()
        except (OSError, feeds.FetchError) as exc:
            raise CommandError(f"読めません: {source}: {exc}") from exc

    def _print(self, payload: dict, *, as_json: bool) -> None:
        if as_json:
            self.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2))
            return
        for report in payload["reports"]:
            self.stdout.write(
                f"{report['status']}\t{report['kind']}\t{report['title']}\t{report.get('level_label', '')}\t"
                + "、".join(report["areas"])
            )
        for action in payload["actions"]:
            self.stdout.write(
                f"  → {action['label']}: {action['status']} {action.get('summary', '')}".rstrip()
            )
