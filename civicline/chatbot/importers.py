"""Reading garbage dictionaries and Q&A lists from CSV files (CB-9).

Cities publish garbage dictionaries in several layouts: the national standard dataset
(自治体標準オープンデータセット「ごみ分別」), the 5374 app's ``target.csv``, and their own (高松市:
``#property,name,classification,note``). Columns are mapped by their header; ``auto`` recognises
any of the known names, and a mapping (``name=品名,category=区分``) covers the rest. Files come in
UTF-8 (with or without BOM) or Shift_JIS (cp932), as Japanese spreadsheets save them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20000

GARBAGE_FIELDS = ("name", "reading", "category", "how_to", "note", "fee")
GARBAGE_FORMATS: dict[str, dict[str, tuple[str, ...]]] = {
    "standard": {
        "name": ("ゴミの品目",),
        "reading": ("ゴミの品目_カナ",),
        "category": ("分別区分",),
        "how_to": ("注意点",),
        "note": ("備考",),
        "fee": ("粗大ごみ回収料金",),
    },
    "5374": {"name": ("name",), "reading": ("furigana",), "category": ("type",), "how_to": ("notice",)},
}
# ``auto``: any header a city is known to use for the field (compared after trimming, case-insensitive).
GARBAGE_FORMATS["auto"] = {
    "name": ("ゴミの品目", "ごみの品目", "品目", "品名", "name", "item"),
    "reading": (
        "ゴミの品目_カナ",
        "ごみの品目_カナ",
        "よみがな",
        "ふりがな",
        "読み",
        "カナ",
        "furigana",
        "reading",
    ),
    "category": ("分別区分", "区分", "分別", "分類", "type", "classification", "category"),
    "how_to": ("注意点", "出し方", "notice", "how_to"),
    "note": ("備考", "note", "notes"),
    "fee": ("粗大ごみ回収料金", "手数料", "料金", "fee"),
}
FAQ_FIELDS = ("question", "answer", "category", "department")
FAQ_HEADERS = {
    "question": ("question", "質問"),
    "answer": ("answer", "回答"),
    "category": ("category", "カテゴリ", "分類"),
    "department": ("department", "担当課", "課"),
}


@dataclass(frozen=True)
class Row:
    line: int
    values: dict[str, str]


def decode(data: bytes) -> str:
    if len(data) > MAX_FILE_BYTES:
        raise ValidationError(
            _("ファイルが大きすぎます（上限 %(mb)d MB）。") % {"mb": MAX_FILE_BYTES // 1024 // 1024}
        )
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationError(_("文字コードを判別できません。UTF-8 または Shift_JIS の CSV を指定してください。"))


def parse_mapping(text: str) -> dict[str, tuple[str, ...]]:
    """``name=品名,category=区分`` → the header for each field."""
    mapping: dict[str, tuple[str, ...]] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        field, sep, header = part.partition("=")
        if not sep or field.strip() not in GARBAGE_FIELDS or not header.strip():
            raise ValidationError(
                _("列の対応「%(part)s」が読めません。例: name=品名,category=区分（項目: %(fields)s）")
                % {"part": part, "fields": ", ".join(GARBAGE_FIELDS)}
            )
        mapping[field.strip()] = (header.strip(),)
    return mapping


def _rows(text: str, headers: Mapping[str, tuple[str, ...]], required: tuple[str, ...]) -> Iterator[Row]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise ValidationError(_("ファイルが空です。")) from None
    except csv.Error as exc:
        raise ValidationError(_("CSVとして読めません: %(error)s") % {"error": exc}) from None
    columns = {}
    cleaned = [h.strip().lstrip("#").strip().lower() for h in header]
    for field, names in headers.items():
        for name in names:
            if name.lower() in cleaned:
                columns[field] = cleaned.index(name.lower())
                break
    missing = [headers[f][0] for f in required if f not in columns]
    if missing:
        raise ValidationError(
            _("必要な列がありません: %(missing)s（見出し: %(header)s）")
            % {"missing": "、".join(missing), "header": "、".join(header)}
        )
    try:
        for number, record in enumerate(reader, start=2):
            if number > MAX_ROWS + 1:
                raise ValidationError(_("行数が多すぎます（上限 %(n)d 行）。") % {"n": MAX_ROWS})
            values = {f: (record[i].strip() if i < len(record) else "") for f, i in columns.items()}
            if not any(values.values()):  # blank lines, and numbered rows left empty
                continue
            yield Row(reader.line_num, values)
    except csv.Error as exc:
        raise ValidationError(
            _("CSVとして読めません（%(line)d 行目）: %(error)s") % {"line": reader.line_num, "error": exc}
        ) from None


def garbage_rows(data: bytes, *, format: str = "auto", mapping: str = "") -> list[Row]:
    if format not in GARBAGE_FORMATS:
        raise ValidationError(_("形式は standard / 5374 / auto のいずれかです。"))
    headers = {**GARBAGE_FORMATS[format], **parse_mapping(mapping)}
    return list(_rows(decode(data), headers, ("name", "category")))


def faq_rows(data: bytes) -> list[Row]:
    return list(_rows(decode(data), FAQ_HEADERS, ("question", "answer")))
