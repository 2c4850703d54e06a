from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from civicline.chatbot import services
from civicline.chatbot.importers import GARBAGE_FORMATS

from ._common import ACTOR_LABEL, department_option


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
            help="列の対応（例: name=品名,category=区分,reading=よみ,how_to=出し方,note=備考,fee=手数料）",
        )
        parser.add_argument("--department", help="担当課の課コード（省略時: システム管理者の課）")

    def handle(self, *args, **options):
        try:
            data = options["file"].read_bytes()
        except OSError as exc:
            raise CommandError(f"ファイルを読めません: {exc}") from exc
        department = department_option(options["department"])
        try:
            result = services.garbage_import(
                actor=None,
                actor_label=ACTOR_LABEL,
                department=department,
                data=data,
                format=options["format"],
                mapping=options["map"],
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        if result.errors:
            raise CommandError(
                "取り込みを中止しました（何も変更していません）:\n" + "\n".join(result.errors[:50])
            )
        self.stdout.write(
            f"{department.name}: 新規 {result.created} 件、更新 {result.updated} 件"
            + (f"（分別区分が空の {result.drafts} 件は下書き）" if result.drafts else "")
        )
