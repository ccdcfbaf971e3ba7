"""What the SLA engine records when a clock stops (for business-hours MTTR), and the migration
that backfills it on clocks stopped before it existed."""

import importlib
from datetime import UTC, datetime

import pytest
from django.apps import apps

from sla.models import SlaClock
from sla.services import clock_elapsed

BERLIN_OFFICE = {
    "calendar": {
        "timezone": "Europe/Berlin",
        "always_open": False,
        "windows": [[day, "08:00:00", "18:00:00"] for day in range(5)],
        "holidays": ["2026-03-09"],
    }
}


def test_business_time_skips_the_weekend_holidays_and_pauses():
    started = datetime(2026, 3, 6, 15, tzinfo=UTC)  # Fri 16:00 Berlin
    stopped = datetime(2026, 3, 10, 9, tzinfo=UTC)  # Tue 10:00 Berlin; Mon 03-09 a holiday
    pauses = [
        [
            datetime(2026, 3, 6, 16, tzinfo=UTC).isoformat(),
            datetime(2026, 3, 7, 12, tzinfo=UTC).isoformat(),
        ]
    ]
    business, paused = clock_elapsed(BERLIN_OFFICE, started, stopped, pauses)
    assert business == 3600 + 2 * 3600  # Fri 16-17 (then paused), Tue 08-10
    assert paused == 20 * 3600


def test_24x7_business_time_is_wall_time_minus_pauses():
    always = {"calendar": {"timezone": "UTC", "always_open": True, "windows": [], "holidays": []}}
    started = datetime(2026, 3, 6, 15, tzinfo=UTC)
    stopped = datetime(2026, 3, 6, 19, tzinfo=UTC)
    pauses = [
        [
            datetime(2026, 3, 6, 16, tzinfo=UTC).isoformat(),
            datetime(2026, 3, 6, 17, tzinfo=UTC).isoformat(),
        ]
    ]
    assert clock_elapsed(always, started, stopped, pauses) == (3 * 3600, 3600)


@pytest.mark.django_db
def test_migration_backfills_stopped_clocks(desk):
    SlaClock.objects.update(elapsed_business_seconds=None, paused_seconds=None)
    migration = importlib.import_module("sla.migrations.0002_clock_elapsed")
    migration.backfill_elapsed(apps, None)
    b = SlaClock.objects.get(ticket_id=desk.incidents["B"].pk, metric="resolution")
    assert (b.elapsed_business_seconds, b.paused_seconds) == (36000, 4 * 3600)
    running = SlaClock.objects.get(ticket_id=desk.incidents["D"].pk, metric="resolution")
    assert running.elapsed_business_seconds is None
