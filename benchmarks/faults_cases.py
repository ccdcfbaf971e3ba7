"""The faults under API load (R1-R4, R8): break a component while clients create incidents,
bring it back, and judge what the clients saw and what the outbox delivered afterwards."""

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import faults_data as data
from faults_load import Load, LoadResult
from faults_report import Row, fill_from_load
from faults_stack import Stack


@dataclass
class Timing:
    warmup: float
    after: float  # load kept on after the component returned
    drain_limit: float  # how long to wait for the outbox, from the component's return
    clients: int
    pause: float  # each client's think time between two creates


@dataclass
class Bench:
    stack: Stack
    setup: data.Setup
    timing: Timing

    def load(
        self,
        label: str,
        *,
        clients: int | None = None,
        pause: float | None = None,
        fields: dict[str, str] | None = None,
    ) -> Load:
        return Load(
            self.stack.web_port,
            self.setup.client_tokens,
            label=label,
            clients=clients or self.timing.clients,
            pause=self.timing.pause if pause is None else pause,
            fields=fields,
        ).start()


def log(message: str) -> None:
    sys.stderr.write(f"[faults {time.strftime('%H:%M:%S')}] {message}\n")
    sys.stderr.flush()


def _judge_delivery(
    bench: Bench, row: Row, label: str, load: LoadResult, started_at: object
) -> None:
    """Lost and duplicated incidents, emails and webhook events of the phase, once the whole
    outbox has drained (or the drain limit has passed: what is still queued is not lost)."""
    assert bench.stack.receiver is not None
    settled = data.wait_drained(
        data.db_now(), since=time.monotonic(), limit=bench.timing.drain_limit
    )
    row.notes.append(
        f"whole outbox drained {_seconds(settled)} after the load stopped"
        if settled is not None
        else f"{data.unfinished()} outbox rows still unfinished {bench.timing.drain_limit:.0f} s "
        "after the load stopped"
    )
    incidents = data.check_incidents(label, load.acked)
    emails = data.emails_sent(bench.stack.mail_folder)
    email_twice = sum(
        n - 1 for (_to, subject), n in emails.items() if f"fault {label} " in subject and n > 1
    )
    hooks = data.check_webhooks(started_at, bench.stack.receiver.received())  # type: ignore[arg-type]
    row.lost = incidents.lost + hooks.not_received
    row.duplicated = incidents.duplicated + email_twice + hooks.duplicated_events
    row.repeats_same_id = hooks.repeated_same_id
    row.half_written = incidents.half_written
    statuses = data.outbox_by_status(started_at)  # type: ignore[arg-type]
    row.notes.append(
        f"{len(load.acked):,} creates acknowledged "
        f"({len(load.unacked)} still retrying at the end), "
        f"{incidents.half_written} half-written; outbox {dict(statuses)}; "
        f"webhooks {hooks.deliveries:,} ({hooks.not_received} never received, "
        f"{hooks.queued} still queued); "
        f"emails sent twice {email_twice}"
    )
    if incidents.lost:
        row.notes.append(f"{incidents.lost} acknowledged incidents missing")
    if hooks.not_received:
        row.notes.append(f"{hooks.not_received} webhook deliveries never received")


def api_fault(
    bench: Bench,
    fault: str,
    label: str,
    *,
    inject: Callable[[], None],
    restore: Callable[[], None],
    seconds: float,
    expect_503: bool = False,
) -> Row:
    """Load on; warm-up; `inject`; `seconds` later `restore`; load on for `after`; then wait for
    every outbox row created before the return to finish."""
    row = Row(fault)
    started_at = data.db_now()
    load = bench.load(label)
    time.sleep(bench.timing.warmup)
    log(f"{fault}: inject")
    fault_at = time.monotonic()
    inject()
    time.sleep(seconds)
    restore()
    returned = time.monotonic()
    returned_at = data.db_now()
    log(f"{fault}: component back")
    time.sleep(bench.timing.after)
    result = load.stop()
    row.drained_s = data.wait_drained(returned_at, since=returned, limit=bench.timing.drain_limit)
    fill_from_load(row, result, fault_at=fault_at, returned=returned, expect_503=expect_503)
    _judge_delivery(bench, row, label, result, started_at)
    _outbox_budget(row)
    return row


def _outbox_budget(row: Row) -> None:
    row.budget(
        f"every outbox row done ≤ 60 s after the component returned ({_seconds(row.drained_s)})",
        row.drained_s is not None and row.drained_s <= 60,
    )


def _seconds(value: float | None) -> str:
    return "never" if value is None else f"{value:.1f} s"


def no_fault(bench: Bench, seconds: float) -> Row:
    """R0, the control: the same load and the same waits, nothing broken."""
    return api_fault(
        bench,
        "R0 no fault (control)",
        "r0",
        inject=lambda: None,
        restore=lambda: None,
        seconds=seconds,
    )


def redis_killed(bench: Bench, seconds: float) -> Row:
    redis = bench.stack.redis
    row = api_fault(
        bench, f"R1 Redis killed {seconds:.0f} s", "r1",
        inject=redis.kill, restore=redis.start, seconds=seconds,
    )  # fmt: skip
    share = row.errors / row.requests if row.requests else 1.0
    row.budget(
        f"0 lost ({row.lost}), 0 duplicated ({row.duplicated})", not row.lost and not row.duplicated
    )
    row.budget(f"errors ≤ 0.1 % ({share:.2%})", share <= 0.001)
    row.budget(f"p99 ≤ 1 s ({row.p99_ms:.0f} ms)", row.p99_ms <= 1000)
    return row


def redis_frozen(bench: Bench, seconds: float) -> Row:
    redis = bench.stack.redis
    row = api_fault(
        bench, f"R2 Redis frozen {seconds:.0f} s", "r2",
        inject=redis.freeze, restore=redis.thaw, seconds=seconds,
    )  # fmt: skip
    row.budget(f"no request over 2 s (max {row.max_ms:.0f} ms)", row.max_ms <= 2000)
    row.budget(
        f"0 lost ({row.lost}), 0 duplicated ({row.duplicated})", not row.lost and not row.duplicated
    )
    return row


def postgres_stopped(bench: Bench, seconds: float) -> Row:
    postgres = bench.stack.postgres
    row = api_fault(
        bench, f"R3 PostgreSQL stopped {seconds:.0f} s", "r3",
        inject=postgres.stop, restore=postgres.start, seconds=seconds, expect_503=True,
    )  # fmt: skip
    _database_budgets(row)
    return row


def _database_budgets(row: Row) -> None:
    slowest = row.slowest_503_s
    row.budget(
        f"503 within 1 s (slowest {_seconds(slowest)})", slowest is not None and slowest <= 1.0
    )
    row.budget(
        f"first success ≤ 5 s after it returns ({_seconds(row.first_success_s)})",
        row.first_success_s is not None and row.first_success_s <= 5,
    )
    row.budget(
        f"no other error ({row.errors}), {row.half_written} half-written, {row.lost} lost",
        not row.errors and not row.half_written and not row.lost,
    )


def postgres_cut(bench: Bench, seconds: float) -> Row:
    """R3b: every connection to PostgreSQL cut at the proxy (a network partition: no clean
    shutdown message, new connections refused), then restored. Needs --through-proxy."""
    proxy = bench.stack.proxy
    assert proxy is not None and bench.stack.through_proxy
    row = api_fault(
        bench, f"R3b PostgreSQL cut at the proxy {seconds:.0f} s", "r3b",
        inject=proxy.cut, restore=proxy.restore, seconds=seconds, expect_503=True,
    )  # fmt: skip
    _database_budgets(row)
    return row


def worker_killed(bench: Bench, kills: int) -> Row:
    """SIGKILL the default worker's process group `kills` times while a (slow) webhook POST is in
    flight; a light load (4 clients, one create each per 3 s) so the slow receiver keeps up."""
    stack, row, label = bench.stack, Row(f"R4 worker SIGKILLed x{kills}"), "r4"
    assert stack.receiver is not None
    worker = stack.celery["worker-default"]
    stack.receiver.slow_down(1.0)
    started_at = data.db_now()
    load = bench.load(label, clients=4, pause=3.0)
    time.sleep(bench.timing.warmup)
    fault_at = time.monotonic()
    killed_in_flight = 0
    for _ in range(kills):
        deadline = time.monotonic() + 30
        while stack.receiver.in_flight == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        killed_in_flight += stack.receiver.in_flight
        worker.kill()
        log(f"{row.fault}: killed the worker ({stack.receiver.in_flight} POSTs in flight)")
        time.sleep(2)
        worker.start()
        time.sleep(8)
    returned = time.monotonic()
    returned_at = data.db_now()
    time.sleep(bench.timing.after)
    result = load.stop()
    stack.receiver.slow_down(0.0)
    row.drained_s = data.wait_drained(returned_at, since=returned, limit=bench.timing.drain_limit)
    fill_from_load(row, result, fault_at=fault_at, returned=returned, expect_503=False)
    _judge_delivery(bench, row, label, result, started_at)
    interrupted = data.interrupted_emails(started_at)
    rerun = _rerun_delays(stack.receiver.received())
    row.notes.append(
        f"{killed_in_flight} webhook POSTs in flight at the kills; emails not sent because "
        f"interrupted (at-most-once) {interrupted}; slowest same-id redelivery "
        f"{max(rerun, default=0):.0f} s after the first POST"
    )
    row.budget(
        f"no email sent twice, no webhook event under two ids (duplicated {row.duplicated})",
        not row.duplicated,
    )
    row.budget(f"every delivery received ({row.lost} lost)", not row.lost)
    row.budget(
        f"in-flight deliveries retried within 60 s (slowest {max(rerun, default=0):.0f} s)",
        all(delay <= 60 for delay in rerun),
    )
    _outbox_budget(row)
    return row


def _rerun_delays(received: list[tuple[float, str, str]]) -> list[float]:
    first: dict[str, float] = {}
    delays = []
    for at, delivery, _event in sorted(received):
        if delivery in first:
            delays.append(at - first[delivery])
        else:
            first[delivery] = at
    return delays


def broker_flushed(bench: Bench) -> Row:
    """R8: FLUSHALL on the broker's Redis twice, 5 s apart, under load: the messages of rows
    already dispatched are gone; the relay must notice and dispatch them again."""
    import redis as redis_client

    broker = redis_client.Redis.from_url(bench.stack.redis.url, socket_timeout=2)
    row, label = Row("R8 broker FLUSHALL x2"), "r8"
    started_at = data.db_now()
    load = bench.load(label)
    time.sleep(bench.timing.warmup)
    fault_at = time.monotonic()
    dispatched = 0
    for pause in (5.0, 0.0):
        dispatched += _dispatched_now()
        broker.flushall()
        time.sleep(pause)
    returned = time.monotonic()
    returned_at = data.db_now()
    time.sleep(bench.timing.after)
    result = load.stop()
    row.drained_s = data.wait_drained(returned_at, since=returned, limit=bench.timing.drain_limit)
    fill_from_load(row, result, fault_at=fault_at, returned=returned, expect_503=False)
    _judge_delivery(bench, row, label, result, started_at)
    row.notes.append(f"{dispatched} rows were dispatched (in the broker) at the two flushes")
    row.budget(
        f"0 lost ({row.lost}), 0 duplicated ({row.duplicated})", not row.lost and not row.duplicated
    )
    _outbox_budget(row)
    return row


def _dispatched_now() -> int:
    from core.models import OutboxMessage

    return OutboxMessage.objects.filter(status="dispatched").count()
