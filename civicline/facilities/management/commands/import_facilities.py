"""Import a facility file into a dataset from the command line (operators, scheduled jobs).

The same reading, plan and service as the console's upload, preview and apply; refused rows are
reported and left out, the good rows applied (audited as a system action). ``--dry-run`` only
reports what would happen. ``--json`` prints exactly
``{"rows", "new", "changed", "removed", "refused": [{"line", "reason"}]}``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from civicline.core.audit import audit_context
from civicline.facilities import services
from civicline.facilities.importing import ImportPlan, build_plan
from civicline.facilities.models import FacilityDataset

ACTOR_LABEL = "manage.py import_facilities"


def find_dataset(code: str) -> FacilityDataset:
    """The dataset named by its code, else its number, else its name when only one has it."""
    dataset = FacilityDataset.objects.filter(code=code).exclude(code="").first()
    if dataset is None and code.isdigit():
        dataset = FacilityDataset.objects.filter(pk=int(code)).first()
    if dataset is None:
        named = list(FacilityDataset.objects.filter(name=code)[:2])
        dataset = named[0] if len(named) == 1 else None
    if dataset is None:
        known = ", ".join(
            f"{d.code or d.pk}（{d.name}）" for d in FacilityDataset.objects.order_by("pk")[:20]
        )
        raise CommandError(
            f"データセット「{code}」が見つかりません。--dataset に識別子か番号を指定してください。"
            + (f" 登録済み: {known}" if known else "")
        )
    return dataset


def report(plan: ImportPlan) -> dict[str, Any]:
    counts = plan.counts()
    refused = [{"line": e.line, "reason": e.message} for e in plan.file_errors] + plan.refused_list()
    return {
        "rows": plan.rows,
        "new": counts["new"],
        "changed": counts["changed"],
        "removed": counts["removed"],
        "refused": refused,
    }


class Command(BaseCommand):
    help = (
        "施設のファイル（自治体標準オープンデータセットのCSV、国土地理院のGeoJSONなど）をデータセットに取り込みます。"
        "エラーの行は除いて反映し、一覧を表示します。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--dataset", required=True, help="データセットの識別子（または番号）")
        parser.add_argument("--dry-run", action="store_true", help="反映せず、結果だけを表示します")
        parser.add_argument("--json", action="store_true", help="結果をJSONで出力します")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            content = options["file"].read_bytes()
        except OSError as exc:
            raise CommandError(f"ファイルを読めません: {exc}") from exc
        dataset = find_dataset(options["dataset"])
        plan = build_plan(dataset, content)
        if plan.can_apply and not options["dry_run"]:
            with audit_context(actor_label=ACTOR_LABEL):
                upload = services.facility_import_upload(
                    dataset=dataset, actor=None, filename=options["file"].name, content=content
                )
                try:
                    plan = services.facility_import_apply(
                        facility_import=upload, actor=None, skip_refused=True
                    )
                except ValidationError as exc:
                    raise CommandError(" ".join(exc.messages)) from exc
        result = report(plan)
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False))
        else:
            self._write_text(dataset, plan, result, dry_run=options["dry_run"])
        if not plan.can_apply:
            raise CommandError("ファイルにエラーがあるため、何も反映していません。")

    def _write_text(self, dataset: FacilityDataset, plan: ImportPlan, result: dict, *, dry_run: bool) -> None:
        verb = "反映する場合" if dry_run or not plan.can_apply else "反映しました"
        self.stdout.write(
            f"{dataset.name}: {result['rows']} 行 — {verb}: 追加 {result['new']} 件、"
            f"変更 {result['changed']} 件、削除 {result['removed']} 件、エラー {len(result['refused'])} 行"
        )
        if plan.parsed.key_note:
            self.stdout.write(plan.parsed.key_note)
        for warning in plan.warnings:
            self.stdout.write(f"注意: {warning.message}（{warning.where}）")
        for error in plan.file_errors:
            self.stderr.write(f"エラー: {error.where}: {error.message}")
        for refused in plan.refused:
            self.stderr.write(f"エラー: {refused.where}: {refused.reason}")
