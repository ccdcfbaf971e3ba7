"""SLA engine benchmarks on PostgreSQL (DESIGN.md §7). Writes a Markdown section to stdout.

1. A sweep tick with nothing due, at 100,000 and then 1,000,000 open clocks (median database time
   and wall time over 50 ticks; must not grow with the open count).
2. A backlog of 30,000 clocks breached at once, as after an outage: all escalated and notified,
   each exactly once, and the time it takes (one in-process sweeper, the conservative case).
3. Breach to escalation and notification latency with a real Celery worker and beat on Redis
   (the default 30 s sweep period), for 300 incidents whose response targets fall due over about
   a minute.

Usage: .venv/bin/python benchmarks/sla_bench.py [--open 100000] [--more 900000] [--backlog 30000]
       [--latency 300]   (needs psql, a local PostgreSQL and, for part 3, Redis)
"""

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from _setup import ROOT, progress, use_fresh_database


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--open", type=int, default=100_000)
    parser.add_argument("--more", type=int, default=900_000)
    parser.add_argument("--backlog", type=int, default=30_000)
    parser.add_argument("--latency", type=int, default=300)
    parser.add_argument("--database", default="bench_sla")
    args = parser.parse_args()

    url = use_fresh_database(args.database)
    fixtures = setup_fixtures()
    lines = ["## SLA engine (benchmarks/sla_bench.py)", ""]
    lines += [f"PostgreSQL {pg_version()}, {os.cpu_count()} cores; database `{args.database}`.", ""]

    insert_open(1, args.open, fixtures)
    lines.append(tick_row(args.open))
    insert_open(args.open + 1, args.more, fixtures)
    lines.append(tick_row(args.open + args.more))
    lines += ["", explain_due_query(), ""]
    lines += backlog(args.backlog)
    if args.latency:
        lines += ["", *latency(url, args.latency, fixtures)]
    print("\n".join(lines))


def pg_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return cursor.fetchone()[0]


def setup_fixtures() -> dict[str, int]:
    from django.contrib.auth.models import Group

    from core.choices import Role, Tier
    from core.models import SupportGroup, User
    from core.roles import ROLE_GROUP_NAMES
    from sla.choices import ThresholdAction
    from sla.models import Calendar, SlaPolicy, SlaThreshold

    manager = User.objects.create(username="manager", email="manager@example.com")
    manager.groups.add(Group.objects.get(name=ROLE_GROUP_NAMES[Role.MANAGER]))
    requester = User.objects.create(username="requester", email="req@example.com")
    groups = {}
    for tier in (Tier.L1, Tier.L2, Tier.L3):
        groups[tier] = SupportGroup.objects.create(
            name=f"Tier {tier}", tier=tier, manager=manager, email=f"l{tier}@example.com"
        )
    calendar = Calendar.objects.create(name="24x7", is_24x7=True)
    policy = SlaPolicy.objects.create(
        name="P5",
        ticket_kind="incident",
        priority=5,
        calendar=calendar,
        response_target=timedelta(hours=1),
        resolution_target=timedelta(hours=8),
    )
    SlaThreshold.objects.create(policy=policy, percent=75, action=ThresholdAction.NOTIFY)
    return {"requester": requester.pk, "l1": groups[Tier.L1].pk, "policy": policy.pk}


def insert_open(first: int, count: int, fixtures: dict[str, int]) -> None:
    """Open incidents with a met response clock and a running resolution clock due in the
    future, inserted set-wise by PostgreSQL in chunks."""
    import json

    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction

    from incidents.models import Incident
    from sla.models import SlaPolicy
    from sla.snapshot import snapshot_of

    policy = SlaPolicy.objects.select_related("calendar").get(pk=fixtures["policy"])
    snapshot = json.dumps(snapshot_of(policy, "resolution"))
    ct = ContentType.objects.get_for_model(Incident).pk
    chunk = 50_000
    for start in range(first, first + count, chunk):
        end = min(start + chunk, first + count) - 1
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO incidents_incident (number, title, description, tier, priority, source,
                  created_at, updated_at, version, status, category, impact, urgency, is_major,
                  on_hold_reason, status_before_hold, containment_notes, diagnosis_notes,
                  resolution_code, resolution_notes, cancel_reason, reopen_count, identified_at,
                  logged_at, requester_id, support_group_id, sla_due_at, sla_warn_at)
                SELECT 'INC-' || lpad(i::text, 7, '0'), 'Benchmark incident ' || i, '', 1, 5,
                  'web', now(), now(), 1, 'logged', 'software', 'low', 'low', false, '', '', '',
                  '', '', '', '', 0, now(), now(), %s, %s,
                  now() + (1 + i %% 30) * interval '1 day', NULL
                FROM generate_series(%s, %s) AS i
                """,
                [fixtures["requester"], fixtures["l1"], start, end],
            )
            cursor.execute(
                """
                INSERT INTO sla_slaclock (ticket_type_id, ticket_id, metric, policy_id, snapshot,
                  state, started_at, target, due_at, warn_at, next_deadline_at, stage, pauses,
                  generation, updated_at)
                SELECT %s, id, 'resolution', %s, %s::jsonb, 'running', now(), interval '8 hours',
                  sla_due_at, sla_due_at - interval '2 hours', sla_due_at - interval '2 hours',
                  0, '[]'::jsonb, 1, now()
                FROM incidents_incident WHERE number BETWEEN %s AND %s
                """,
                [ct, fixtures["policy"], snapshot, f"INC-{start:07d}", f"INC-{end:07d}"],
            )
        progress("open incidents + clocks", end - first + 1, count)
    from core.numbering import advance_counter

    advance_counter("INC", first + count)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE incidents_incident; ANALYZE sla_slaclock")


class QueryTimer:
    def __init__(self) -> None:
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started


def tick_row(open_count: int) -> str:
    from django.db import connection

    from sla.sweeper import sweep

    db_times, wall_times = [], []
    for _ in range(50):
        timer = QueryTimer()
        started = time.perf_counter()
        with connection.execute_wrapper(timer):
            result = sweep()
        wall_times.append(time.perf_counter() - started)
        db_times.append(timer.seconds)
        assert result.processed == 0
    return (
        f"- Sweep tick, nothing due, {open_count:,} open clocks: median database time "
        f"{statistics.median(db_times) * 1000:.2f} ms, "
        f"wall {statistics.median(wall_times) * 1000:.2f} "
        f"ms, max wall {max(wall_times) * 1000:.2f} ms (50 ticks; budget 100 ms)"
    )


def explain_due_query() -> str:
    from django.db import connection
    from django.utils import timezone

    from sla.models import SlaClock

    qs = SlaClock.objects.filter(state="running", next_deadline_at__lte=timezone.now()).order_by(
        "next_deadline_at", "id"
    )[:500]
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        plan = "\n".join("    " + row[0] for row in cursor.fetchall())
    return "The due-clock query (served by the partial index `sla_clock_due_idx`):\n\n" + plan


def backlog(count: int) -> list[str]:
    from django.db import connection

    from core.models import OutboxMessage, TimelineEvent
    from incidents.models import Incident
    from sla.tasks import sweep_task

    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE sla_slaclock SET started_at = now() - interval '9 hours',
              due_at = now() - interval '1 hour', next_deadline_at = now() - interval '3 hours'
            WHERE id IN (SELECT id FROM sla_slaclock ORDER BY id LIMIT %s)
            """,
            [count],
        )
    from django.conf import settings

    settings.SLA_SWEEP_TIME_BUDGET_SECONDS = 3600
    started = time.perf_counter()
    processed = sweep_task.run()
    elapsed = time.perf_counter() - started
    again = sweep_task.run()
    escalations = TimelineEvent.objects.filter(kind="escalated").count()
    per_ticket = (
        TimelineEvent.objects.filter(kind="escalated").values("ticket_id").distinct().count()
    )
    notes = OutboxMessage.objects.filter(dedupe_key__startswith="sla:").count()
    at_l2 = Incident.objects.filter(tier=2).count()
    ok = processed == count and again == 0 and escalations == per_ticket == count == at_l2
    return [
        f"- Backlog: {count:,} clocks breached at once → {processed:,} processed in "
        f"{elapsed:.1f} s by one in-process sweeper ({count / elapsed:,.0f} clocks/s; "
        "budget 60 s); "
        f"a second sweep found {again}. Escalation events: {escalations:,} for {per_ticket:,} "
        f"tickets; {at_l2:,} incidents now at L2; {notes:,} notification rows (email per "
        f"clock). Exactly once: {'yes' if ok else 'NO'}."
    ]


def latency(url: str, count: int, fixtures: dict[str, int]) -> list[str]:
    """Real worker and beat; response targets of 20..80 s spread over the incidents."""
    from django.utils import timezone

    from core.models import OutboxMessage, TimelineEvent
    from incidents.choices import Impact, Urgency
    from incidents.models import Incident
    from incidents.services import incident_create
    from sla.models import SlaPolicy

    SlaPolicy.objects.filter(priority=5).update(
        response_target=timedelta(seconds=20), resolution_target=timedelta(days=30)
    )
    # The backlog phase left its notifications in the outbox; count them as delivered so this
    # phase measures its own incidents, not the delivery of an earlier backlog.
    OutboxMessage.objects.exclude(status="done").update(status="done", done_at=timezone.now())
    created = []
    for i in range(count):
        incident = incident_create(
            requester=requester_id_user(fixtures),
            title=f"Latency {i}",
            impact=Impact.LOW,
            urgency=Urgency.LOW,
        )
        created.append(incident.pk)
        progress("latency incidents", i + 1, count)
        if i % 5 == 4:
            time.sleep(0.2)  # spread due times over about a minute
    broker = "redis://127.0.0.1:6379/13"
    import redis

    redis.Redis.from_url(broker).flushdb()
    tmp = Path(tempfile.mkdtemp(prefix="sla-latency-"))
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "CELERY_BROKER_URL": broker,
        "SERVICEDESK_VAR_DIR": str(tmp),
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }
    (tmp / "celery").mkdir()
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", *args],
            cwd=ROOT,
            env=env,
            stdout=(tmp / f"{name}.log").open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        for name, args in (
            ("worker", ["worker", "-Q", "default,sla", "--concurrency", "2"]),
            ("beat", ["beat", "-s", str(tmp / "beat-schedule")]),
        )
    ]
    deadline = time.monotonic() + 300
    try:
        while time.monotonic() < deadline:
            escalated = Incident.objects.filter(pk__in=created, tier=2).count()
            sys.stderr.write(f"\rescalated {escalated}/{count}")
            if (
                escalated == count
                and not OutboxMessage.objects.filter(
                    dedupe_key__startswith="sla:", status__in=["pending", "dispatched", "running"]
                ).exists()
            ):
                break
            time.sleep(2)
    finally:
        for proc in procs:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
    sys.stderr.write("\n")
    from sla.models import SlaClock

    due = dict(
        SlaClock.objects.filter(ticket_id__in=created, metric="response").values_list(
            "ticket_id", "due_at"
        )
    )
    escalations = list(
        TimelineEvent.objects.filter(ticket_id__in=created, kind="escalated").values_list(
            "ticket_id", "created_at"
        )
    )
    to_escalation = sorted((at - due[tid]).total_seconds() for tid, at in escalations)
    clock_ids = dict(
        SlaClock.objects.filter(ticket_id__in=created, metric="response").values_list(
            "pk", "ticket_id"
        )
    )
    sent = OutboxMessage.objects.filter(
        dedupe_key__startswith="sla:", status="done", dedupe_key__endswith=":email"
    ).values_list("dedupe_key", "done_at")
    to_notification = sorted(
        (done - due[clock_ids[int(key.split(":")[1])]]).total_seconds()
        for key, done in sent
        if int(key.split(":")[1]) in clock_ids
    )
    per_ticket = len({tid for tid, _ in escalations})

    def pct(values: list[float], q: float) -> float:
        return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")

    return [
        f"- Breach → escalation with a real worker and beat (Redis, 30 s sweep period), "
        f"{count} incidents, {len(escalations)} escalation events for {per_ticket} tickets: "
        f"p50 {pct(to_escalation, 0.5):.1f} s, p99 {pct(to_escalation, 0.99):.1f} s, "
        f"max {max(to_escalation, default=float('nan')):.1f} s after the due time.",
        f"- Breach → notification delivered (outbox row done): p50 "
        f"{pct(to_notification, 0.5):.1f} s, p99 {pct(to_notification, 0.99):.1f} s "
        f"({len(to_notification)} notifications; budget p99 ≤ 90 s).",
        f"  (measured at {timezone.now():%Y-%m-%d %H:%M} UTC)",
    ]


def requester_id_user(fixtures: dict[str, int]):  # type: ignore[no-untyped-def]
    from core.models import User

    return User.objects.get(pk=fixtures["requester"])


if __name__ == "__main__":
    main()
