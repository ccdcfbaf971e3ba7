"""Policy snapshots stored on clocks, and the deadlines they give. Pure apart from building a
snapshot from the policy rows."""

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

from sla.calendar import BusinessCalendar, WorkingWindow, business_time_between, due_at

Snapshot = dict[str, Any]


def snapshot_of(policy: Any, metric: str) -> Snapshot:
    """What a clock keeps of its policy: the target, the calendar and the thresholds."""
    target = policy.response_target if metric == "response" else policy.resolution_target
    return {
        "policy_id": policy.pk,
        "policy_name": policy.name,
        "target_seconds": int(target.total_seconds()),
        "calendar": calendar_snapshot(policy.calendar),
        "thresholds": [[t.percent, t.action] for t in policy.thresholds.all()],
    }


def calendar_snapshot(calendar: Any) -> dict[str, Any]:
    """A calendar row (with its hours and holidays) as plain data."""
    return {
        "name": calendar.name,
        "timezone": calendar.timezone,
        "always_open": calendar.is_24x7,
        "windows": [
            [h.weekday, h.start.strftime("%H:%M:%S"), h.end.strftime("%H:%M:%S")]
            for h in calendar.hours.all()
        ],
        "holidays": [d.date.isoformat() for d in calendar.holidays.all()],
    }


def calendar_of(calendar: Any) -> BusinessCalendar:
    """A calendar row (with its hours and holidays) as the arithmetic reads it."""
    return calendar_from_snapshot({"calendar": calendar_snapshot(calendar)})


def calendar_from_snapshot(snapshot: Snapshot) -> BusinessCalendar:
    data = snapshot["calendar"]
    return _calendar(
        data["timezone"],
        bool(data["always_open"]),
        tuple(tuple(w) for w in data["windows"]),
        tuple(data["holidays"]),
    )


@lru_cache(maxsize=256)
def _calendar(
    timezone: str,
    always_open: bool,
    windows: tuple[tuple[int, str, str], ...],
    holidays: tuple[str, ...],
) -> BusinessCalendar:
    def end_of(text: str) -> time:
        parsed = time.fromisoformat(text)
        return time.max if parsed == time(0) else parsed

    return BusinessCalendar(
        timezone=timezone,
        always_open=always_open,
        windows=tuple(
            WorkingWindow(int(day), time.fromisoformat(start), end_of(end))
            for day, start, end in windows
        ),
        holidays=frozenset(date.fromisoformat(d) for d in holidays),
    )


def parse_pauses(raw: list[list[str | None]]) -> list[tuple[datetime, datetime | None]]:
    return [
        (datetime.fromisoformat(str(start)), datetime.fromisoformat(end) if end else None)
        for start, end in raw
    ]


def dump_instant(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


def threshold_instants(
    snapshot: Snapshot, started_at: datetime, pauses: list[list[str | None]]
) -> list[datetime | None]:
    """Instants of each warning threshold and, last, of the breach (None while paused)."""
    calendar = calendar_from_snapshot(snapshot)
    target = timedelta(seconds=snapshot["target_seconds"])
    parsed = parse_pauses(pauses)
    points = [target * percent / 100 for percent, _ in snapshot["thresholds"]]
    return [due_at(started_at, point, calendar, parsed) for point in [*points, target]]


def business_time_left(snapshot: Snapshot, now: datetime, due: datetime) -> timedelta:
    """Working time from now to the due time on the clock's calendar (negative when overdue)."""
    return business_time_between(now, due, calendar_from_snapshot(snapshot))
