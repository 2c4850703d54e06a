"""``manage.py import_facilities FILE --dataset CODE [--dry-run] [--json]`` for operators (MP-2)."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from civicline.core.models import AuditEntry
from civicline.facilities.models import Facility, FacilityDataset, FacilityImport
from tests.facilities.factories import YAIZU_FACILITIES, DatasetFactory, category

pytestmark = pytest.mark.django_db
DATA = Path(__file__).resolve().parent / "data"
BLANK_IDS = DATA / "kakuu_kinkyu_hinanbasho_sjis.csv"
REFUSED = [
    {"line": 10, "reason": "緯度と経度が同じ値（41.77）です。どちらかが誤っています。"},
    {"line": 11, "reason": "名称が空欄です。"},
    {"line": 12, "reason": "緯度・経度が空欄です。"},
    {"line": 13, "reason": "緯度 35.0・経度 200.5 は日本国内の位置ではありません。"},
    {
        "line": 15,
        "reason": "緯度「4.18E+01」・経度「1.41E+02」は小数点以下0桁までしかなく、位置が約111kmずれている"
        "可能性があります（Excelの表示形式で桁が落ちた値かもしれません）。",
    },
]


@pytest.fixture
def spaces(staff_user):
    return DatasetFactory(
        department=staff_user.department,
        name="指定緊急避難場所",
        code="kinkyu",
        kind=FacilityDataset.Kind.EVACUATION_SPACES,
        category=category("evacuation_space"),
    )


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("import_facilities", *map(str, args), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_mp2_dry_run_reports_exactly_the_agreed_json_and_changes_nothing(spaces):
    out, _err = run(BLANK_IDS, "--dataset", "kinkyu", "--dry-run", "--json")

    assert json.loads(out) == {"rows": 12, "new": 7, "changed": 0, "removed": 0, "refused": REFUSED}
    assert Facility.objects.count() == 0 and FacilityImport.objects.count() == 0
    assert not AuditEntry.objects.filter(summary__contains="ファイルを取り込み").exists()


def test_mp2_command_applies_the_good_rows_as_a_system_action(spaces):
    out, _err = run(BLANK_IDS, "--dataset", "kinkyu", "--json")

    assert json.loads(out) == {"rows": 12, "new": 7, "changed": 0, "removed": 0, "refused": REFUSED}
    assert Facility.objects.filter(dataset=spaces).count() == 7
    entry = AuditEntry.objects.get(summary__startswith="ファイルを取り込み")
    assert entry.actor is None and entry.actor_label == "manage.py import_facilities"
    assert entry.department == spaces.department
    assert entry.changes["new"] == 7 and entry.changes["refused"] == 5 and entry.changes["skip_refused"]
    assert [r["line"] for r in entry.changes["refused_rows"]] == [10, 11, 12, 13, 15]
    assert "反映しなかった行 5件" in entry.summary
    upload = FacilityImport.objects.get()
    assert upload.uploaded_by is None and upload.summary["refused"] == 5

    again, _err = run(BLANK_IDS, "--dataset", "kinkyu", "--json")  # stable keys: nothing to do
    assert json.loads(again) == {"rows": 12, "new": 0, "changed": 0, "removed": 0, "refused": REFUSED}


def test_mp2_command_text_output_names_the_refused_lines(spaces):
    out, err = run(BLANK_IDS, "--dataset", "kinkyu")

    assert "追加 7 件" in out and "名称と住所" in out and "注意: " in out
    assert "エラー: 10行目: 緯度と経度が同じ値" in err


def test_mp2_dataset_found_by_number_when_it_has_no_code(staff_user):
    dataset = DatasetFactory(department=staff_user.department)

    out, _err = run(YAIZU_FACILITIES, "--dataset", dataset.pk, "--json")

    assert json.loads(out) == {"rows": 28, "new": 28, "changed": 0, "removed": 0, "refused": []}


def test_mp2_unknown_dataset_is_a_clear_error(spaces):
    with pytest.raises(CommandError, match=r"データセット「nothing」が見つかりません.*kinkyu"):
        run(BLANK_IDS, "--dataset", "nothing")


def test_mp2_file_level_error_reports_line_zero_and_applies_nothing(spaces, tmp_path):
    path = tmp_path / "broken.csv"
    path.write_bytes("名称,住所\n東公民館,架空市東町1\n".encode())

    with pytest.raises(CommandError, match="何も反映していません"):
        call_command(
            "import_facilities", str(path), "--dataset", "kinkyu", "--json", stdout=(out := StringIO())
        )

    result = json.loads(out.getvalue())
    assert result["rows"] == 0 and result["refused"][0]["line"] == 0
    assert "見出し行が見つかりません" in result["refused"][0]["reason"]
    assert Facility.objects.count() == 0
