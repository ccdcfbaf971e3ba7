"""A few lines of RFC 5545: a VCALENDAR of VEVENTs with UID, DTSTAMP, DTSTART/DTEND in UTC and
SUMMARY; text escaped (§3.3.11) and lines folded at 75 octets without splitting a character
(§3.1). CRLF line ends."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

PRODID = "-//Service Desk//On-call schedules//EN"


@dataclass(frozen=True)
class Event:
    uid: str
    start: datetime
    end: datetime
    summary: str
    description: str = ""


def escape_text(value: str) -> str:
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def fold(line: str) -> str:
    """Lines of at most 75 octets; a continuation starts with one space (counted in its 75)."""
    encoded = line.encode()
    if len(encoded) <= 75:
        return line
    parts: list[bytes] = []
    start, limit = 0, 75
    while len(encoded) - start > limit:
        cut = start + limit
        # Never split a UTF-8 character: back off over continuation bytes (0b10xxxxxx).
        while encoded[cut] & 0xC0 == 0x80:
            cut -= 1
        parts.append(encoded[start:cut])
        start, limit = cut, 74
    parts.append(encoded[start:])
    return "\r\n ".join(part.decode() for part in parts)


def utc_stamp(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def calendar(name: str, events: Iterable[Event], *, now: datetime) -> str:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(name)}",
    ]
    for event in events:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{escape_text(event.uid)}",
            f"DTSTAMP:{utc_stamp(now)}",
            f"DTSTART:{utc_stamp(event.start)}",
            f"DTEND:{utc_stamp(event.end)}",
            f"SUMMARY:{escape_text(event.summary)}",
        ]
        if event.description:
            lines.append(f"DESCRIPTION:{escape_text(event.description)}")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
