"""Working time on one SLA calendar over a fixed span, looked up instead of walked. Pure.

A million-incident load gives nearly two million clocks their deadlines and their recorded
working time. sla.calendar walks the calendar day by day for each of them (about 20 µs per
call, three or four calls per clock: a minute of CPU on this machine); this table lays the
calendar's working intervals out once, with the working time before each, so a deadline or a
duration is two binary searches.

The intervals are the SLA engine's own (sla.calendar.working_intervals), so daylight-saving
days, holidays and 24:00 ends come out as the engine has them; anything the table cannot answer
exactly (a zero target, an instant outside its span, pauses) goes to the engine itself. The
tests compare both on every demo policy over two years of starts.
"""

from bisect import bisect_left, bisect_right
from datetime import UTC, datetime, timedelta

from sla.calendar import BusinessCalendar, business_time_between, due_at, working_intervals

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)


def _micros(moment: datetime) -> int:
    return (moment - _EPOCH) // _MICRO


class WorkTable:
    """Deadlines and working time on `calendar` for instants in [since, until)."""

    def __init__(self, calendar: BusinessCalendar, *, since: datetime, until: datetime) -> None:
        self.calendar = calendar
        self.always_open = calendar.always_open
        self.since = _micros(since)
        self.until = _micros(until)
        self.starts: list[int] = []
        self.ends: list[int] = []
        # Working time before each interval, and up to its end.
        self.before: list[int] = []
        self.through: list[int] = []
        if self.always_open:
            return
        total = 0
        for begin, finish in working_intervals(calendar, since):
            start, end = _micros(begin), _micros(finish)
            self.starts.append(start)
            self.ends.append(end)
            self.before.append(total)
            total += end - start
            self.through.append(total)
            if start >= self.until:
                break

    def _covers(self, *moments: int) -> bool:
        return all(self.since <= moment < self.until for moment in moments)

    def _worked(self, moment: int) -> int:
        """Working time from the table's start to `moment` (inside the span)."""
        index = bisect_right(self.starts, moment) - 1
        if index < 0:
            return 0
        return self.before[index] + min(moment, self.ends[index]) - self.starts[index]

    def due(self, start: datetime, target: timedelta) -> datetime:
        """sla.calendar.due_at(start, target, calendar) without pauses."""
        begin, wanted = _micros(start), target // _MICRO
        if self.always_open:
            return start + target
        if wanted <= 0 or not self._covers(begin):
            return self._engine_due(start, target)
        goal = self._worked(begin) + wanted
        index = bisect_left(self.through, goal)
        if index >= len(self.starts) or self.starts[index] >= self.until:
            return self._engine_due(start, target)
        return _EPOCH + _MICRO * (self.starts[index] + goal - self.before[index])

    def between(self, start: datetime, end: datetime) -> timedelta:
        """sla.calendar.business_time_between(start, end, calendar) without pauses."""
        if self.always_open:
            return end - start
        first, last = _micros(start), _micros(end)
        if last < first or not self._covers(first, last):
            return business_time_between(start, end, self.calendar)
        return _MICRO * (self._worked(last) - self._worked(first))

    def _engine_due(self, start: datetime, target: timedelta) -> datetime:
        found = due_at(start, target, self.calendar)
        if found is None:  # pragma: no cover — only an open pause gives None
            raise ValueError("a clock without pauses always has a due time")
        return found
