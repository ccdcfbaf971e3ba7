"""Properties of the final schedule for any layers, restrictions and overrides: it lies within the
range, never overlaps, an override always wins in its window, and a restricted layer covers only
its windows."""

import itertools
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from oncall.engine import (
    LayerSpec,
    OverrideSpec,
    ScheduleSpec,
    effective_layer_shifts,
    final_shifts,
    restriction_windows,
)

ZONES = ["Europe/Berlin", "America/New_York", "Australia/Sydney", "UTC", "Asia/Kolkata"]
BASE = datetime(2026, 1, 1, tzinfo=UTC)

instants = st.integers(min_value=0, max_value=365 * 24 * 4).map(
    lambda quarter_hours: BASE + timedelta(minutes=15 * quarter_hours)
)
times = st.integers(min_value=0, max_value=95).map(lambda q: time(q // 4, 15 * (q % 4)))


@st.composite
def layers(draw: st.DrawFn, level: int) -> LayerSpec:
    window = draw(st.none() | st.tuples(times, times).filter(lambda w: w[0] != w[1]))
    return LayerSpec(
        level=level,
        member_ids=tuple(draw(st.lists(st.integers(1, 6), min_size=1, max_size=4, unique=True))),
        shift_hours=draw(st.sampled_from([1, 5, 8, 12, 24, 48, 168])),
        handoff_at=draw(instants),
        weekdays=frozenset(draw(st.lists(st.integers(1, 7), max_size=5))),
        window=window,
    )


@st.composite
def schedules(draw: st.DrawFn) -> ScheduleSpec:
    count = draw(st.integers(1, 3))
    overrides = []
    for _ in range(draw(st.integers(0, 3))):
        start = draw(instants)
        overrides.append(
            OverrideSpec(
                draw(st.integers(1, 9)), start, start + timedelta(hours=draw(st.integers(1, 72)))
            )
        )
    return ScheduleSpec(
        time_zone=draw(st.sampled_from(ZONES)),
        layers=tuple(draw(layers(level)) for level in range(1, count + 1)),
        overrides=tuple(overrides),
    )


@st.composite
def ranges(draw: st.DrawFn) -> tuple[datetime, datetime]:
    start = draw(instants)
    return start, start + timedelta(hours=draw(st.integers(1, 24 * 21)))


def person_at(shifts: list, at: datetime) -> int | None:  # type: ignore[type-arg]
    return next((s.person_id for s in shifts if s.start <= at < s.end), None)


@settings(max_examples=300, deadline=None)
@given(spec=schedules(), span=ranges())
def test_shifts_lie_in_the_range_are_sorted_disjoint_and_merged(
    spec: ScheduleSpec, span: tuple[datetime, datetime]
) -> None:
    start, end = span
    shifts = final_shifts(spec, start, end)
    for shift in shifts:
        assert start <= shift.start < shift.end <= end
    for before, after in itertools.pairwise(shifts):
        assert before.end <= after.start
        assert not (before.end == after.start and before.person_id == after.person_id)


@settings(max_examples=300, deadline=None)
@given(spec=schedules(), span=ranges(), data=st.data())
def test_an_override_always_wins_in_its_window(
    spec: ScheduleSpec, span: tuple[datetime, datetime], data: st.DataObject
) -> None:
    start, end = span
    shifts = final_shifts(spec, start, end)
    for index, override in enumerate(spec.overrides):
        later = spec.overrides[index + 1 :]
        lo, hi = max(start, override.start), min(end, override.end)
        if lo >= hi:
            continue
        at = lo + (hi - lo) * data.draw(st.floats(0, 0.999))
        if any(o.start <= at < o.end for o in later):
            continue
        assert person_at(shifts, at) == override.person_id


@settings(max_examples=300, deadline=None)
@given(spec=schedules(), span=ranges(), data=st.data())
def test_a_restricted_layer_covers_only_its_windows_and_layers_never_leave_holes(
    spec: ScheduleSpec, span: tuple[datetime, datetime], data: st.DataObject
) -> None:
    start, end = span
    zone = ZoneInfo(spec.time_zone)
    for layer in spec.layers:
        windows = restriction_windows(layer, zone, start, end)
        own = effective_layer_shifts(layer, zone, start, end)
        for before, after in itertools.pairwise(own):
            assert before.end <= after.start  # no overlap within a layer
        if windows is not None:
            for shift in own:
                assert any(lo <= shift.start and shift.end <= hi for lo, hi in windows)
            for shift in own:
                local = shift.start.astimezone(zone)
                if layer.weekdays and layer.window is None:
                    assert local.isoweekday() in layer.weekdays
    # Wherever a layer has a shift and no override is, someone is on call, from that layer or above.
    final = final_shifts(spec, start, end)
    at = start + (end - start) * data.draw(st.floats(0, 0.999))
    if any(o.start <= at < o.end for o in spec.overrides):
        return
    levels = [
        layer.level
        for layer in spec.layers
        if person_at(effective_layer_shifts(layer, zone, start, end), at) is not None
    ]
    if levels:
        top = max(levels)
        layer = next(layer for layer in spec.layers if layer.level == top)
        assert person_at(final, at) == person_at(
            effective_layer_shifts(layer, zone, start, end), at
        )
    else:
        assert person_at(final, at) is None
