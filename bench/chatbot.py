"""Chatbot benchmark (CB-7): quality on labelled question sets, and answer time at a city's scale.

    .venv/bin/python -m bench.chatbot [--regenerate] [--misses 10] [--sets var/evaldata]
    .venv/bin/python -m bench.chatbot --scale [--faqs 2000 --garbage 1500] [--json]

``--scale`` fills a fresh database with 2,000 synthetic Q&A and 1,500 synthetic garbage items (the
demo city's texts, recombined: real words and lengths, not real entries) and times answering the
way residents ask, through ``search.rank`` as the webhook calls it. With ``--json`` it prints one
JSON line: entries, build time, median and p95 answer time, wall clock and the thread's CPU time.

Loads the demo city's knowledge (高松市's garbage dictionary, the demo FAQ) into a fresh SQLite
database under a temporary directory and runs ``manage.py chatbot_evaluate`` on bench/data/:

* garbage_*.jsonl — generated from the garbage dictionary (``--regenerate`` rewrites them): exact
  names, hiragana readings, half-width katakana, sentences around the name, one-character typos;
* faq_paraphrases.jsonl — questions written by hand in other words than the stored questions and
  phrasings (civicline/chatbot/demo_data/faq.py), two per Q&A.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
GARBAGE_CSV = ROOT / "civicline" / "chatbot" / "demo_data" / "takamatsu_0074_gomi_bunbetsu.csv"
SEED = 20251125

SENTENCES = (
    "{}はどう捨てる？",
    "{}の捨て方を教えてください",
    "{}は何ごみですか",
    "{}を処分したい",
    "古くなった{}を捨てたいのですが",
    "{} 出し方",
)
HIRAGANA = [chr(c) for c in range(ord("あ"), ord("ん") + 1) if chr(c) not in "ぁぃぅぇぉっゃゅょゎゐゑ"]
KATAKANA = [chr(ord(c) + 0x60) for c in HIRAGANA]
BRACKETS = re.compile(r"[（(][^）)]*[）)]")


def _typo(text: str, rng: random.Random) -> str:
    """One character replaced, dropped, or swapped with its neighbour."""
    alphabet = KATAKANA if any("ァ" <= ch <= "ヶ" for ch in text) else HIRAGANA
    position = rng.randrange(1, len(text))  # residents rarely miss the first character
    kind = rng.choice(("replace", "drop", "swap"))
    if kind == "drop":
        return text[:position] + text[position + 1 :]
    if kind == "swap":
        return text[: position - 1] + text[position] + text[position - 1] + text[position + 1 :]
    replacement = rng.choice([c for c in alphabet if c != text[position]])
    return text[:position] + replacement + text[position + 1 :]


def generate() -> None:
    import jaconv

    from civicline.chatbot.text import reading_of

    rng = random.Random(SEED)
    with GARBAGE_CSV.open(encoding="utf-8-sig", newline="") as f:
        items = [r["name"].strip() for r in csv.DictReader(f) if r["classification"].strip()]
    bases: dict[str, int] = {}
    for name in items:
        base = BRACKETS.sub("", name).strip()
        bases[base] = bases.get(base, 0) + 1
    variants: dict[str, list[tuple[str, str]]] = {
        k: [] for k in ("exact", "hiragana", "halfwidth", "sentence", "typo")
    }
    for name in items:
        reading = reading_of(name)
        katakana_name = BRACKETS.sub("", name).strip()
        variants["exact"].append((name, name))
        if reading and reading != name:
            variants["hiragana"].append((reading, name))
        if any("ァ" <= ch <= "ヶ" for ch in name):
            variants["halfwidth"].append((jaconv.z2h(name, kana=True, ascii=False, digit=False), name))
        elif reading:
            variants["halfwidth"].append((jaconv.z2h(jaconv.hira2kata(reading), kana=True), name))
        base = katakana_name if bases[katakana_name] == 1 else name
        variants["sentence"].append((rng.choice(SENTENCES).format(base), name))
        kana = katakana_name if all("ァ" <= ch <= "ヶ" or ch == "ー" for ch in katakana_name) else reading
        if len(kana) >= 4:
            variants["typo"].append((_typo(kana, rng), name))
    DATA.mkdir(parents=True, exist_ok=True)
    for variant, cases in variants.items():
        # A question two items share is ambiguous by construction: it measures nothing.
        counts: dict[str, set[str]] = {}
        for question, name in cases:
            counts.setdefault(question, set()).add(name)
        lines = [
            json.dumps({"question": q, "expected": n, "variant": variant}, ensure_ascii=False)
            for q, n in cases
            if len(counts[q]) == 1
        ]
        (DATA / f"garbage_{variant}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _scale_knowledge(faqs: int, garbage: int, rng: random.Random) -> tuple[list[str], list[str]]:
    """Synthetic knowledge of real words: the demo Q&A and dictionary, recombined and numbered."""
    from civicline.chatbot import signals
    from civicline.chatbot.demo_data.faq import FAQ
    from civicline.chatbot.models import FaqEntry, GarbageCategory, GarbageItem
    from civicline.core.models import Department

    department, _ = Department.objects.get_or_create(code="bench", defaults={"name": "ベンチ課"})
    with GARBAGE_CSV.open(encoding="utf-8-sig", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["classification"].strip()]
    categories = {
        name: GarbageCategory.objects.get_or_create(department=department, name=name)[0]
        for name in {r["classification"].strip() for r in rows}
    }
    sentences = [s + "。" for *_, answer, _ in FAQ for s in answer.split("。") if s]
    questions = [q for _, _, q, _, _ in FAQ]
    words = [BRACKETS.sub("", r["name"]).strip() for r in rows]
    faq_objects = []
    for number in range(faqs):
        # A question about a topic word, in one of the demo's question shapes, answered by a few
        # of the demo's sentences: the lengths and vocabulary of a city's FAQ.
        shape = rng.choice(questions)
        question = f"{rng.choice(words)}と{shape}（{number}）"
        answer = "".join(rng.sample(sentences, 4))
        faq_objects.append(
            FaqEntry(department=department, question=question, answer=answer, category="ベンチ")
        )
    FaqEntry.objects.bulk_create(faq_objects)
    items = []
    for number in range(garbage):
        row = rows[number % len(rows)]
        name = row["name"].strip() if number < len(rows) else f"{words[number % len(words)]}（{number}型）"
        items.append(
            GarbageItem(department=department, name=name, category=categories[row["classification"].strip()])
        )
    GarbageItem.objects.bulk_create(items)
    signals.knowledge_changed()  # bulk_create sends no signals
    asked = [rng.choice(SENTENCES).format(rng.choice(words)) for _ in range(200)]
    asked += [rng.choice(questions) for _ in range(100)]
    asked += [f"{rng.choice(words)}の手続きについて教えてください" for _ in range(100)]
    return asked, words


def scale(faqs: int, garbage: int, as_json: bool) -> None:
    import statistics
    import time

    from civicline.chatbot import search

    rng = random.Random(SEED)
    asked, _ = _scale_knowledge(faqs, garbage, rng)
    started = time.perf_counter()
    index = search.current_index()
    build_s = time.perf_counter() - started
    for question in asked[:20]:  # warm the analyser's caches, as a running process has them
        search.rank(question)
    latencies, cpu = [], []
    for question in asked:
        started, started_cpu = time.perf_counter(), time.thread_time()
        search.rank(question)
        latencies.append((time.perf_counter() - started) * 1000)
        cpu.append((time.thread_time() - started_cpu) * 1000)
    result = {
        "benchmark": "chatbot.scale",
        "faqs": faqs,
        "garbage_items": garbage,
        "entries": len(index.entries),
        "questions": len(latencies),
        "build_s": round(build_s, 2),
        "median_ms": round(statistics.median(latencies), 2),
        "p95_ms": round(statistics.quantiles(latencies, n=20)[-1], 2),
        # The answering thread's own CPU time: what the figures above are when the machine is
        # shared with other work (other processes' time shows in the wall clock only).
        "cpu_median_ms": round(statistics.median(cpu), 2),
        "cpu_p95_ms": round(statistics.quantiles(cpu, n=20)[-1], 2),
    }
    if as_json:
        print(json.dumps(result))
    else:
        print(
            f"{result['entries']} entries ({faqs} Q&A, {garbage} garbage items), built in "
            f"{result['build_s']} s; {result['questions']} questions: median {result['median_ms']} ms, "
            f"p95 {result['p95_ms']} ms (CPU: median {result['cpu_median_ms']} ms, "
            f"p95 {result['cpu_p95_ms']} ms)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--regenerate", action="store_true", help="rewrite bench/data/garbage_*.jsonl")
    parser.add_argument("--misses", type=int, default=0)
    parser.add_argument("--sets", type=Path, nargs="*", default=[], help="evaluation set directories too")
    parser.add_argument("--scale", action="store_true", help="time answering at a city's scale")
    parser.add_argument("--faqs", type=int, default=2000)
    parser.add_argument("--garbage", type=int, default=1500)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="civicline-bench-chatbot-") as var:
        env = {"DJANGO_SETTINGS_MODULE": "bench.settings", **os.environ, "CIVICLINE_VAR_DIR": var}
        env.pop("DATABASE_URL", None)
        manage = [sys.executable, str(ROOT / "manage.py")]
        if args.scale:
            subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, cwd=ROOT)
            os.environ.update(env)
            import django

            django.setup()
            scale(args.faqs, args.garbage, args.json)
            return
        if args.regenerate or not list(DATA.glob("garbage_*.jsonl")):
            os.environ.update(env)
            import django

            django.setup()
            generate()
        subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, cwd=ROOT)
        subprocess.run(
            [*manage, "shell", "-c", "from civicline.chatbot import demo; demo.seed()"],
            env=env,
            check=True,
            cwd=ROOT,
        )
        files = [*sorted(DATA.glob("garbage_*.jsonl")), DATA / "faq_paraphrases.jsonl"]
        subprocess.run(
            [
                *manage,
                "chatbot_evaluate",
                *map(str, [*files, *args.sets]),
                "--misses",
                str(args.misses),
                *(["--json"] if args.json else []),
            ],
            env=env,
            check=True,
            cwd=ROOT,
        )


if __name__ == "__main__":
    main()
