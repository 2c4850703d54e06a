"""The chatbot in residents' languages (issue 21): answers in theirs, questions in theirs.

Answering: an entry's text in the resident's language when staff wrote it (``translated``, with
the city's fallback chain); a text that reaches a non-Japanese reader in Japanese says so, in their
language, so that they know to ask someone or to copy it into a translator. Nothing is
machine-translated here.

Understanding: the Japanese index (``search``) stays as it is. The versions staff wrote in other
languages — garbage items' names ("battery", "plastic bottle"), Q&A's questions — make a second,
small index, asked first for a resident whose language is not Japanese, and only after the
Japanese index found nothing for a Japanese reader who typed in another script. A Japanese
question never costs a look into it.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable

from django.utils.translation import gettext as _

from civicline.core import languages
from civicline.core.translations import translated

from . import search
from .models import FaqEntry, GarbageItem, ScenarioNode, Status

JAPANESE_READERS = (languages.JAPANESE, languages.EASY_JAPANESE)
_KANA = re.compile(r"[\u3041-\u309f\u30a0-\u30ff\uff66-\uff9f]")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?|\d+", re.UNICODE)

# Words that frame a question in English, Vietnamese or Korean ("where does … go?", "vứt … ở đâu?",
# 어떻게 버려요), not its subject. Item names are never cut by them: only questions are.
_FRAME_LINES = (
    "a an the i we my our you your me it its this that these those is are be am was do does did",
    "how where what which when who why should shall could would will can may please tell about",
    "of to in into on at for from with by and or",
    "throw throwing thrown threw away dispose disposing disposal discard discarding get rid put",
    "out go goes going sort sorted sorting separate",
    "garbage trash rubbish waste bin",
    "vứt bỏ ở đâu thế nào như cách làm sao tôi có thể được không là gì rác loại cái này đổ phân",
    "어떻게 어디에 어디 어디서 버려요 버리나요 버리면 버려야 버리는 버릴 버리다 방법 하나요 되나요 돼요 해요",
    "쓰레기 분리수거 알려 주세요 궁금해요 무슨 뭐예요",
)
FRAME_WORDS = frozenset(word for line in _FRAME_LINES for word in line.split())
# Frame words that are also things thrown away: kept after an article or another kept word
# ("a can", "spray can"), dropped elsewhere ("how can I…").
NOUN_FRAME_WORDS = frozenset({"can", "bin"})
_DETERMINERS = frozenset({"a", "an", "the", "this", "that", "my", "our", "your", "empty", "old"})
# Korean particles written onto the noun (건전지는, 페트병을): cut, except 이/가/에/의, which end
# nouns as often (종이, 넥타이).
_KOREAN_PARTICLES = ("에서", "은", "는", "을", "를", "도")
_HANGUL = re.compile(r"^[\uac00-\ud7a3]+$")
# Simplified Chinese question frames, written without spaces (电池怎么扔？): cut from the text.
# Only forms Japanese does not write, so that a kanji-only Japanese question keeps its words.
_CHINESE_FRAMES = re.compile(
    "|".join(("怎么扔", "怎么处理", "怎么丢", "怎么办", "怎么", "如何", "处理", "扔掉", "丢掉", "在哪里"))
    + "|"
    + "|".join(("哪里", "请问", "扔", "丢", "吗", "呢", "垃圾"))
)


def is_japanese_reader(language: str) -> bool:
    return language in JAPANESE_READERS


# --- answers ------------------------------------------------------------------------------------


def shown(obj: object, field: str, *, mark: bool = True) -> str:
    """``field`` of ``obj`` in the reader's language; marked 「日本語のみ」 when it fell back to Japanese.

    ``mark=False`` for names: a Japanese name is still what the resident shows at a shop.
    """
    language = languages.current()
    text = translated(obj, field, language)
    if not mark or not text or is_japanese_reader(language) or not fell_back(obj, field, language):
        return text
    return f"{text} {japanese_only()}"


def fell_back(obj: object, field: str, language: str) -> bool:
    """The reader gets ``field`` in Japanese: the master, or the city's やさしい日本語 fallback."""
    versions = getattr(obj, "translations", None) or {}
    reached = next(
        (code for code in languages.fallback_chain(language) if (versions.get(code) or {}).get(field)),
        languages.JAPANESE,
    )
    return reached in JAPANESE_READERS


def japanese_only() -> str:
    return _("（日本語のみ）")


def answer(entry: FaqEntry | ScenarioNode) -> str:
    """A Q&A's or a scenario's answer in the reader's language; in Japanese, said so first."""
    language = languages.current()
    text = translated(entry, "answer", language)
    if is_japanese_reader(language) or not fell_back(entry, "answer", language):
        return text
    return f"{japanese_only()}\n{text}"


def titles(candidates: Iterable[search.Candidate]) -> dict[tuple[str, int], str]:
    """Each candidate's title (a question, an item's name) in the reader's language."""
    wanted = list(candidates)
    language = languages.current()
    if language == languages.JAPANESE:
        return {(c.kind, c.id): c.title for c in wanted}
    models = {
        "faq": (FaqEntry, "question"),
        "garbage": (GarbageItem, "name"),
        "scenario": (ScenarioNode, "label"),
    }
    found: dict[tuple[str, int], str] = {}
    for kind, (model, field) in models.items():
        ids = [c.id for c in wanted if c.kind == kind]
        if ids:
            for obj in model._default_manager.filter(pk__in=ids):
                found[(kind, obj.pk)] = translated(obj, field, language)
    return {(c.kind, c.id): found.get((c.kind, c.id)) or c.title for c in wanted}


# --- questions ----------------------------------------------------------------------------------


def _singular(word: str) -> str:
    """batteries → battery, bottles → bottle, boxes → box: one form for a name and a question."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def name_text(text: str) -> str:
    """A name in another language as indexed: its words in one form, brackets and slashes kept."""
    return _WORD.sub(lambda m: _singular(m.group().lower()), text)


def question_text(text: str) -> str:
    """A question in another language as searched: its subject words in one form.

    "How do I throw away batteries?" → "battery". Only words are cut; a question made of frame
    words alone is left as it is.
    """
    subject: list[str] = []
    previous = ""
    for word in (w.lower() for w in _WORD.findall(_CHINESE_FRAMES.sub(" ", text))):
        noun = word in NOUN_FRAME_WORDS and (previous in _DETERMINERS or previous not in FRAME_WORDS)
        if word not in FRAME_WORDS or (noun and previous):
            subject.append(_singular(_without_particle(word)))
        previous = word
    return " ".join(subject) if subject else text


def _without_particle(word: str) -> str:
    if len(word) > 2 and _HANGUL.match(word):
        for particle in _KOREAN_PARTICLES:
            if word.endswith(particle) and len(word) > len(particle) + 1:
                return word[: -len(particle)]
    return word


def _documents() -> list[search.Document]:
    docs: list[search.Document] = []
    codes = languages.translation_languages()
    faqs = FaqEntry.objects.filter(status=Status.PUBLISHED).exclude(translations={})
    for faq in faqs.only("pk", "question", "category", "department_id", "translations"):
        entry = search.Entry("faq", faq.pk, faq.question, faq.category, faq.department_id)
        for code in codes:
            question = ((faq.translations or {}).get(code) or {}).get("question")
            if question:
                docs.append(search.Document(entry, question_text(question)))
    items = GarbageItem.objects.filter(status=Status.PUBLISHED).exclude(translations={})
    for item in items.select_related("category"):
        category = item.category.name if item.category else ""
        entry = search.Entry("garbage", item.pk, item.name, category, item.department_id)
        for code in codes:
            name = ((item.translations or {}).get(code) or {}).get("name")
            if name:
                docs.extend(search.garbage_documents(entry, name_text(name), ""))
    return docs


_lock = threading.Lock()
_cached: tuple[str, search.Index] | None = None


def translated_index() -> search.Index:
    """The index of the knowledge's other languages, rebuilt when the knowledge changed."""
    global _cached
    version = search.knowledge_version()
    cached = _cached
    if cached is not None and cached[0] == version:
        return cached[1]
    with _lock:
        if _cached is None or _cached[0] != version:
            _cached = (version, search.Index(_documents()))
        return _cached[1]


def rank(question: str, *, language: str, limit: int = search.MAX_CANDIDATES) -> search.Ranking:
    """Rank a resident's question in the index of their language first, then the other."""
    if is_japanese_reader(language):
        ranking = search.rank(question, limit=limit)
        best = ranking.best
        if (best is not None and best.score >= search.CANDIDATE_THRESHOLD) or _KANA.search(question):
            return ranking
        # "battery" typed by a Japanese reader, and nothing Japanese matched: the other names may.
        other = translated_index().rank(question_text(question), limit=limit)
        return other if other.candidates else ranking
    if _KANA.search(question):
        # Written in Japanese after all: the Japanese index alone, as for a Japanese reader.
        return search.rank(question, limit=limit)
    # Typed in their language, the question's frame ("where does … go?") is left out of both.
    searched = question_text(question)
    other = translated_index().rank(searched, limit=limit)
    best = other.best
    if best is not None and best.score >= search.CANDIDATE_THRESHOLD:
        # Names in their language come first, even when several fit ("battery": dry cell, car,
        # button…): the Japanese index would only add what a katakana reading of the word hits
        # (toy: とい, 樋).
        return other
    return search.rank(searched, limit=limit)
