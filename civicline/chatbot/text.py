"""Japanese text understanding for the chatbot (CB-7): normalisation, morphology, readings.

Residents type the same thing many ways: ﾍﾟｯﾄﾎﾞﾄﾙ / ペットボトル / ぺっとぼとる, 茶だんす / ちゃだんす,
コンピューター / コンピュータ. Everything is brought to one form (NFKC, lower case, hiragana, no long
vowel marks), then analysed by Sudachi (dictionary shipped in the ``sudachidict_core`` package, so
nothing is downloaded at run time). Each text yields:

* word terms: the dictionary's normalised forms of content words (捨て → 捨てる, ゴミ → 塵), their
  readings, their shorter sub-words and synonym groups;
* character bigrams of the surface and of the reading, which keep matching when the analyser
  splits an unknown or misspelt word differently.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass, field

import jaconv
from sudachipy import Dictionary, SplitMode

_local = threading.local()
_dictionary: Dictionary | None = None
_dictionary_lock = threading.Lock()

LONG_VOWEL_MARKS = re.compile(r"[ー‐―－〜~]")
NOT_WORD = re.compile(r"[^\w]|_", re.UNICODE)

# Parts of speech that carry no topic; dropped next to content words (see ``analyse``).
FUNCTION_POS = {"助詞", "助動詞", "補助記号", "空白", "記号", "感動詞", "接続詞"}
# Words residents and city pages use for the same thing; each group also matches as a whole.
SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("塵", "ごみ", "ゴミ", "廃棄物"),
    ("引っ越し", "引越し", "引っ越す", "転居", "引越"),
    ("マイナンバーカード", "マイナカード", "個人番号カード", "マイナ"),
    ("子供", "子ども", "こども", "児童", "子"),
    ("保育園", "保育所", "こども園"),
    ("税金", "税", "市税"),
    ("粗大ごみ", "粗大塵", "大型ごみ", "粗大"),
    ("避難所", "避難場所", "避難先"),
    ("印鑑登録", "印鑑", "実印"),
    ("証明書", "証明"),
    ("届け出", "届出", "届", "届け"),
    ("手続き", "手続", "申請", "申し込み", "申込"),
    ("料金", "手数料", "費用", "値段", "いくら"),
    ("戸籍謄本", "戸籍", "戸籍証明"),
    ("赤ちゃん", "赤ん坊", "乳児", "新生児"),
    ("出生", "出産", "生まれる"),
    ("亡くなる", "死亡", "死去"),
    ("パスポート", "旅券"),
    ("広報誌", "広報紙", "市報", "広報"),
    ("コンビニ", "コンビニエンスストア", "セブンイレブン", "ローソン", "ファミリーマート", "ファミマ"),
    ("交付", "受け取り", "受取", "受け取る"),
    ("災害", "防災", "非常", "非常時"),
    ("妊娠", "妊婦", "妊産婦"),
    ("健康保険", "国保", "国民健康保険", "保険証"),
)


def normalize(text: str) -> str:
    """One form for matching: NFKC (full/half width), lower case, hiragana, no long vowel marks."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    text = jaconv.kata2hira(text)
    return LONG_VOWEL_MARKS.sub("", text)


def compact(text: str) -> str:
    """``normalize`` without spaces or punctuation: the key for exact and fuzzy comparison."""
    return NOT_WORD.sub("", normalize(text))


def spelled(text: str) -> str:
    """Kana as typed, long vowel marks kept (ストロー → すとろー): what a typo is made of.

    A slip on the mark (カーー for カーラー, ガノター for ガーター) is one edit of this form; of
    ``compact``'s it is more, or a name too short to compare at all.
    """
    text = jaconv.kata2hira(unicodedata.normalize("NFKC", text or "").lower())
    return NOT_WORD.sub("", LONG_VOWEL_MARKS.sub("ー", text))


# Words that frame a question ("…の捨て方を教えて") rather than name its subject, as normalised
# forms after ``normalize``. Kept small and general: topic words are never listed here.
FRAME_WORDS = {
    normalize(word)
    for word in (
        "捨てる",
        "捨て方",
        "出す",
        "出し方",
        "処分",
        "処分方法",
        "分別",
        "方法",
        "やり方",
        "教える",
        "知る",
        "下さる",
        "くださる",
        "お願い",
        "願う",
        "する",
        "ある",
        "居る",
        "いる",
        "成る",
        "なる",
        "出来る",
        "できる",
        "思う",
        "良い",
        "いい",
        "どう",
        "どうやって",
        "どうすれば",
        "こと",
        "もの",
        "の",
        "方",
        "ため",
        "場合",
        "何",
        "なに",
        "なん",
        "どんな",
        "について",
        "それ",
        "これ",
        "ください",
        "教えて",
        "ほしい",
        "欲しい",
        "よい",
        "わかる",
        "分かる",
        "聞く",
        "質問",
        "捨てれる",
        "捨てられる",
        # the dictionary's normalised forms of the same verbs
        "為る",
        "有る",
        "在る",
        "頂く",
        "貰う",
        "仕舞う",
        "言う",
        "呉れる",
    )
}

# Verbs and endings a slip of the keyboard produces in kana as easily as a question does
# (くつたし → くつ + たし, こたついた → こたつ + いた): an ending made only of these says nothing.
LIGHT_WORDS = {
    normalize(word)
    for word in (
        "為る",
        "する",
        "有る",
        "ある",
        "在る",
        "居る",
        "いる",
        "成る",
        "なる",
        "出来る",
        "できる",
        "来る",
        "言う",
        "呉れる",
        "貰う",
        "仕舞う",
        "頂く",
        "下さる",
        "くださる",
        "の",
        "方",
        "こと",
        "もの",
    )
}
# Particles that put a subject before a question (ぺっとぼとるを…, でんちは…, ちゃだんすの…).
QUESTION_PARTICLES = {"を", "は", "って", "の", "が", "も", "に", "で", "へ"}

_SYNONYM_GROUP = {normalize(word): f"g:{normalize(group[0])}" for group in SYNONYMS for word in group}


def _tokenizer():
    global _dictionary
    tokenizer = getattr(_local, "tokenizer", None)
    if tokenizer is None:
        with _dictionary_lock:
            if _dictionary is None:
                _dictionary = Dictionary(dict="core")
        # Sudachi's tokenizers are not shared between threads; the dictionary is.
        tokenizer = _local.tokenizer = _dictionary.tokenizer(SplitMode.C)
    return tokenizer


@dataclass(frozen=True)
class Analysis:
    """What the ranking needs from one text."""

    terms: list[str]
    key: str  # compact surface of the subject words (frame words and particles left out)
    reading: str  # hiragana reading of the same words
    words: list[str] = field(default_factory=list)
    # The words left out at the end ask a question (…をすてたい, …の捨て方), rather than being
    # only what the analyser made of the rest of a name typed in kana.
    asks: bool = False


def reading_of(text: str) -> str:
    """The hiragana reading of a text (茶だんす → ちゃだんす), as the analyser reads it."""
    return "".join(
        _hira(m.reading_form()) if m.part_of_speech()[0] not in FUNCTION_POS else normalize(m.surface())
        for m in _tokenizer().tokenize(unicodedata.normalize("NFKC", text or ""))
        if m.part_of_speech()[0] not in {"空白", "補助記号"}
    )


def word_reading(text: str) -> str:
    """The reading of a text word by word, each word read as if it stood alone.

    Inside a compound the analyser reads a trailing kanji as a suffix, in its Chinese reading
    (こたつ板 → こたつばん, ふすま紙 → ふすまし, 鉛筆削り器 → …き); residents say the word on its
    own (こたついた, ふすまかみ, …うつわ). Sequential voicing (ふすまがみ) is left to ``unvoiced``.
    """
    tokenizer = _tokenizer()
    parts = []
    for m in tokenizer.tokenize(unicodedata.normalize("NFKC", text or "")):
        if m.part_of_speech()[0] in {"空白", "補助記号"}:
            continue
        alone = tokenizer.tokenize(m.surface())
        parts.append(reading_of(m.surface()) if len(alone) == 1 else _hira(m.reading_form()))
    return "".join(parts)


# Dakuten and handakuten, as Unicode decomposes voiced kana (が = か + U+3099).
_VOICING_MARKS = re.compile("[\u3099\u309a]")


def unvoiced(text: str) -> str:
    """Kana without voicing marks (あぶらがみ → あぶらかみ): one form for sequential voicing.

    Compounds voice their second word (紙 かみ → 油紙 あぶらがみ) or not, and readings made by
    machine disagree on it (びいだま / びいたま): compared without the marks, they agree.
    """
    return unicodedata.normalize("NFC", _VOICING_MARKS.sub("", unicodedata.normalize("NFD", text)))


def _hira(reading: str) -> str:
    return normalize(reading)


def _is_hiragana(text: str) -> bool:
    return bool(text) and all("ぁ" <= ch <= "ゖ" for ch in text)


def _is_function(m) -> bool:
    """A particle, an auxiliary, a symbol or a word that frames the question."""
    if m.part_of_speech()[0] in FUNCTION_POS or not NOT_WORD.sub("", m.surface()):
        return True
    return _frame_word(m.normalized_form()) or _frame_word(m.surface())


def _frame_word(text: str) -> bool:
    # No frame word has a long vowel mark: コート is not こと once the mark is gone.
    return not LONG_VOWEL_MARKS.search(text) and normalize(text) in FRAME_WORDS


def _asks(ending: list) -> bool:
    """Words left at the end that ask: they start with a particle after the subject, or hold a
    frame word that is not a light verb (捨てる, 教える)."""
    if not ending:
        return False
    first = ending[0]
    if first.part_of_speech()[0] == "助詞" and normalize(first.surface()) in QUESTION_PARTICLES:
        return True
    return any(
        _is_function(m) and not {normalize(m.normalized_form()), normalize(m.surface())} & LIGHT_WORDS
        for m in ending
        if m.part_of_speech()[0] not in FUNCTION_POS
    )


def analyse(text: str, *, whole: bool = False) -> Analysis:
    """The terms and keys of a text; ``whole`` keeps every word (a name, not a sentence)."""
    morphemes = list(_tokenizer().tokenize(unicodedata.normalize("NFKC", text or "")))
    # In a text of kana only the analyser often takes a piece of a word for a particle or a verb
    # (ぺっとぼとる → ぺっ/と/ぼとる, ちゃいるどしいと → ちゃ/いる/…): there, only the sentence ending
    # ("…をすてたい") is dropped.
    kana_only = all(_is_hiragana(normalize(m.surface())) for m in morphemes if NOT_WORD.sub("", m.surface()))
    ending = len(morphemes)
    while ending > 0 and not whole and _is_function(morphemes[ending - 1]):
        ending -= 1
    kept = []
    for index, m in enumerate(morphemes):
        if m.part_of_speech()[0] in {"空白", "補助記号"} or not NOT_WORD.sub("", m.surface()):
            continue
        if index >= ending or (not kana_only and not whole and _is_function(m)):
            continue
        kept.append(m)
    if not kept:  # a question made only of frame words still has to match something
        kept = [m for m in morphemes if NOT_WORD.sub("", normalize(m.surface()))]

    terms: list[str] = []
    words: list[str] = []
    key_parts: list[str] = []
    reading_parts: list[str] = []
    for m in kept:
        surface = compact(m.surface())
        lemma = compact(m.normalized_form())
        reading = compact(m.reading_form()) if m.part_of_speech()[0] not in FUNCTION_POS else surface
        key_parts.append(surface)
        reading_parts.append(reading)
        if _is_function(m):
            continue
        forms = {lemma, surface} - {""}
        # Shorter units (住民票 → 住民, 票) match other compounds, but only each other: a word of
        # its own (本) is not the same as a piece of a longer one (本籍地).
        units = {compact(sub.normalized_form()) for sub in m.split(SplitMode.A)} - {""} or forms
        words.extend(sorted(forms))
        terms.extend(f"w:{form}" for form in sorted(forms))
        terms.extend(f"a:{unit}" for unit in sorted(units))
        terms.append(f"y:{reading}")
        groups = {_SYNONYM_GROUP[f] for f in forms | units if f in _SYNONYM_GROUP}
        terms.extend(sorted(groups))
    key = "".join(key_parts)
    reading = "".join(reading_parts)
    terms.extend(_ngrams("s", key))
    terms.extend(_ngrams("r", reading))
    return Analysis(terms=terms, key=key, reading=reading, words=words, asks=_asks(morphemes[ending:]))


def _ngrams(prefix: str, text: str) -> list[str]:
    """Character bigrams with start/end marks (so that short names still give several terms)."""
    if not text:
        return []
    padded = f"^{text}$"
    return [f"{prefix}:{padded[i : i + 2]}" for i in range(len(padded) - 1)]


# --- personal data (CB-5) ------------------------------------------------------------------------

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_PHONE = re.compile(r"(?:\+?81[-\s]?|0)\d{1,4}[-\s(]?\d{1,4}[-\s)]?\d{3,4}")
_LONG_NUMBER = re.compile(r"\d{6,}")

REDACTED = "＊＊＊"


def strip_personal_data(text: str) -> str:
    """The question as logged: e-mail addresses, phone numbers, long numbers and names masked."""
    text = unicodedata.normalize("NFKC", text or "")
    text = _EMAIL.sub(REDACTED, text)
    text = _PHONE.sub(REDACTED, text)
    text = _LONG_NUMBER.sub(REDACTED, text)
    parts = []
    for m in _tokenizer().tokenize(text):
        # The dictionary tags family and given names (名詞-固有名詞-人名).
        parts.append(REDACTED if m.part_of_speech()[1:3] == ("固有名詞", "人名") else m.surface())
    return re.sub(f"(?:{REDACTED})+", REDACTED, "".join(parts))
