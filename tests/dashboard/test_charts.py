"""The chart geometry (pure: no database)."""

import pytest

from reporting.dashboard_charts import (
    BAR_UNITS,
    MAX_MARKERS,
    BarSeries,
    LineSeries,
    RowInput,
    bar_rows,
    nice_step,
    time_chart,
)


@pytest.mark.parametrize(
    ("value", "step"), [(0, 1), (0.3, 1), (1, 1), (1.2, 2), (3, 5), (7, 10), (12, 20), (450, 500)]
)
def test_nice_step_gives_whole_round_numbers(value: float, step: float) -> None:
    assert nice_step(value) == step


def test_count_axis_has_whole_number_ticks_above_the_data() -> None:
    chart = time_chart(["a", "b"], bars=BarSeries("created", "Created", [5, 3]))
    labels = [tick.label for tick in chart.y_ticks]
    assert labels == ["0", "2", "4", "6", "8"]
    assert chart.y_ticks[0].y == chart.bottom
    assert chart.y_ticks[-1].y == chart.top


def test_bars_are_proportional_and_zero_draws_nothing() -> None:
    chart = time_chart(["a", "b", "c"], bars=BarSeries("created", "Created", [4, 0, 2]), y_max=4)
    assert len(chart.bars) == 2
    tall, short = chart.bars
    assert tall.y == chart.top
    assert tall.height == pytest.approx(2 * short.height, abs=0.2)
    assert tall.title == "a: 4 created"


def test_a_missing_value_breaks_the_line() -> None:
    chart = time_chart(
        ["w1", "w2", "w3", "w4"],
        lines=[LineSeries("response", "Response", [50, None, 100, 80], say=lambda v: f"{v:g} %")],
        y_max=100,
    )
    (line,) = chart.lines
    assert line.path.count("M") == 2
    assert line.path.count("L") == 1
    assert [marker.title for marker in line.markers] == [
        "Response, w1: 50 %",
        "Response, w3: 100 %",
        "Response, w4: 80 %",
    ]
    assert line.markers[1].y == chart.top


def test_an_empty_chart_says_so() -> None:
    chart = time_chart(["a"], lines=[LineSeries("response", "Response", [None])], y_max=100)
    assert chart.is_empty


def test_x_labels_are_thinned_and_markers_dropped_on_long_series() -> None:
    days = [f"d{i}" for i in range(90)]
    chart = time_chart(days, lines=[LineSeries("resolved", "Resolved", [1] * 90)])
    assert len(chart.x_labels) <= 8
    assert chart.x_labels[0].text == "d0"
    assert not chart.lines[0].markers
    assert len(days) > MAX_MARKERS


def test_bar_rows_stack_on_a_common_scale() -> None:
    rows = bar_rows(
        [
            RowInput("Ann", [("breached", "breached", 2), ("on_track", "other", 2)]),
            RowInput("Bob", [("breached", "breached", 0), ("on_track", "other", 1)]),
        ]
    )
    ann, bob = rows.rows
    assert rows.scale == 4
    assert ann.segments[0].width == BAR_UNITS / 2
    assert ann.segments[1].x == BAR_UNITS / 2
    assert bob.segments[1].width == BAR_UNITS / 4
    assert ann.text == "4: 2 breached, 2 other"
    assert bob.text == "1"
    assert [item.key for item in rows.legend] == ["breached", "on_track"]


def test_bar_rows_of_nothing_are_empty() -> None:
    rows = bar_rows([RowInput("Ann", [("open", "open", 0)])])
    assert rows.is_empty
    assert rows.rows[0].segments[0].width == 0
