import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from civicline.chatbot import evaluation


class Command(BaseCommand):
    help = (
        "ラベル付き質問（JSON Lines のファイル、または知識ファイル付きの評価セットのディレクトリ）で、"
        "上位1・3・5件の正解率（success@k）と応答時間の中央値・95パーセンタイルを測ります。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "paths",
            nargs="+",
            type=Path,
            help="質問ファイル（公開中の知識で答える）、評価セットのディレクトリ、またはその親ディレクトリ",
        )
        parser.add_argument("--misses", type=int, default=0, help="外れた質問を何件まで表示するか")
        parser.add_argument("--json", action="store_true", help="セットごとに1行の JSON で出力する")

    def handle(self, *args, **options):
        results = []
        for path in options["paths"]:
            try:
                sets = evaluation.load_sets(path)
            except (OSError, ValueError) as exc:
                raise CommandError(str(exc)) from exc
            for question_set in sets:
                scores = evaluation.evaluate(question_set.cases, question_set.index)
                results.append((question_set, scores))
                if options["json"]:
                    self.stdout.write(
                        json.dumps(evaluation.as_json(question_set, scores), ensure_ascii=False)
                    )
                    continue
                title = question_set.name + (f" [{question_set.split}]" if question_set.split else "")
                for line in evaluation.report(title, scores):
                    self.stdout.write(line)
                for question, expected, got in scores[""].misses[: options["misses"]]:
                    self.stdout.write(f"    miss: {question!r} → expected {expected!r}, got {got}")
        if not options["json"] and len(results) > 1:
            self.stdout.write("")
            self.stdout.write(self._table(results))

    @staticmethod
    def _table(results) -> str:
        """One row a set, development sets first: the figures to compare at a glance."""
        header = "| set | split | entries | n | success@1 | success@3 | success@5 | median ms | p95 ms |"
        rows = [header, "|" + "---|" * 9]
        for question_set, scores in sorted(results, key=lambda r: (r[0].split != "dev", r[0].split)):
            s = scores[""]
            rows.append(
                f"| {question_set.name} | {question_set.split or '-'} | {question_set.entries or '-'} | "
                f"{s.total} | {s.rate(1):.3f} | {s.rate(3):.3f} | {s.rate(5):.3f} | "
                f"{s.median_ms:.2f} | {s.p95_ms:.2f} |"
            )
        return "\n".join(rows)
