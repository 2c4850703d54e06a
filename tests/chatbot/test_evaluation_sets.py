"""Evaluation sets built from public data (CB-7, issue 16)."""

import json
import subprocess
import sys
from pathlib import Path

from civicline.chatbot import evaluation

ROOT = Path(__file__).resolve().parents[2]
BUILD = [sys.executable, "-m", "bench.chatbot_sets"]


def test_a_localgovfaq_directory_becomes_a_qa_set_whose_queries_expect_their_a_judged_questions(tmp_path):
    """issue 16: the research set's layout (ids, <改>, A/B/C judgements) read into faq.csv + queries."""
    source = tmp_path / "localgovfaq"
    (source / "qas").mkdir(parents=True)
    (source / "qas" / "questions_in_Amagasaki.txt").write_text(
        "0\t住民票の写しはどこで取れますか\n1\t粗大ごみの出し方を教えてください\n2\t犬の登録について\n",
        encoding="utf-8",
    )
    (source / "qas" / "answers_in_Amagasaki.txt").write_text(
        "0\t市民課窓口で取れます。<改>コンビニでも取れます。\n1\t電話で申し込んでください。\n2\t保健所へ。\n",
        encoding="utf-8",
    )
    (source / "testset_segmentation.txt").write_text(
        json.dumps({"question": "住民 票 が ほしい", "answerA": [0], "answerB": [], "answerC": [1]})
        + "\n"
        # judged B only: no correct answer, left out
        + json.dumps({"question": "ペット を 飼う", "answerA": [], "answerB": [2], "answerC": []})
        + "\n",
        encoding="utf-8",
    )
    out = tmp_path / "dev" / "faq-amagasaki"

    subprocess.run(
        [*BUILD, "localgovfaq", str(source), str(out), "--name", "amagasaki", "--split", "dev"],
        check=True,
        cwd=ROOT,
        capture_output=True,
    )
    [question_set] = evaluation.load_sets(out)
    scores = evaluation.evaluate(question_set.cases, question_set.index)

    assert (question_set.name, question_set.split, question_set.entries) == ("amagasaki", "dev", 3)
    assert question_set.cases == [
        {"question": "住民票がほしい", "expected": ["住民票の写しはどこで取れますか"], "variant": "query"}
    ]
    assert scores[""].rate(1) == 1.0
