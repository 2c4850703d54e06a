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
