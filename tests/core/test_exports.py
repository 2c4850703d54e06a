"""CSV exports escape spreadsheet formulas (CSV injection) and open cleanly in Excel."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from civicline.core.exports import csv_lines, csv_response, escape_cell


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+81 90", "'+81 90"),
        ("-cmd", "'-cmd"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tX", "'\tX"),
        ("\rX", "'\rX"),
        ("普通の文字列", "普通の文字列"),
        ("a=b", "a=b"),
        (-5, "-5"),  # a typed number cannot carry a formula
        (Decimal("-1.5"), "-1.5"),
        (None, ""),
        (True, "1"),
    ],
)
def test_escape_cell(value, expected):
    assert escape_cell(value) == expected


def test_datetimes_are_written_in_local_time():
    value = datetime(2026, 4, 1, 0, 30, tzinfo=ZoneInfo("UTC"))

    assert escape_cell(value) == "2026-04-01 09:30:00"


def test_lines_start_with_a_bom_and_quote_as_csv_requires():
    body = "".join(csv_lines(["氏名", "備考"], [["山田", 'a,"b"'], ["=x", "改行\nあり"]]))

    assert body.startswith("\ufeff")
    assert list(csv.reader(io.StringIO(body[1:]))) == [
        ["氏名", "備考"],
        ["山田", 'a,"b"'],
        ["'=x", "改行\nあり"],
    ]


def test_response_streams_with_a_japanese_filename():
    response = csv_response(filename="一覧.csv", header=["a"], rows=iter([[1], [2]]))

    assert response.streaming
    assert "filename*=UTF-8''%E4%B8%80%E8%A6%A7.csv" in response["Content-Disposition"]
    assert b"".join(response.streaming_content).decode() == "\ufeffa\r\n1\r\n2\r\n"
