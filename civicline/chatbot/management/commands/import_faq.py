from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from civicline.chatbot import services

from ._common import ACTOR_LABEL, department_option


class Command(BaseCommand):
    help = "Q&A を CSV（列: question,answer と任意の category,department）から取り込みます。"

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--department", help="department 列が空の行の担当課（省略時: システム管理者の課）"
        )

    def handle(self, *args, **options):
        try:
            data = options["file"].read_bytes()
        except OSError as exc:
            raise CommandError(f"ファイルを読めません: {exc}") from exc
        department = department_option(options["department"])
        try:
            result = services.faq_import(
                actor=None, actor_label=ACTOR_LABEL, data=data, default_department=department
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        if result.errors:
            raise CommandError(
                "取り込みを中止しました（何も変更していません）:\n" + "\n".join(result.errors[:50])
            )
        self.stdout.write(f"新規 {result.created} 件、更新 {result.updated} 件")
