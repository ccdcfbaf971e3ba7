"""Holidays from an iCalendar (.ics) file: all-day events become holiday dates.

Handles folded lines, DATE and DATE-TIME starts, multi-day events (DTEND is exclusive) and
yearly recurring events (RRULE FREQ=YEARLY with COUNT or UNTIL, else ten years). Anything that
is not a well-formed calendar raises IcsError with the line at fault.
"""

from dataclasses import dataclass
from datetime import date, timedelta

MAX_DAYS_PER_EVENT = 31
DEFAULT_YEARS = 10


class IcsError(ValueError):
    pass


@dataclass(frozen=True)
class HolidayDate:
    date: date
    name: str


def _unfold(text: str) -> list[str]:
    lines: list[str] = []
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if raw.startswith((" ", "\t")) and lines:
            lines[-1] += raw[1:]
        elif raw.strip():
            lines.append(raw)
    return lines


def _parse_date(value: str, line_no: int) -> date:
    value = value.strip()
    digits = value[:8]
    try:
        if len(digits) != 8 or not digits.isdigit():
            raise ValueError(value)
        # Only the calendar date matters for a holiday; a time part (and its zone) is ignored.
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError as exc:
        raise IcsError(f"line {line_no}: '{value}' is not an iCalendar date") from exc


def _rrule(value: str, line_no: int) -> dict[str, str]:
    parts = {}
    for piece in value.split(";"):
        if "=" not in piece:
            raise IcsError(f"line {line_no}: malformed RRULE '{value}'")
        key, _, val = piece.partition("=")
        parts[key.upper()] = val
    return parts


def _expand(start: date, end: date, rule: dict[str, str] | None) -> list[date]:
    span = (end - start).days
    if span < 1 or span > MAX_DAYS_PER_EVENT:
        span = 1
    starts = [start]
    if rule is not None and rule.get("FREQ", "").upper() == "YEARLY":
        count = int(rule["COUNT"]) if rule.get("COUNT", "").isdigit() else None
        until = _parse_date(rule["UNTIL"], 0) if "UNTIL" in rule else None
        years = count if count is not None else DEFAULT_YEARS
        starts = []
        for offset in range(min(years, 50)):
            try:
                candidate = start.replace(year=start.year + offset)
            except ValueError:  # 29 February
                continue
            if until is not None and candidate > until:
                break
            starts.append(candidate)
    return [first + timedelta(days=i) for first in starts for i in range(span)]


def parse_holidays(text: str) -> list[HolidayDate]:
    lines = _unfold(text)
    if not lines or lines[0].strip().upper() != "BEGIN:VCALENDAR":
        raise IcsError("not an iCalendar file (it must start with BEGIN:VCALENDAR)")
    found: dict[date, str] = {}
    event: dict[str, str] | None = None
    event_line = 0
    for line_no, line in enumerate(lines, start=1):
        name, sep, value = line.partition(":")
        if not sep:
            raise IcsError(f"line {line_no}: expected NAME:VALUE, got '{line[:60]}'")
        key = name.split(";", 1)[0].upper()
        if key == "BEGIN" and value.strip().upper() == "VEVENT":
            event, event_line = {}, line_no
        elif key == "END" and value.strip().upper() == "VEVENT":
            if event is None or "DTSTART" not in event:
                raise IcsError(f"line {event_line}: event without DTSTART")
            start = _parse_date(event["DTSTART"], event_line)
            end = _parse_date(event["DTEND"], event_line) if "DTEND" in event else start
            rule = _rrule(event["RRULE"], event_line) if "RRULE" in event else None
            label = event.get("SUMMARY", "").replace("\\,", ",").strip()[:120]
            for day in _expand(start, end, rule):
                found.setdefault(day, label)
            event = None
        elif event is not None and key in {"DTSTART", "DTEND", "SUMMARY", "RRULE"}:
            event[key] = value
    if event is not None:
        raise IcsError(f"line {event_line}: event not closed with END:VEVENT")
    return [HolidayDate(day, label) for day, label in sorted(found.items())]
