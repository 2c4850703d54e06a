"""Server-drawn SVG charts (SV-8): what residents typed is text, never markup."""

from __future__ import annotations

from civicline.forms import charts
from civicline.forms.selectors import Tally


def test_labels_typed_by_residents_are_escaped_in_every_chart():
    items = [Tally("<script>alert(1)</script>", 3, 75.0), Tally("普通", 1, 25.0)]

    for chart in (
        charts.bar_chart(items, title="Q1"),
        charts.pie_chart(items, title="Q1"),
        charts.histogram(items, title="Q1"),
    ):
        assert "<script>" not in chart and "&lt;script&gt;" in chart
        assert chart.startswith('<svg class="chart"') and 'role="img"' in chart


def test_a_single_answer_value_fills_the_pie_and_no_answers_draw_nothing():
    assert "<circle" in charts.pie_chart([Tally("満足", 2, 100.0), Tally("不満", 0, 0.0)], title="Q")
    assert charts.chart_for("choices", [], title="Q") == ""


def test_many_choices_or_multiple_choice_use_bars():
    items = [Tally(str(n), n, 10.0) for n in range(8)]

    assert "<rect" in charts.chart_for("choices", items, title="Q") and "<path" not in charts.chart_for(
        "choices", items, title="Q"
    )
