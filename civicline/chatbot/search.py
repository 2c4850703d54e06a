"""Ranking residents' questions against the knowledge (CB-1, CB-2, CB-7).

Every published entry becomes one or more small documents (a Q&A's question, its phrasings and its
answer; a garbage item's name, the name without its bracketed qualifier, its alternatives, its
reading; a scenario answer's path). Documents are ranked with BM25 (``rank_bm25``) over the terms
of ``text.analyse``; an entry takes its best document. Then each leading entry gets a confidence
in [0, 1]: how much of the entry the question covers and how much of the question the entry
explains, both weighted by the terms' rarity. A one-character typo in a name is caught by fuzzy
matching of readings (``rapidfuzz``) when the terms miss.

The index is built once per process and rebuilt when ``KnowledgeVersion`` moves (any save or
delete of an entry, in any process, bumps it).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from rank_bm25 import BM25Okapi
from rapidfuzz import process
from rapidfuzz.distance import OSA

from .models import FaqEntry, GarbageItem, KnowledgeVersion, ScenarioNode, Status
from .text import analyse, compact

ANSWER_WEIGHT = 0.6  # an answer's text says more than the question, and less precisely
# A name derived from the item's own (without its qualifier, one of its alternatives): an exact
# hit on it ranks just below an exact hit on the full name.
DERIVED_WEIGHT = 0.97
# Typos: similarity of readings, one edit (a swap included) costing one character.
FUZZY_CUTOFF = 0.7
FUZZY_MIN_LENGTH = 4
# Confidence needed to answer at once / to offer candidates at all.
ANSWER_THRESHOLD = 0.8
ANSWER_MARGIN = 0.1
CANDIDATE_THRESHOLD = 0.35
MAX_CANDIDATES = 5
# Candidates are ordered by confidence plus this share of their BM25 score relative to the best:
# BM25 knows better which of several partly matching Q&A is meant; confidence, whether any is.
BM25_SHARE = 0.15

# Whole words (and synonym groups) say more than character pairs, which are there for robustness.
TERM_WEIGHTS = {"w": 2.0, "g": 2.0, "a": 1.0, "y": 1.0, "s": 0.5, "r": 0.5}
# An entry's whole name inside the question ("フライパンの捨て方"): the more of the question it
# explains, the surer.
CONTAINED_BASE = 0.4

_BRACKETS = re.compile(r"[（(][^）)]*[）)]")
_ALTERNATIVES = re.compile(r"[・/／、,]")


@dataclass(frozen=True)
class Entry:
    kind: str  # "faq" | "garbage" | "scenario"
    id: int
    title: str
    category: str
    department_id: int


class Document(NamedTuple):
    entry: Entry
    text: str
    weight: float = 1.0
    whole: bool = False  # a name rather than a sentence: no word is left out


@dataclass(frozen=True)
class Candidate:
    kind: str
    id: int
    title: str
    category: str
    score: float
    department_id: int


@dataclass(frozen=True)
class Ranking:
    candidates: list[Candidate]

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None

    @property
    def confident(self) -> bool:
        """High enough and clearly ahead of any other entry: answer without asking."""
        if not self.candidates or self.candidates[0].score < ANSWER_THRESHOLD:
            return False
        return (
            len(self.candidates) == 1 or self.candidates[0].score - self.candidates[1].score >= ANSWER_MARGIN
        )


class _Query(NamedTuple):
    terms: set[str]
    exact: str  # the question compacted, nothing left out
    keys: set[str]  # its subject words, as written and as read
    kana_only: bool  # typed in kana: compare with the entries' readings too


def _is_hiragana(text: str) -> bool:
    return bool(text) and all("ぁ" <= ch <= "ゖ" for ch in text)


def _containable(key: str) -> bool:
    """Long enough that finding it inside a question is no accident (いし in かいしゅう is)."""
    return len(key) >= 3 or (len(key) == 2 and not _is_hiragana(key))


class Index:
    def __init__(self, documents: list[Document]) -> None:
        self.entries: list[Entry] = []
        entry_number: dict[tuple[str, int], int] = {}
        self.doc_entry: list[int] = []
        self.doc_weight: list[float] = []
        self.doc_terms: list[set[str]] = []
        self.doc_exact: list[str] = []
        self.doc_keys: list[set[str]] = []
        self.doc_reading_keys: list[set[str]] = []
        corpus: list[list[str]] = []
        readings: dict[int, str] = {}
        for entry, text, weight, whole in documents:
            analysis = analyse(text, whole=whole)
            if not analysis.terms:
                continue
            number = entry_number.setdefault((entry.kind, entry.id), len(self.entries))
            if number == len(self.entries):
                self.entries.append(entry)
            doc = len(corpus)
            corpus.append(analysis.terms)
            self.doc_entry.append(number)
            self.doc_weight.append(weight)
            self.doc_terms.append(set(analysis.terms))
            self.doc_exact.append(compact(text))
            self.doc_keys.append({analysis.key} - {""})
            self.doc_reading_keys.append({analysis.reading} - {""})
            if whole and len(analysis.reading) >= FUZZY_MIN_LENGTH:
                readings[doc] = analysis.reading
        self._readings = readings
        self._bm25 = BM25Okapi(corpus) if corpus else None
        self._weights = np.array(self.doc_weight)
        self._doc_entry = np.array(self.doc_entry, dtype=np.int64)
        # Okapi's idf can be negative for terms in most documents; such terms say nothing here.
        self._idf = {
            term: max(value, 0.01) * TERM_WEIGHTS.get(term[0], 1.0)
            for term, value in (self._bm25.idf.items() if self._bm25 else ())
        }

    @property
    def is_empty(self) -> bool:
        return self._bm25 is None

    def rank(self, question: str, *, limit: int = MAX_CANDIDATES) -> Ranking:
        analysis = analyse(question)
        if self._bm25 is None or not analysis.terms:
            return Ranking([])
        scores = self._bm25.get_scores(analysis.terms) * self._weights
        confidence: dict[int, float] = {}
        bm25_best: dict[int, float] = {}
        exact = compact(question)
        query = _Query(
            set(analysis.terms), exact, {analysis.key, analysis.reading} - {""}, _is_hiragana(exact)
        )
        docs = [int(d) for d in np.argsort(-scores)[: limit * 8] if scores[d] > 0]
        for reading in query.keys | {query.exact}:
            if len(reading) >= FUZZY_MIN_LENGTH:
                docs.extend(
                    doc
                    for _, _, doc in process.extract(
                        reading,
                        self._readings,
                        scorer=OSA.normalized_similarity,
                        score_cutoff=FUZZY_CUTOFF,
                        limit=limit,
                    )
                )
        for doc in docs:
            number = self.doc_entry[doc]
            bm25_best[number] = max(bm25_best.get(number, 0.0), float(scores[doc]))
            confidence[number] = max(confidence.get(number, 0.0), self._confidence(query, doc))
        top_bm25 = max(bm25_best.values(), default=1.0) or 1.0
        ordered = sorted(
            (n for n in confidence if confidence[n] > 0),
            key=lambda n: confidence[n] + BM25_SHARE * bm25_best.get(n, 0.0) / top_bm25,
            reverse=True,
        )
        return Ranking([self._candidate(n, confidence[n]) for n in ordered[:limit]])

    def _confidence(self, query: _Query, doc: int) -> float:
        weight = self.doc_weight[doc]
        exact, keys, readings = self.doc_exact[doc], self.doc_keys[doc], self.doc_reading_keys[doc]
        if query.exact == exact:
            return weight
        keys = keys | {exact} | readings
        if query.keys & keys or query.exact in keys:
            return weight * 0.98
        if not query.kana_only:
            # Inside a question written in kanji, kana readings match by accident (めいし in
            # しょうめいしょ): only names as written count there.
            keys -= readings - {exact}
        candidates = [0.0]
        reading = self._readings.get(doc)
        if reading:
            candidates.extend(
                OSA.normalized_similarity(q, reading, score_cutoff=FUZZY_CUTOFF)
                for q in query.keys | {query.exact}
            )
        candidates.extend(
            CONTAINED_BASE + (1 - CONTAINED_BASE) * len(key) / len(q)
            for key in keys
            for q in query.keys | {query.exact}
            if _containable(key) and key in q
        )
        doc_terms = self.doc_terms[doc]
        shared = sum(self._idf.get(t, 0.0) for t in query.terms & doc_terms)
        if shared:
            question_part = shared / sum(self._idf.get(t, 0.0) for t in query.terms)
            entry_part = shared / sum(self._idf.get(t, 0.0) for t in doc_terms)
            # F2: that the entry is wholly in the question counts most.
            candidates.append(5 * question_part * entry_part / (4 * question_part + entry_part))
        return weight * max(candidates)

    def _candidate(self, number: int, score: float) -> Candidate:
        e = self.entries[number]
        return Candidate(e.kind, e.id, e.title, e.category, round(min(score, 1.0), 4), e.department_id)


def garbage_documents(entry: Entry, name: str, reading: str) -> list[Document]:
    """The texts a garbage item is found by: name, name without qualifier, alternatives, reading."""
    texts = [name]
    base = _BRACKETS.sub("", name).strip()
    if base and base != name:
        texts.append(base)
    parts = [p.strip() for p in _ALTERNATIVES.split(base) if p.strip()]
    if len(parts) > 1:
        texts.extend(parts)
    if reading:
        texts.append(reading)
    return [
        Document(entry, text, 1.0 if text in (name, reading) else DERIVED_WEIGHT, True)
        for text in dict.fromkeys(texts)
    ]


def _documents() -> list[Document]:
    docs: list[Document] = []
    faqs = FaqEntry.objects.filter(status=Status.PUBLISHED).prefetch_related("phrasings")
    for faq in faqs:
        entry = Entry("faq", faq.pk, faq.question, faq.category, faq.department_id)
        docs.append(Document(entry, faq.question))
        docs.extend(Document(entry, p.text) for p in faq.phrasings.all())
        docs.append(Document(entry, faq.answer, ANSWER_WEIGHT))
    items = GarbageItem.objects.filter(status=Status.PUBLISHED).select_related("category")
    for item in items:
        entry = Entry(
            "garbage", item.pk, item.name, item.category.name if item.category else "", item.department_id
        )
        docs.extend(garbage_documents(entry, item.name, item.reading))
    nodes = {n.pk: n for n in ScenarioNode.objects.filter(status=Status.PUBLISHED)}
    for node in nodes.values():
        if not node.answer:
            continue
        path, parent = [node.label], nodes.get(node.parent_id)
        while parent is not None:
            path.append(parent.label)
            parent = nodes.get(parent.parent_id)
        entry = Entry("scenario", node.pk, node.label, path[-1] if len(path) > 1 else "", node.department_id)
        docs.append(Document(entry, " ".join(reversed(path))))
        docs.append(Document(entry, node.answer, ANSWER_WEIGHT))
    return docs


_lock = threading.Lock()
_cached: tuple[str, Index] | None = None


def knowledge_version() -> str:
    return KnowledgeVersion.objects.values_list("token", flat=True).first() or ""


def current_index() -> Index:
    """The index of the published knowledge, rebuilt only when the knowledge changed."""
    global _cached
    version = knowledge_version()
    cached = _cached
    if cached is not None and cached[0] == version:
        return cached[1]
    with _lock:
        if _cached is None or _cached[0] != version:
            _cached = (version, Index(_documents()))
        return _cached[1]


def rank(question: str, *, limit: int = MAX_CANDIDATES) -> Ranking:
    return current_index().rank(question, limit=limit)
