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

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
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


@dataclass(frozen=True)
class Shift:
    person_id: int
    start: datetime
    end: datetime
    source: str = field(compare=True)  # "override" or "layer <level>"


def _instant(local: datetime, zone: ZoneInfo) -> datetime:
    """A naive local wall time in `zone` as a UTC instant. fold=0: a repeated time is its first
    occurrence; a missing one is read with the offset before the gap, i.e. moved forward."""
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
    count = len(layer.member_ids)
    shift_start = _instant(anchor + k * step, zone)
    while shift_start < end:
        shift_end = _instant(anchor + (k + 1) * step, zone)
        lo, hi = max(shift_start, start), min(shift_end, end)
        if lo < hi:
            shifts.append(Shift(layer.member_ids[k % count], lo, hi, source))
        k += 1
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
            lo, hi = _day_window(layer, zone, day)
            lo, hi = max(lo, start), min(hi, end)
            if lo < hi:
                windows.append((lo, hi))
        day += timedelta(days=1)
    return _union(windows)


def _day_window(layer: LayerSpec, zone: ZoneInfo, day: date) -> Interval:
    if layer.window is None:
        opens, closes = time(0), time(0)
    else:
        opens, closes = layer.window
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
    i = 0
    for shift in shifts:
        while i < len(windows) and windows[i][1] <= shift.start:
            i += 1
        j = i
        while j < len(windows) and windows[j][0] < shift.end:
            lo, hi = max(shift.start, windows[j][0]), min(shift.end, windows[j][1])
            if lo < hi:
                out.append(Shift(shift.person_id, lo, hi, shift.source))
            j += 1
    return out


def _uncovered(shifts: list[Shift], covered: Sequence[Interval]) -> list[Shift]:
    """The parts of sorted, disjoint shifts outside the (sorted, disjoint) covered intervals."""
    if not covered:
        return shifts
    out: list[Shift] = []
    i = 0
    for shift in shifts:
        cursor = shift.start
        while i < len(covered) and covered[i][1] <= cursor:
            i += 1
        j = i
        while j < len(covered) and covered[j][0] < shift.end:
            if covered[j][0] > cursor:
                out.append(Shift(shift.person_id, cursor, covered[j][0], shift.source))
            cursor = max(cursor, covered[j][1])
            j += 1
        if cursor < shift.end:
            out.append(Shift(shift.person_id, cursor, shift.end, shift.source))
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
    # Paint from the top: each source fills only what the ones above it left uncovered.
    sources: list[list[Shift]] = []
    for override in reversed(spec.overrides):
        lo, hi = max(override.start, start), min(override.end, end)
        if lo < hi:
            sources.append([Shift(override.person_id, lo, hi, "override")])
    for layer in sorted(spec.layers, key=lambda layer: -layer.level):
        sources.append(effective_layer_shifts(layer, zone, start, end))
    result: list[Shift] = []
    covered: list[Interval] = []
    for shifts in sources:
        visible = _uncovered(shifts, covered)
        if visible:
            result.extend(visible)
            covered = _union([*covered, *((s.start, s.end) for s in visible)])
    return _merge(sorted(result, key=lambda shift: shift.start))


def _merge(shifts: list[Shift]) -> list[Shift]:
    merged: list[Shift] = []
    for shift in shifts:
        last = merged[-1] if merged else None
        if last and last.person_id == shift.person_id and last.end == shift.start:
            merged[-1] = Shift(last.person_id, last.start, shift.end, last.source)
        else:
            merged.append(shift)
    return merged


def on_call_at(spec: ScheduleSpec, at: datetime) -> Shift | None:
    """The shift covering instant `at`, if anyone is on call then (the whole merged shift)."""
    shifts = final_shifts(spec, at - timedelta(days=7), at + timedelta(days=7))
    return next((s for s in shifts if s.start <= at < s.end), None)
