"""When things happen to a generated incident: when it was reported (phase 1, from its status)
and when each step of its walk was taken (phase 2). No queries.

Times are integer seconds since the epoch (UTC) until the planner stores them. Ages depend on
where the incident ends, so the data looks like a desk that has been running for two years:
closed work spread over the whole period, open work recent, resolved work younger than the
auto-close delay.
"""

import random
from datetime import UTC, date, datetime, time, tzinfo

from demo.incidents.shape import (
    AUTO_CLOSE_SHARE,
    BUSINESS_HOUR_CUM,
    BUSINESS_HOURS,
    CANCELLED,
    CLASSIFIED,
    CLOSE,
    CLOSED,
    CONFIRM_CLOSE_HOURS,
    CONTAINED,
    DAY,
    DIAGNOSED,
    HISTORY_DAYS,
    HISTORY_SKEW,
    HOUR,
    IDENTIFIED,
    LOGGED,
    MINUTE,
    OFF_HOURS_SHARE,
    ON_HOLD,
    PACE,
    RESOLVED,
    STEP_MINUTES,
    UNPACED_MINUTES,
)
from demo.walks import Walk

# Local dates are looked up per quarter of an hour: every time zone's midnight falls on one.
_LOCAL_SLOT = 900
# How a step's duration is drawn.
_PACED, _UNPACED, _CLOSING = "paced", "unpaced", "closing"
Durations = tuple[tuple[str, str, tuple[float, float, float]], ...]


class Timing:
    """Report times and step times of the incidents of one load, as of `now`."""

    def __init__(self, *, now: int, local_tz: tzinfo, autoclose: float) -> None:
        self.now = now
        self.local_tz = local_tz
        self.autoclose = autoclose
        self._local_days: dict[int, tuple[int, int]] = {}
        self._durations: dict[Walk, Durations] = {}
        self._midnights: dict[int, int] = {}
        resolved_oldest = max(autoclose - DAY, 3 * HOUR)
        # Age of the report in seconds, per status: (youngest, oldest). Work still open is
        # mostly younger than its resolution target (a desk that keeps up), with a tail of
        # older tickets; on hold waits longer.
        self.start_age: dict[str, tuple[float, float]] = {
            IDENTIFIED: (2 * MINUTE, 12 * HOUR),
            LOGGED: (10 * MINUTE, 2 * DAY),
            CLASSIFIED: (30 * MINUTE, 4 * DAY),
            CONTAINED: (1 * HOUR, 4 * DAY),
            DIAGNOSED: (2 * HOUR, 6 * DAY),
            ON_HOLD: (3 * HOUR, 30 * DAY),
            RESOLVED: (3 * HOUR, resolved_oldest),
            CLOSED: (autoclose + DAY, HISTORY_DAYS * DAY),
            CANCELLED: (1 * HOUR, HISTORY_DAYS * DAY),
        }

    def start_time(self, rng: random.Random, status: str, *, within: float | None = None) -> int:
        """When the incident was reported (epoch seconds): inside its status's age window (no
        older than `within` seconds if given), mostly during office hours in the local time
        zone."""
        youngest, oldest = self.start_age[status]
        if within is not None:
            oldest = max(youngest, min(oldest, within))
        # A desk that grew over its two years: more recent history than old (the density of
        # report ages falls as 1/sqrt(age)), so the last month of a small demo is not empty.
        start = self.now - int(youngest + (oldest - youngest) * rng.random() ** HISTORY_SKEW)
        if rng.random() < OFF_HOURS_SHARE:
            return start
        day, weekday = self._local_day(start)
        hour = rng.choices(BUSINESS_HOURS, cum_weights=BUSINESS_HOUR_CUM)[0]
        seconds = hour * 3600 + rng.randrange(60) * 60 + rng.randrange(60)
        if weekday >= 5 and rng.random() < 0.9:
            day -= weekday - 4  # back to Friday
        moment = self._local_midnight(day) + seconds
        # Off-hours reports exist: keep the raw time when office hours fall outside the window.
        return moment if youngest <= self.now - moment <= oldest else start

    def moments(
        self, rng: random.Random, start: int, walk: Walk, *, priority: int
    ) -> dict[str, int]:
        """When the walk reached each of its statuses (the start at `start`), never after now.
        A close comes after the requester's confirmation or, often, after the auto-close
        delay; other steps take STEP_MINUTES (scaled by the priority's pace) or
        UNPACED_MINUTES."""
        durations = self._durations.get(walk)
        if durations is None:
            durations = self._durations[walk] = self._durations_of(walk)
        pace = PACE[priority] * MINUTE
        triangular = rng.triangular
        offsets: list[tuple[str, float]] = []
        elapsed = 0.0
        room = self.now - start - MINUTE
        auto_closed = False
        for target, how, minutes in durations:
            if how is _CLOSING:
                auto_close_at = elapsed + self.autoclose + rng.uniform(0, HOUR)
                if rng.random() < AUTO_CLOSE_SHARE and auto_close_at <= room:
                    auto_closed = True
                    offsets.append((target, auto_close_at))
                    continue
                elapsed += triangular(*CONFIRM_CLOSE_HOURS) * HOUR
            elif how is _PACED:
                elapsed += max(MINUTE, triangular(*minutes) * pace)
            else:
                elapsed += triangular(*minutes) * MINUTE
            offsets.append((target, elapsed))
        if offsets and not auto_closed and offsets[-1][1] > room:
            # Squeeze the whole history between the report and now, keeping its shape.
            scale = max(room, 0.0) / offsets[-1][1]
            offsets = [(status, offset * scale) for status, offset in offsets]
        moments = {walk.start: start}
        for status, offset in offsets:
            moments[status] = start + int(offset)
        return moments

    @staticmethod
    def _durations_of(walk: Walk) -> Durations:
        """Per step of the walk: its target, how its duration is drawn, and the minutes (the
        hours of a close)."""
        durations: list[tuple[str, str, tuple[float, float, float]]] = []
        for step in walk.steps:
            if step.action == CLOSE:
                durations.append((step.target, _CLOSING, CONFIRM_CLOSE_HOURS))
            elif step.action in STEP_MINUTES:
                durations.append((step.target, _PACED, STEP_MINUTES[step.action]))
            else:
                durations.append((step.target, _UNPACED, UNPACED_MINUTES[step.action]))
        return tuple(durations)

    def _local_day(self, moment: int) -> tuple[int, int]:
        """(ordinal, weekday) of the local date at `moment`; cached, as converting a time to a
        time zone costs more than the rest of start_time."""
        slot = moment // _LOCAL_SLOT
        found = self._local_days.get(slot)
        if found is None:
            local = datetime.fromtimestamp(slot * _LOCAL_SLOT, tz=UTC).astimezone(self.local_tz)
            found = self._local_days[slot] = (local.toordinal(), local.weekday())
        return found

    def _local_midnight(self, ordinal: int) -> int:
        """Epoch seconds of local midnight on a date, on the clock of that day's working hours
        (the UTC offset at noon: a daylight-saving switch happens at night)."""
        found = self._midnights.get(ordinal)
        if found is None:
            day = date.fromordinal(ordinal)
            offset = datetime.combine(day, time(12), tzinfo=self.local_tz).utcoffset()
            midnight = int(datetime.combine(day, time(0), tzinfo=UTC).timestamp())
            found = midnight - int(offset.total_seconds() if offset else 0)
            self._midnights[ordinal] = found
        return found
