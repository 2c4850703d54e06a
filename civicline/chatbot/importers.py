"""Reading garbage dictionaries and Q&A lists from the CSV files cities keep (CB-9).

Cities publish garbage dictionaries in several layouts: the national standard dataset
(自治体標準オープンデータセット「ごみ分別」: ``ゴミの品目,ゴミの品目_カナ,分別区分,注意点,備考,
粗大ごみ回収料金``; newer files say ``品目`` and ``料金``, some prefix every column:
``ごみの分別方法_品目``), the 5374 app's ``target.csv`` (``type`` or ``label``, ``name``,
``notice``, ``furigana``), and their own (高松市: ``#property,name,classification,note``;
中野区: ``ごみの品目,インデックス,種別,説明``). Q&A lists
come with a question, an answer and often a category, the department in charge and a page's URL,
each under many names.

Headers are compared after normalising them (NFKC, BOM, spaces, case, katakana as hiragana, a
leading ``#``, brackets and what they hold: ``料金（円）`` is ``料金``), and each field takes the
first of its known names the file has. A mapping (``name=品名,category=区分``) names the rest.
Files come in UTF-8 (with or without BOM) or Shift_JIS (cp932), as Japanese spreadsheets save them.

Columns in residents' other languages (issue 21) are read too: ``question_en``, ``品目_英語``,
``品目（English）``, ``英語_品目``, and a bare ``英語`` / ``English`` / ``中国語`` column, which is the
entry's name or question, as cities' multilingual garbage dictionaries have it. Each becomes a
value keyed ``<field>__<language>`` (``name__en``), what the console's forms call it too.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicline.core import languages
from civicline.core.exports import unescaped_cell
from civicline.core.translations import field_name

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20000
# A title line or two ("ごみ分別一覧（令和6年4月）") may come before the header row.
HEADER_SEARCH_ROWS = 5

GARBAGE_FIELDS = ("name", "reading", "category", "how_to", "note", "fee")
GARBAGE_REQUIRED = ("name", "category")
GARBAGE_LABELS = {
    "name": gettext_lazy("品目"),
    "reading": gettext_lazy("よみがな"),
    "category": gettext_lazy("分別区分"),
    "how_to": gettext_lazy("出し方・注意点"),
    "note": gettext_lazy("備考"),
    "fee": gettext_lazy("手数料"),
}
# Each field's names in order of preference: the first the file has is used. A name may appear
# under two fields (出し方 is the category in some cities' files and the instructions in others):
# fields are matched in this order, so 出し方 is the category only when no better name is there.
GARBAGE_FORMATS: dict[str, dict[str, tuple[str, ...]]] = {
    "standard": {
        "name": ("ゴミの品目", "品目"),
        "reading": ("ゴミの品目_カナ", "品目_カナ"),
        "category": ("分別区分",),
        "how_to": ("注意点",),
        "note": ("備考",),
        "fee": ("粗大ごみ回収料金", "料金"),
    },
    "5374": {
        "name": ("name",),
        "reading": ("furigana",),
        "category": ("type", "label"),
        "how_to": ("notice",),
    },
}
GARBAGE_FORMATS["auto"] = {
    "name": (
        "ゴミの品目",
        "品目",
        "品目名",
        "品名",
        "ごみの種類",
        "ごみの名前",
        "名称",
        "name",
        "item",
    ),
    "reading": (
        "ゴミの品目_カナ",
        "品目_カナ",
        "品目カナ",
        "品目よみがな",
        "よみがな",
        "よみ",
        "ふりがな",
        "読み",
        "読み仮名",
        "読みがな",
        "カナ",
        "インデックス",
        "furigana",
        "reading",
        "kana",
        "yomi",
    ),
    "category": (
        "分別区分",
        "区分",
        "分別",
        "分別方法",
        "分別の種類",
        "分け方",
        "収集区分",
        "ごみの分別",
        "ごみの区分",
        "種別",
        "分類",
        "type",
        "label",
        "classification",
        "category",
        "出し方",
    ),
    "how_to": (
        "注意点",
        "出し方のポイント",
        "出し方の注意",
        "排出方法",
        "排出時の注意",
        "注意事項",
        "説明",
        "出し方",
        "notice",
        "how_to",
        "instructions",
    ),
    "note": ("備考", "補足", "note", "notes", "remarks"),
    "fee": (
        "粗大ごみ回収料金",
        "粗大ごみ処理手数料",
        "粗大ごみ手数料",
        "処理手数料",
        "手数料",
        "料金",
        "収集料金",
        "fee",
        "price",
    ),
}

# Fields a file may give per language, the first being the one a bare language column gives.
GARBAGE_TRANSLATED = ("name", "how_to", "note")
# A category's name per language (分別区分_en) is read too: the category's, not the item's.
GARBAGE_COLUMNS_TRANSLATED = (*GARBAGE_TRANSLATED, "category")
FAQ_TRANSLATED = ("question", "answer")

FAQ_FIELDS = ("question", "answer", "category", "department", "url")
FAQ_REQUIRED = ("question", "answer")
FAQ_LABELS = {
    "question": gettext_lazy("質問"),
    "answer": gettext_lazy("回答"),
    "category": gettext_lazy("カテゴリ"),
    "department": gettext_lazy("担当課"),
    "url": gettext_lazy("関連URL"),
}
FAQ_HEADERS: dict[str, tuple[str, ...]] = {
    "question": (
        "質問",
        "質問内容",
        "質問文",
        "質問事項",
        "よくある質問",
        "問",
        "問い",
        "q",
        "question",
        "faq",
        "タイトル",
        "件名",
        "title",
    ),
    "answer": ("回答", "回答内容", "回答文", "答え", "答", "解答", "a", "answer", "本文"),
    "category": (
        "カテゴリ",
        "カテゴリー",
        "カテゴリ名",
        "カテゴリー名",
        "分類",
        "分類名",
        "大分類",
        "中分類",
        "小分類",
        "ジャンル",
        "分野",
        "category",
        "genre",
    ),
    "department": (
        "担当課",
        "担当課名",
        "担当部署",
        "担当部局",
        "所管課",
        "所管部署",
        "所管",
        "課名",
        "課",
        "部署",
        "担当",
        "問い合わせ先",
        "問合せ先",
        "お問い合わせ先",
        "お問合せ先",
        "問い合わせ",
        "department",
        "dept",
    ),
    "url": (
        "url",
        "関連url",
        "参照url",
        "参考url",
        "ページurl",
        "詳細url",
        "リンク",
        "リンク先",
        "関連リンク",
        "関連ページ",
        "ホームページ",
        "link",
        "href",
    ),
}


# How files name a language: its code, its name in English, in Japanese, in itself.
LANGUAGE_NAMES: dict[str, tuple[str, ...]] = {
    "en": ("en", "english", "英語", "英"),
    "zh-hans": (
        "zh-hans",
        "zh_hans",
        "zh",
        "zh-cn",
        "chinese",
        "中国語",
        "中国語簡体字",
        "中国語簡体",
        "簡体字",
        "中文",
        "简体中文",
    ),
    "ko": ("ko", "korean", "韓国語", "韓国・朝鮮語", "朝鮮語", "ハングル", "한국어"),
    "vi": ("vi", "vietnamese", "ベトナム語", "tiếng việt", "tiengviet"),
    "ja-easy": ("ja-easy", "ja_easy", "easy japanese", "やさしい日本語", "やさしいにほんご"),
}


@dataclass(frozen=True)
class Row:
    line: int  # where the record starts in the file, as staff see it in a spreadsheet
    values: dict[str, str]


@dataclass
class Parsed:
    """A file's rows, and how its columns were read (shown to staff in the preview)."""

    rows: list[Row]
    header: list[str]
    columns: dict[str, str] = field(default_factory=dict)  # field -> the file's header
    encoding: str = ""


# --- headers ------------------------------------------------------------------------------------

_OPEN, _CLOSE = "([{<【〔「『〈《", ")]}>】〕」』〉》"
_BRACKETED = re.compile(rf"[{re.escape(_OPEN)}][^{re.escape(_OPEN + _CLOSE)}]*[{re.escape(_CLOSE)}]")
_BRACKET_CHARS = re.compile(rf"[{re.escape(_OPEN + _CLOSE)}]")
_KATAKANA = re.compile("[ァ-ヶ]")
# Columns that number the rows: never what a missing field should be mapped to.
_NUMBERING = {"no", "no.", "id", "#", "番号", "連番", "通し番号", "ばんごう", "property"}


def normalise_header(text: str) -> str:
    """One form for a column name: ``＃ 品目（50音順）`` and ``品目`` compare equal.

    What brackets hold is dropped (a unit, a remark), unless it is all there is (``【質問】``).
    Katakana becomes hiragana, as cities write ゴミ and ごみ, カナ and かな alike.
    """
    text = unicodedata.normalize("NFKC", text or "").replace("\ufeff", "")
    text = re.sub(r"\s+", "", text).lstrip("#").strip("*※")
    without = _BRACKETED.sub("", text)
    text = _BRACKET_CHARS.sub("", without if without else text)
    return _KATAKANA.sub(lambda m: chr(ord(m.group()) - 0x60), text.lower())


def _find_columns(
    header: list[str], headers: Mapping[str, tuple[str, ...]], taken: Mapping[str, int] | None = None
) -> dict[str, int]:
    """Each field's column: the first of its names the header has, every column used once.

    A prefixed header (``ごみの分別方法_品目``) is also recognised by what follows its last ``_``.
    Columns in ``taken`` (another language's) are not the master's, whatever their name.
    """
    cleaned = [normalise_header(h) for h in header]
    suffixes = [c.rsplit("_", 1)[-1] if "_" in c else "" for c in cleaned]
    columns: dict[str, int] = dict(taken or {})
    for name, aliases in headers.items():
        if not aliases:  # mapped to nothing: the column is left out on purpose
            continue
        for alias in (normalise_header(a) for a in aliases):
            found = next(
                (i for i, c in enumerate(cleaned) if c == alias and i not in columns.values()),
                None,
            )
            if found is None:
                found = next(
                    (i for i, s in enumerate(suffixes) if s == alias and i not in columns.values()),
                    None,
                )
            if found is not None:
                columns[name] = found
                break
    return {name: i for name, i in columns.items() if not taken or name not in taken}


def _plain(text: str) -> str:
    """A header part compared as written, brackets kept: ``English`` / ``英語`` / ``zh-Hans``."""
    text = unicodedata.normalize("NFKC", text or "").replace("\ufeff", "")
    text = re.sub(r"\s+", "", text).lstrip("#").lower()
    return _KATAKANA.sub(lambda m: chr(ord(m.group()) - 0x60), text)


def _language(text: str) -> str | None:
    """The offered language a header part names (``英語``, ``en``, ``Tiếng Việt``), or None."""
    plain = _plain(text)
    for code in languages.translation_languages():
        if plain in {_plain(name) for name in LANGUAGE_NAMES.get(code, (code,))}:
            return code
    return None


_LANGUAGE_BRACKETS = re.compile(r"(.+?)[(（【\[](.+?)[)）】\]]")


def _language_columns(
    header: list[str], headers: Mapping[str, tuple[str, ...]], translated: tuple[str, ...]
) -> dict[str, int]:
    """Columns in another language: ``name__en`` → the column of ``name_en`` / ``品目（英語）``…"""
    if not translated:
        return {}
    aliases = {field: {normalise_header(a) for a in (field, *headers.get(field, ()))} for field in translated}
    columns: dict[str, int] = {}
    for index, cell in enumerate(header):
        text = unicodedata.normalize("NFKC", cell or "").replace("\ufeff", "").strip()
        pairs: list[tuple[str, str]] = []
        bracketed = _LANGUAGE_BRACKETS.fullmatch(text)
        if bracketed:
            pairs.append((bracketed[1], bracketed[2]))
        for separator in re.finditer(r"[_\s]", text):
            before, after = text[: separator.start()], text[separator.end() :]
            pairs += [(before, after), (after, before)]
        found = next(
            (
                (field, code)
                for base, part in pairs
                if (code := _language(part))
                for field in translated
                if normalise_header(base) in aliases[field]
            ),
            None,
        )
        if found is None and (code := _language(text)):
            found = (translated[0], code)  # 「英語」 alone: the item's name in English
        if found is not None:
            columns.setdefault(field_name(*found), index)
    return columns


def language_key_parts(key: str) -> tuple[str, str] | None:
    """``name__zh_hans`` → (``name``, ``zh-hans``); a master field's key → None."""
    field, separator, _language_code = key.partition("__")
    if not separator:
        return None
    code = next((c for c in languages.translation_languages() if field_name(field, c) == key), None)
    return (field, code) if code else None


def column_label(key: str, labels: Mapping[str, object]) -> str:
    """What staff read for a column: 品目, or 品目（English）."""
    parts = language_key_parts(key)
    if parts is None:
        return str(labels[key])
    return f"{labels[parts[0]]}（{languages.names()[parts[1]]}）"


def parse_mapping(text: str, fields: tuple[str, ...] = GARBAGE_FIELDS) -> dict[str, tuple[str, ...]]:
    """``name=品名,category=区分`` → the header for each field; ``department=`` leaves a column out."""
    mapping: dict[str, tuple[str, ...]] = {}
    for part in filter(None, (p.strip() for p in (text or "").replace("、", ",").split(","))):
        name, sep, header = (s.strip() for s in part.partition("="))
        if not sep or name not in fields:
            raise ValidationError(
                _("列の対応「%(part)s」が読めません。例: %(example)s（項目: %(fields)s）")
                % {
                    "part": part,
                    "example": "question=問,answer=答" if "question" in fields else "name=品名,category=区分",
                    "fields": ", ".join(fields),
                }
            )
        mapping[name] = (header,) if header else ()
    return mapping


def _missing_error(
    header: list[str],
    missing: list[str],
    labels: Mapping[str, object],
    columns: dict[str, int],
) -> ValidationError:
    """Unknown layout: which columns are needed, which the file has, and how to map them."""
    shown = [h.strip() for h in header if h.strip()]
    unused = [
        h.strip()
        for i, h in enumerate(header)
        if h.strip() and i not in columns.values() and normalise_header(h) not in _NUMBERING
    ]
    example = ",".join(
        f"{name}={unused[n] if n < len(unused) else _('見出し')}" for n, name in enumerate(missing)
    )
    return ValidationError(
        _(
            "必要な列がありません: %(missing)s。ファイルの見出し: %(header)s。"
            "見出しを直すか、列の対応を指定してください（画面では「列の対応」、コマンドでは --map）。"
            "例: %(example)s"
        )
        % {
            "missing": "、".join(f"{labels[name]}（{name}）" for name in missing),
            "header": "、".join(shown) or _("（なし）"),
            "example": example,
        }
    )


# --- files --------------------------------------------------------------------------------------


def decode(data: bytes) -> str:
    return decode_with_encoding(data)[0]


def decode_with_encoding(data: bytes) -> tuple[str, str]:
    """The file's text and the name of its encoding, as staff know it."""
    if len(data) > MAX_FILE_BYTES:
        raise ValidationError(
            _("ファイルが大きすぎます（上限 %(mb)d MB）。") % {"mb": MAX_FILE_BYTES // 1024 // 1024}
        )
    for encoding, label in (("utf-8-sig", "UTF-8"), ("cp932", "Shift_JIS")):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding == "utf-8-sig" and data.startswith(b"\xef\xbb\xbf"):
            label = _("UTF-8（BOM付き）")
        return text, label
    raise ValidationError(_("文字コードを判別できません。UTF-8 または Shift_JIS の CSV を指定してください。"))


def _records(text: str) -> Iterator[tuple[int, list[str]]]:
    """(the line a record starts on, its cells); a file of tabs only is read as tab-separated."""
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    while True:
        start = reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ValidationError(
                _("CSVとして読めません（%(line)d 行目）: %(error)s") % {"line": start, "error": exc}
            ) from None
        yield start, record


def parse(
    data: bytes,
    headers: Mapping[str, tuple[str, ...]],
    required: tuple[str, ...],
    labels: Mapping[str, object],
    translated: tuple[str, ...] = (),
) -> Parsed:
    """Read a file's rows under ``headers``; a file-level problem raises ``ValidationError``."""
    text, encoding = decode_with_encoding(data)
    records = _records(text)
    header: list[str] | None = None
    first: list[str] | None = None
    columns: dict[str, int] = {}
    seen = 0
    for _line, record in records:
        if not any(cell.strip() for cell in record):
            continue
        first = first or record
        in_languages = _language_columns(record, headers, translated)
        columns = _find_columns(record, headers, taken=in_languages)
        if all(name in columns for name in required):
            header = record
            columns.update(in_languages)
            break
        seen += 1
        if seen >= HEADER_SEARCH_ROWS:
            break
    if first is None:
        raise ValidationError(_("ファイルが空です。"))
    if header is None:
        columns = _find_columns(first, headers)
        raise _missing_error(first, [n for n in required if n not in columns], labels, columns)
    rows: list[Row] = []
    for line, record in records:
        cells = [unescaped_cell(cell.strip()) for cell in record]
        values = {name: (cells[i] if i < len(cells) else "") for name, i in columns.items()}
        if not any(values.values()):  # blank lines, and numbered rows left empty
            continue
        if len(rows) >= MAX_ROWS:
            raise ValidationError(_("行数が多すぎます（上限 %(n)d 行）。") % {"n": MAX_ROWS})
        rows.append(Row(line, values))
    return Parsed(
        rows=rows,
        header=[h.strip() for h in header],
        columns={name: header[i].strip() for name, i in sorted(columns.items(), key=lambda c: c[1])},
        encoding=encoding,
    )


def garbage_headers(*, format: str = "auto", mapping: str = "") -> dict[str, tuple[str, ...]]:
    if format not in GARBAGE_FORMATS:
        raise ValidationError(_("形式は standard / 5374 / auto のいずれかです。"))
    return {**GARBAGE_FORMATS[format], **parse_mapping(mapping, GARBAGE_FIELDS)}


def read_garbage(data: bytes, *, format: str = "auto", mapping: str = "") -> Parsed:
    headers = garbage_headers(format=format, mapping=mapping)
    return parse(data, headers, GARBAGE_REQUIRED, GARBAGE_LABELS, GARBAGE_COLUMNS_TRANSLATED)


def read_faq(data: bytes, *, mapping: str = "") -> Parsed:
    headers = {**FAQ_HEADERS, **parse_mapping(mapping, FAQ_FIELDS)}
    return parse(data, headers, FAQ_REQUIRED, FAQ_LABELS, FAQ_TRANSLATED)


def garbage_rows(data: bytes, *, format: str = "auto", mapping: str = "") -> list[Row]:
    return read_garbage(data, format=format, mapping=mapping).rows


def faq_rows(data: bytes, *, mapping: str = "") -> list[Row]:
    return read_faq(data, mapping=mapping).rows


def index_letter(reading: str, name: str) -> bool:
    """5374's ``furigana`` is the letter its list is filed under (あ, か…), not the item's reading."""
    return len(reading) == 1 and len(name) > 1
