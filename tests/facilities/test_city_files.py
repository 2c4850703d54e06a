"""Facility files as cities publish them (MP-2): blank or repeated IDs, yes-marks with notes, older
and misspelt headers, numbers mangled by Excel, half-width kana, broken rows among good ones.

The files in ``data/`` are synthetic (see its README); the real ones are the demo's.
"""

from pathlib import Path

import pytest

from civicline.facilities import services
from civicline.facilities.importing import build_plan
from civicline.facilities.models import Facility, FacilityDataset, Shelter
from civicline.facilities.opendata import export_columns, export_key_column, export_row, parse_file, read_mark
from tests.facilities.factories import TOYONAKA_SPACES, YAIZU_FACILITIES, DatasetFactory, category, csv_bytes

Kind = FacilityDataset.Kind
DATA = Path(__file__).resolve().parent / "data"
BLANK_IDS = DATA / "kakuu_kinkyu_hinanbasho_sjis.csv"  # lines: title ×2, header on 3, rows from 4
OLD_LAYOUT = DATA / "kakuu_hinanbasho_old_layout.csv"


def by_name(parsed, name):
    return next(r for r in parsed.rows if r.values["name"] == name)


def warned(parsed, text):
    """The lines of the warnings whose message contains ``text``."""
    return sorted(line for w in parsed.warnings if text in w.message for line in w.lines)


@pytest.fixture
def spaces(staff_user):
    return DatasetFactory(
        department=staff_user.department,
        name="指定緊急避難場所",
        kind=Kind.EVACUATION_SPACES,
        category=category("evacuation_space"),
    )


def import_file(dataset, content, actor, *, skip_refused=True):
    upload = services.facility_import_upload(dataset=dataset, actor=actor, filename="f.csv", content=content)
    return services.facility_import_apply(facility_import=upload, actor=actor, skip_refused=skip_refused)


# --- keys ------------------------------------------------------------------------------------------


def test_mp2_blank_id_column_gives_keys_from_name_and_address_and_says_so():
    parsed = parse_file(BLANK_IDS.read_bytes())

    assert parsed.encoding == "Shift_JIS" and parsed.key_source == "derived"
    assert "「ID」の列（空欄 11行）" in parsed.key_note and "名称と住所" in parsed.key_note
    keys = [r.key for r in parsed.rows]
    assert all(k.startswith("auto-") for k in keys) and len(set(keys)) == len(keys)
    # The same facility written differently (full-width digits, no prefecture) keeps its key.
    again = parse_file(
        csv_bytes(
            ["ID", "名称", "所在地_連結表記", "緯度", "経度"],
            [["", "中央小学校", "架空市中央町１−１", "41.768793", "140.72881"]],
        )
    )
    assert again.rows[0].key == by_name(parsed, "中央小学校").key


def test_mp2_blank_ids_import_twice_changes_nothing(staff_user, spaces):
    import_file(spaces, BLANK_IDS.read_bytes(), staff_user)
    shelter = Shelter.objects.get(facility__name="中央小学校")
    services.shelter_status_set(shelter=shelter, status=Shelter.Status.OPEN, actor=staff_user)
    pks = set(Facility.objects.values_list("pk", flat=True))

    plan = import_file(spaces, BLANK_IDS.read_bytes(), staff_user)

    assert plan.counts() == {"new": 0, "changed": 0, "removed": 0, "unchanged": 7, "refused": 5}
    assert set(Facility.objects.values_list("pk", flat=True)) == pks
    shelter.refresh_from_db()
    assert shelter.status == Shelter.Status.OPEN
    spaces.refresh_from_db()
    assert spaces.key_source == "derived"


def test_mp2_repeated_numbers_fall_back_to_name_and_address(staff_user, spaces):
    parsed = parse_file(OLD_LAYOUT.read_bytes())

    assert parsed.key_source == "derived" and "「NO」の列（重複 2件）" in parsed.key_note
    assert len({r.key for r in parsed.rows}) == 5
    assert parsed.rows[0].extra["NO"] == "1"  # the city's own numbers are kept for the export

    import_file(spaces, OLD_LAYOUT.read_bytes(), staff_user)
    assert import_file(spaces, OLD_LAYOUT.read_bytes(), staff_user).counts()["unchanged"] == 5


def test_mp2_a_complete_number_column_is_used_when_the_id_column_is_blank():
    header = ["ID", "NO", "名称", "住所", "緯度", "経度"]
    rows = [
        ["", "101", "東公民館", "架空市東町1", "41.77", "140.73"],
        ["", "102", "西公民館", "架空市西町1", "41.76", "140.70"],
    ]

    parsed = parse_file(csv_bytes(header, rows))

    assert parsed.key_source == "column:NO" and [r.key for r in parsed.rows] == ["101", "102"]
    assert "「ID」の列（空欄 2行）では" in parsed.key_note and "「NO」の列で見分けます" in parsed.key_note
    assert "NO" not in parsed.rows[0].extra


def test_mp2_same_name_and_address_twice_are_two_facilities_with_a_warning():
    header = ["名称", "住所", "緯度", "経度"]
    rows = [
        ["東公民館", "架空市東町1", "41.771", "140.731"],
        ["東公民館", "架空市東町1", "41.772", "140.732"],
    ]

    parsed = parse_file(csv_bytes(header, rows))

    assert len({r.key for r in parsed.rows}) == 2 and parsed.rows[1].key.endswith("-2")
    assert warned(parsed, "名称と住所が同じ行") == [3]


def test_mp2_key_of_an_imported_dataset_survives_a_file_with_blank_ids(staff_user, spaces):
    """IDs first, then the city publishes the list with the ID column blank: same facilities."""
    header = ["ID", "名称", "住所", "緯度", "経度", "災害種別_地震"]
    rows = [
        ["A1", "東公民館", "架空市東町1", "41.771", "140.731", "○"],
        ["A2", "西公民館", "架空市西町1", "41.761", "140.701", "○"],
    ]
    import_file(spaces, csv_bytes(header, rows), staff_user)
    shelter = Shelter.objects.get(facility__dataset_key="A1")
    services.shelter_status_set(shelter=shelter, status=Shelter.Status.OPEN, actor=staff_user)
    for row in rows:
        row[0] = ""

    plan = import_file(spaces, csv_bytes(header, rows), staff_user)

    assert (len(plan.new), len(plan.changed), len(plan.removed)) == (0, 2, 0)
    assert [f.label for f in plan.changed[0].fields] == ["ID"]
    shelter.refresh_from_db()
    assert shelter.status == Shelter.Status.OPEN and shelter.facility.dataset_key.startswith("auto-")


# --- yes-marks ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("○", (True, "")),
        ("○(2階)", (True, "2階")),
        ("○（2階以上）", (True, "2階以上")),
        ("○(グ)", (True, "グ")),
        ("○(ｸﾞ)", (True, "グ")),
        ("◯", (True, "")),
        ("〇", (True, "")),
        ("●", (True, "")),
        ("1", (True, "")),
        ("１", (True, "")),
        ("1.0", (True, "")),
        ("有", (True, "")),
        ("可", (True, "")),
        ("○ 3階以上", (True, "3階以上")),
        ("△", (True, "条件付き")),
        ("", (False, "")),
        ("×", (False, "")),
        ("－", (False, "")),
        ("×（浸水想定区域内）", (False, "")),
        ("10", (None, "")),
        ("たぶん", (None, "")),
    ],
)
def test_mp2_yes_marks_as_cities_write_them(cell, expected):
    assert read_mark(cell) == expected


def test_mp2_notes_of_yes_marks_go_to_the_description_and_back_to_the_export(staff_user, spaces):
    parsed = parse_file(BLANK_IDS.read_bytes())
    school = by_name(parsed, "中央小学校")

    assert school.kinds == {
        "flood": True,
        "landslide": False,
        "storm_surge": True,
        "earthquake": True,
        "tsunami": True,
        "fire": True,
        "inland_flood": False,
        "volcano": False,
    }
    assert school.values["description"] == "【災害種別の注記】洪水: 2階 ／ 高潮: 2階以上 ／ 津波: 2階"
    assert (
        by_name(parsed, "西体育館").values["description"] == "【災害種別の注記】地震: グ ／ 大規模な火事: グ"
    )
    assert by_name(parsed, "東中学校").kinds["earthquake"] and by_name(parsed, "東中学校").kinds["flood"]
    assert by_name(parsed, "南小学校").kinds["tsunami"] is False
    assert warned(parsed, "注記") == [4, 6, 7]

    import_file(spaces, BLANK_IDS.read_bytes(), staff_user)
    spaces.refresh_from_db()
    facility = Facility.objects.select_related("shelter").get(name="中央小学校")
    columns = export_columns(spaces)
    cells = dict(
        zip(
            columns, export_row(facility, columns, key_column=export_key_column(spaces, columns)), strict=True
        )
    )
    assert (
        cells["災害種別_洪水"] == "○(2階)"
        and cells["災害種別_地震"] == "1"
        and cells["災害種別_崖崩れ、土石流及び地滑り"] == ""
    )
    assert cells["ID"] == "" and cells["想定収容人数"] == "屋内300人／屋外1,200人"


# --- headers -----------------------------------------------------------------------------------------


def test_mp2_older_layout_with_misspelt_headers_is_read():
    parsed = parse_file(OLD_LAYOUT.read_bytes())

    assert parsed.file_errors == [] and parsed.refused == []
    assert parsed.detected_kind == Kind.EVACUATION_SPACES
    centre = parsed.rows[0]
    assert centre.values["kana"] == "ダイイチチクセンター"
    assert (centre.values["latitude"], centre.values["longitude"]) == (41.7721, 140.7255)
    assert centre.values["capacity"] == 250  # 想定収容人員, read as 想定収容人数
    assert centre.values["url"] == "https://www.city.kakuu.lg.jp/bosai/1.html"
    junior_high = parsed.rows[4]
    assert junior_high.kinds == {
        "flood": True,  # 災害種別＿洪水
        "landslide": True,  # がけ崩れ・土石流及び地すべり
        "storm_surge": True,
        "earthquake": True,
        "tsunami": False,  # 津浪: not read, and said so
        "fire": True,  # 大規模な火災
        "inland_flood": True,  # 内水はん濫
        "volcano": False,
    }
    assert junior_high.values["notes"] == "体育館は地震時のみ"
    header_warnings = [w.message for w in parsed.warnings if not w.lines]
    assert any("想定収容人員" in m and "想定収容人数" in m for m in header_warnings)
    assert any("見つかりません: 津波" in m and "災害種別_津浪" in m for m in header_warnings)


def test_mp2_english_column_names_of_city_sites_are_read():
    """Some cities' open-data sites rename the columns in English (#property, tunami, flood_L2…)."""
    header = [
        "#property",
        "latitude",
        "longitude",
        "name",
        "address",
        "telephoneNumber",
        "flood_L1",
        "flood_L2",
        "tunami",
        "earthquake",
        "capacity",
    ]
    rows = [
        [
            "1",
            "34.3475",
            "134.0300",
            "日新会館",
            "架空市瀬戸内町18-2",
            "087-839-0000",
            "○",
            "△",
            "×",
            "○",
            "238",
        ]
    ]

    parsed = parse_file(csv_bytes(header, rows))

    row = parsed.rows[0]
    assert row.key == "1" and row.values["phone"] == "087-839-0000" and row.values["capacity"] == 238
    # The larger (L2) flood decides: △ there is a conditional yes, kept as a note.
    assert row.kinds["flood"] and row.kinds["earthquake"] and not row.kinds["tsunami"]
    assert row.values["description"] == "【災害種別の注記】洪水: 条件付き"
    assert row.extra["flood_L1"] == "○"


# --- numbers and kana ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "position", "warning", "line"),
    [
        ("中央公園", (41.7691, 140.7291), "指数表記", 5),  # 4.17691E+01, 1.407291E+02
        ("東中学校", (41.7812, 140.7401), None, 6),  # 41.7812°
        ("西体育館", (41.7751, 140.7012), None, 7),  # full-width digits
        ("北高等学校", (41.7901, 140.7233), "コンマ", 8),  # 41,7901
        ("南小学校", (41.7589, 140.7356), "入れ替わっていた", 9),  # swapped, fixed
    ],
)
def test_mp2_coordinates_mangled_by_excel_or_people_are_repaired(name, position, warning, line):
    parsed = parse_file(BLANK_IDS.read_bytes())

    row = by_name(parsed, name)
    assert (row.values["latitude"], row.values["longitude"]) == position
    if warning:
        assert line in warned(parsed, warning)


def test_mp2_codes_and_phone_numbers_get_back_their_leading_zero():
    parsed = parse_file(BLANK_IDS.read_bytes())

    school = by_name(parsed, "中央小学校")
    assert school.extra["全国地方公共団体コード"] == "012025"  # 12025 + check digit 5
    assert school.values["phone"] == "0138123456"
    assert by_name(parsed, "東中学校").values["phone"] == "0138-22-1111"
    assert warned(parsed, "所在地_全国地方公共団体コード の先頭の0") == [4, 5, 6, 7, 8, 9, 14]
    # A 5-digit code that is not a 6-digit one without its zero stays as it is.
    other = parse_file(
        csv_bytes(["市区町村コード", "名称", "緯度", "経度"], [["22212", "焼津の施設", "34.86", "138.32"]])
    )
    assert other.rows[0].extra["市区町村コード"] == "22212"


def test_mp2_capacity_as_written_by_cities():
    parsed = parse_file(BLANK_IDS.read_bytes())

    assert by_name(parsed, "東中学校").values["capacity"] == 1500  # 1,500人
    school = by_name(parsed, "中央小学校")
    assert school.values["capacity"] is None and school.extra["想定収容人数"] == "屋内300人／屋外1,200人"
    assert warned(parsed, "人数（数字）として読めない") == [4]


def test_mp2_half_width_kana_is_stored_in_full_width():
    parsed = parse_file(BLANK_IDS.read_bytes())

    assert by_name(parsed, "中央小学校").values["kana"] == "チュウオウショウガッコウ"
    assert by_name(parsed, "西体育館").values["kana"] == "ニシタイイクカン"
    assert by_name(parsed, "中央小学校（運動場）").values["kana"] == "チュウオウショウガッコウウンドウジョウ"


# --- refused rows --------------------------------------------------------------------------------------


def test_mp2_only_unusable_rows_are_refused_each_with_its_line_and_reason():
    parsed = parse_file(BLANK_IDS.read_bytes())

    assert [(r.line, r.reason) for r in parsed.refused] == [
        (10, "緯度と経度が同じ値（41.77）です。どちらかが誤っています。"),
        (11, "名称が空欄です。"),
        (12, "緯度・経度が空欄です。"),
        (13, "緯度 35.0・経度 200.5 は日本国内の位置ではありません。"),
        (
            15,
            "緯度「4.18E+01」・経度「1.41E+02」は小数点以下0桁までしかなく、位置が約111kmずれている"
            "可能性があります（Excelの表示形式で桁が落ちた値かもしれません）。",
        ),
    ]
    assert len(parsed.rows) == 7
    assert not any(10 in w.lines for w in parsed.warnings)  # a refused row is not also warned about


def test_mp2_latitude_equal_to_longitude_is_refused_and_the_rest_imports(staff_user, spaces):
    header = ["ID", "名称", "住所", "緯度", "経度", "災害種別_地震"]
    rows = [
        ["1", "東公民館", "架空市東町1", "41.771", "140.731", "○"],
        ["2", "西公民館", "架空市西町1", "140.701", "140.701", "○"],
        ["3", "南公民館", "架空市南町1", "41.751", "140.721", "○"],
    ]

    plan = import_file(spaces, csv_bytes(header, rows), staff_user)

    assert plan.refused_list() == [
        {"line": 3, "reason": "緯度と経度が同じ値（140.701）です。どちらかが誤っています。"}
    ]
    assert sorted(Facility.objects.values_list("dataset_key", flat=True)) == ["1", "3"]


def test_mp2_a_refused_row_keeps_its_facility_until_corrected(staff_user, spaces):
    header = ["ID", "名称", "住所", "緯度", "経度", "災害種別_地震"]
    rows = [
        ["1", "東公民館", "架空市東町1", "41.771", "140.731", "○"],
        ["2", "西公民館", "架空市西町1", "41.761", "140.701", "○"],
    ]
    import_file(spaces, csv_bytes(header, rows), staff_user)
    rows[1][3] = "不明"

    plan = build_plan(spaces, csv_bytes(header, rows))

    assert [f.dataset_key for f in plan.kept] == ["2"] and plan.removed == []
    import_file(spaces, csv_bytes(header, rows), staff_user)
    assert Facility.objects.get(dataset_key="2").latitude == 41.761


def test_mp2_real_files_read_as_before():
    """The real files keep their keys: datasets imported before keep matching their facilities."""
    assert parse_file(TOYONAKA_SPACES.read_bytes()).key_source == "column:共通ID"
    yaizu = parse_file(YAIZU_FACILITIES.read_bytes())
    assert yaizu.key_source == "column:NO" and yaizu.warnings == [] and yaizu.rows[0].key == "10869"


def test_mp2_aed_list_in_the_recommended_columns_is_a_list_of_places():
    """AED設置箇所一覧: its 有/無 columns are not disaster kinds, and the list is no shelter list."""
    header = ["全国地方公共団体コード", "ID", "地方公共団体名", "名称", "名称_カナ", "住所", "緯度", "経度"]
    header += ["設置位置", "電話番号", "利用可能日時特記事項", "小児対応設備の有無", "URL", "備考"]
    rows = [["012025", "0001", "架空市", "架空市役所", "ｶｸｳｼﾔｸｼｮ", "架空市本町1", "41.7687", "140.7288"]]
    rows[0] += ["1階 正面玄関", "0138-00-0000", "平日 8:45～17:30", "有", "", ""]

    parsed = parse_file(csv_bytes(header, rows))

    assert parsed.detected_kind == Kind.PUBLIC_FACILITIES and parsed.warnings == []
    row = parsed.rows[0]
    assert row.key == "0001" and row.kinds is None and row.values["kana"] == "カクウシヤクショ"
    assert row.extra["設置位置"] == "1階 正面玄関" and row.extra["小児対応設備の有無"] == "有"
