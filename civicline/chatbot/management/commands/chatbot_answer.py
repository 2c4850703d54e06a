import json
import sys
import time

from django.core.management.base import BaseCommand, CommandError

from civicline.chatbot import search


class Command(BaseCommand):
    help = "標準入力の1行1質問に、住民と同じ順位付けの候補を1行1つの JSON で答えます。"

    def add_arguments(self, parser):
        parser.add_argument("--jsonl", action="store_true", help="JSON Lines で入出力する（必須）")
        parser.add_argument("--limit", type=int, default=search.MAX_CANDIDATES)

    def handle(self, *args, **options):
        if not options["jsonl"]:
            raise CommandError("--jsonl を指定してください。")
        search.current_index()  # built before the first question, so that "ms" is the answer's time
        for line in sys.stdin:
            question = line.rstrip("\n")
            if not question.strip():
                continue
            started = time.perf_counter()
            ranking = search.rank(question, limit=options["limit"])
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
