"""The final on-call schedule as a pure function: no database, no clock, plain dataclasses in and
out (tested like the SLA calendar, with DST tables and property tests).

Rules:
- A layer's k-th shift starts at the local wall time of its handoff plus k x `shift_hours`,
  counted on the schedule's wall clock and read back as an instant (a local time that does not
  exist moves forward by the gap; a repeated one is its first occurrence). A daily 09:00 handoff
  therefore stays at 09:00 across DST (that day's shift lasts 23 or 25 hours); a shift whose
  start and end fall on the same instant is dropped. Shift k goes to member k mod n, also before
  the handoff instant.
- Restrictions (weekdays, a daily window, both local) clip a layer's shifts to their windows.
- Higher layers cover lower ones; overrides cover every layer, a later override an earlier one.
- Adjacent shifts of one person are merged; everything is clipped to [start, end).
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache, partial
from typing import NamedTuple
from zoneinfo import ZoneInfo

Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class LayerSpec:
    level: int
    member_ids: tuple[int, ...]
    shift_hours: int
    handoff_at: datetime
    weekdays: frozenset[int] = frozenset()  # ISO 1 (Monday) .. 7; empty: every day
    window: tuple[time, time] | None = None  # local; end <= start crosses midnight


@dataclass(frozen=True)
class OverrideSpec:
    person_id: int
    start: datetime
    end: datetime


@dataclass(frozen=True)
class ScheduleSpec:
    time_zone: str
    layers: tuple[LayerSpec, ...]
    overrides: tuple[OverrideSpec, ...] = ()  # in creation order: a later one wins
    schedule_id: int = 0


class Shift(NamedTuple):
    """A stretch of time one person is on call; `source` is "override" or "layer <level>"."""

    person_id: int
    start: datetime
    end: datetime
    source: str


def new_shift(fields: tuple[int, datetime, datetime, str]) -> Shift:
    """Shift(*fields) without NamedTuple's Python-level __new__ (the engine makes tens of
    thousands per 1,000 schedules)."""
    return tuple.__new__(Shift, fields)


@lru_cache(maxsize=65536)
def _instant(local: datetime, zone: ZoneInfo) -> datetime:
    """A naive local wall time in `zone` as a UTC instant. fold=0: a repeated time is its first
    occurrence; a missing one is read with the offset before the gap, i.e. moved forward.
    Memoised: schedules share zones and hand off on round hours, and the conversion is most of
    the engine's cost (benchmarks/oncall_schedules.py)."""
    return local.replace(tzinfo=zone).astimezone(UTC)


def layer_shifts(layer: LayerSpec, zone: ZoneInfo, start: datetime, end: datetime) -> list[Shift]:
    """The layer's rotation over [start, end), before restrictions, in order, never empty ones."""
    if not layer.member_ids or layer.shift_hours <= 0 or end <= start:
        return []
    step = timedelta(hours=layer.shift_hours)
    anchor = layer.handoff_at.astimezone(zone).replace(tzinfo=None)
    local_start = start.astimezone(zone).replace(tzinfo=None)
    # DST moves wall time against instants by a few hours at most: start one shift early.
    k = (local_start - anchor) // step - 1
    shifts: list[Shift] = []
    source = f"layer {layer.level}"
    members = layer.member_ids
    count = len(members)
    turn = k % count
    instant = _instant
    shift_start = instant(anchor + k * step, zone)
    local_end = anchor + (k + 1) * step
    while shift_start < end:
        shift_end = instant(local_end, zone)
        if shift_end > start and shift_end > shift_start:
            shifts.append(
                new_shift(
                    (
                        members[turn],
                        shift_start if shift_start > start else start,
                        shift_end if shift_end < end else end,
                        source,
                    )
                )
            )
        turn = turn + 1 if turn + 1 < count else 0
        local_end += step
        shift_start = shift_end
    return shifts


def restriction_windows(
    layer: LayerSpec, zone: ZoneInfo, start: datetime, end: datetime
) -> list[Interval] | None:
    """The instants the layer's restrictions allow within [start, end), sorted and disjoint;
    None when the layer has no restriction."""
    if not layer.weekdays and layer.window is None:
        return None
    first = start.astimezone(zone).date() - timedelta(days=1)
    last = end.astimezone(zone).date()
    windows: list[Interval] = []
    day = first
    while day <= last:
        if not layer.weekdays or day.isoweekday() in layer.weekdays:
            lo, hi = _day_window(layer.window, zone, day)
            lo, hi = max(lo, start), min(hi, end)
            if lo < hi:
                windows.append((lo, hi))
        day += timedelta(days=1)
    return _union(windows)


@lru_cache(maxsize=16384)
def _day_window(window: tuple[time, time] | None, zone: ZoneInfo, day: date) -> Interval:
    opens, closes = window or (time(0), time(0))
    close_day = day + timedelta(days=1) if closes <= opens else day
    return (
        _instant(datetime.combine(day, opens), zone),
        _instant(datetime.combine(close_day, closes), zone),
    )


def _union(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for lo, hi in sorted(intervals):
        if merged and lo <= merged[-1][1]:
            if hi > merged[-1][1]:
                merged[-1] = (merged[-1][0], hi)
        else:
            merged.append((lo, hi))
    return merged


def _clip_to(shifts: list[Shift], windows: Sequence[Interval]) -> list[Shift]:
    """Each shift's parts inside the (sorted, disjoint) windows."""
    out: list[Shift] = []
    i, count = 0, len(windows)
    for shift in shifts:
        while i < count and windows[i][1] <= shift.start:
            i += 1
        j = i
        while j < count and windows[j][0] < shift.end:
            lo, hi = windows[j]
            if lo <= shift.start and shift.end <= hi:
                out.append(shift)
            else:
                lo, hi = max(shift.start, lo), min(shift.end, hi)
                if lo < hi:
                    out.append(new_shift((shift.person_id, lo, hi, shift.source)))
            j += 1
    return out


def _uncovered(shifts: list[Shift], covered: Sequence[Interval]) -> list[Shift]:
    """The parts of sorted, disjoint shifts outside the (sorted, disjoint) covered intervals."""
    if not covered:
        return shifts
    out: list[Shift] = []
    i, count = 0, len(covered)
    for shift in shifts:
        start, end = shift.start, shift.end
        while i < count and covered[i][1] <= start:
            i += 1
        if i == count or covered[i][0] >= end:
            out.append(shift)
            continue
        cursor, j = start, i
        while j < count and covered[j][0] < end:
            lo, hi = covered[j]
            if lo > cursor:
                out.append(new_shift((shift.person_id, cursor, lo, shift.source)))
            cursor = max(cursor, hi)
            j += 1
        if cursor < end:
            out.append(new_shift((shift.person_id, cursor, end, shift.source)))
    return out


def effective_layer_shifts(
    layer: LayerSpec, zone: ZoneInfo, start: datetime, end: datetime
) -> list[Shift]:
    """A layer's own shifts over [start, end) after its restrictions (what its timeline shows)."""
    shifts = layer_shifts(layer, zone, start, end)
    windows = restriction_windows(layer, zone, start, end)
    return shifts if windows is None else _clip_to(shifts, windows)


def final_shifts(spec: ScheduleSpec, start: datetime, end: datetime) -> list[Shift]:
    """Who is on call over [start, end): sorted, non-overlapping shifts (gaps where nobody is)."""
    if end <= start:
        return []
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    zone = ZoneInfo(spec.time_zone)
    # Paint from the top: each source fills only what the ones above it left uncovered, and
    # the layers below one that leaves nothing uncovered are never computed.
    sources: list[Callable[[], list[Shift]]] = []
    for override in reversed(spec.overrides):
        lo, hi = max(override.start, start), min(override.end, end)
        if lo < hi:
            sources.append(partial(_override_shifts, override.person_id, lo, hi))
    for layer in sorted(spec.layers, key=lambda layer: -layer.level):
        sources.append(partial(effective_layer_shifts, layer, zone, start, end))
    result: list[Shift] = []
    covered: list[Interval] = []
    for source in sources:
        if covered and covered[0][0] <= start and covered[0][1] >= end:
            break
        visible = _uncovered(source(), covered)
        if visible:
            result.extend(visible)
            covered = _union([*covered, *((s.start, s.end) for s in visible)])
    return _merge(sorted(result, key=lambda shift: shift.start))


def _override_shifts(person_id: int, start: datetime, end: datetime) -> list[Shift]:
    return [new_shift((person_id, start, end, "override"))]


def _merge(shifts: list[Shift]) -> list[Shift]:
    merged: list[Shift] = []
    for shift in shifts:
        last = merged[-1] if merged else None
        if last and last.person_id == shift.person_id and last.end == shift.start:
            merged[-1] = new_shift((last.person_id, last.start, shift.end, last.source))
        else:
            merged.append(shift)
    return merged


def on_call_at(spec: ScheduleSpec, at: datetime) -> Shift | None:
    """The shift covering instant `at`, if anyone is on call then (the whole merged shift)."""
    shifts = final_shifts(spec, at - timedelta(days=7), at + timedelta(days=7))
    return next((s for s in shifts if s.start <= at < s.end), None)
