"""Build an evaluation set for ``chatbot_evaluate`` from a city's public garbage dictionary.

    .venv/bin/python -m bench.chatbot_sets garbage SOURCE.csv var/evaldata/dev/hachioji \\
        --name 八王子市 --split dev --source URL [--format 5374] [--map category=label]

The dictionary is copied as it is (``garbage.csv``) and a ``set.json`` tells ``chatbot_evaluate``
how to read it and whether the set is for development or held out. ``questions.jsonl`` asks for
every item the way residents ask (docs/chatbot-evaluation.md says where the dictionaries come from):

* exact — the item's name as the dictionary writes it;
* hiragana — the name without its bracketed qualifier, read by pykakasi. Not by Sudachi, which the
  chatbot itself uses: readings made by the same analyser would agree with its mistakes;
* sentence — the name inside a question. Development sets and held-out sets use two different
  lists of phrasings, so that tuning on one list says nothing about the other;
* typo — one kana replaced, dropped or swapped (never the first), on names of four kana or more.

A question whose name (without qualifier) is shared by several items accepts any of them: the
chatbot cannot know which 植木鉢 is meant, and offering one of them first is right.

pykakasi is only needed here: ``pip install '.[bench]'``.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
from collections import defaultdict
from pathlib import Path

SEED = 20260601
BRACKETS = re.compile(r"[（(【\[][^）)】\]]*[）)】\]]")
NOT_KANA = re.compile(r"[^ぁ-ゖァ-ヺー]")

# Phrasings seen in city chatbots' public examples and in the issue (CB-7); the held-out list is
# kept apart and is never looked at while tuning.
DEV_SENTENCES = (
    "{}はどうやって捨てる？",
    "{}の捨て方",
    "{}って燃える？",
    "{}は何ごみ？",
    "{}を捨てたい",
    "{}の出し方を教えてください",
    "古くなった{}を処分したいのですが",
    "{} 分別",
)
HELDOUT_SENTENCES = (
    "{}って何ゴミになりますか",
    "いらなくなった{}はどうしたらいいですか",
    "{}ってどこに出せばいいの",
    "{}の分別を教えて",
    "使わなくなった{}の処分方法",
    "{}は燃えないごみですか？",
    "壊れた{}を捨てる方法",
    "{}　ゴミ",
)

HIRAGANA = [chr(c) for c in range(ord("あ"), ord("ん") + 1) if chr(c) not in "ぁぃぅぇぉっゃゅょゎゐゑ"]
KATAKANA = [chr(ord(c) + 0x60) for c in HIRAGANA]


def _reader():
    import pykakasi

    kakasi = pykakasi.kakasi()

    def read(text: str) -> str:
        return "".join(part["hira"] for part in kakasi.convert(text))

    return read


def _typo(text: str, rng: random.Random) -> str:
    """One character replaced, dropped, or swapped with its neighbour (never the first one)."""
    alphabet = KATAKANA if any("ァ" <= ch <= "ヺ" for ch in text) else HIRAGANA
    position = rng.randrange(1, len(text))
    kind = rng.choice(("replace", "drop", "swap"))
    if kind == "drop":
        return text[:position] + text[position + 1 :]
    if kind == "swap" and text[position] != text[position - 1]:
        return text[: position - 1] + text[position] + text[position - 1] + text[position + 1 :]
    replacement = rng.choice([c for c in alphabet if c != text[position]])
    return text[:position] + replacement + text[position + 1 :]


def _items(path: Path, fmt: str, mapping: str) -> list[str]:
    from civicline.chatbot import importers

    rows = importers.garbage_rows(path.read_bytes(), format=fmt, mapping=mapping)
    # Rows without a category are imported as drafts, which residents never get.
    return list(dict.fromkeys(r.values["name"] for r in rows if r.values.get("category")))


def garbage_questions(names: list[str], *, split: str) -> list[dict]:
    read = _reader()
    rng = random.Random(f"{SEED}-{split}")
    sentences = DEV_SENTENCES if split == "dev" else HELDOUT_SENTENCES
    by_base: dict[str, list[str]] = defaultdict(list)
    for name in names:
        by_base[BRACKETS.sub("", name).strip() or name].append(name)
    cases: list[dict] = []
    for name in names:
        cases.append({"question": name, "expected": [name], "variant": "exact"})
    for base, items in by_base.items():
        reading = NOT_KANA.sub("", read(base))
        if reading and reading != base:
            cases.append({"question": reading, "expected": items, "variant": "hiragana"})
        cases.append(
            {"question": rng.choice(sentences).format(base), "expected": items, "variant": "sentence"}
        )
        # Typos are made where residents make them: in kana, as typed (katakana names stay so).
        kana = base if NOT_KANA.sub("", base) == base else reading
        if len(kana) >= 4:
            cases.append({"question": _typo(kana, rng), "expected": items, "variant": "typo"})
    # A question that two different answers share measures nothing; a typo that spells another
    # item's name is that item's question.
    owners: dict[str, set[str]] = defaultdict(set)
    for case in cases:
        owners[case["question"]].add(tuple(case["expected"]))
    return [c for c in cases if len(owners[c["question"]]) == 1]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("kind", choices=["garbage"])
    parser.add_argument("source", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--name", required=True)
    parser.add_argument("--split", choices=["dev", "heldout"], required=True)
    parser.add_argument("--source-url", default="")
    parser.add_argument("--licence", default="")
    parser.add_argument("--format", default="auto")
    parser.add_argument("--map", default="")
    args = parser.parse_args()

    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    django.setup()
    names = _items(args.source, args.format, args.map)
    cases = garbage_questions(names, split=args.split)
    args.out.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(args.source, args.out / "garbage.csv")
    meta = {
        "name": args.name,
        "split": args.split,
        "garbage": {"file": "garbage.csv", "format": args.format, "map": args.map},
        "source": args.source_url,
        "licence": args.licence,
    }
    (args.out / "set.json").write_text(
        json.dumps(meta, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    (args.out / "questions.jsonl").write_text(
        "".join(json.dumps(c, ensure_ascii=False) + "\n" for c in cases), encoding="utf-8"
    )
    print(f"{args.out}: {len(names)} items, {len(cases)} questions")


if __name__ == "__main__":
    main()
