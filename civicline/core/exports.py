"""CSV exports for every feature: streamed, Excel-friendly, safe against formula injection.

Usage in a view::

    return csv_response(filename="予約一覧.csv", header=["日時", "氏名"], rows=(... for b in bookings))
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from django.http import StreamingHttpResponse
from django.utils import timezone

# Excel and LibreOffice treat a cell starting with one of these as a formula (OWASP "CSV Injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"  # lets Excel open UTF-8 with Japanese text correctly


def escape_cell(value: Any) -> str:
    """The cell's text, with a leading apostrophe if a spreadsheet would read it as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float | Decimal):
        # Typed numbers cannot carry a formula; escaping them would break "-5" for Excel.
        return str(value)
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def unescaped_cell(text: str) -> str:
    """A cell read back from a file exported here: without the apostrophe ``escape_cell`` put before
    a formula's first character, so that exporting, editing and importing again keeps the text."""
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_PREFIXES) else text


class _Echo:
    """A file-like object whose write() hands the line back, so csv.writer can feed a stream."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """Yield the BOM, the header line and one line per row, escaped."""
    writer = csv.writer(_Echo())
    yield BOM
    yield writer.writerow([escape_cell(c) for c in header])
    for row in rows:
        yield writer.writerow([escape_cell(c) for c in row])


def csv_response(
    *, filename: str, header: Sequence[Any], rows: Iterable[Sequence[Any]]
) -> StreamingHttpResponse:
    """A streamed CSV download; ``rows`` may be a generator over a queryset's ``iterator()``."""
    response = StreamingHttpResponse(csv_lines(header, rows), content_type="text/csv; charset=utf-8")
    ascii_name = filename.encode("ascii", "ignore").decode() or "export.csv"
    response["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    )
    return response
