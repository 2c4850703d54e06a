"""Reading departments' open-data files (MP-2): the real datasets, encodings, and broken files."""

import json

import pytest

from civicline.facilities.models import FacilityDataset
from civicline.facilities.opendata import export_columns, export_row, parse_file
from tests.facilities.factories import (
    TOYONAKA_SHELTERS,
    TOYONAKA_SPACES,
    YAIZU_FACILITIES,
    YAIZU_SPACES,
    csv_bytes,
    yaizu_rows,
)

Kind = FacilityDataset.Kind


@pytest.mark.parametrize(
    ("path", "rows", "kind", "encoding"),
    [
        (TOYONAKA_SHELTERS, 167, Kind.SHELTERS, "UTF-8"),
        (TOYONAKA_SPACES, 272, Kind.EVACUATION_SPACES, "UTF-8"),
        (YAIZU_SPACES, 31, Kind.EVACUATION_SPACES, "UTF-8"),
        (YAIZU_FACILITIES, 28, Kind.PUBLIC_FACILITIES, "UTF-8 (BOM付き)"),
    ],
    ids=lambda value: getattr(value, "name", None),
)
def test_mp2_real_datasets_read_cleanly(path, rows, kind, encoding):
    parsed = parse_file(path.read_bytes())

    assert parsed.errors == []
    assert len(parsed.rows) == rows
    assert parsed.detected_kind == kind
    assert parsed.encoding == encoding


def test_mp2_gsi_geojson_gives_ids_coordinates_and_disaster_kinds():
    parsed = parse_file(TOYONAKA_SPACES.read_bytes())

    park = parsed.rows[0]
    assert park.key == "E2720300001201"  # 共通ID, the national id, not the row number NO
    assert park.values["name"] == "熊野田公園"
    assert (park.values["latitude"], park.values["longitude"]) == (34.785302, 135.479578)
    assert park.kinds["earthquake"] and park.kinds["fire"] and not park.kinds["flood"]
    assert park.extra["NO"] == "72334"


def test_mp2_standard_csv_maps_columns_and_keeps_the_others():
    parsed = parse_file(YAIZU_FACILITIES.read_bytes())

    museum = parsed.rows[0]
    assert museum.key == "10869"
    assert museum.values["kana"].startswith("スルガワン")
    assert museum.values["hours"].startswith("【開館時間】9:00")
    assert museum.values["notes"] == "資料館"
    assert museum.extra["団体名"] == "漁港振興課"
    assert museum.kinds is None  # a 公共施設一覧 says nothing about disasters


def test_mp2_tsunami_towers_read_circle_marks_as_covered():
    tower = parse_file(YAIZU_SPACES.read_bytes()).rows[0]

    assert tower.kinds["tsunami"] and tower.kinds["earthquake"] and not tower.kinds["flood"]


def test_mp2_shift_jis_file_reads_like_the_utf8_one():
    original = parse_file(YAIZU_FACILITIES.read_bytes())

    parsed = parse_file(YAIZU_FACILITIES.read_bytes().decode("utf-8-sig").encode("cp932"))

    assert parsed.encoding == "Shift_JIS"
    assert parsed.errors == []
    assert [r.values for r in parsed.rows] == [r.values for r in original.rows]


def test_mp2_title_lines_above_the_header_are_skipped_and_lines_counted():
    header, rows = yaizu_rows()
    content = "焼津市 公共施設一覧\r\n令和6年4月1日現在\r\n".encode() + csv_bytes(header, rows[:3])

    parsed = parse_file(content)

    assert parsed.errors == []
    assert [r.line for r in parsed.rows] == [4, 5, 6]


def test_mp2_line_numbers_stay_right_after_a_multiline_cell():
    header, rows = yaizu_rows()
    rows[0][header.index("説明")] = "1行目\n2行目\n3行目"
    rows[1][header.index("緯度")] = "北緯"

    parsed = parse_file(csv_bytes(header, rows[:3]))

    assert [(e.line, e.where) for e in parsed.errors] == [(5, "5行目")]


def test_mp2_missing_required_column_is_one_clear_error():
    header, rows = yaizu_rows()
    keep = [i for i, name in enumerate(header) if name != "緯度"]

    parsed = parse_file(csv_bytes([header[i] for i in keep], [[r[i] for i in keep] for r in rows]))

    assert parsed.rows == []
    assert len(parsed.errors) == 1
    assert parsed.errors[0].line == 0 and "緯度" in parsed.errors[0].message


@pytest.mark.parametrize(
    ("latitude", "longitude", "reason"),
    [
        ("", "138.3", "緯度・経度が空欄です"),
        ("abc", "138.3", "数値ではありません"),
        ("nan", "138.3", "数値ではありません"),
        ("0", "135.4", "日本国内の位置ではありません"),
        ("0", "0", "緯度と経度が同じ値（0.0）です"),
        ("３４．８６", "１３８．３２", None),  # full-width digits are still numbers
    ],
)
def test_mp2_bad_coordinates_are_reported_per_row(latitude, longitude, reason):
    header, rows = yaizu_rows()
    rows[1][header.index("緯度")], rows[1][header.index("経度")] = latitude, longitude

    parsed = parse_file(csv_bytes(header, rows))

    if reason is None:
        assert parsed.errors == [] and parsed.rows[1].values["latitude"] == 34.86
    else:
        assert len(parsed.errors) == 1
        assert parsed.errors[0].line == 3 and reason in parsed.errors[0].message
        assert len(parsed.rows) == len(rows) - 1


def test_mp2_blank_name_refuses_the_row_and_a_bad_url_is_only_a_warning():
    header, rows = yaizu_rows()
    rows[1][header.index("名称")] = " "
    rows[2][header.index("URL")] = "javascript:alert(1)"

    parsed = parse_file(csv_bytes(header, rows))

    assert [(e.line, e.message) for e in parsed.errors] == [(3, "名称が空欄です。")]
    bad_url = next(r for r in parsed.rows if r.line == 4)
    assert bad_url.values["url"] == "" and bad_url.extra["URL"] == "javascript:alert(1)"
    assert [(w.lines, "URL" in w.message) for w in parsed.warnings] == [((4,), True)]


def test_mp2_unknown_disaster_mark_is_a_warning_and_not_designated():
    header, rows = yaizu_rows(YAIZU_SPACES)
    rows[0][header.index("災害種別_地震")] = "たぶん"

    parsed = parse_file(csv_bytes(header, rows))

    assert parsed.errors == []
    assert parsed.rows[0].kinds["earthquake"] is False
    assert "災害種別_地震 の値「たぶん」" in parsed.warnings[0].message and parsed.warnings[0].lines == (2,)


@pytest.mark.parametrize(
    "content",
    [
        "NO,名称,緯度,経度\n1,東公民館,34.8,135.4\n".encode("utf-16-le"),  # UTF-16 without its BOM
        bytes(range(128, 256)) * 20,  # not text at all
    ],
    ids=["utf16-without-bom", "binary"],
)
def test_mp2_unreadable_encoding_is_one_error_and_no_rows(content):
    parsed = parse_file(content)

    assert parsed.rows == []
    assert len(parsed.errors) == 1 and parsed.errors[0].line == 0
    assert "文字コード" in parsed.errors[0].message


def test_mp2_euc_jp_file_is_not_mistaken_for_data():
    header, rows = yaizu_rows(YAIZU_SPACES)

    parsed = parse_file(csv_bytes(header, rows, encoding="euc_jp"))

    assert parsed.rows == []
    assert "文字コード" in parsed.errors[0].message


def test_mp2_geojson_feature_without_a_point_is_reported_by_position():
    data = json.loads(TOYONAKA_SHELTERS.read_text())
    data["features"][2]["geometry"] = None
    data["features"][5]["geometry"]["coordinates"] = [34.75, 135.47]  # lat/lng swapped

    parsed = parse_file(json.dumps(data, ensure_ascii=False).encode())

    assert [e.where for e in parsed.errors] == ["3件目"]
    assert "Point" in parsed.errors[0].message
    assert len(parsed.rows) == 166
    swapped = next(r for r in parsed.rows if r.line == 6)  # Japan's ranges cannot be mistaken: fixed
    assert (swapped.values["latitude"], swapped.values["longitude"]) == (34.75, 135.47)
    assert [(w.where, "入れ替え" in w.message) for w in parsed.warnings] == [("6件目", True)]


def test_mp2_not_a_feature_collection_is_refused():
    parsed = parse_file(b'{"type": "Feature"}')

    assert parsed.rows == [] and "FeatureCollection" in parsed.errors[0].message


def test_mp2_oversized_file_is_refused_before_reading():
    parsed = parse_file(b"a" * (5 * 1024 * 1024 + 1))

    assert parsed.rows == [] and "大きすぎます" in parsed.errors[0].message


@pytest.mark.django_db
def test_mp2_export_columns_round_trip_an_imported_csv():
    """Cells written under the file's own header read back to the same values."""
    from civicline.facilities.models import Facility

    parsed = parse_file(YAIZU_FACILITIES.read_bytes())
    dataset = FacilityDataset(kind=Kind.PUBLIC_FACILITIES, columns=parsed.columns)
    facilities = [Facility(dataset_key=row.key, extra=row.extra, **row.values) for row in parsed.rows]

    columns = export_columns(dataset)
    again = parse_file(
        csv_bytes(
            columns, [[str(c if c is not None else "") for c in export_row(f, columns)] for f in facilities]
        )
    )

    assert columns == parsed.columns
    assert [(r.key, r.values, r.extra) for r in again.rows] == [
        (r.key, r.values, r.extra) for r in parsed.rows
    ]
