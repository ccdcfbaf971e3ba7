"""Fault benchmark (issue 13, point 8): break real processes under API load and measure what the
clients and the receivers of emails and webhooks saw.

It starts everything itself on free local ports and stops it at the end: a redis-server used as
Celery broker (db 0) and cache (db 1), a PostgreSQL cluster made with initdb in a temporary
folder and reached through a TCP proxy, gunicorn (3 workers x 4 threads, as docker-compose.yml),
a Celery worker for `default` (concurrency 2), one for `sla` (concurrency 1), Celery beat, a
webhook receiver counting deliveries by X-ServiceDesk-Delivery id, and the file-based email
backend (so emails are counted across processes). The API clients are end users, 50 by default,
each creating incidents in a closed loop with an Idempotency-Key (benchmarks/faults_load.py).

Faults (--only picks some; R0 is the control, the same load with nothing broken):
  R1 Redis killed, restarted after --redis-kill seconds      R2 Redis frozen (SIGSTOP), thawed
  R3 PostgreSQL stopped with `pg_ctl stop -m fast`, started   R4 default worker SIGKILLed x3
     while slow webhook POSTs are in flight                   R5 two beats + two sla workers
  R6 20 agents claiming / PATCHing one ticket at once         R7 outbox throughput, 10,000 emails
  R8 FLUSHALL on the broker twice while rows are dispatched (the relay must redispatch them)
  R3b (only with --through-proxy) every PostgreSQL connection cut at the proxy, then restored;
     without that flag the processes connect directly (a Python proxy slows every query)

Per fault it prints requests, errors (non-2xx; the 503s of a database outage are counted apart),
lost (acknowledged creates missing afterwards, webhook deliveries never received, SLA breaches
not acted on), duplicated (two incidents from one create, an email or webhook event sent twice,
an SLA breach acted on twice), same-id webhook redeliveries (allowed: at-least-once), max and p99
latency, first success after the component returned, and the time until every outbox row
created before the return was done. Budgets are printed PASS/FAIL.

Usage: .venv/bin/python benchmarks/faults.py [--quick] [--only R1,R4] [--clients 50]
       [--pause 1.5] [--through-proxy]
Writes Markdown to stdout, progress to stderr. Runs about 12 minutes (--quick: about 5).
"""

import argparse
import os
import platform
import time

import faults_cases as cases
import faults_data as data
import faults_races as races
from faults_report import Row, table
from faults_stack import Stack

ALL = ("R0", "R1", "R2", "R3", "R3B", "R4", "R5", "R6", "R7", "R8")


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="shorter outages (about 5 minutes)")
    parser.add_argument("--only", default=",".join(ALL), help="e.g. R1,R4 (R3b: --through-proxy)")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument(
        "--through-proxy",
        action="store_true",
        help="every process reaches PostgreSQL through the TCP proxy (needed by R3b)",
    )
    parser.add_argument(
        "--pause",
        type=float,
        default=1.5,
        help="each client's think time between creates (1.5 s: the issue's 20-30 creates/s)",
    )
    args = parser.parse_args()
    args.only = [name.strip().upper() for name in args.only.split(",") if name.strip()]
    unknown = set(args.only) - set(ALL)
    if unknown:
        parser.error(f"unknown faults {sorted(unknown)}; choose from {', '.join(ALL)}")
    if "R3B" in args.only and not args.through_proxy:
        if len(args.only) < len(ALL):
            parser.error("R3b cuts the proxy: add --through-proxy")
        args.only.remove("R3B")
    return args


def durations(quick: bool) -> dict[str, float]:
    if quick:
        return {
            "kill": 8,
            "freeze": 15,
            "pg": 6,
            "kills": 3,
            "beats": 25,
            "rounds": 3,
            "emails": 3000,
        }
    return {
        "kill": 20,
        "freeze": 60,
        "pg": 15,
        "kills": 3,
        "beats": 60,
        "rounds": 5,
        "emails": 10000,
    }


def run_faults(bench: cases.Bench, only: list[str], length: dict[str, float]) -> list[Row]:
    runners = {
        "R0": lambda: cases.no_fault(bench, length["kill"]),
        "R1": lambda: cases.redis_killed(bench, length["kill"]),
        "R2": lambda: cases.redis_frozen(bench, length["freeze"]),
        "R3": lambda: cases.postgres_stopped(bench, length["pg"]),
        "R3B": lambda: cases.postgres_cut(bench, length["pg"]),
        "R4": lambda: cases.worker_killed(bench, int(length["kills"])),
        "R5": lambda: races.two_beats(bench, length["beats"]),
        "R6": lambda: races.concurrent_edits(bench, int(length["rounds"])),
        "R7": lambda: races.outbox_throughput(bench, int(length["emails"])),
        "R8": lambda: cases.broker_flushed(bench),
    }
    rows = []
    for name in ALL:
        if name in only:
            cases.log(f"{name} starts")
            rows.append(runners[name]())
            cases.log(
                f"{name}: "
                + "; ".join(f"{'PASS' if ok else 'FAIL'} {text}" for text, ok in rows[-1].budgets)
            )
    return rows


def main() -> None:
    args = arguments()
    length = durations(args.quick)
    timing = cases.Timing(
        warmup=5 if args.quick else 10,
        after=10 if args.quick else 20,
        drain_limit=120,
        clients=args.clients,
        pause=args.pause,
    )
    load_before = os.getloadavg()
    began = time.monotonic()
    stack = Stack(through_proxy=args.through_proxy)
    try:
        stack.start_servers()
        data.django_setup(stack.postgres.url())
        assert stack.receiver is not None
        setup = data.create_setup(clients=args.clients, agents=20, webhook_url=stack.receiver.url)
        stack.start_app()
        cases.log(f"stack up in {stack.folder}; waiting for the first worker heartbeat")
        _wait_for_worker(stack)
        rows = run_faults(cases.Bench(stack, setup, timing), args.only, length)
    finally:
        stack.stop()
    load_after = os.getloadavg()
    print("\n".join(_header(args, load_before, load_after, time.monotonic() - began) + table(rows)))


def _wait_for_worker(stack: Stack) -> None:
    deadline = time.monotonic() + 60
    from core.leases import last_heartbeat

    while last_heartbeat("worker") is None and time.monotonic() < deadline:
        time.sleep(0.5)


def _header(
    args: argparse.Namespace, before: tuple[float, ...], after: tuple[float, ...], took: float
) -> list[str]:
    everything = len(ALL) if args.through_proxy else len(ALL) - 1
    command = (
        "benchmarks/faults.py"
        + (" --quick" if args.quick else "")
        + (" --through-proxy" if args.through_proxy else "")
        + (f" --only {','.join(args.only)}" if len(args.only) < everything else "")
    )
    if args.clients != 50 or args.pause != 1.5:
        command += f" --clients {args.clients} --pause {args.pause}"
    return [
        f"`.venv/bin/python {command}` — {args.clients} API clients, {args.pause} s think "
        f"time; {os.cpu_count()} cores ({platform.processor() or platform.machine()}); "
        f"load average {before[0]:.1f} before, {after[0]:.1f} after; {took / 60:.1f} minutes.",
        "",
    ]


if __name__ == "__main__":
    main()
