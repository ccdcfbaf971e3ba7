"""Faults without a broken component (R5-R7): two beats at once, concurrent edits, and the
outbox's throughput with the SLA sweep's delay while a backlog drains."""

import itertools
import time
from collections import Counter

import faults_data as data
from faults_cases import Bench, _judge_delivery, _outbox_budget, log
from faults_load import burst, call, http_request
from faults_report import Row, fill_from_load


def two_beats(bench: Bench, seconds: float) -> Row:
    """R5: a second beat and a second `sla` worker for `seconds` while clients create incidents
    whose response target is 5 s: every breach must be acted on exactly once."""
    stack, row, label = bench.stack, Row(f"R5 two beats {seconds:.0f} s"), "r5"
    data.sla_policy_create(bench.setup.r5_priority, response_seconds=5)
    time.sleep(2)  # the web processes' policy memo rechecks every second
    extra = [
        stack.add_celery("beat-2", ["beat", "-s", str(stack.folder / "beat-2-schedule")]),
        stack.add_celery("worker-sla-2", ["worker", "-Q", "sla", "-c", "1", "-n", "sla2@%h"]),
    ]
    started_at = data.db_now()
    load = bench.load(label, clients=10, pause=0.5, fields={"impact": "high", "urgency": "high"})
    fault_at = time.monotonic()
    try:
        time.sleep(seconds)
        result = load.stop()
        deadline = time.monotonic() + 90
        while data.sla_due_unprocessed(label) and time.monotonic() < deadline:
            time.sleep(1)
    finally:
        for process in extra:
            process.stop()
    returned = time.monotonic()
    returned_at = data.db_now()
    row.drained_s = data.wait_drained(returned_at, since=returned, limit=bench.timing.drain_limit)
    fill_from_load(row, result, fault_at=fault_at, returned=returned, expect_503=False)
    _judge_delivery(bench, row, label, result, started_at)
    sla = data.check_sla(label)
    left = data.sla_due_unprocessed(label)
    row.duplicated += sla.duplicated_actions
    row.lost += sla.missing_actions + left
    row.notes.append(
        f"{sla.breached_clocks} response clocks breached: {sla.missing_actions} without an action, "
        f"{sla.duplicated_actions} acted on twice, {left} overdue and not processed after 90 s"
    )
    row.budget(
        f"every breach acted on exactly once ({sla.missing_actions + left} missed, "
        f"{sla.duplicated_actions} twice, of {sla.breached_clocks})",
        sla.breached_clocks > 0
        and not sla.missing_actions
        and not sla.duplicated_actions
        and not left,
    )
    _outbox_budget(row)
    return row


def concurrent_edits(bench: Bench, rounds: int) -> Row:
    """R6: per round, 20 agents claim one new incident at once, then 20 agents PATCH it with the
    same If-Match: exactly one of each wins, the others get 409/412, the database agrees."""
    from core.models import TimelineEvent
    from incidents.models import Incident

    row, port = Row(f"R6 concurrent edits x{rounds}"), bench.stack.web_port
    agents = bench.setup.agent_tokens
    client = bench.setup.client_tokens[0]
    bad_rounds, statuses = 0, []
    for number in range(rounds):
        code, body = call(
            port,
            http_request(
                "POST", "/api/v1/incidents/", client, {"title": f"fault r6 race {number}"}
            ),
        )
        assert code == 201, (code, body)
        path = f"/api/v1/incidents/{body['number']}/"
        claims = burst(port, [http_request("POST", f"{path}claim/", token, {}) for token in agents])
        code, body = call(port, http_request("GET", path, agents[0]))
        etag = f'"v{body["version"]}"'
        patches = burst(
            port,
            [
                http_request(
                    "PATCH", path, token, {"title": f"fault r6 race {number} by {i}"}, If_Match=etag
                )
                for i, token in enumerate(agents)
            ],
        )
        statuses += claims + patches
        incident = Incident.objects.get(number=body["number"])
        claimed = TimelineEvent.objects.filter(ticket_id=incident.pk, kind="assigned").count()
        winner = [i for i, code in enumerate(patches) if code == 200]
        ok = (
            claims.count(200) == 1
            and set(claims) <= {200, 409}
            and patches.count(200) == 1
            and set(patches) <= {200, 409, 412}
            and claimed == 1
            and incident.title == f"fault r6 race {number} by {winner[0]}"
        )
        bad_rounds += not ok
        row.notes.append(
            f"round {number + 1}: claims {_tally(claims)}, PATCHes {_tally(patches)}, "
            f"{claimed} assigned event"
        )
    row.requests = len(statuses)
    row.errors = sum(1 for code in statuses if code not in {200, 409, 412})
    row.budget(
        f"exactly one winner per race, the database agrees ({bad_rounds} bad rounds)",
        not bad_rounds,
    )
    return row


def _tally(statuses: list[int]) -> str:
    return ", ".join(f"{code}x{n}" for code, n in sorted(Counter(statuses).items()))


def outbox_throughput(bench: Bench, rows: int) -> Row:
    """R7: `rows` email outbox rows waiting, then ONE default worker (concurrency 2, locmem email
    backend) started: rows/s, and how late the SLA sweep ran meanwhile (its own worker)."""
    from django.conf import settings
    from django.db.models import Max, Min

    from core.models import OutboxMessage

    row = Row(f"R7 outbox throughput, {rows:,} emails")
    data.wait_drained(data.db_now(), since=time.monotonic(), limit=bench.timing.drain_limit)
    worker = bench.stack.celery["worker-default"]
    worker.stop()
    one_slot = data.in_process_email_rate(min(1000, rows), settings.OUTBOX_TASK_BATCH_SIZE)
    started_at = data.db_now()
    data.email_rows_create(rows, "R7")
    began = time.monotonic()
    worker.start(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend")
    sweeps, left = [data.sweep_seen()], rows
    deadline = began + 600
    while left and time.monotonic() < deadline:
        time.sleep(0.5)
        left = OutboxMessage.objects.filter(
            created_at__gte=started_at, status__in=data.UNFINISHED
        ).count()
        seen = data.sweep_seen()
        if seen != sweeps[-1]:
            sweeps.append(seen)
    wall = time.monotonic() - began
    span = OutboxMessage.objects.filter(created_at__gte=started_at, status="done").aggregate(
        first=Min("started_at"), last=Max("done_at")
    )
    done = OutboxMessage.objects.filter(created_at__gte=started_at, status="done").count()
    steady = done / max(0.001, (span["last"] - span["first"]).total_seconds()) if done else 0.0
    worker.stop()
    worker.start()
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(sweeps) if a and b]
    interval = float(bench.stack.env["SLA_SWEEP_INTERVAL_SECONDS"])
    late = max((gap - interval for gap in gaps), default=0.0)
    row.requests = rows
    row.errors = rows - done
    row.drained_s = wall if not left else None
    row.notes.append(
        f"{done:,} done in {wall:.1f} s from the worker's start ({done / wall:.0f} rows/s with "
        f"its boot), {steady:.0f} rows/s from the first claim to the last send; SLA sweep ran "
        f"{len(gaps)} times meanwhile, at most {max(late, 0):.1f} s late on its "
        f"{interval:.0f} s period; the email task run in the benchmark's own process, one "
        f"batch after another (one slot, no Celery): {one_slot:.0f} rows/s"
    )
    log(row.notes[-1])
    row.budget(f"≥ 200 emails/s from one worker ({steady:.0f}/s)", steady >= 200)
    row.budget(
        f"SLA sweep not delayed by the backlog (≤ 2 s late; {max(late, 0):.1f} s)", late <= 2
    )
    return row
