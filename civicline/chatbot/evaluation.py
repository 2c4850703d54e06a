"""Measured quality (CB-7): success@1/3/5 and latency on labelled question sets.

A question file is JSON Lines, one question a line::

    {"question": "ぺっとぼとる", "expected": "ペットボトル（飲料・酒・醤油用など）", "variant": "hiragana"}
    {"question": "植木鉢の捨て方", "expected": ["植木鉢（陶磁器類）", "植木鉢（プラスチック類）"]}
    {"question": "電池の捨て方", "category": "有害ごみ"}

A question counts as found at rank k when one of the first k candidates has an expected title
(the entry's item name or question as imported; any of a list), or the expected category when
only that is given. ``variant`` (optional) splits the figures by kind of question.

A question file is answered from the database's published knowledge. A *set directory* brings
its own knowledge instead, so that another city's data can be measured without importing it::

    set.json          {"name": "…", "split": "dev" | "heldout",
                       "garbage": {"file": "garbage.csv", "format": "5374", "map": ""},
                       "faq": {"file": "faq.csv"}}
    garbage.csv / faq.csv   read exactly as import_garbage / import_faq read them
    *.jsonl           the questions

The knowledge is indexed in memory (nothing is written to the database) with the same documents
as the published entries. A directory without set.json is searched for set directories.
"""

from __future__ import annotations

import json
import statistics
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import importers, search

RANKS = (1, 3, 5)


@dataclass
class Score:
    total: int = 0
    found: dict[int, int] = field(default_factory=lambda: dict.fromkeys(RANKS, 0))
    latencies_ms: list[float] = field(default_factory=list)
    # The answering thread's CPU time: the latency less what other processes took of the machine.
    cpu_ms: list[float] = field(default_factory=list)
    misses: list[tuple[str, Any, list[str]]] = field(default_factory=list)

    def rate(self, k: int) -> float:
        return self.found[k] / self.total if self.total else 0.0

    # The names of the first figures, kept for callers of the older report.
    @property
    def top1_rate(self) -> float:
        return self.rate(1)

    @property
    def top3_rate(self) -> float:
        return self.rate(3)

    @property
    def median_ms(self) -> float:
        return _median(self.latencies_ms)

    @property
    def p95_ms(self) -> float:
        return _p95(self.latencies_ms)

    def as_dict(self) -> dict[str, Any]:
        return {
            "n": self.total,
            **{f"success@{k}": round(self.rate(k), 4) for k in RANKS},
            "median_ms": round(self.median_ms, 3),
            "p95_ms": round(self.p95_ms, 3),
            "cpu_median_ms": round(_median(self.cpu_ms), 3),
            "cpu_p95_ms": round(_p95(self.cpu_ms), 3),
        }


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 2 else _median(values)


@dataclass
class QuestionSet:
    name: str
    split: str  # "dev", "heldout", or "" for a plain question file
    cases: list[dict]
    index: search.Index | None  # None: the published knowledge
    entries: int = 0


def load(path: Path) -> list[dict]:
    cases = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        case = json.loads(line)
        if "question" not in case or not ({"expected", "category"} & case.keys()):
            raise ValueError(f'{path}:{number}: needs "question" and "expected" or "category"')
        cases.append(case)
    return cases


def set_documents(directory: Path, meta: dict) -> list[search.Document]:
    """The documents of a set's knowledge files, read as the import commands read them."""
    docs: list[search.Document] = []
    number = 0
    if meta.get("faq"):
        for row in importers.faq_rows((directory / meta["faq"]["file"]).read_bytes()):
            values = row.values
            number += 1
            entry = search.Entry("faq", number, values["question"], values.get("category", ""), 0)
            docs.extend(search.faq_documents(entry, values["question"], values["answer"], []))
    if meta.get("garbage"):
        garbage = meta["garbage"]
        rows = importers.garbage_rows(
            (directory / garbage["file"]).read_bytes(),
            format=garbage.get("format", "auto"),
            mapping=garbage.get("map", ""),
        )
        seen: set[str] = set()
        for row in rows:
            values = row.values
            # Drafts (no category) are not answered; a repeated name updates the first item.
            if not values.get("category") or values["name"] in seen:
                continue
            seen.add(values["name"])
            number += 1
            entry = search.Entry("garbage", number, values["name"], values["category"], 0)
            docs.extend(search.garbage_documents(entry, values["name"], values.get("reading", "")))
    return docs


def load_sets(path: Path) -> list[QuestionSet]:
    """A question file, a set directory, or a directory of set directories (sorted by name)."""
    if path.is_file():
        return [QuestionSet(path.stem, "", load(path), None)]
    if not (path / "set.json").exists():
        found = [load_sets(child) for child in sorted(path.iterdir()) if child.is_dir()]
        sets = [s for group in found for s in group]
        if not sets:
            raise ValueError(f"{path}: no set.json and no question sets below it")
        return sets
    meta = json.loads((path / "set.json").read_text(encoding="utf-8"))
    cases = [case for file in sorted(path.glob("*.jsonl")) for case in load(file)]
    docs = set_documents(path, meta)
    index = search.Index(docs)
    return [
        QuestionSet(meta.get("name") or path.name, meta.get("split", ""), cases, index, len(index.entries))
    ]


def _hit(case: dict, candidate: search.Candidate) -> bool:
    if "expected" in case:
        expected = case["expected"]
        return candidate.title in expected if isinstance(expected, list) else candidate.title == expected
    return candidate.category == case["category"]


def evaluate(cases: Iterable[dict], index: search.Index | None = None) -> dict[str, Score]:
    """Scores overall (key "") and per variant."""
    ranker = index.rank if index is not None else search.rank
    if index is None:
        search.current_index()  # build first: measure answering, not indexing
    limit = max(RANKS)
    scores: dict[str, Score] = defaultdict(Score)
    for case in cases:
        started, started_cpu = time.perf_counter(), time.thread_time()
        candidates = ranker(case["question"], limit=limit).candidates
        elapsed = (time.perf_counter() - started) * 1000
        cpu = (time.thread_time() - started_cpu) * 1000
        hits = [_hit(case, c) for c in candidates]
        for key in {"", case.get("variant", "")}:
            score = scores[key]
            score.total += 1
            for k in RANKS:
                score.found[k] += any(hits[:k])
            score.latencies_ms.append(elapsed)
            score.cpu_ms.append(cpu)
            if key == "" and not any(hits[:1]):
                score.misses.append(
                    (
                        case["question"],
                        case.get("expected") or case.get("category"),
                        [c.title for c in candidates[:3]],
                    )
                )
    return dict(scores)


def report(name: str, scores: dict[str, Score]) -> list[str]:
    lines = []
    for key in sorted(scores, key=lambda k: (k != "", k)):
        s = scores[key]
        label = f"{name}" if key == "" else f"  {key}"
        lines.append(
            f"{label:<28} n={s.total:<5} "
            + "  ".join(f"top-{k} {s.rate(k):6.1%}" for k in RANKS)
            + f"  median {s.median_ms:5.1f} ms  p95 {s.p95_ms:5.1f} ms"
        )
    return lines


def as_json(question_set: QuestionSet, scores: dict[str, Score]) -> dict[str, Any]:
    return {
        "set": question_set.name,
        "split": question_set.split,
        "entries": question_set.entries,
        **scores[""].as_dict(),
        "variants": {k: s.as_dict() for k, s in sorted(scores.items()) if k},
    }
