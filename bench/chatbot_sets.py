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

A Q&A set from the localgovFAQ research data (尼崎市's FAQ and queries written apart from it, see
docs/chatbot-evaluation.md), unzipped into SOURCE::

    .venv/bin/python -m bench.chatbot_sets localgovfaq SOURCE var/evaldata/dev/faq-amagasaki \
        --name amagasaki --split dev

writes ``faq.csv`` (the Q&A) and ``questions.jsonl``: each query expects the stored questions its
judges marked A (the answer holds the correct information); queries with none are left out.

pykakasi is only needed here: ``pip install '.[bench]'``.
"""

from __future__ import annotations

import argparse
import csv
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


def _numbered(path: Path) -> dict[str, str]:
    """localgovFAQ's ``id<TAB>text`` lines (``<改>`` stands for a line break)."""
    rows = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        number, _, text = line.partition("\t")
        if number.strip() and text.strip():
            rows[number.strip()] = text.strip().replace("<改>", "\n")
    return rows


def _judged(path: Path) -> list[tuple[str, list[str]]]:
    """Each test query with the ids judged A.

    The set's note describes tab-separated lines (query, then the A, B and C ids); its scoring
    script reads JSON lines (``question``, ``answerA``…): either is read. The word-segmented copy
    has spaces between the words, which Japanese does not.
    """
    segmented = path.name.endswith("_segmentation.txt")
    judged = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        if line.lstrip().startswith("{"):
            record = json.loads(line)
            query, best = record["question"], [str(i) for i in record.get("answerA", [])]
        else:
            query, _, judgements = line.partition("\t")
            best = re.findall(r"\d+", judgements.split("\t")[0])
        judged.append((query.replace(" ", "") if segmented else query.strip(), best))
    return judged


def localgov_faq(source: Path) -> tuple[list[tuple[str, str]], list[dict]]:
    """The Q&A (question, answer) and the queries of an unzipped localgovFAQ directory."""
    questions = _numbered(source / "qas" / "questions_in_Amagasaki.txt")
    answers = _numbered(source / "qas" / "answers_in_Amagasaki.txt")
    faq = [(questions[number], answers[number]) for number in questions if number in answers]
    testset = source / "testset.txt"
    if not testset.exists():
        testset = source / "testset_segmentation.txt"
    cases = []
    for query, best in _judged(testset):
        expected = list(dict.fromkeys(questions[n] for n in best if n in questions and n in answers))
        if query and expected:
            cases.append({"question": query, "expected": expected, "variant": "query"})
    return faq, cases


def _write_set(out: Path, meta: dict, cases: list[dict]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "set.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    (out / "questions.jsonl").write_text(
        "".join(json.dumps(c, ensure_ascii=False) + "\n" for c in cases), encoding="utf-8"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("kind", choices=["garbage", "localgovfaq"])
    parser.add_argument("source", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--name", required=True)
    parser.add_argument("--split", choices=["dev", "heldout"], required=True)
    parser.add_argument("--source-url", default="")
    parser.add_argument("--licence", default="")
    parser.add_argument("--format", default="auto")
    parser.add_argument("--map", default="")
    args = parser.parse_args()

    meta = {"name": args.name, "split": args.split, "source": args.source_url, "licence": args.licence}
    if args.kind == "localgovfaq":
        faq, cases = localgov_faq(args.source)
        _write_set(args.out, {**meta, "faq": {"file": "faq.csv"}}, cases)
        with (args.out / "faq.csv").open("w", encoding="utf-8", newline="") as f:
            csv.writer(f).writerows([("question", "answer"), *faq])
        print(f"{args.out}: {len(faq)} Q&A, {len(cases)} queries")
        return

    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    django.setup()
    names = _items(args.source, args.format, args.map)
    cases = garbage_questions(names, split=args.split)
    _write_set(
        args.out, {**meta, "garbage": {"file": "garbage.csv", "format": args.format, "map": args.map}}, cases
    )
    shutil.copyfile(args.source, args.out / "garbage.csv")
    print(f"{args.out}: {len(names)} items, {len(cases)} questions")


if __name__ == "__main__":
    main()
