import json
import sys
import time

from django.core.management.base import BaseCommand, CommandError

from civicline.chatbot import multilingual, search
from civicline.core import languages


class Command(BaseCommand):
    help = "標準入力の1行1質問に、住民と同じ順位付けの候補を1行1つの JSON で答えます。"

    def add_arguments(self, parser):
        parser.add_argument("--jsonl", action="store_true", help="JSON Lines で入出力する（必須）")
        parser.add_argument("--limit", type=int, default=search.MAX_CANDIDATES)
        parser.add_argument(
            "--language",
            choices=languages.resident_languages(),
            default="",
            help="この言語の住民として答える（品目名・質問の訳からも探す。省略時は日本語の索引だけ）",
        )

    def handle(self, *args, **options):
        if not options["jsonl"]:
            raise CommandError("--jsonl を指定してください。")
        language = options["language"]
        search.current_index()  # built before the first question, so that "ms" is the answer's time
        if language:
            multilingual.translated_index()
        for line in sys.stdin:
            question = line.rstrip("\n")
            if not question.strip():
                continue
            started = time.perf_counter()
            ranking = (
                multilingual.rank(question, language=language, limit=options["limit"])
                if language
                else search.rank(question, limit=options["limit"])
            )
            elapsed = (time.perf_counter() - started) * 1000
            record = {
                "question": question,
                "candidates": [
                    {"kind": c.kind, "title": c.title, "category": c.category, "score": c.score}
                    for c in ranking.candidates
                ],
                "ms": round(elapsed, 2),
            }
            self.stdout.write(json.dumps(record, ensure_ascii=False))
