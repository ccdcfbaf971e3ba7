"""RFC 5545 by hand: escaping, folding at 75 octets without splitting a character, UTC times."""

from datetime import UTC, datetime, timedelta, timezone

from oncall.ical import Event, calendar, escape_text, fold


def test_text_is_escaped() -> None:
    assert escape_text("a\\b;c,d\ne") == "a\\\\b\\;c\\,d\\ne"


def test_long_lines_fold_at_75_octets_and_never_split_a_character() -> None:
    line = "SUMMARY:" + "é" * 100
    folded = fold(line)
    parts = folded.split("\r\n")
    assert all(len(part.encode()) <= 75 for part in parts)
    assert all(part.startswith(" ") for part in parts[1:])
    assert "".join(part[1:] if i else part for i, part in enumerate(parts)) == line
    assert fold("short") == "short"


def test_a_calendar_has_crlf_lines_and_events_in_utc() -> None:
    berlin = timezone(timedelta(hours=2))
    text = calendar(
        "On call, L1",
        [
            Event(
                "oncall-1-2-3@desk",
                datetime(2026, 6, 1, 9, tzinfo=berlin),
                datetime(2026, 6, 2, 9, tzinfo=berlin),
                "On call: Ann",
            )
        ],
        now=datetime(2026, 5, 1, tzinfo=UTC),
    )
    assert text.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")
    assert text.endswith("END:VCALENDAR\r\n")
    assert "\n" not in text.replace("\r\n", "")
    assert "X-WR-CALNAME:On call\\, L1\r\n" in text
    assert "DTSTART:20260601T070000Z\r\nDTEND:20260602T070000Z\r\n" in text
    assert "UID:oncall-1-2-3@desk\r\nDTSTAMP:20260501T000000Z\r\n" in text
