from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from civicline.chatbot import import_plan, importers, services
from civicline.chatbot.importers import GARBAGE_FIELDS, GARBAGE_FORMATS
from civicline.core.audit import audit_context

from ._common import (
    ACTOR_LABEL,
    add_preview_options,
    department_option,
    refused_error,
    write_json,
    write_preview,
)


class Command(BaseCommand):
    help = (
        "ごみ分別辞書を CSV から取り込みます"
        "（自治体標準オープンデータセット / 5374 の target.csv / 見出しで自動判別）。"
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--format", choices=sorted(GARBAGE_FORMATS), default="auto")
        parser.add_argument(
            "--map",
            default="",
            help="列の対応（例: name=品名,category=区分,reading=よみ,how_to=出し方,note=備考,fee=手数料）"
            f"（項目: {', '.join(GARBAGE_FIELDS)}）",
        )
        parser.add_argument("--department", help="担当課の課コード（省略時: システム管理者の課）")
        add_preview_options(parser)

    def handle(self, *args, **options):
        try:
            data = options["file"].read_bytes()
        except OSError as exc:
            raise CommandError(f"ファイルを読めません: {exc}") from exc
        department = department_option(options["department"])
        try:
            if options["dry_run"]:
                parsed = importers.read_garbage(data, format=options["format"], mapping=options["map"])
                plan = import_plan.garbage_plan(department=department, parsed=parsed)
                if options["json"]:
                    write_json(self.stdout, plan)
                else:
                    write_preview(self.stdout, plan, heading=department.name)
                return
            with audit_context(actor_label=ACTOR_LABEL):
                result = services.garbage_import(
                    actor=None,
                    department=department,
                    data=data,
                    format=options["format"],
                    mapping=options["map"],
                )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        if options["json"]:
            write_json(self.stdout, result.plan)
        if result.errors:
            raise refused_error(result.errors)
        if not options["json"]:
            self.stdout.write(
                f"{department.name}: 新規 {result.created} 件、更新 {result.updated} 件"
                + (f"、変更なし {result.unchanged} 件" if result.unchanged else "")
                + (f"（分別区分が空の {result.drafts} 件は下書き）" if result.drafts else "")
            )
