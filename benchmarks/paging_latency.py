"""Paging latency and exactly-once with a real Celery worker and beat (issue 16, DESIGN §7).
Writes a Markdown section to stdout.

Setup: a fresh PostgreSQL database, Redis as the broker, the paging sweeper at its default
period (PAGING_SWEEP_INTERVAL_SECONDS, 5 s), two workers as `make run` / docker-compose start
them (default queue; sla+paging queues) and beat. Every agent is reached through a signed
webhook pointing at an HTTP receiver in this process (WEBHOOK_ALLOW_PRIVATE_TARGETS=true),
which notes when each delivery id first arrived and how often.

1. Page created -> first notification delivered: `--pages` incidents (default 200) created
   through incident_create at a priority the L1 policy pages for, a few per second; measured
   from the page's created_at to the receiver's arrival of its step-1 delivery.
2. Unacknowledged -> next step: the same pages' step 1 waits 1 minute (the smallest wait a
   step may have); measured from the step's deadline (step 2's step_started_at is not used: it
   is the sweeper's own clock) to the arrival of the step-2 delivery.
3. A storm: `--storm` pages (default 1,000) whose step-1 wait is made to end at the same
   instant; each must move to step 2 once: PageNotification rows and deliveries per page and
   step are counted (0 doubled, 0 lost), and the storm's deadline -> delivery p50/p99.

Usage: .venv/bin/python benchmarks/paging_latency.py [--pages 200] [--storm 1000]
       [--database sd_pg_engine] [--redis redis://127.0.0.1:6379/5]
"""

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from _setup import ROOT, progress, use_fresh_database

ARRIVALS: dict[str, list[float]] = {}
ARRIVALS_LOCK = threading.Lock()


class Receiver(BaseHTTPRequestHandler):
    """Notes the arrival time of each delivery id (X-ServiceDesk-Delivery) and answers 200."""

    def do_POST(self) -> None:
        arrived = time.time()
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        delivery = self.headers.get("X-ServiceDesk-Delivery", "")
        with ARRIVALS_LOCK:
            ARRIVALS.setdefault(delivery, []).append(arrived)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: Any) -> None:
        return


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--storm", type=int, default=1000)
    parser.add_argument("--database", default="sd_pg_engine")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/5")
    args = parser.parse_args()

    os.environ["WEBHOOK_ALLOW_PRIVATE_TARGETS"] = "true"
    url = use_fresh_database(args.database)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    hook = f"http://127.0.0.1:{server.server_address[1]}/page"
    fixtures = setup_fixtures(hook)

    lines = ["## Paging — `benchmarks/paging_latency.py`", ""]
    procs, tmp = start_stack(url, args.redis)
    try:
        wait_for_heartbeat()
        lines += latency_phase(args.pages, fixtures)
        lines += ["", *storm_phase(args.storm, fixtures)]
    finally:
        stop_stack(procs)
        server.shutdown()
    lines += [
        "",
        f"Machine: {os.cpu_count()} cores, PostgreSQL {pg_version()}, Redis broker, load "
        f"{os.getloadavg()[0]:.1f} at the end; measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. "
        f"Logs: {tmp}.",
    ]
    print("\n".join(lines))


def pg_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return str(cursor.fetchone()[0])


def setup_fixtures(hook: str) -> dict[str, Any]:
    from django.contrib.auth.models import Group

    from core.choices import Role, Tier
    from core.models import SupportGroup, User
    from core.roles import ROLE_GROUP_NAMES
    from oncall.models import (
        ContactMethod,
        EscalationPolicy,
        EscalationStep,
        NotificationRule,
        StepTarget,
    )

    manager = User.objects.create(username="manager", email="manager@example.com")
    manager.groups.add(Group.objects.get(name=ROLE_GROUP_NAMES[Role.MANAGER]))
    agents_group = Group.objects.get(name=ROLE_GROUP_NAMES[Role.AGENT])
    group = SupportGroup.objects.create(name="L1", tier=Tier.L1, manager=manager)
    agents = []
    for n in (1, 2):
        agent = User.objects.create(username=f"agent{n}", email=f"agent{n}@example.com")
        agent.groups.add(agents_group)
        group.members.add(agent)
        method = ContactMethod.objects.create(
            person=agent, kind="webhook", label="Gateway", address=hook, secret="whsec_bench"
        )
        NotificationRule.objects.create(contact_method=method, delay_minutes=0)
        agents.append(agent)
    policy = EscalationPolicy.objects.create(
        support_group=group, name="L1 paging", page_priorities=[1, 2, 3, 4, 5]
    )
    for position, agent in enumerate(agents, start=1):
        step = EscalationStep.objects.create(
            policy=policy, position=position, target=StepTarget.PEOPLE, wait_minutes=1
        )
        step.people.add(agent)
    # The storm's group: step 1 waits an hour, so no page moves before the storm's instant.
    storm = SupportGroup.objects.create(name="Storm", tier=Tier.L1, manager=manager)
    storm.members.add(*agents)
    storm_policy = EscalationPolicy.objects.create(
        support_group=storm, name="Storm paging", page_priorities=[1, 2, 3, 4, 5]
    )
    for position, agent in enumerate(agents, start=1):
        step = EscalationStep.objects.create(
            policy=storm_policy, position=position, target=StepTarget.PEOPLE, wait_minutes=60
        )
        step.people.add(agent)
    requester = User.objects.create(username="requester", email="req@example.com")
    return {"group": group, "storm_group": storm, "requester": requester}


def start_stack(url: str, broker: str) -> tuple[list[subprocess.Popen[bytes]], Path]:
    import redis

    redis.Redis.from_url(broker).flushdb()
    tmp = Path(tempfile.mkdtemp(prefix="paging-bench-"))
    (tmp / "celery").mkdir()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "CELERY_BROKER_URL": broker,
        "SERVICEDESK_VAR_DIR": str(tmp),
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",
    }
    commands = (
        ("worker", ["worker", "-n", "default@%h", "-Q", "default", "--concurrency", "2"]),
        ("paging", ["worker", "-n", "sla@%h", "-Q", "sla,paging", "--concurrency", "2"]),
        ("beat", ["beat", "-s", str(tmp / "beat-schedule")]),
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", *args, "--loglevel", "WARNING"],
            cwd=ROOT,
            env=env,
            stdout=(tmp / f"{name}.log").open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        for name, args in commands
    ]
    return procs, tmp


def stop_stack(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        os.killpg(proc.pid, signal.SIGTERM)
    for proc in procs:
        proc.wait(timeout=60)


def wait_for_heartbeat() -> None:
    from core.leases import last_heartbeat

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if last_heartbeat("oncall.sweep_pages") and last_heartbeat("worker"):
            return
        time.sleep(0.5)
    raise SystemExit("the worker and beat did not start within 2 minutes")


def create_incidents(
    count: int, fixtures: dict[str, Any], *, per_second: float, group: str = "group"
) -> list[int]:
    from incidents.choices import Impact, Urgency
    from incidents.services import incident_create

    created = []
    started = time.monotonic()
    for i in range(count):
        incident = incident_create(
            requester=fixtures["requester"],
            title=f"Checkout down {i}",
            impact=Impact.HIGH,
            urgency=Urgency.HIGH,
            support_group=fixtures[group],
        )
        created.append(incident.pk)
        progress("incidents", i + 1, count)
        if per_second:
            pause = started + (i + 1) / per_second - time.monotonic()
            if pause > 0:
                time.sleep(pause)
    return created


def arrival_of(notification_id: int) -> float | None:
    with ARRIVALS_LOCK:
        times = ARRIVALS.get(f"page-notification:{notification_id}")
    return times[0] if times else None


def wait_for(notifications: list[int], seconds: float, label: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        done = sum(arrival_of(pk) is not None for pk in notifications)
        sys.stderr.write(f"\r{label}: {done}/{len(notifications)} delivered")
        if done == len(notifications):
            break
        time.sleep(0.5)
    sys.stderr.write("\n")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def step_rows(page_ids: list[int], key: str) -> dict[int, list[int]]:
    from oncall.models import PageNotification

    rows: dict[int, list[int]] = {pk: [] for pk in page_ids}
    for page_id, pk in PageNotification.objects.filter(
        page_id__in=page_ids, step_key=key
    ).values_list("page_id", "pk"):
        rows[page_id].append(pk)
    return rows


def latency_phase(count: int, fixtures: dict[str, Any]) -> list[str]:
    from oncall.models import Page

    incidents = create_incidents(count, fixtures, per_second=10)
    pages = dict(Page.objects.filter(ticket_id__in=incidents).values_list("pk", "created_at"))
    first = step_rows(list(pages), "0.0.0")
    wait_for([pk for ids in first.values() for pk in ids], 120, "first notifications")
    to_first = [
        arrived - pages[page_id].timestamp()
        for page_id, ids in first.items()
        for pk in ids
        if (arrived := arrival_of(pk)) is not None
    ]
    deadlines = {page_id: created + timedelta(minutes=1) for page_id, created in pages.items()}
    wait_until = max(deadlines.values()).timestamp() + 5 - time.time()
    time.sleep(max(0.0, wait_until))
    second = step_rows(list(pages), "0.0.1")
    second_ids = [pk for ids in second.values() for pk in ids]
    wait_for(second_ids, 120, "second-step notifications")
    second = step_rows(list(pages), "0.0.1")
    to_second = [
        arrived - deadlines[page_id].timestamp()
        for page_id, ids in second.items()
        for pk in ids
        if (arrived := arrival_of(pk)) is not None
    ]
    lost_first = sum(1 for ids in first.values() for pk in ids if arrival_of(pk) is None)
    return [
        f"- Page created → first notification delivered (signed webhook received), {len(pages)} "
        f"pages at 10/s: p50 {statistics.median(to_first):.2f} s, p99 {pct(to_first, 0.99):.2f} s,"
        f" max {max(to_first):.2f} s; {lost_first} not delivered (budget p99 ≤ 10 s).",
        f"- Unacknowledged → next step delivered, after the 1-minute wait: p50 "
        f"{statistics.median(to_second):.2f} s, p99 {pct(to_second, 0.99):.2f} s, max "
        f"{max(to_second):.2f} s after the deadline ({len(to_second)} of {len(pages)}; "
        "budget p99 ≤ 10 s; the sweep period is 5 s).",
    ]


def storm_phase(count: int, fixtures: dict[str, Any]) -> list[str]:
    from django.utils import timezone

    from oncall.models import Page

    # Created with step 1's wait an hour away, then every deadline set to one instant.
    incidents = create_incidents(count, fixtures, per_second=0, group="storm_group")
    page_ids = list(Page.objects.filter(ticket_id__in=incidents).values_list("pk", flat=True))
    first = step_rows(page_ids, "0.0.0")
    wait_for([pk for ids in first.values() for pk in ids], 300, "storm first notifications")
    deadline = timezone.now() + timedelta(seconds=2)
    Page.objects.filter(pk__in=page_ids, status="triggered").update(next_at=deadline)
    time.sleep(3)
    expected = len(page_ids)
    poll_until = time.monotonic() + 300
    while time.monotonic() < poll_until:
        second = step_rows(page_ids, "0.0.1")
        ids = [pk for found in second.values() for pk in found]
        delivered = sum(arrival_of(pk) is not None for pk in ids)
        sys.stderr.write(f"\rstorm second step: {len(ids)} rows, {delivered} delivered")
        if len(ids) >= expected and delivered >= expected:
            break
        time.sleep(1)
    sys.stderr.write("\n")
    time.sleep(10)  # anything doubled would arrive by now
    second = step_rows(page_ids, "0.0.1")
    rows_per_page = [len(found) for found in second.values()]
    doubled_rows = sum(1 for n in rows_per_page if n > 1)
    lost_rows = sum(1 for n in rows_per_page if n == 0)
    with ARRIVALS_LOCK:
        arrivals = {key: list(times) for key, times in ARRIVALS.items()}
    second_keys = [f"page-notification:{pk}" for found in second.values() for pk in found]
    doubled_deliveries = sum(1 for key in second_keys if len(arrivals.get(key, [])) > 1)
    lost_deliveries = sum(1 for key in second_keys if not arrivals.get(key))
    first_keys = [f"page-notification:{pk}" for found in first.values() for pk in found]
    doubled_first = sum(1 for key in first_keys if len(arrivals.get(key, [])) > 1)
    moves = Page.objects.filter(pk__in=page_ids, version=2, notified_key="0.0.1").count()
    took = [arrivals[key][0] - deadline.timestamp() for key in second_keys if arrivals.get(key)]
    body = json.dumps({"doubled": doubled_rows + doubled_deliveries, "lost": lost_rows})
    return [
        f"- Storm: {len(page_ids)} pages whose step wait ended at the same instant. Pages moved "
        f"to step 2 exactly once (version 2, notified 0.0.1): {moves}. Step-2 notification "
        f"rows: {sum(rows_per_page)} ({doubled_rows} pages doubled, {lost_rows} lost); step-2 "
        f"deliveries: {len(second_keys) - lost_deliveries} received once, {doubled_deliveries} "
        f"twice or more, {lost_deliveries} lost; step-1 deliveries doubled: {doubled_first}.",
        f"- Storm deadline → step-2 delivery: p50 {statistics.median(took):.1f} s, "
        f"p99 {pct(took, 0.99):.1f} s, max {max(took):.1f} s (the whole storm through one "
        f"paging worker slot and the default worker's two). Summary: `{body}`.",
    ]


if __name__ == "__main__":
    main()
