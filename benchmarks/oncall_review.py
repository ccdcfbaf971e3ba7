"""The on-call review over a year of 100,000 pages and 300,000 notifications (DESIGN §7: a report
answers in <= 2 s uncached).

Builds the data in a fresh PostgreSQL database (default sd_pg_review, dropped and created):
30 support groups, 300 agents in 12 time zones, 100,000 pages spread over the last 365 days
(85 % acknowledged after 30 s to 40 min), three sent notifications per page (the on-call by
email and by webhook, and a second person for a third of the pages; two people otherwise).
Then times `reporting.metrics.oncall.oncall_review` over the year, all groups and one group,
and the portable path (rows, then Python) for comparison.

Run: .venv/bin/python benchmarks/oncall_review.py [--db NAME] [--runs N] [--reuse]
"""

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _setup import use_database, use_fresh_database

PAGES = 100_000
GROUPS = 30
PEOPLE = 300
ZONES = [
    "",
    "Europe/Berlin",
    "Europe/London",
    "America/New_York",
    "America/Los_Angeles",
    "Asia/Tokyo",
    "Asia/Kolkata",
    "Australia/Sydney",
    "America/Sao_Paulo",
    "Africa/Nairobi",
    "Europe/Helsinki",
    "Pacific/Auckland",
]
NOW = datetime(2026, 12, 1, tzinfo=UTC)
BATCH = 5000


def build() -> None:
    from django.contrib.contenttypes.models import ContentType

    from core.models import SupportGroup, User
    from oncall.models import (
        ContactMethod,
        Page,
        PageNotification,
        PageNotificationStatus,
        PageStatus,
    )

    rng = random.Random(16)
    groups = SupportGroup.objects.bulk_create(
        SupportGroup(name=f"Team {n}", tier=1 + n % 3) for n in range(GROUPS)
    )
    people = User.objects.bulk_create(
        User(username=f"oncall{n}", email=f"oncall{n}@example.com", time_zone=ZONES[n % 12])
        for n in range(PEOPLE)
    )
    methods = {}
    for kind in ("email", "webhook"):
        made = ContactMethod.objects.bulk_create(
            ContactMethod(person=p, kind=kind, label=kind, address=f"{p.username}-{kind}")
            for p in people
        )
        methods[kind] = {m.person_id: m for m in made}
    ticket_type = ContentType.objects.get_for_model(User)
    started = time.perf_counter()
    notifications = 0
    for batch_start in range(0, PAGES, BATCH):
        pages = []
        for n in range(batch_start, min(PAGES, batch_start + BATCH)):
            created = NOW - timedelta(seconds=rng.uniform(0, 365 * 86400))
            group = groups[n % GROUPS]
            acked = rng.random() < 0.85
            team = people[(n % GROUPS) * 10 : (n % GROUPS) * 10 + 10]
            on_call = team[rng.randrange(10)]
            pages.append(
                Page(
                    ticket_type=ticket_type,
                    ticket_id=n + 1,
                    ticket_number=f"INC-{n + 1:06d}",
                    ticket_title="Benchmark",
                    priority=1 + n % 2,
                    support_group=group,
                    status=PageStatus.ACKNOWLEDGED if acked else PageStatus.EXHAUSTED,
                    reason="priority",
                    step_started_at=created,
                    created_at=created,
                    acknowledged_by=on_call if acked else None,
                    acknowledged_at=created + timedelta(seconds=rng.uniform(30, 2400))
                    if acked
                    else None,
                    ended_at=created + timedelta(hours=1),
                )
            )
        Page.objects.bulk_create(pages)
        rows = []
        for page in pages:
            team = people[(page.ticket_id - 1) % GROUPS * 10 :][:10]
            on_call = page.acknowledged_by or team[0]
            second = team[(team.index(on_call) + 1) % 10]
            plan = [(on_call, "email", "0.0.0"), (on_call, "webhook", "0.0.0")]
            plan.append((second, "email", "0.0.1"))
            for person, kind, key in plan:
                sent = page.created_at + timedelta(seconds=5)
                rows.append(
                    PageNotification(
                        page=page,
                        step_key=key,
                        person=person,
                        contact_method=methods[kind][person.pk],
                        method_kind=kind,
                        status=PageNotificationStatus.SENT,
                        due_at=sent,
                        sent_at=sent,
                    )
                )
        PageNotification.objects.bulk_create(rows)
        notifications += len(rows)
    print(
        f"built {PAGES:,} pages and {notifications:,} notifications in "
        f"{time.perf_counter() - started:.1f} s"
    )
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def timed(label: str, runs: int, **kwargs: object) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reporting.filters import ReportFilter
    from reporting.metrics.oncall import oncall_review

    report = ReportFilter(start=NOW - timedelta(days=365), end=NOW, **kwargs)  # type: ignore[arg-type]
    seconds = []
    review = None
    queries = 0
    for _ in range(runs):
        began = time.perf_counter()
        with CaptureQueriesContext(connection) as captured:
            review = oncall_review(report, portable=label.startswith("portable"))
        seconds.append(time.perf_counter() - began)
        queries = len(captured.captured_queries)
    assert review is not None
    print(
        f"{label}: median {statistics.median(seconds) * 1000:.0f} ms, "
        f"min {min(seconds) * 1000:.0f} ms, max {max(seconds) * 1000:.0f} ms over {runs} runs; "
        f"{queries} queries; {review.pages:,} pages, {review.interruptions.total:,} "
        f"interruptions, {len(review.teams)} teams, {len(review.people)} people"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="sd_pg_review")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--reuse", action="store_true", help="Time the data already built.")
    args = parser.parse_args()
    if args.reuse:
        use_database(args.db)
    else:
        use_fresh_database(args.db)
        build()
    from core.models import SupportGroup

    timed("all groups, a year", args.runs)
    one = SupportGroup.objects.order_by("pk").first()
    assert one is not None
    timed("one group, a year", args.runs, group_id=one.pk)
    timed("portable path (rows, then Python), a year", max(1, args.runs // 3))


if __name__ == "__main__":
    main()
