"""Measured quality (CB-7): top-1 / top-3 accuracy and latency on a labelled question file.

The file is JSON Lines, one question a line::

    {"question": "ぺっとぼとる", "expected": "ペットボトル（飲料・酒・醤油用など）", "variant": "hiragana"}
    {"question": "電池の捨て方", "category": "有害ごみ"}

A question counts as found at rank k when one of the first k candidates has the expected title
(the entry's item name or question as imported), or the expected category when only that is given.
``variant`` (optional) splits the figures by kind of question.
"""

from __future__ import annotations

import json
import statistics
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from . import search


@dataclass
class Score:
    total: int = 0
    top1: int = 0
    top3: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    misses: list[tuple[str, str, list[str]]] = field(default_factory=list)

    @property
    def top1_rate(self) -> float:
        return self.top1 / self.total if self.total else 0.0

    @property
    def top3_rate(self) -> float:
        return self.top3 / self.total if self.total else 0.0

    @property
    def median_ms(self) -> float:
        return statistics.median(self.latencies_ms) if self.latencies_ms else 0.0

    @property
    def p95_ms(self) -> float:
        if len(self.latencies_ms) < 2:
            return self.median_ms
        return statistics.quantiles(self.latencies_ms, n=20)[-1]


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


def _hit(case: dict, candidate: search.Candidate) -> bool:
    if "expected" in case:
        return candidate.title == case["expected"]
    return candidate.category == case["category"]


def evaluate(cases: Iterable[dict]) -> dict[str, Score]:
    """Scores overall (key "") and per variant."""
    search.current_index()  # build first: measure answering, not indexing
    scores: dict[str, Score] = defaultdict(Score)
    for case in cases:
        started = time.perf_counter()
        candidates = search.rank(case["question"], limit=3).candidates
        elapsed = (time.perf_counter() - started) * 1000
        hits = [_hit(case, c) for c in candidates]
        for key in {"", case.get("variant", "")}:
            score = scores[key]
            score.total += 1
            score.top1 += bool(hits[:1] and hits[0])
            score.top3 += any(hits[:3])
            score.latencies_ms.append(elapsed)
            if key == "" and not (hits[:1] and hits[0]):
                score.misses.append(
                    (
                        case["question"],
                        case.get("expected") or case.get("category"),
                        [c.title for c in candidates],
                    )
                )
    return dict(scores)


def report(name: str, scores: dict[str, Score]) -> list[str]:
    lines = []
    for key in sorted(scores, key=lambda k: (k != "", k)):
        s = scores[key]
        label = f"{name}" if key == "" else f"  {key}"
        lines.append(
            f"{label:<28} n={s.total:<5} top-1 {s.top1_rate:6.1%}  top-3 {s.top3_rate:6.1%}  "
            f"median {s.median_ms:5.1f} ms  p95 {s.p95_ms:5.1f} ms"
        )
    return lines
