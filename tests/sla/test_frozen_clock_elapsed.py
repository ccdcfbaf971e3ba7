"""The copy of clock_elapsed frozen into sla/migrations/0002_clock_elapsed.py gives what the live
sla.services.clock_elapsed gives, today, on business-hours and 24x7 calendars, with pauses open
and closed, holidays, a daylight-saving change and windows ending at midnight. Pure, no database.

If the live code changes on purpose, this test may fail: then the migration keeps its copy (it
describes what the backfill did) and this test compares with a copy of the old live code instead.
"""

import ast
import importlib
import inspect
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sla.services import clock_elapsed

migration = importlib.import_module("sla.migrations.0002_clock_elapsed")
frozen_clock_elapsed = migration.clock_elapsed


def _calendar(timezone: str, windows: list[list[Any]], holidays: list[str]) -> dict[str, Any]:
    return {
        "calendar": {
            "name": timezone,
            "timezone": timezone,
            "always_open": False,
            "windows": windows,
            "holidays": holidays,
        }
    }


OFFICE_HOURS = [[day, "08:00:00", "18:00:00"] for day in range(5)]
SNAPSHOTS = {
    "24x7": {"calendar": {"timezone": "UTC", "always_open": True, "windows": [], "holidays": []}},
    "berlin office, Easter and DST": _calendar(
        "Europe/Berlin", OFFICE_HOURS, ["2026-04-03", "2026-04-06"]
    ),
    "new york, split days and midnight ends": _calendar(
        "America/New_York",
        [[0, "09:00:00", "12:00:00"], [0, "13:00:00", "17:30:00"], [4, "20:00:00", "00:00:00"]]
        + [[day, "00:00:00", "00:00:00"] for day in (5, 6)],
        ["2026-03-09"],
    ),
}
START = datetime(2026, 3, 26, 7, 30, tzinfo=UTC)  # a Thursday; Berlin moves its clocks on the 29th


def _at(hours: float) -> datetime:
    return START + timedelta(hours=hours)


def _pause(start: float, end: float | None) -> list[str | None]:
    return [_at(start).isoformat(), None if end is None else _at(end).isoformat()]


REPRESENTATIVE = {
    "no pause, across a weekend": (0, 100, []),
    "a closed pause over the night": (0, 30, [_pause(9, 26)]),
    "overlapping and unordered pauses": (0, 80, [_pause(40, 50), _pause(2, 5), _pause(4, 8)]),
    "a pause still open when the clock stopped": (1, 120, [_pause(3, 4), _pause(60, None)]),
    "a pause that began before the start": (10, 40, [_pause(-5, 12)]),
    "an empty pause and one ending before it began": (0, 20, [_pause(3, 3), _pause(6, 5)]),
    "stopped the instant it started": (5, 5, []),
    "stopped before it started": (20, 10, [_pause(12, 15)]),
    "over Easter and the DST change": (-48, 24 * 14, [_pause(24 * 8, 24 * 9 + 3)]),
}


@pytest.mark.parametrize("snapshot_name", SNAPSHOTS)
@pytest.mark.parametrize("case", REPRESENTATIVE)
def test_the_frozen_copy_agrees_with_the_live_code(snapshot_name: str, case: str) -> None:
    snapshot = SNAPSHOTS[snapshot_name]
    start, stop, pauses = REPRESENTATIVE[case]
    live = clock_elapsed(snapshot, _at(start), _at(stop), pauses)
    assert frozen_clock_elapsed(snapshot, _at(start), _at(stop), pauses) == live


def test_the_frozen_copy_agrees_on_many_random_clocks() -> None:
    generator = random.Random(20261123)
    for _ in range(300):
        snapshot = SNAPSHOTS[generator.choice(list(SNAPSHOTS))]
        start = generator.uniform(-50, 400)
        stop = start + generator.uniform(0, 300)
        pauses = []
        for _ in range(generator.randint(0, 4)):
            begin = generator.uniform(start - 20, stop + 20)
            end = None if generator.random() < 0.2 else begin + generator.uniform(-2, 60)
            pauses.append(_pause(begin, end))
        args = (snapshot, _at(start), _at(stop), pauses)
        assert frozen_clock_elapsed(*args) == clock_elapsed(*args), args


def test_the_cases_cover_business_time_pauses_and_both_calendars() -> None:
    berlin, always = SNAPSHOTS["berlin office, Easter and DST"], SNAPSHOTS["24x7"]
    start, stop, pauses = REPRESENTATIVE["no pause, across a weekend"]
    # Thu 08:30-18:00 and Fri 08:00-18:00 CET, then Mon 08:00-13:30 CEST (clocks moved on Sunday).
    assert frozen_clock_elapsed(berlin, _at(start), _at(stop), pauses) == (25 * 3600, 0)
    assert frozen_clock_elapsed(always, _at(start), _at(stop), pauses) == (100 * 3600, 0)
    start, stop, pauses = REPRESENTATIVE["a closed pause over the night"]
    # Thu 08:30-17:30 Berlin, paused until Fri 10:30, then Fri 10:30-14:30.
    assert frozen_clock_elapsed(berlin, _at(start), _at(stop), pauses) == (13 * 3600, 17 * 3600)


def test_the_migration_imports_no_application_code() -> None:
    tree = ast.parse(inspect.getsource(migration))
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        str(node.module).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
    }
    assert imported == {"datetime", "zoneinfo", "django"}
