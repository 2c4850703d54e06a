"""Results counted by the database (SV-8), cross-tabulation, and streamed export rows (SV-7)."""

from __future__ import annotations

import pytest

from civicline.forms import selectors
from civicline.forms.models import Response
from tests.forms.factories import answer, keys, make_form

pytestmark = pytest.mark.django_db

QUESTIONS = [
    {"ref": "a", "type": "single", "label": "満足度", "required": True, "choices": ["満足", "不満"]},
    {"ref": "b", "type": "multiple", "label": "利用した窓口", "choices": ["市民課", "税務課", "福祉課"]},
    {"ref": "c", "type": "number", "label": "待ち時間（分）"},
    {"ref": "d", "type": "scale", "label": "評価"},
    {"ref": "e", "type": "long_text", "label": "ご意見"},
    {"ref": "f", "type": "short_text", "label": "お名前", "personal": True},
    {"ref": "g", "type": "date", "label": "来庁日"},
]


@pytest.fixture
def form():
    form = make_form(QUESTIONS)
    answer(
        form,
        {
            "満足度": "満足",
            "利用した窓口": ["市民課", "税務課"],
            "待ち時間（分）": 5,
            "評価": 5,
            "ご意見": "窓口の職員が親切でした",
            "お名前": "豊中 花子",
            "来庁日": "2025-04-01",
        },
    )
    answer(
        form,
        {
            "満足度": "不満",
            "利用した窓口": ["市民課"],
            "待ち時間（分）": 45,
            "評価": 2,
            "ご意見": "待ち時間が長い。窓口を増やしてほしい",
            "来庁日": "2025-04-15",
        },
    )
    answer(form, {"満足度": "不満", "待ち時間（分）": 30, "評価": 1, "ご意見": "駐車場が狭い"})
    return form


def by_label(results):
    return {r.question["label"]: r for r in results}


def test_sv8_choices_are_counted_with_shares_of_those_who_answered(form):
    results = by_label(selectors.question_results(form=form))

    satisfaction = results["満足度"]
    assert satisfaction.answered == 3
    assert [(c.label, c.count, c.share) for c in satisfaction.counts] == [
        ("満足", 1, 33.3),
        ("不満", 2, 66.7),
    ]
    windows = results["利用した窓口"]
    assert windows.answered == 2  # respondents, not items chosen
    assert [(c.label, c.count) for c in windows.counts] == [("市民課", 2), ("税務課", 1), ("福祉課", 0)]


def test_sv8_numbers_scales_dates_and_texts_are_summarised(form):
    results = by_label(selectors.question_results(form=form))

    wait = results["待ち時間（分）"]
    assert (wait.minimum, wait.maximum, wait.mean) == (5, 45, 26.67)
    assert sum(c.count for c in wait.counts) == 3
    assert [c.count for c in results["評価"].counts] == [1, 1, 0, 0, 1]
    assert [(c.label, c.count) for c in results["来庁日"].counts] == [("2025-04", 2)]
    words = dict(results["ご意見"].words)
    assert words["窓口"] == 2 and "駐車場" in words
    assert results["ご意見"].latest[0] == "駐車場が狭い"


def test_personal_answers_are_counted_but_never_shown(form):
    name = by_label(selectors.question_results(form=form))["お名前"]

    assert name.kind == "count" and name.answered == 1 and not name.counts and not name.latest


def test_results_can_be_filtered_by_an_answer(form):
    question = form.questions[0]
    unhappy = selectors.responses_answering(form=form, question=question, value="不満")

    results = by_label(selectors.question_results(form=form, responses=unhappy))

    assert results["満足度"].answered == 2 and results["待ち時間（分）"].minimum == 30


def test_sv8_cross_tabulation_of_two_questions_counts_respondents(form):
    satisfaction, windows, _number, scale = form.questions[:4]

    table = selectors.crosstab(form=form, row=windows, column=satisfaction)

    assert table.columns == ["満足", "不満"]
    assert [(label, counts) for label, counts, _total in table.rows] == [
        ("市民課", [1, 1]),
        ("税務課", [1, 0]),
        ("福祉課", [0, 0]),
    ]
    by_scale = selectors.crosstab(form=form, row=satisfaction, column=scale)
    assert by_scale.columns == ["1", "2", "3", "4", "5"]
    assert by_scale.rows[1] == ("不満", [1, 1, 0, 0, 0], 2)


def test_export_rows_merge_responses_and_answers_in_order(form):
    questions = selectors.export_questions(form)
    responses = Response.objects.filter(form=form)

    rows = list(
        selectors.export_rows(
            form=form, responses=responses, leading=lambda r: [r.pk], questions=questions, chunk_size=2
        )
    )

    assert [row[0] for row in rows] == list(responses.order_by("pk").values_list("pk", flat=True))
    assert rows[0][1:] == [
        "満足",
        "市民課、税務課",
        "5",
        "5",
        "窓口の職員が親切でした",
        "豊中 花子",
        "2025年4月1日",
    ]
    assert rows[2][2] == ""  # nothing chosen


def test_export_of_a_subset_skips_the_other_responses_answers(form):
    questions = selectors.export_questions(form)
    unhappy = selectors.responses_answering(form=form, question=form.questions[0], value="不満")

    rows = list(
        selectors.export_rows(form=form, responses=unhappy, leading=lambda r: [], questions=questions)
    )

    assert [row[0] for row in rows] == ["不満", "不満"]


def test_retired_questions_stay_in_the_export(form):
    from civicline.forms import services
    from tests.fixtures.core import StaffFactory

    services.form_questions_save(
        actor=StaffFactory(department=form.department), form=form, questions=form.questions[:1]
    )
    form.refresh_from_db()

    labels = [q["label"] for q in selectors.export_questions(form)]

    assert labels[0] == "満足度" and "ご意見（旧）" in labels
    assert keys(form) == {"満足度": "q1"}
