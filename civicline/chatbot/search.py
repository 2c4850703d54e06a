"""Ranking residents' questions against the knowledge (CB-1, CB-2, CB-7).

Every published entry becomes one or more small documents (a Q&A's question, its phrasings and its
answer; a garbage item's name, the name without its bracketed qualifier, its alternatives, its
readings; a scenario answer's path). An entry takes its best document.

Answering is a few look-ups in structures built once per process (and rebuilt when
``KnowledgeVersion`` moves — any save or delete of an entry, in any process, bumps it), so that
its time hardly grows with the number of entries:

* BM25 over the terms of ``text.analyse``, as a sparse matrix (``bm25s``): one question costs a
  few column reads, not a pass over every document in Python;
* a table of every name and reading: an exact name, a kana reading, or a name found anywhere
  inside the question (「フライパンの捨て方」「スプレー缶って燃える？」) is a dictionary hit;
* fuzzy matching of readings (``rapidfuzz``) for one-character typos, voicing marks counting half
  (びいたま for びいだま is a lesser slip than びいかま).

The leading documents then get a confidence in [0, 1]: how much of the entry the question covers
and how much of the question the entry explains, both weighted by the terms' rarity.
"""

from __future__ import annotations

import logging
import math
import re
import threading
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import bm25s
import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import OSA

from .models import FaqEntry, GarbageItem, KnowledgeVersion, ScenarioNode, Status
from .text import Analysis, analyse, compact, reading_of, spelled, unvoiced, word_reading

# An answer's text says more than the question, and less precisely: a question only the answer's
# words match is still found, below any that the question itself matches. On the demo city's 80
# paraphrases weights of 0, 0.3, 0.6 and 1.0 gave the same success@1/3/5 (docs/chatbot-evaluation.md);
# no public Q&A set with residents' questions was at hand to measure it better.
ANSWER_WEIGHT = 0.6
# A name derived from the item's own (without its qualifier, one of its alternatives): an exact
# hit on it ranks just below an exact hit on the full name.
DERIVED_WEIGHT = 0.97
# Typos: similarity of readings, one edit (a swap included) costing one character and a voicing
# mark half of one. Readings of three kana (ストロー: すとろ) have typos too.
FUZZY_CUTOFF = 0.7
FUZZY_MIN_LENGTH = 3
VOICING_COST = 0.5
# How many readings the fuzzy look-up hands to the confidence step: enough that a typo near many
# names (すとう: すいとう, すとろ…) still reaches the right one.
FUZZY_POOL = 20
# The look-up compares unvoiced readings, normalised by the longer one: one edit in three kana.
FUZZY_LOOKUP_CUTOFF = 0.6
# Confidence needed to answer at once / to offer candidates at all.
ANSWER_THRESHOLD = 0.8
ANSWER_MARGIN = 0.1
CANDIDATE_THRESHOLD = 0.35
MAX_CANDIDATES = 5
# Candidates are ordered by confidence plus this share of their BM25 score relative to the best:
# BM25 knows better which of several partly matching Q&A is meant; confidence, whether any is.
BM25_SHARE = 0.15
# What is left of it for a name equal to a question typed in kana: enough to break ties (ポット,
# ポット（園芸用）).
KANA_BM25_TIES = 0.1
# How many documents BM25 hands to the confidence step, per candidate asked for.
BM25_POOL = 8
# BM25's parameters (Lucene's defaults): short names and long answers share one index.
BM25_K1 = 1.2
BM25_B = 0.75

# Okapi's stand-in for negative idf values, as a share of the average idf.
OKAPI_EPSILON = 0.25
# Whole words (and synonym groups) say more than character pairs, which are there for robustness.
TERM_WEIGHTS = {"w": 2.0, "g": 2.0, "a": 1.0, "y": 1.0, "s": 0.5, "r": 0.5}
# An entry's whole name inside the question ("フライパンの捨て方"): the more of the question it
# explains, the surer.
CONTAINED_BASE = 0.4
# Questions typed in kana: what a name found inside leaves unexplained costs this much more than
# a typo's edit, and shared pieces of readings alone never say more than this.
KANA_LEFTOVER_PENALTY = 0.05
KANA_OVERLAP_CAP = 0.6
# Ranking cost of a name found inside a longer name the question also holds.
SHADOWED_PENALTY = 0.15
# Longest name looked for inside a question; longer names are found by their terms.
MAX_CONTAINED = 24

# bm25s tells at DEBUG level of every index it builds: one line a knowledge change is noise here.
logging.getLogger("bm25s").setLevel(logging.WARNING)

_BRACKETS = re.compile(r"[（(【\[][^）)】\]]*[）)】\]]")
# Letters and digits heading a name (ICレコーダー, ＣＤプレーヤー, LED電球): residents often leave them out.
_LATIN_HEAD = re.compile(r"^[A-Za-z0-9Ａ-Ｚａ-ｚ０-９]+[\s・]*")
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
    idf_total: float
    exact: str  # the question compacted, nothing left out
    keys: set[str]  # its subject words, as written and as read
    kana_only: bool  # typed in kana: compare with the entries' readings too
    spelled: str  # typed in kana with long vowel marks: as typed, marks kept ("" otherwise)


def _is_hiragana(text: str) -> bool:
    return bool(text) and all("ぁ" <= ch <= "ゖ" for ch in text)


def _marked(text: str) -> str:
    """The kana of ``text`` as typed when it has long vowel marks, else "" (see ``spelled``)."""
    typed = spelled(text)
    return typed if "ー" in typed and _is_hiragana(typed.replace("ー", "")) else ""


def _containable(key: str) -> bool:
    """Long enough that finding it inside a question is no accident (いし in かいしゅう is)."""
    return len(key) >= 3 or (len(key) == 2 and not _is_hiragana(key))


# Analyses are kept across rebuilds: a change to one entry re-analyses only that entry's texts.
@lru_cache(maxsize=50_000)
def _analysed(text: str, whole: bool) -> Analysis:
    return analyse(text, whole=whole)


@lru_cache(maxsize=5_000)
def _reading(text: str) -> str:
    return compact(reading_of(text))


@lru_cache(maxsize=5_000)
def _word_reading(text: str) -> str:
    return compact(word_reading(text))


class Index:
    def __init__(self, documents: list[Document]) -> None:
        self.entries: list[Entry] = []
        entry_number: dict[tuple[str, int], int] = {}
        doc_entry: list[int] = []
        doc_weight: list[float] = []
        self.doc_terms: list[frozenset[str]] = []
        self.doc_exact: list[str] = []
        self.doc_keys: list[frozenset[str]] = []
        self.doc_reading_keys: list[frozenset[str]] = []
        corpus: list[list[str]] = []
        readings: dict[int, str] = {}
        # Kana names with long vowel marks, as typed (ストロー: すとろー): typos on the marks.
        self._marked: dict[int, str] = {}
        # Every name, key and reading of a document → the documents: exact and contained hits.
        names: dict[str, list[int]] = {}
        for entry, text, weight, whole in documents:
            analysis = _analysed(text, whole)
            if not analysis.terms:
                continue
            number = entry_number.setdefault((entry.kind, entry.id), len(self.entries))
            if number == len(self.entries):
                self.entries.append(entry)
            doc = len(corpus)
            corpus.append(analysis.terms)
            doc_entry.append(number)
            doc_weight.append(weight)
            exact = compact(text)
            self.doc_terms.append(frozenset(analysis.terms))
            self.doc_exact.append(exact)
            self.doc_keys.append(frozenset({analysis.key} - {""}))
            self.doc_reading_keys.append(frozenset({analysis.reading} - {""}))
            if whole:
                for name in {exact, analysis.key, analysis.reading} - {""}:
                    names.setdefault(name, []).append(doc)
                if len(analysis.reading) >= FUZZY_MIN_LENGTH:
                    readings[doc] = analysis.reading
                if marked := _marked(text):
                    self._marked[doc] = marked
        self._readings = readings
        self._unvoiced = {doc: unvoiced(reading) for doc, reading in readings.items()}
        self._unvoiced_marked = {doc: unvoiced(typed) for doc, typed in self._marked.items()}
        self._names = names
        self._longest_name = min(max((len(n) for n in names), default=0), MAX_CONTAINED)
        self._weights = np.array(doc_weight, dtype=np.float32)
        self.doc_entry = doc_entry
        self._bm25: bm25s.BM25 | None = None
        self._idf: dict[str, float] = {}
        if corpus:
            self._bm25 = bm25s.BM25(k1=BM25_K1, b=BM25_B, method="lucene")
            self._bm25.index(corpus, show_progress=False)
            # The confidence weighs terms by Okapi's idf, which says nothing (next to zero) for a
            # term in half the documents or more: in a small knowledge base "住民票" in every
            # entry must not make a vague question look answered. Negative values become a
            # quarter of the average, as Okapi BM25 implementations do, then never below 0.01.
            frequency = Counter(term for terms in self.doc_terms for term in terms)
            n = len(corpus)
            raw = {term: math.log(n - df + 0.5) - math.log(df + 0.5) for term, df in frequency.items()}
            floor = OKAPI_EPSILON * sum(raw.values()) / len(raw)
            self._idf = {
                term: max(value if value >= 0 else floor, 0.01) * TERM_WEIGHTS.get(term[0], 1.0)
                for term, value in raw.items()
            }
        self._vocabulary: dict[str, int] = self._bm25.vocab_dict if self._bm25 else {}
        self._doc_idf_total = [sum(self._idf[t] for t in terms) for terms in self.doc_terms]

    @property
    def is_empty(self) -> bool:
        return self._bm25 is None

    def rank(self, question: str, *, limit: int = MAX_CANDIDATES) -> Ranking:
        analysis = _analysed(question, False)
        if self._bm25 is None or not analysis.terms:
            return Ranking([])
        exact = compact(question)
        terms = set(analysis.terms)
        kana_only = _is_hiragana(exact)
        keys = {analysis.key, analysis.reading} - {""}
        if kana_only and not analysis.asks:
            # Kana the analyser cut off at the end without a question in them (くつたし: くつ + たし)
            # are as likely a slip in a longer name: the subject is the whole text, and a name
            # found inside it counts its leftover.
            keys = {exact}
        query = _Query(
            terms, sum(self._idf.get(t, 0.0) for t in terms), exact, keys, kana_only, _marked(question)
        )
        scores = self._bm25_pool(analysis.terms, limit * BM25_POOL)  # document → weighted BM25
        named = self._named(query)
        candidates = set(scores) | set(named) | self._fuzzy(query)
        confidence: dict[int, float] = {}
        bm25_best: dict[int, float] = {}
        for doc in candidates:
            number = self.doc_entry[doc]
            bm25_best[number] = max(bm25_best.get(number, 0.0), scores.get(doc, 0.0))
            confidence[number] = max(confidence.get(number, 0.0), self._confidence(query, doc))
        top_bm25 = max(bm25_best.values(), default=1.0) or 1.0
        # The question is an entry's whole name or reading (くつした: 靴下): that entry comes first,
        # whatever BM25 thinks of a shorter name the analyser cut out of it (くつ: 靴).
        whole = {self.doc_entry[d] for d in self._names.get(query.exact, ())}
        # A name found inside a longer name that the question also holds is not what was asked
        # (アルミホイルの外箱の刃: not 外箱; コートハンガー: not ハンガー).
        pieces = set(named.values())
        longest: dict[int, str] = {}
        for doc, piece in named.items():
            number = self.doc_entry[doc]
            if len(piece) > len(longest.get(number, "")):
                longest[number] = piece
        shadowed = {n for n, piece in longest.items() if any(piece in p and piece != p for p in pieces)}
        ordered = sorted(
            (n for n in confidence if confidence[n] > 0),
            key=lambda n: (
                n in whole,
                confidence[n]
                + _bm25_share(query, confidence[n]) * bm25_best.get(n, 0.0) / top_bm25
                - SHADOWED_PENALTY * (n in shadowed),
            ),
            reverse=True,
        )
        return Ranking([self._candidate(n, confidence[n]) for n in ordered[:limit]])

    def _bm25_pool(self, terms: list[str], size: int) -> dict[int, float]:
        """The best ``size`` documents by weighted BM25, with their scores."""
        ids = [self._vocabulary[t] for t in terms if t in self._vocabulary]
        if not ids or self._bm25 is None:
            return {}
        scores = self._bm25.get_scores(ids) * self._weights
        # A partial sort: the pool's order does not matter, only which documents are in it.
        top = np.argpartition(-scores, size)[:size] if len(scores) > size else np.arange(len(scores))
        return {int(d): float(scores[d]) for d in top if scores[d] > 0}

    def _named(self, query: _Query) -> dict[int, str]:
        """Documents whose whole name or reading is the question, a key of it, or inside it.

        Each with the longest of its names found: that one name found inside another
        (外箱 inside 外箱の刃) is told apart.
        """
        found: dict[int, str] = {}
        for text in query.keys | {query.exact}:
            for doc in self._names.get(text, ()):
                found[doc] = text
            longest = min(self._longest_name, len(text) - 1)
            for size in range(2, longest + 1):
                for start in range(len(text) - size + 1):
                    piece = text[start : start + size]
                    if piece in self._names and _containable(piece):
                        for doc in self._names[piece]:
                            if len(found.get(doc, "")) < size:
                                found[doc] = piece
        return found

    def _fuzzy(self, query: _Query) -> set[int]:
        """Documents whose reading is within a typo of the question (scored in ``_confidence``)."""
        looked_up = [(text, self._unvoiced) for text in query.keys | {query.exact}]
        if query.spelled:
            looked_up.append((query.spelled, self._unvoiced_marked))
        found: set[int] = set()
        for text, readings in looked_up:
            if len(text) >= FUZZY_MIN_LENGTH - 1:
                found.update(
                    doc
                    for _, _, doc in process.extract(
                        unvoiced(text),
                        readings,
                        scorer=OSA.normalized_similarity,
                        score_cutoff=FUZZY_LOOKUP_CUTOFF,
                        limit=FUZZY_POOL,
                    )
                )
        return found

    def _confidence(self, query: _Query, doc: int) -> float:
        weight = float(self._weights[doc])
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
        typed = query.keys | {query.exact}
        candidates = [0.0]
        reading = self._readings.get(doc)
        if reading:
            candidates.extend(_typo_similarity(q, reading) for q in typed)
        if query.spelled:
            # A name without marks (すいとう) is compared as it is written.
            candidates.append(_typo_similarity(query.spelled, self._marked.get(doc) or reading or ""))
        contained = [(key, q) for key in keys for q in typed if _containable(key) and key in q]
        if query.kana_only:
            # Typed in kana, a name with a character left over is as likely a slip in a longer
            # name (かでんち: かんでんち rather than か + でんち): the leftover counts like an edit,
            # and a little more, so that the slip's reading wins a tie.
            containment = max(
                (1 - (len(q) - len(key)) / (len(q) + 1) - KANA_LEFTOVER_PENALTY for key, q in contained),
                default=0.0,
            )
        else:
            containment = max(
                (CONTAINED_BASE + (1 - CONTAINED_BASE) * len(key) / len(q) for key, q in contained),
                default=0.0,
            )
        candidates.append(containment)
        doc_terms = self.doc_terms[doc]
        shared = sum(self._idf.get(t, 0.0) for t in query.terms & doc_terms)
        if shared and query.idf_total:
            question_part = shared / query.idf_total
            entry_part = shared / self._doc_idf_total[doc]
            # F2: that the entry is wholly in the question counts most.
            overlap = 5 * question_part * entry_part / (4 * question_part + entry_part)
            # In kana, shared pieces of readings are no more than the name found inside.
            candidates.append(
                min(overlap, max(containment, KANA_OVERLAP_CAP)) if query.kana_only else overlap
            )
        return weight * max(candidates)

    def _candidate(self, number: int, score: float) -> Candidate:
        e = self.entries[number]
        return Candidate(e.kind, e.id, e.title, e.category, round(min(score, 1.0), 4), e.department_id)


def _bm25_share(query: _Query, confidence: float) -> float:
    """How much BM25 counts in ordering a candidate (see ``BM25_SHARE``).

    In a question typed in kana BM25's terms are character pairs of what may be a typo: the nearer
    a name's reading is to the question, the more the edit distance, not BM25, says which it is
    (すとう: すいとう rather than すとろ, for all their shared pairs); it still breaks ties.
    """
    if not query.kana_only:
        return BM25_SHARE
    return BM25_SHARE * min(1.0, 2 * (1 - confidence) + KANA_BM25_TIES)


def _typo_similarity(typed: str, reading: str) -> float:
    """How surely ``typed`` is ``reading`` mistyped: one edit in five characters is 5/6.

    Counted against one character more than the longer text, so that one slip in a name (かでんち
    for かんでんち) outweighs a shorter name found inside it (でんち, 電池). A difference of voicing
    marks only (びいたま, びいだま) costs half an edit.
    """
    if len(reading) < FUZZY_MIN_LENGTH or len(typed) < FUZZY_MIN_LENGTH - 1:
        return 0.0
    if len(typed) < FUZZY_MIN_LENGTH and not _dropped_one(typed, reading):
        # Two kana are a typo only of a three-kana name with one of them left out (すと: すとろ).
        return 0.0
    distance = min(
        float(OSA.distance(typed, reading)), OSA.distance(unvoiced(typed), unvoiced(reading)) + VOICING_COST
    )
    similarity = 1 - distance / (max(len(typed), len(reading)) + 1)
    if len(reading) < len(typed):
        # A shorter name with the question's extra kana left over (でんち in かでんち): as sure as
        # that name found inside the question, not as a slip in a name of the question's length.
        similarity -= KANA_LEFTOVER_PENALTY
    return similarity if similarity >= FUZZY_CUTOFF else 0.0


def _dropped_one(typed: str, reading: str) -> bool:
    """``typed`` is ``reading`` with one character left out."""
    return len(reading) == len(typed) + 1 and any(
        reading[:i] + reading[i + 1 :] == typed for i in range(len(reading))
    )


def item_readings(name: str, reading: str) -> list[str]:
    """The readings a garbage item is found by: the dictionary's own and the analyser's.

    5374-format dictionaries put only the index letter (あ, か…) in their ``furigana`` column: a
    one-character reading is no reading. A dictionary's real reading and the analyser's may differ
    (なまごみ / せいごみ), and so may the analyser's reading of the whole name and of its words
    each on its own (こたつばん / こたついた); residents may type any of them, so all are kept.
    """
    found = [reading] if len(compact(reading)) >= 2 else []
    base = _BRACKETS.sub("", name).strip() or name
    found.extend((_reading(base), _word_reading(base)))
    return [r for r in dict.fromkeys(found) if r]


def garbage_documents(entry: Entry, name: str, reading: str) -> list[Document]:
    """The texts a garbage item is found by: name, name without qualifier, alternatives, readings."""
    texts = [name]
    base = _BRACKETS.sub("", name).strip()
    if base and base != name:
        texts.append(base)
    parts = [p.strip() for p in _ALTERNATIVES.split(base) if p.strip()]
    if len(parts) > 1:
        texts.extend(parts)
    unlettered = _LATIN_HEAD.sub("", base)
    if len(unlettered) >= 2 and unlettered != base:
        texts.append(unlettered)
    readings = item_readings(name, reading)
    texts.extend(readings)
    return [
        Document(entry, text, 1.0 if text == name or text in readings else DERIVED_WEIGHT, True)
        for text in dict.fromkeys(texts)
    ]


def faq_documents(entry: Entry, question: str, answer: str, phrasings: list[str]) -> list[Document]:
    """A Q&A is found by its question and phrasings, and (less surely) by its answer."""
    docs = [Document(entry, question)]
    docs.extend(Document(entry, p) for p in phrasings)
    if answer:
        docs.append(Document(entry, answer, ANSWER_WEIGHT))
    return docs


def _documents() -> list[Document]:
    docs: list[Document] = []
    faqs = FaqEntry.objects.filter(status=Status.PUBLISHED).prefetch_related("phrasings")
    for faq in faqs:
        entry = Entry("faq", faq.pk, faq.question, faq.category, faq.department_id)
        docs.extend(faq_documents(entry, faq.question, faq.answer, [p.text for p in faq.phrasings.all()]))
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
