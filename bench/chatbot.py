"""Chatbot quality benchmark (CB-7): top-1 / top-3 accuracy and latency on labelled question sets.

    .venv/bin/python -m bench.chatbot [--regenerate] [--misses 10]

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


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--regenerate", action="store_true", help="rewrite bench/data/garbage_*.jsonl")
    parser.add_argument("--misses", type=int, default=0)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="civicline-bench-chatbot-") as var:
        env = {"DJANGO_SETTINGS_MODULE": "bench.settings", **os.environ, "CIVICLINE_VAR_DIR": var}
        env.pop("DATABASE_URL", None)
        manage = [sys.executable, str(ROOT / "manage.py")]
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
            [*manage, "chatbot_evaluate", *map(str, files), "--misses", str(args.misses)],
            env=env,
            check=True,
            cwd=ROOT,
        )


if __name__ == "__main__":
    main()
