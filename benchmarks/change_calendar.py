"""The change calendar and its iCalendar feed over 100,000 changes (DESIGN §7: "change list and
calendar with 100,000 changes: constant queries, within the HTML page budgets").

Builds the data in a fresh PostgreSQL database (default sd_pg_change_calendar, dropped and
created): 60 services with 10 CIs each, 100,000 changes spread from four years ago to half a year
ahead (about 60 a day; 1 to 4 hour windows; a main service and CI, a third with one more service
and one more CI). Past changes are closed (a few failed or cancelled), the last 30 days'
implemented, future ones awaiting approval, approved or scheduled; two freeze windows. Then renders,
in process through Django's test client as a signed-in agent, the calendar's month (capped at
100 changes), week, a month filtered by one service, a month before any change, and the feed,
and reports for each the statements per request and the p50/p95 server time.

Run: .venv/bin/python benchmarks/change_calendar.py [--db NAME] [--runs N] [--reuse]
"""

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _setup import progress, use_database, use_fresh_database

CHANGES = 100_000
SERVICES = 60
ITEMS_PER_SERVICE = 10
NOW = datetime(2026, 12, 7, 9, tzinfo=UTC)
FIRST = NOW - timedelta(days=4 * 365)
LAST = NOW + timedelta(days=180)
BATCH = 5000


def _status(rng: random.Random, start: datetime) -> str:
    if start > NOW:
        return rng.choice(["awaiting_approval", "approved", "scheduled", "scheduled"])
    if start > NOW - timedelta(days=30):
        return "implemented"
    roll = rng.random()
    return "failed" if roll < 0.02 else "cancelled" if roll < 0.05 else "closed"


def build() -> None:
    from django.db import connection

    from changes.models import Change, FreezeWindow
    from core.choices import Role
    from core.models import ConfigurationItem, Service, SupportGroup
    from tests.factories import UserFactory

    rng = random.Random(17)
    group = SupportGroup.objects.create(name="Change management", tier=1)
    agent = UserFactory(username="bench-agent", role=Role.AGENT)
    services = Service.objects.bulk_create(
        Service(name=f"Service {n:02d}", owner_group=group) for n in range(SERVICES)
    )
    items = ConfigurationItem.objects.bulk_create(
        ConfigurationItem(service=s, name=f"ci-{s.pk}-{n}", kind="server")
        for s in services
        for n in range(ITEMS_PER_SERVICE)
    )
    span = (LAST - FIRST).total_seconds()
    services_through = Change.services.through
    items_through = Change.configuration_items.through
    started = time.perf_counter()
    for batch_start in range(0, CHANGES, BATCH):
        rows = []
        for n in range(batch_start, min(CHANGES, batch_start + BATCH)):
            start = FIRST + timedelta(seconds=rng.uniform(0, span))
            start = start.replace(minute=0, second=0, microsecond=0)
            service = rng.randrange(SERVICES)
            item = items[service * ITEMS_PER_SERVICE + rng.randrange(ITEMS_PER_SERVICE)]
            rows.append(
                Change(
                    number=f"CHG-{n + 1:06d}",
                    title=f"Benchmark change {n + 1}",
                    requester=agent,
                    service=services[service],
                    configuration_item=item,
                    status=_status(rng, start),
                    change_type=rng.choice(["standard", "normal", "normal", "emergency"]),
                    planned_start=start,
                    planned_end=start + timedelta(hours=rng.randint(1, 4)),
                    created_at=start - timedelta(days=7),
                    updated_at=start - timedelta(days=1),
                )
            )
        made = Change.objects.bulk_create(rows)
        links, item_links = [], []
        for change in made:
            if rng.random() < 1 / 3:
                extra = services[rng.randrange(SERVICES)]
                links.append(services_through(change_id=change.pk, service_id=extra.pk))
                other = items[rng.randrange(len(items))]
                item_links.append(items_through(change_id=change.pk, configurationitem_id=other.pk))
        services_through.objects.bulk_create(links, ignore_conflicts=True)
        items_through.objects.bulk_create(item_links, ignore_conflicts=True)
        progress("changes", batch_start + len(rows), CHANGES)
    print(f"built {CHANGES:,} changes in {time.perf_counter() - started:.1f} s")
    year_end = FreezeWindow.objects.create(
        name="Year-end freeze",
        starts_at=datetime(2026, 12, 20, tzinfo=UTC),
        ends_at=datetime(2027, 1, 3, tzinfo=UTC),
        created_at=NOW,
    )
    service_freeze = FreezeWindow.objects.create(
        name="Service 01 freeze",
        starts_at=NOW + timedelta(days=3),
        ends_at=NOW + timedelta(days=5),
        created_at=NOW,
    )
    service_freeze.services.add(services[1])
    assert year_end.pk
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def measure(client, label: str, url: str, runs: int) -> None:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # warm: the person's roles, template loading
    seconds, statements, size = [], 0, 0
    for _ in range(runs):
        began = time.perf_counter()
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        seconds.append(time.perf_counter() - began)
        assert response.status_code == 200, (url, response.status_code)
        statements, size = len(captured.captured_queries), len(response.content)
    seconds.sort()
    p95 = seconds[max(0, round(0.95 * len(seconds)) - 1)]
    print(
        f"{label}: {statements} statements; p50 {statistics.median(seconds) * 1000:.0f} ms, "
        f"p95 {p95 * 1000:.0f} ms over {runs} runs; {size / 1024:.0f} KiB"
    )


def explain(start: datetime, end: datetime) -> None:
    from changes.calendar.windows import calendar_changes

    plan = calendar_changes(start, end).explain(analyze=True)
    lines = [line for line in plan.splitlines() if "Index" in line or "Execution" in line]
    print("calendar read, month:\n  " + "\n  ".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="sd_pg_change_calendar")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--reuse", action="store_true", help="Measure the data already built.")
    args = parser.parse_args()
    if args.reuse:
        use_database(args.db)
    else:
        use_fresh_database(args.db)
        build()

    import time_machine
    from django.conf import settings
    from django.test import Client

    from changes.calendar.feed import feed_token_renew
    from changes.models import Change
    from core.models import Service, User

    settings.ALLOWED_HOSTS = ["*"]
    agent = User.objects.get(username="bench-agent")
    service = Service.objects.get(name="Service 01")
    with time_machine.travel(NOW, tick=True):
        client = Client()
        client.force_login(agent)
        feed = f"/changes/calendar/feed/{feed_token_renew(person=agent)}.ics"
        month_start = datetime(2026, 12, 1, tzinfo=UTC)
        active = Change.objects.filter(
            planned_start__gte=NOW, status__in=["awaiting_approval", "approved", "scheduled"]
        ).count()
        print(f"{Change.objects.count():,} changes, {active:,} planned ahead")
        explain(month_start - timedelta(days=7), month_start + timedelta(days=42))
        measure(
            client,
            "month view (December 2026, capped at 100)",
            "/agent/changes/calendar/",
            args.runs,
        )
        measure(client, "week view", "/agent/changes/calendar/?view=week", args.runs)
        measure(
            client,
            "month view, one service",
            f"/agent/changes/calendar/?month=2026-12&service={service.pk}",
            args.runs,
        )
        measure(
            client,
            "month view, a quiet month (2020-01)",
            "/agent/changes/calendar/?month=2020-01",
            args.runs,
        )
        # The change list (the agents' list of every change, newest first, 50 a page).
        measure(client, "change list, open changes (default)", "/agent/changes/", args.runs)
        measure(
            client,
            "change list, every status",
            "/agent/changes/?status=closed&status=scheduled&status=implemented",
            args.runs,
        )
        measure(
            client, "change list, one service", f"/agent/changes/?service={service.pk}", args.runs
        )
        measure(
            client, "change list, page 200", "/agent/changes/?page=200&status=closed", args.runs
        )
        measure(
            client,
            "iCalendar feed (-30 d .. +180 d, capped at 1,000)",
            feed,
            max(5, args.runs // 3),
        )


if __name__ == "__main__":
    main()
