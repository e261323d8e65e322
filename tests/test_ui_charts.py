"""Chart geometry for the dashboard's inline SVG."""

from __future__ import annotations

from datetime import date, timedelta

from bastion.service.ui import charts

DAYS = tuple(date(2026, 11, 1) + timedelta(days=i) for i in range(5))


def test_axis_tops_are_round_numbers_at_or_above_the_largest_value() -> None:
    assert [charts.nice_max(v) for v in (0, 1, 3, 7, 10, 11, 240, 5001)] == [
        1,
        1,
        5,
        10,
        10,
        20,
        500,
        10000,
    ]


def test_stacked_columns_are_proportional_and_stacked_in_key_order() -> None:
    counts = {d: {"A": 0, "B": 0} for d in DAYS}
    counts[DAYS[1]] = {"A": 2, "B": 3}
    chart = charts.stacked_columns(DAYS, ("A", "B"), counts)
    a, b = chart.bars
    assert (a.key, b.key) == ("A", "B")
    assert abs(b.h / a.h - 1.5) < 1e-9
    assert abs(b.y + b.h - a.y) < 1e-9  # B sits on A
    assert a.title == "02 Nov: 2 A"
    assert chart.legend == (("A", "A (2)"), ("B", "B (3)"))
    assert not chart.empty


def test_a_window_without_data_is_marked_empty_and_draws_no_bars() -> None:
    chart = charts.stacked_columns(DAYS, ("A",), {d: {"A": 0} for d in DAYS})
    assert chart.empty and chart.bars == ()


def test_horizontal_bars_label_each_row_and_its_total() -> None:
    chart = charts.horizontal_bars(
        [("iwf", {"A": 4, "C": 1}), ("local", {"B": 2})], ("A", "B", "C")
    )
    labels = [t.label for t in chart.y_ticks]
    assert labels == ["iwf", "5", "local", "2"]
    widths = {(b.title.split(":")[0], b.key): b.w for b in chart.bars}
    assert abs(widths[("iwf", "A")] / widths[("iwf", "C")] - 4) < 1e-9


def test_a_histogram_can_highlight_its_last_bucket() -> None:
    chart = charts.columns([("< 1 h", 1), ("> 3 d", 2)], "queue", "items", highlight="late")
    assert [b.key for b in chart.bars] == ["queue", "late"]
