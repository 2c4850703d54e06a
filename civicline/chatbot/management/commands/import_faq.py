from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from civicline.chatbot import import_plan, importers, services
from civicline.chatbot.importers import FAQ_FIELDS
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
        "Q&A を CSV から取り込みます（質問・回答と、任意でカテゴリ・担当課・関連URL。"
        "見出しは question,answer,category,department,url のほか、質問/回答/カテゴリ/担当課/URL など"
        "自治体のファイルの呼び方で判別）。"
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--department", help="department 列が空の行の担当課（省略時: システム管理者の課）"
        )
        parser.add_argument(
            "--map",
            default="",
            help="列の対応（例: question=問,answer=答,url=リンク。使わない列は department= のように空に）"
            f"（項目: {', '.join(FAQ_FIELDS)}）",
        )
        add_preview_options(parser)

    def handle(self, *args, **options):
        try:
            data = options["file"].read_bytes()
        except OSError as exc:
            raise CommandError(f"ファイルを読めません: {exc}") from exc
        department = department_option(options["department"])
        try:
            if options["dry_run"]:
                parsed = importers.read_faq(data, mapping=options["map"])
                plan = import_plan.faq_plan(actor=None, default_department=department, parsed=parsed)
                if options["json"]:
                    write_json(self.stdout, plan)
                else:
                    write_preview(self.stdout, plan, heading="Q&A")
                return
            with audit_context(actor_label=ACTOR_LABEL):
                result = services.faq_import(
                    actor=None, data=data, default_department=department, mapping=options["map"]
                )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        if options["json"]:
            write_json(self.stdout, result.plan)
        if result.errors:
            raise refused_error(result.errors)
        if not options["json"]:
            self.stdout.write(
                f"新規 {result.created} 件、更新 {result.updated} 件"
                + (f"、変更なし {result.unchanged} 件" if result.unchanged else "")
            )
