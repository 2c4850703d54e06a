"""Content words of free-text answers, for the results' word list (SV-8).

Words are found once, when an answer is submitted (Sudachi, dictionary from the ``sudachidict_core``
package), and stored with the answer; the results page only counts them. Kept: nouns (general and
proper, verbal nouns like 改善) and adjectives, in the dictionary's normalised form, so 子ども /
子供 and 高い / 高かった count as one word.
"""

from __future__ import annotations

import threading
import unicodedata

from sudachipy import Dictionary, SplitMode

_local = threading.local()
_dictionary: Dictionary | None = None
_lock = threading.Lock()

KEPT = {("名詞", "普通名詞"), ("名詞", "固有名詞"), ("形容詞",)}
# Words that say nothing about what residents think, whatever the survey.
STOP_WORDS = frozenset(
    {"こと", "もの", "ため", "よう", "方", "事", "物", "為", "様", "感じ", "時", "所", "無い", "欲しい"}
)
MAX_TERMS = 60


def _tokenizer():
    global _dictionary
    tokenizer = getattr(_local, "tokenizer", None)
    if tokenizer is None:
        with _lock:
            if _dictionary is None:
                _dictionary = Dictionary(dict="core")
        # A Sudachi tokenizer is not shared between threads; the dictionary is.
        tokenizer = _local.tokenizer = _dictionary.tokenizer(SplitMode.C)
    return tokenizer


def _kept(part_of_speech: tuple[str, ...]) -> bool:
    return any(part_of_speech[: len(prefix)] == prefix for prefix in KEPT)


def terms(text: str) -> list[str]:
    """The distinct content words of ``text``, in order of appearance."""
    found: dict[str, None] = {}
    for morpheme in _tokenizer().tokenize(unicodedata.normalize("NFKC", text or "")[:4000]):
        if not _kept(morpheme.part_of_speech()):
            continue
        word = morpheme.normalized_form()
        if len(word) < 2 and not ("\u4e00" <= word[:1] <= "\u9fff"):
            continue  # a lone kana or letter is noise; a lone kanji (駅, 道) is a word
        if word not in STOP_WORDS and word.strip():
            found[word] = None
        if len(found) >= MAX_TERMS:
            break
    return list(found)
