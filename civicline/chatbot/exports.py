"""The Q&A and the garbage dictionary as CSV files staff download (issue 21, CB-9).

Columns carry the names ``importers`` reads back (質問, 品目, 注意点…), and one column per offered
language and translated field (``質問_en``, ``品目_vi``): a file exported, edited in a spreadsheet
(by a translator, say) and imported again changes what was edited and keeps the rest.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from civicline.core import languages
from civicline.core.exports import csv_lines

from .importers import FAQ_TRANSLATED, GARBAGE_TRANSLATED
from .models import FaqEntry, GarbageCategory, GarbageItem

FAQ_COLUMNS = {
    "question": "質問",
    "answer": "回答",
    "category": "カテゴリ",
    "department": "担当課",
    "url": "URL",
}
GARBAGE_COLUMNS = {
    "name": "品目",
    "reading": "よみがな",
    "category": "分別区分",
    "how_to": "注意点",
    "note": "備考",
    "fee": "手数料",
}


def _language_columns(columns: dict[str, str], fields: tuple[str, ...]) -> list[tuple[str, str, str]]:
    """(header, field, language) for every offered language: 品目_en, 注意点_en…"""
    return [
        (f"{columns[field]}_{code}", field, code)
        for code in languages.translation_languages()
        for field in fields
    ]


Table = tuple[list[str], Iterator[list[str]]]


def _csv(table: Table) -> bytes:
    # Staff-written text in every language: a cell a spreadsheet would run as a formula is escaped
    # as in every other export (the imports take the escape off again).
    return "".join(csv_lines(*table)).encode("utf-8")


def _version(obj: FaqEntry | GarbageItem | GarbageCategory, field: str, code: str) -> str:
    return str(((obj.translations or {}).get(code) or {}).get(field, ""))


def faq_table(entries: Iterable[FaqEntry]) -> Table:
    """The Q&A's header and rows, each entry's versions in its language columns."""
    in_languages = _language_columns(FAQ_COLUMNS, FAQ_TRANSLATED)
    return (
        [*FAQ_COLUMNS.values(), *(header for header, *_ in in_languages)],
        (
            [
                entry.question,
                entry.answer,
                entry.category,
                entry.department.name,
                entry.url,
                *(_version(entry, field, code) for _, field, code in in_languages),
            ]
            for entry in entries
        ),
    )


def garbage_table(items: Iterable[GarbageItem]) -> Table:
    """The items, their versions, and their category's name per language (分別区分_en)."""
    in_languages = _language_columns(GARBAGE_COLUMNS, (*GARBAGE_TRANSLATED, "category"))
    return (
        [*GARBAGE_COLUMNS.values(), *(header for header, *_ in in_languages)],
        (
            [
                item.name,
                item.reading,
                item.category.name if item.category else "",
                item.how_to,
                item.note,
                item.fee,
                *(
                    _version(item.category, "name", code)
                    if field == "category" and item.category
                    else _version(item, field, code)
                    for _, field, code in in_languages
                ),
            ]
            for item in items
        ),
    )


def faq_csv(entries: Iterable[FaqEntry]) -> bytes:
    return _csv(faq_table(entries))


def garbage_csv(items: Iterable[GarbageItem]) -> bytes:
    return _csv(garbage_table(items))
