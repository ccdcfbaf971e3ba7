"""Incident API benchmarks on PostgreSQL with gunicorn (DESIGN.md §7, issue 5 "Measured").

Against a seeded database (`manage.py seed_demo --incidents 1000000`, see BENCHMARKS.md):

1. The agent list sorted by time to breach (GET /api/v1/incidents/, 50 rows) against a bare DRF
   ListAPIView over the same table and order (benchmarks/baseline_views.py), at 1 and 16
   clients. Budget: ≤ 6 queries, 1 client p50 ≤ 20 ms, 16 clients p99 ≤ 300 ms and ≥ 80 % of
   the baseline's throughput.
2. Incident creation (POST /api/v1/incidents/: ticket + timeline + SLA clocks + outbox in one
   transaction) against a bare view inserting one row, at 16 clients. Budget: ≥ 150/s, p99 ≤
   250 ms, 0 errors, ≥ 50 % of the baseline.

gunicorn runs as docker-compose.yml runs it (3 workers x 4 threads per 2 cores, keep-alive 5 s,
--max-requests 20000), with DEBUG off, persistent database connections (DB_CONN_MAX_AGE=60) and
API throttling off (a load test from one token would otherwise be throttled at 1,200/minute);
access logs are off. The machine is shared: each comparison alternates baseline and target in
rounds and reports the median round, with the ratio computed round by round.

Query counts come from one instrumented request per endpoint, made in this process through
Django's test client with the same settings.

Usage: .venv/bin/python benchmarks/api_bench.py [--database servicedesk_bench] [--seconds 20]
       [--rounds 3] [--create-seconds 60] [--workers 3] [--threads 4] [--skip-list | --skip-create]
Writes a Markdown section to stdout (progress to stderr).
"""

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from itertools import count
from pathlib import Path

from _setup import ROOT, use_database
from loadgen import Measurement, run

HOST = "127.0.0.1"
LIST_PATH = "/api/v1/incidents/?ordering=breach"
BASE_LIST_PATH = "/bench/api/incidents/"
CREATE_PATH = "/api/v1/incidents/"
BASE_CREATE_PATH = "/bench/api/incidents/create/"


def log(message: str) -> None:
    sys.stderr.write(f"[api_bench {time.strftime('%H:%M:%S')}] {message}\n")
    sys.stderr.flush()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", default="servicedesk_bench")
    parser.add_argument("--seconds", type=float, default=20.0, help="measured seconds per round")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=3, help="baseline/target rounds per case")
    parser.add_argument("--create-seconds", type=float, default=60.0)
    parser.add_argument("--create-rounds", type=int, default=1)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--agent", default="agent1")
    parser.add_argument("--skip-create", action="store_true")
    parser.add_argument("--skip-list", action="store_true")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="only profile one request per endpoint in this process (no gunicorn, no load)",
    )
    args = parser.parse_args()

    os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.bench_settings"
    os.environ["API_THROTTLE_USER"] = ""
    os.environ["API_THROTTLE_ANON"] = ""
    os.environ["DEBUG"] = "0"
    url = use_database(args.database)
    facts = data_set_facts()
    log(f"data set: {facts}")
    token, agent_id = make_token(args.agent)
    if args.profile:
        try:
            print("\n".join(profile(token)))
        finally:
            revoke(agent_id)
        return
    try:
        queries = count_queries(token)
        log(f"queries per request: {queries}")
        with Gunicorn(url, workers=args.workers, threads=args.threads) as server:
            lines = report_header(facts, args, server)
            cases = measure(server.port, token, args)
        lines += report_cases(cases, queries)
    finally:
        revoke(agent_id)
    print("\n".join(lines))


# --- data set and token -------------------------------------------------------------------


def data_set_facts() -> dict[str, object]:
    from django.db import connection

    from incidents.models import Incident
    from incidents.transitions import OPEN_STATUSES

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE relname = 'core_timelineevent'"
        )
        events = cursor.fetchone()[0]
    return {
        "postgresql": version,
        "incidents": Incident.objects.count(),
        "open": Incident.objects.filter(status__in=OPEN_STATUSES).count(),
        "timeline_events_estimate": events,
        "users": Incident._meta.get_field("requester").related_model.objects.count(),
    }


def make_token(username: str) -> tuple[str, int]:
    from core.api.tokens import api_token_create
    from core.models import User

    agent = User.objects.get(username=username)
    new = api_token_create(user=agent, name="api_bench", scopes=["read", "write"])
    return new.secret, agent.pk


def revoke(agent_id: int) -> None:
    from core.api.tokens import api_token_revoke
    from core.models import ApiToken, User

    agent = User.objects.get(pk=agent_id)
    for token in ApiToken.objects.filter(user=agent, name="api_bench", revoked_at__isnull=True):
        api_token_revoke(token=token, actor=agent)


def count_queries(token: str) -> dict[str, int]:
    """Queries of one request per endpoint (the second of two, so nothing is a first-call
    cache fill), through Django's test client with the benchmark's settings."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    requests: dict[str, Callable[[], object]] = {
        "list": lambda: client.get(LIST_PATH),
        "base_list": lambda: client.get(BASE_LIST_PATH),
        "create": lambda: client.post(
            CREATE_PATH, create_body("query count"), content_type="application/json"
        ),
        "base_create": lambda: client.post(
            BASE_CREATE_PATH, create_body("query count"), content_type="application/json"
        ),
    }
    counts = {}
    for name, request in requests.items():
        request()
        with CaptureQueriesContext(connection) as captured:
            response = request()
        status = getattr(response, "status_code", 0)
        if status >= 400:
            raise SystemExit(f"{name}: HTTP {status}: {getattr(response, 'content', b'')[:300]!r}")
        counts[name] = len(captured.captured_queries)
    return counts


def profile(token: str, repeat: int = 20) -> list[str]:
    """Where one request's time goes, per endpoint: median CPU per request in this process,
    its queries with their times, and the project functions with the most cumulative time
    (cProfile over `repeat` requests)."""
    import cProfile
    import pstats

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    endpoints: dict[str, Callable[[], object]] = {
        "GET " + BASE_LIST_PATH: lambda: client.get(BASE_LIST_PATH),
        "GET " + LIST_PATH: lambda: client.get(LIST_PATH),
        "POST " + BASE_CREATE_PATH: lambda: client.post(
            BASE_CREATE_PATH, create_body("profile"), content_type="application/json"
        ),
        "POST " + CREATE_PATH: lambda: client.post(
            CREATE_PATH, create_body("profile"), content_type="application/json"
        ),
    }
    lines = ["## Incident API profile (one process, Django test client)", ""]
    for name, request in endpoints.items():
        request()
        cpu = []
        for _ in range(repeat):
            started = time.process_time()
            request()
            cpu.append((time.process_time() - started) * 1000)
        with CaptureQueriesContext(connection) as captured:
            request()
        lines += [
            f"### {name}: median {statistics.median(cpu):.1f} ms CPU per request, "
            f"{len(captured.captured_queries)} queries",
            "",
            "```",
            *(f"{float(q['time']) * 1000:6.1f} ms  {q['sql'][:110]}" for q in captured),
            "```",
        ]
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(repeat):
            request()
        profiler.disable()
        stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
        own = [
            (cumulative / repeat * 1000, f"{Path(file).relative_to(ROOT)}:{line} {function}")
            for (file, line, function), (_, _, _, cumulative, _) in stats.items()
            if file.startswith(str(ROOT)) and "/.venv/" not in file
        ]
        lines += ["", "Project code, cumulative ms per request (with profiler overhead):", "```"]
        lines += [f"{ms:7.1f}  {where}" for ms, where in sorted(own, reverse=True)[:12]]
        lines += ["```", ""]
    return lines


def create_body(title: str) -> str:
    return json.dumps(
        {
            "title": title,
            "description": "Raised by benchmarks/api_bench.py.",
            "impact": "medium",
            "urgency": "high",
        }
    )


# --- gunicorn -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


class Gunicorn:
    """gunicorn serving the project as docker-compose.yml does, for the length of a `with`."""

    def __init__(
        self,
        database_url: str,
        *,
        workers: int,
        threads: int,
        port: int = 0,
        max_requests: int = 20000,
        env: dict[str, str] | None = None,
    ) -> None:
        """`port` 0 takes a free one; `max_requests` 0 never recycles a worker; `env` is laid
        over the benchmark's environment (e.g. another DJANGO_SETTINGS_MODULE)."""
        self.port = port or free_port()
        self.workers = workers
        self.threads = threads
        self.command = [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "config.wsgi:application",
            f"--bind={HOST}:{self.port}",
            f"--workers={workers}",
            f"--threads={threads}",
            "--timeout=30",
            "--graceful-timeout=25",
            "--keep-alive=5",
            f"--max-requests={max_requests}",
            f"--max-requests-jitter={max_requests // 10}",
            "--no-control-socket",
            "--error-logfile=-",
            f"--chdir={ROOT}",
        ]
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "DJANGO_SETTINGS_MODULE": "benchmarks.bench_settings",
            "DEBUG": "0",
            "DB_CONN_MAX_AGE": "60",
            "API_THROTTLE_USER": "",
            "API_THROTTLE_ANON": "",
            "AXES_ENABLED": "0",
            "PYTHONPATH": str(ROOT),
            **(env or {}),
        }
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = Path("/tmp") / f"api_bench_gunicorn_{self.port}.log"

    def __enter__(self) -> "Gunicorn":
        with socket.socket() as probe:  # another server there would answer the health check
            if probe.connect_ex((HOST, self.port)) == 0:
                raise SystemExit(f"port {self.port} is already in use")
        log_file = self.log_path.open("wb")
        self.process = subprocess.Popen(
            self.command, env=self.env, stdout=log_file, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited; see {self.log_path}")
            try:
                with urllib.request.urlopen(f"http://{HOST}:{self.port}/healthz", timeout=10):
                    log(f"gunicorn up on port {self.port} (log {self.log_path})")
                    return self
            except OSError:
                time.sleep(0.5)
        self.__exit__()
        raise SystemExit(f"gunicorn did not answer within 60 s; see {self.log_path}")

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# --- measurements -------------------------------------------------------------------------


def get_request(path: str, token: str) -> Callable[[], bytes]:
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\nAuthorization: Bearer {token}\r\n"
        "Accept: application/json\r\n\r\n"
    ).encode()
    return lambda: request


def post_request(path: str, token: str, label: str) -> Callable[[], bytes]:
    numbers = count(1)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {HOST}\r\nAuthorization: Bearer {token}\r\n"
        "Accept: application/json\r\nContent-Type: application/json\r\n"
    )

    def make() -> bytes:
        body = create_body(f"{label} #{next(numbers)}: printer offline").encode()
        return f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body

    return make


Case = tuple[str, list[Measurement], list[Measurement]]  # (name, baseline rounds, target rounds)


def compare(
    name: str,
    port: int,
    baseline: Callable[[], bytes],
    target: Callable[[], bytes],
    *,
    clients: int,
    seconds: float,
    warmup: float,
    rounds: int,
    reconnect_every: int = 0,
) -> Case:
    base_runs: list[Measurement] = []
    target_runs: list[Measurement] = []
    for number in range(1, rounds + 1):
        for label, make, runs in (
            ("baseline", baseline, base_runs),
            ("target", target, target_runs),
        ):
            result = run(
                f"{name} {label}",
                HOST,
                port,
                make,
                clients=clients,
                seconds=seconds,
                warmup=warmup,
                reconnect_every=reconnect_every,
            )
            runs.append(result)
            log(
                f"{name} round {number} {label}: {result.throughput:.1f}/s "
                f"p50 {result.p50:.1f} p99 {result.p99:.1f} ms, errors {result.errors}"
                + (f" ({result.first_error})" if result.first_error else "")
            )
    return name, base_runs, target_runs


def measure(port: int, token: str, args: argparse.Namespace) -> list[Case]:
    cases = []
    base_list = get_request(BASE_LIST_PATH, token)
    agent_list = get_request(LIST_PATH, token)
    for clients in () if args.skip_list else (1, 16):
        cases.append(
            compare(
                f"List, {clients} client{'s' if clients > 1 else ''}",
                port,
                base_list,
                agent_list,
                clients=clients,
                seconds=args.seconds,
                warmup=args.warmup,
                rounds=args.rounds,
            )
        )
    if not args.skip_create:
        cases.append(
            compare(
                "Create, 16 clients",
                port,
                post_request(BASE_CREATE_PATH, token, "baseline"),
                post_request(CREATE_PATH, token, "api"),
                clients=16,
                seconds=args.create_seconds,
                warmup=args.warmup,
                rounds=args.create_rounds,
            )
        )
    return cases


# --- report -------------------------------------------------------------------------------


def report_header(
    facts: dict[str, object], args: argparse.Namespace, server: Gunicorn
) -> list[str]:
    load = os.getloadavg()
    return [
        "## Incident API — `benchmarks/api_bench.py`",
        "",
        f"PostgreSQL {facts['postgresql']}, {os.cpu_count()} cores; database "
        f"`{args.database}`: {facts['incidents']:,} incidents ({facts['open']:,} open), "
        f"~{facts['timeline_events_estimate']:,} timeline events, {facts['users']:,} users. "
        f"gunicorn {server.workers} workers x {server.threads} threads; load average at start "
        f"{load[0]:.1f}, {load[1]:.1f}, {load[2]:.1f}.",
        "",
    ]


def median_round(runs: list[Measurement]) -> Measurement:
    return sorted(runs, key=lambda m: m.throughput)[len(runs) // 2]


def report_cases(cases: list[Case], queries: dict[str, int]) -> list[str]:
    lines = [
        "| case | view | req/s | p50 ms | p95 ms | p99 ms | errors | queries/request |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    summary = []
    for name, base_runs, target_runs in cases:
        kind = "create" if name.startswith("Create") else "list"
        for view, runs, key in (
            ("bare DRF view", base_runs, f"base_{kind}"),
            ("incident API", target_runs, kind),
        ):
            median = median_round(runs)
            errors = sum(run.errors for run in runs)
            lines.append(
                f"| {name} | {view} | {median.throughput:.1f} | {median.p50:.1f} | "
                f"{median.p95:.1f} | {median.p99:.1f} | {errors} | {queries[key]} |"
            )
        ratios = [
            t.throughput / b.throughput
            for b, t in zip(base_runs, target_runs, strict=True)
            if b.throughput
        ]
        rounds = ", ".join(f"{r:.0%}" for r in ratios)
        summary.append(
            f"- {name}: incident API / bare view throughput, median of rounds "
            f"{statistics.median(ratios):.0%} (rounds: {rounds})."
        )
    return [
        *lines,
        "",
        *summary,
        "",
        "Medians are of the rounds' throughput; percentiles are of "
        "the median round. Each round measures after a warm-up.",
    ]


if __name__ == "__main__":
    main()
