"""Bulk commands: import_garbage, import_faq, chatbot_answer --jsonl, chatbot_evaluate (CB-7, CB-9)."""

import io
import json
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from civicline.chatbot.models import FaqEntry, GarbageItem

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
TAKAMATSU = ROOT / "civicline/chatbot/demo_data/takamatsu_0074_gomi_bunbetsu.csv"


def run(*args, stdin=""):
    out = io.StringIO()
    saved = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        call_command(*args, stdout=out)
    finally:
        sys.stdin = saved
    return out.getvalue()


def test_import_garbage_real_file_then_answer_as_jsonl(department):
    output = run("import_garbage", str(TAKAMATSU), "--format", "auto", "--department", department.code)
    assert "新規 606 件" in output

    lines = run("chatbot_answer", "--jsonl", stdin="ぺっとぼとる\nｽﾌﾟﾚｰ缶\n\n").splitlines()

    records = [json.loads(line) for line in lines]
    assert [r["question"] for r in records] == ["ぺっとぼとる", "ｽﾌﾟﾚｰ缶"]
    best = records[0]["candidates"][0]
    assert best["kind"] == "garbage" and best["title"].startswith("ペットボトル")
    assert best["category"] == "缶・びん・ペットボトル" and 0 < best["score"] <= 1 and records[0]["ms"] >= 0


def test_import_garbage_refuses_unknown_department_and_bad_file(department, tmp_path):
    with pytest.raises(CommandError, match="見つかりません"):
        run("import_garbage", str(TAKAMATSU), "--department", "nowhere")
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(CommandError, match="必要な列がありません"):
        run("import_garbage", str(bad), "--department", department.code)
    assert not GarbageItem.objects.exists()


def test_import_faq(department, tmp_path):
    path = tmp_path / "faq.csv"
    path.write_text("question,answer,category\n犬の登録は？,保健所で登録します。,動物\n", encoding="utf-8")

    assert "新規 1 件" in run("import_faq", str(path), "--department", department.code)
    assert FaqEntry.objects.get().category == "動物"


def test_evaluate_prints_accuracy_and_latency(department, tmp_path):
    run("import_garbage", str(TAKAMATSU), "--department", department.code)
    cases = tmp_path / "cases.jsonl"
    cases.write_text(
        "\n".join(
            json.dumps(c, ensure_ascii=False)
            for c in [
                {"question": "ぺっとぼとる", "expected": "ペットボトル（飲料・酒・醤油用など）"},
                {"question": "いっとかん", "expected": "一斗缶"},
                {"question": "乾電池の捨て方", "category": "有害ごみ"},
            ]
        ),
        encoding="utf-8",
    )

    output = run("chatbot_evaluate", str(cases))

    assert "n=3" in output and "top-1" in output and "top-3 100.0%" in output and "median" in output


def test_evaluate_a_set_directory_with_its_own_knowledge_as_json(tmp_path):
    city = tmp_path / "dev" / "city"
    city.mkdir(parents=True)
    (city / "garbage.csv").write_text(
        "type,name,notice,furigana\n不燃ごみ,アイロン,,あ\n可燃ごみ,生ごみ,,な\n"
    )
    (city / "set.json").write_text(
        json.dumps({"name": "city", "split": "dev", "garbage": {"file": "garbage.csv", "format": "5374"}})
    )
    (city / "questions.jsonl").write_text(
        json.dumps(
            {"question": "なまごみの捨て方", "expected": ["生ごみ"], "variant": "sentence"},
            ensure_ascii=False,
        )
    )

    record = json.loads(run("chatbot_evaluate", str(tmp_path), "--json"))

    assert record["set"] == "city" and record["split"] == "dev" and record["entries"] == 2
    assert record["success@1"] == record["success@5"] == 1.0 and "median_ms" in record
    assert not GarbageItem.objects.exists()  # measured in memory, nothing imported


# --- previews: --dry-run and --json (CB-9) ------------------------------------------------------

SOME_BAD_ROWS = "品目,分別区分\n生ごみ,燃やすごみ\n,燃やすごみ\n乾電池,有害ごみ\n".encode("cp932")


def test_import_garbage_dry_run_prints_the_preview_and_changes_nothing(department, tmp_path):
    path = tmp_path / "gomi.csv"
    path.write_bytes(SOME_BAD_ROWS)

    output = run("import_garbage", str(path), "--department", department.code, "--dry-run")

    assert "3 行のうち 新規 2 件、更新 0 件、変更なし 0 件、取り込めない行 1 件" in output
    assert "3 行目: 品目が空です。" in output and "品目←品目" in output and "何も変更していません" in output
    assert not GarbageItem.objects.exists()


def test_import_garbage_json_with_and_without_dry_run(department, tmp_path):
    path = tmp_path / "gomi.csv"
    path.write_bytes(SOME_BAD_ROWS)
    expected = {
        "rows": 3,
        "new": 2,
        "changed": 0,
        "unchanged": 0,
        "refused": [{"line": 3, "reason": "品目が空です。"}],
    }

    preview = json.loads(
        run("import_garbage", str(path), "--department", department.code, "--dry-run", "--json")
    )
    assert preview == expected

    # Without --dry-run a file with refused rows still imports nothing; the JSON says why.
    out = io.StringIO()
    with pytest.raises(CommandError, match="取り込みを中止しました"):
        call_command("import_garbage", str(path), "--department", department.code, "--json", stdout=out)
    assert json.loads(out.getvalue()) == expected and not GarbageItem.objects.exists()

    path.write_bytes("品目,分別区分\n生ごみ,燃やすごみ\n".encode())
    done = json.loads(run("import_garbage", str(path), "--department", department.code, "--json"))
    assert done == {"rows": 1, "new": 1, "changed": 0, "unchanged": 0, "refused": []}
    assert GarbageItem.objects.get().name == "生ごみ"


def test_import_faq_with_a_mapping_url_and_dry_run(department, tmp_path):
    path = tmp_path / "faq.csv"
    path.write_text(
        "問い,こたえ,リンク\n犬の登録は？,保健所で登録します。,https://www.city.example.jp/inu.html\n",
        encoding="utf-8-sig",
    )

    preview = json.loads(
        run(
            "import_faq",
            str(path),
            "--department",
            department.code,
            "--map",
            "answer=こたえ",
            "--dry-run",
            "--json",
        )
    )
    assert preview == {"rows": 1, "new": 1, "changed": 0, "unchanged": 0, "refused": []}
    assert not FaqEntry.objects.exists()

    assert "新規 1 件" in run(
        "import_faq", str(path), "--department", department.code, "--map", "answer=こたえ"
    )
    assert FaqEntry.objects.get().url == "https://www.city.example.jp/inu.html"
    again = run(
        "import_faq", str(path), "--department", department.code, "--map", "answer=こたえ", "--dry-run"
    )
    assert "変更なし 1 件" in again


def test_import_faq_unknown_layout_says_how_to_map(department, tmp_path):
    path = tmp_path / "faq.csv"
    path.write_text("番号,問,こたえ\n1,犬の登録は？,保健所へ\n", encoding="utf-8")

    with pytest.raises(CommandError, match=r"--map.*例: answer=こたえ"):
        run("import_faq", str(path), "--department", department.code, "--dry-run")
