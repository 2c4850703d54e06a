from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from civicline.chatbot import evaluation


class Command(BaseCommand):
    help = "ラベル付き質問ファイル（JSON Lines）で上位1件・3件の正解率と応答時間の中央値を測ります。"

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path)
        parser.add_argument("--misses", type=int, default=0, help="外れた質問を何件まで表示するか")

    def handle(self, *args, **options):
        for path in options["files"]:
            try:
                cases = evaluation.load(path)
            except (OSError, ValueError) as exc:
                raise CommandError(str(exc)) from exc
            scores = evaluation.evaluate(cases)
            for line in evaluation.report(path.stem, scores):
                self.stdout.write(line)
            for question, expected, got in scores[""].misses[: options["misses"]]:
                self.stdout.write(f"    miss: {question!r} → expected {expected!r}, got {got}")
