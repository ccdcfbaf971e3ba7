"""Agent list pages on PostgreSQL (DESIGN.md §7, issue 18 parts 1-3): the triage queue, its
15-second refresh, and the request and problem lists.

Against a seeded database (`manage.py seed_demo --incidents 100000`, see BENCHMARKS.md):

1. In this process, through Django's test client logged in as an agent: per page the median
   application CPU (time.process_time around the GET; PostgreSQL's own time is not in it, the
   driver's is), the SQL statements, their summed wall time and the bytes of the answer. The
   refresh is measured twice: as a browser sends it after a page load (with the ETag it was
   given, If-None-Match) and without one.
2. Over HTTP with gunicorn (as benchmarks/api_bench.py runs it) at 1 and 16 sessions, each page
   against a bare Django view rendering the same 50 rows of the same table in the same order
   (benchmarks/baseline_views.py, `bare_ticket_rows`), alternating in rounds, in the same run.

Usage: .venv/bin/python benchmarks/page_bench.py [--database sd_pages_bench] [--seconds 8]
       [--rounds 2] [--skip-http]
Writes a Markdown section to stdout (progress to stderr).
"""

import argparse
import os
import re
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from _setup import use_database
from api_bench import HOST, Case, Gunicorn, compare, data_set_facts, median_round

# (name, path, HTMX refresh?, the bare view's kind)
PAGES = (
    ("Incident queue", "/agent/incidents/", False, "incident"),
    ("Queue refresh, unchanged", "/agent/incidents/", True, "incident"),
    ("Request list", "/agent/requests/", False, "request"),
    ("Problem list", "/agent/problems/", False, "problem"),
)
# In process only: the unchanged lists' refreshes as a browser sends them minutes after their
# page loaded, running clocks having moved on (time-machine moves the process's clock).
LATER = (
    ("Queue refresh, unchanged, 3 min later", "/agent/incidents/", True, 180.0),
    ("Request list refresh, unchanged, 3 min later", "/agent/requests/", True, 180.0),
    ("Problem list refresh, unchanged, 3 min later", "/agent/problems/", True, 180.0),
)


def log(message: str) -> None:
    sys.stderr.write(f"[page_bench {time.strftime('%H:%M:%S')}] {message}\n")
    sys.stderr.flush()


@dataclass
class InProcess:
    name: str
    cpu_ms: float
    statements: int
    sql_ms: float
    status: int
    size: int


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", default="sd_pages_bench")
    parser.add_argument("--agent", default="agent1")
    parser.add_argument("--repeat", type=int, default=30, help="in-process requests per page")
    parser.add_argument("--seconds", type=float, default=8.0, help="measured seconds per round")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--skip-http", action="store_true")
    args = parser.parse_args()

    os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.bench_settings"
    os.environ["DEBUG"] = "0"
    os.environ["AXES_ENABLED"] = "0"
    # DEBUG off serves hashed static names from a manifest: collect into a var dir of our own.
    os.environ.setdefault("SERVICEDESK_VAR_DIR", "/tmp/page_bench_var")
    url = use_database(args.database)
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)
    top_up(args.agent)
    facts = data_set_facts()
    log(f"data set: {facts}")
    load = os.getloadavg()
    lines = [
        "## Agent pages — `benchmarks/page_bench.py`",
        "",
        f"PostgreSQL {facts['postgresql']}, {os.cpu_count()} cores; database `{args.database}`: "
        f"{facts['incidents']:,} incidents ({facts['open']:,} open), {facts['users']:,} users. "
        f"Load average at start {load[0]:.1f}, {load[1]:.1f}, {load[2]:.1f}.",
        "",
        *report_in_process(
            [in_process(name, path, htmx, args=args) for name, path, htmx, _ in PAGES]
            + [in_process(*later, args=args) for later in LATER]
        ),
    ]
    if not args.skip_http:
        cookie = session_cookie(args.agent)
        with Gunicorn(url, workers=args.workers, threads=args.threads) as server:
            lines += report_http(measure_http(server.port, cookie, args), server)
    print("\n".join(lines))


def top_up(username: str, wanted: int = 60) -> None:
    """The demo seeds a handful of requests and problems; a page of 50 rows needs more open
    ones. Made once per database, through the services, by `username`."""
    from core.models import User
    from core.tickets.kinds import kind_named
    from problems.services import problem_create
    from service_requests.models import CatalogItem
    from service_requests.services import request_create

    agent = User.objects.get(username=username)
    for name in ("request", "problem"):
        kind = kind_named(name)
        missing = wanted - kind.model.objects.filter(status__in=sorted(kind.lifecycle.open)).count()
        if missing <= 0:
            continue
        log(f"adding {missing} open {kind.plural}")
        # A catalogue item whose required questions all take free text.
        item = next(
            (
                item
                for item in CatalogItem.objects.filter(is_active=True).order_by("pk")
                if all(
                    f.field_type in ("text", "long_text") for f in item.fields.all() if f.required
                )
            ),
            None,
        )
        answers = {f.key: "page_bench" for f in item.fields.all() if f.required} if item else {}
        for number in range(missing):
            if name == "problem":
                problem_create(actor=agent, title=f"Recurring fault #{number} (page_bench)")
            elif item is not None:
                request_create(requester=agent, item=item, answers=answers, details="page_bench")


# --- in process ---------------------------------------------------------------------------


def agent_client(username: str) -> object:
    from django.test import Client

    from core.models import User

    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def page_request(client: object, path: str, htmx: bool) -> Callable[[], object]:
    """One GET as the browser sends it; a refresh carries the ETag of the previous answer and
    the rows it shows (X-Queue-Rows, as static/js/queue.js sends them)."""
    headers = {"HX-Request": "true"} if htmx else {}
    if htmx:
        first = client.get(path, headers=headers)  # type: ignore[attr-defined]
        if first.headers.get("ETag"):
            headers["If-None-Match"] = first.headers["ETag"]
        rows = re.findall(r'data-number="([^"]+)" data-digest="([^"]+)"', first.content.decode())
        if rows:
            headers["X-Queue-Rows"] = ",".join(f"{number}:{digest}" for number, digest in rows)
    return lambda: client.get(path, headers=headers)  # type: ignore[attr-defined]


def in_process(
    name: str, path: str, htmx: bool, later: float = 0.0, *, args: argparse.Namespace
) -> InProcess:
    import time_machine
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    request = page_request(agent_client(args.agent), path, htmx)
    travel = time_machine.travel(time.time() + later, tick=True) if later else None
    if travel is not None:
        travel.start()
    request()
    cpu = []
    for _ in range(args.repeat):
        started = time.process_time()
        request()
        cpu.append((time.process_time() - started) * 1000)
    with CaptureQueriesContext(connection) as captured:
        response = request()
    result = InProcess(
        name,
        statistics.median(cpu),
        len(captured.captured_queries),
        sum(float(q["time"]) for q in captured.captured_queries) * 1000,
        int(getattr(response, "status_code", 0)),
        len(getattr(response, "content", b"")),
    )
    if travel is not None:
        travel.stop()
    log(f"{result}")
    return result


def report_in_process(results: list[InProcess]) -> list[str]:
    lines = [
        "In process (Django test client, one agent; median of the requests):",
        "",
        "| page | status | CPU ms | SQL statements | SQL ms (wall) | bytes |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {r.name} | {r.status} | {r.cpu_ms:.1f} | {r.statements} | {r.sql_ms:.1f} | {r.size:,} |"
        for r in results
    ]
    return [*lines, ""]


# --- over HTTP ----------------------------------------------------------------------------


def session_cookie(username: str) -> str:
    """A logged-in session (in the database, shared with gunicorn), as a Cookie header value."""
    client = agent_client(username)
    return f"sessionid={client.cookies['sessionid'].value}"  # type: ignore[attr-defined]


def get_request(path: str, cookie: str, extra: str = "") -> Callable[[], bytes]:
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\nCookie: {cookie}\r\n"
        f"Accept: text/html\r\n{extra}\r\n"
    ).encode()
    return lambda: request


def refresh_headers(port: int, path: str, cookie: str) -> str:
    """The refresh's headers after a first answer: HX-Request, and If-None-Match its ETag."""
    import urllib.request

    headers = {"Cookie": cookie, "HX-Request": "true"}
    with urllib.request.urlopen(
        urllib.request.Request(f"http://{HOST}:{port}{path}", headers=headers), timeout=30
    ) as answer:
        etag = answer.headers.get("ETag")
    return "HX-Request: true\r\n" + (f"If-None-Match: {etag}\r\n" if etag else "")


def measure_http(port: int, cookie: str, args: argparse.Namespace) -> list[Case]:
    cases = []
    for clients in (1, 16):
        for name, path, htmx, kind in PAGES:
            extra = refresh_headers(port, path, cookie) if htmx else ""
            cases.append(
                compare(
                    f"{name}, {clients} session{'s' if clients > 1 else ''}",
                    port,
                    get_request(f"/bench/pages/{kind}/", cookie),
                    get_request(path, cookie, extra),
                    clients=clients,
                    seconds=args.seconds,
                    warmup=args.warmup,
                    rounds=args.rounds,
                )
            )
    return cases


def report_http(cases: list[Case], server: Gunicorn) -> list[str]:
    load = os.getloadavg()
    lines = [
        f"Over HTTP: gunicorn {server.workers} workers x {server.threads} threads, bare view and "
        f"page alternating in rounds; load average at the end {load[0]:.1f}, {load[1]:.1f}, "
        f"{load[2]:.1f}.",
        "",
        "| case | view | req/s | p50 ms | p95 ms | p99 ms | errors | page / bare |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, base_runs, target_runs in cases:
        ratios = [
            t.throughput / b.throughput
            for b, t in zip(base_runs, target_runs, strict=True)
            if b.throughput
        ]
        for view, runs in (("bare view", base_runs), ("page", target_runs)):
            median = median_round(runs)
            errors = sum(run.errors for run in runs)
            ratio = f"{statistics.median(ratios):.0%}" if view == "page" and ratios else ""
            lines.append(
                f"| {name} | {view} | {median.throughput:.1f} | {median.p50:.1f} | "
                f"{median.p95:.1f} | {median.p99:.1f} | {errors} | {ratio} |"
            )
    return [*lines, ""]


if __name__ == "__main__":
    main()
