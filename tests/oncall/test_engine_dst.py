"""The final schedule across Europe/Berlin's DST changes in 2026 (spring forward on 29 March at
02:00 -> 03:00, fall back on 25 October at 03:00 -> 02:00): shift boundaries in UTC."""

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from oncall.engine import LayerSpec, OverrideSpec, ScheduleSpec, Shift, final_shifts

BERLIN = ZoneInfo("Europe/Berlin")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def local(*args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=BERLIN, fold=fold)  # type: ignore[misc]


def spec(*layers: LayerSpec, overrides: tuple[OverrideSpec, ...] = ()) -> ScheduleSpec:
    return ScheduleSpec(time_zone="Europe/Berlin", layers=layers, overrides=overrides)


def bounds(shifts: list[Shift]) -> list[tuple[int, datetime, datetime]]:
    return [(s.person_id, s.start, s.end) for s in shifts]


@pytest.mark.parametrize(
    ("hours", "handoff", "start", "end", "expected"),
    [
        pytest.param(  # 24 h at 09:00: the spring-forward day's shift lasts 23 h
            24,
            local(2026, 3, 2, 9, 0),
            utc(2026, 3, 28, 8),
            utc(2026, 3, 30, 7),
            [
                (1, utc(2026, 3, 28, 8), utc(2026, 3, 29, 7)),
                (2, utc(2026, 3, 29, 7), utc(2026, 3, 30, 7)),
            ],
            id="24h-0900-spring",
        ),
        pytest.param(  # 24 h at 02:30, missing on 29 March: that handoff moves to 03:30 CEST
            24,
            local(2026, 3, 2, 2, 30),
            utc(2026, 3, 28, 1, 30),
            utc(2026, 3, 30, 0, 30),
            [
                (1, utc(2026, 3, 28, 1, 30), utc(2026, 3, 29, 1, 30)),
                (2, utc(2026, 3, 29, 1, 30), utc(2026, 3, 30, 0, 30)),
            ],
            id="24h-0230-spring-missing",
        ),
        # 12 h at 02:30/14:30, missing hour: the night shift ends 03:30 CEST (12 h), the day
        # shift is 11 h.
        pytest.param(
            12,
            local(2026, 3, 1, 2, 30),
            utc(2026, 3, 28, 13, 30),
            utc(2026, 3, 29, 12, 30),
            [
                (2, utc(2026, 3, 28, 13, 30), utc(2026, 3, 29, 1, 30)),
                (1, utc(2026, 3, 29, 1, 30), utc(2026, 3, 29, 12, 30)),
            ],
            id="12h-0230-spring-missing",
        ),
        # 24 h at 02:30, repeated on 25 October: first occurrence (CEST); that day lasts 25 h.
        pytest.param(
            24,
            local(2026, 10, 1, 2, 30),
            utc(2026, 10, 24, 0, 30),
            utc(2026, 10, 26, 1, 30),
            [
                (2, utc(2026, 10, 24, 0, 30), utc(2026, 10, 25, 0, 30)),
                (1, utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)),
            ],
            id="24h-0230-fall-repeated",
        ),
        pytest.param(  # 12 h at 02:30/14:30 on the fall-back day: the 02:30 shift lasts 13 h
            12,
            local(2026, 10, 1, 2, 30),
            utc(2026, 10, 24, 12, 30),
            utc(2026, 10, 25, 13, 30),
            [
                (2, utc(2026, 10, 24, 12, 30), utc(2026, 10, 25, 0, 30)),
                (1, utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 13, 30)),
            ],
            id="12h-0230-fall-repeated",
        ),
        pytest.param(  # 24 h at 09:00 on the fall-back day: 25 h
            24,
            local(2026, 10, 1, 9, 0),
            utc(2026, 10, 24, 7),
            utc(2026, 10, 26, 8),
            [
                (2, utc(2026, 10, 24, 7), utc(2026, 10, 25, 8)),
                (1, utc(2026, 10, 25, 8), utc(2026, 10, 26, 8)),
            ],
            id="24h-0900-fall",
        ),
    ],
)
def test_handoffs_follow_the_wall_clock_across_dst(
    hours: int,
    handoff: datetime,
    start: datetime,
    end: datetime,
    expected: list[tuple[int, datetime, datetime]],
) -> None:
    layer = LayerSpec(level=1, member_ids=(1, 2), shift_hours=hours, handoff_at=handoff)
    assert bounds(final_shifts(spec(layer), start, end)) == expected


def test_an_hourly_shift_that_falls_into_the_missing_hour_is_dropped() -> None:
    layer = LayerSpec(
        level=1, member_ids=(1, 2, 3), shift_hours=1, handoff_at=local(2026, 3, 29, 0)
    )
    # 00:00 CET -> 1, 01:00 -> 2, 02:00 (missing) -> 3 gets nothing, 03:00 CEST -> 1.
    assert bounds(final_shifts(spec(layer), utc(2026, 3, 28, 23), utc(2026, 3, 29, 2))) == [
        (1, utc(2026, 3, 28, 23), utc(2026, 3, 29, 0)),
        (2, utc(2026, 3, 29, 0), utc(2026, 3, 29, 1)),
        (1, utc(2026, 3, 29, 1), utc(2026, 3, 29, 2)),
    ]


def test_a_weekday_window_layer_covers_its_window_in_local_time_across_spring_forward() -> None:
    base = LayerSpec(level=1, member_ids=(1,), shift_hours=168, handoff_at=local(2026, 3, 2, 9))
    office = LayerSpec(
        level=2,
        member_ids=(2,),
        shift_hours=24,
        handoff_at=local(2026, 3, 2, 9),
        weekdays=frozenset({1, 2, 3, 4, 5}),
        window=(time(9), time(17)),
    )
    shifts = final_shifts(spec(base, office), utc(2026, 3, 27, 0), utc(2026, 3, 31, 0))
    assert bounds(shifts) == [
        (1, utc(2026, 3, 27, 0), utc(2026, 3, 27, 8)),
        (2, utc(2026, 3, 27, 8), utc(2026, 3, 27, 16)),  # Friday 09-17 CET
        (1, utc(2026, 3, 27, 16), utc(2026, 3, 30, 7)),  # the weekend
        (2, utc(2026, 3, 30, 7), utc(2026, 3, 30, 15)),  # Monday 09-17 CEST
        (1, utc(2026, 3, 30, 15), utc(2026, 3, 31, 0)),
    ]


def test_a_night_window_crosses_midnight() -> None:
    night = LayerSpec(
        level=1,
        member_ids=(5,),
        shift_hours=24,
        handoff_at=local(2026, 6, 1, 0),
        window=(time(22), time(6)),
    )
    assert bounds(final_shifts(spec(night), utc(2026, 6, 1, 0), utc(2026, 6, 2, 0))) == [
        (5, utc(2026, 6, 1, 0), utc(2026, 6, 1, 4)),
        (5, utc(2026, 6, 1, 20), utc(2026, 6, 2, 0)),
    ]


def test_overrides_win_a_later_one_over_an_earlier_one_and_the_same_person_merges() -> None:
    layer = LayerSpec(level=1, member_ids=(1, 2), shift_hours=24, handoff_at=utc(2026, 6, 1))
    overrides = (
        OverrideSpec(7, utc(2026, 6, 1, 6), utc(2026, 6, 1, 12)),
        OverrideSpec(8, utc(2026, 6, 1, 10), utc(2026, 6, 1, 11)),
        OverrideSpec(2, utc(2026, 6, 1, 20), utc(2026, 6, 2, 0)),
    )
    shifts = final_shifts(spec(layer, overrides=overrides), utc(2026, 6, 1), utc(2026, 6, 3))
    assert [(s.person_id, s.start, s.end, s.source) for s in shifts] == [
        (1, utc(2026, 6, 1, 0), utc(2026, 6, 1, 6), "layer 1"),
        (7, utc(2026, 6, 1, 6), utc(2026, 6, 1, 10), "override"),
        (8, utc(2026, 6, 1, 10), utc(2026, 6, 1, 11), "override"),
        (7, utc(2026, 6, 1, 11), utc(2026, 6, 1, 12), "override"),
        (1, utc(2026, 6, 1, 12), utc(2026, 6, 1, 20), "layer 1"),
        (2, utc(2026, 6, 1, 20), utc(2026, 6, 3, 0), "override"),  # merged into 2's own shift
    ]


def test_rotation_runs_backwards_from_the_handoff_and_an_empty_range_is_empty() -> None:
    layer = LayerSpec(level=1, member_ids=(1, 2, 3), shift_hours=24, handoff_at=utc(2026, 6, 10))
    shifts = final_shifts(spec(layer), utc(2026, 6, 8), utc(2026, 6, 10))
    assert [s.person_id for s in shifts] == [2, 3]
    assert final_shifts(spec(layer), utc(2026, 6, 8), utc(2026, 6, 8)) == []
