"""Every page of the budget on PostgreSQL (DESIGN.md §7, issue 18): the triage queue, its
15-second refresh, the request and problem lists, the agent ticket page of each kind, the portal's
"My tickets", "My incidents" and "My requests" and the portal ticket page.

Against a seeded database (`manage.py seed_demo --incidents 100000`, see BENCHMARKS.md):

1. In this process, through Django's test client logged in as an agent (the portal pages as
   --requester): per page the median application CPU (time.process_time around the GET;
   PostgreSQL's own time is not in it, the driver's is), the SQL statements, their summed wall
   time and the bytes of the answer. The refresh is measured as a browser sends it after a page
   load (with the ETag it was given, If-None-Match).
2. Over HTTP with gunicorn (as benchmarks/api_bench.py runs it) at 1 and 16 sessions, each page
   against a bare Django view rendering the same rows or ticket in the same run
   (benchmarks/baseline_views.py: `bare_ticket_rows` for the lists, `bare_ticket` for the
   ticket pages, `bare_portal_tickets` for the portal lists), alternating in rounds. Each
   session opens a new connection every --reconnect-every answers (benchmarks/loadgen.py says
   why: otherwise a round measures whichever worker holds most of the sessions).

The ticket pages show, per kind, the ticket with the most timeline entries among 500 spread over
the kind's tickets (over the requester's incidents for the portal ticket page).

Usage: .venv/bin/python benchmarks/page_bench.py [--database sd_pages_bench] [--seconds 8]
       [--rounds 2] [--skip-http] [--only NAME] [--requester user] [--port 0]
       [--reconnect-every 20]
Writes a Markdown section to stdout (progress to stderr).
"""

import argparse
import os
import re
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from _setup import use_database
from api_bench import HOST, Case, Gunicorn, compare, data_set_facts, median_round


@dataclass(frozen=True)
class Page:
    """A page and its bare view; `{incident}`, `{request}`, `{problem}`, `{change}` and
    `{portal_incident}` in a path stand for the ticket numbers chosen by `tickets()`."""

    name: str
    path: str
    bare: str
    htmx: bool = False  # an HTMX refresh with the ETag of the previous answer
    requester: bool = False  # as --requester (the portal), else as --agent
    later: float = 0.0  # in process only: seconds after the page loaded (time-machine)


PAGES = (
    Page("Incident queue", "/agent/incidents/", "/bench/pages/incident/"),
    Page("Queue refresh, unchanged", "/agent/incidents/", "/bench/pages/incident/", htmx=True),
    Page("Request list", "/agent/requests/", "/bench/pages/request/"),
    Page("Problem list", "/agent/problems/", "/bench/pages/problem/"),
    Page("Incident page", "/agent/incidents/{incident}/", "/bench/ticket/incident/{incident}/"),
    Page("Request page", "/agent/requests/{request}/", "/bench/ticket/request/{request}/"),
    Page("Change page", "/agent/changes/{change}/", "/bench/ticket/change/{change}/"),
    Page("Problem page", "/agent/problems/{problem}/", "/bench/ticket/problem/{problem}/"),
    Page("Portal: My tickets", "/portal/tickets/", "/bench/portal/tickets/", requester=True),
    Page("Portal: My incidents", "/portal/incidents/", "/bench/portal/tickets/", requester=True),
    Page("Portal: My requests", "/portal/requests/", "/bench/portal/tickets/", requester=True),
    Page(
        "Portal: ticket page",
        "/portal/incidents/{portal_incident}/",
        "/bench/portal/ticket/incident/{portal_incident}/",
        requester=True,
    ),
)
# In process only: the unchanged lists' refreshes as a browser sends them minutes after their
# page loaded, running clocks having moved on (time-machine moves the process's clock).
LATER = (
    Page("Queue refresh, unchanged, 3 min later", "/agent/incidents/", "", True, later=180.0),
    Page("Request list refresh, unchanged, 3 min later", "/agent/requests/", "", True, later=180.0),
    Page("Problem list refresh, unchanged, 3 min later", "/agent/problems/", "", True, later=180.0),
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
    parser.add_argument("--requester", default="user", help="the portal pages' user")
    parser.add_argument("--only", default="", help="only the pages whose name contains this")
    parser.add_argument("--port", type=int, default=0, help="gunicorn's port; 0: a free one")
    parser.add_argument("--repeat", type=int, default=30, help="in-process requests per page")
    parser.add_argument("--seconds", type=float, default=8.0, help="measured seconds per round")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument(
        "--reconnect-every",
        type=int,
        default=20,
        help="each session opens a new connection after this many answers (0: never; loadgen)",
    )
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument(
        "--statements", action="store_true", help="log each page's statements with their times"
    )
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
    numbers, histories = tickets(args.agent, args.requester)
    log(f"tickets (timeline entries): {histories}")
    pages = [
        replace(page, path=page.path.format(**numbers), bare=page.bare.format(**numbers))
        for page in PAGES
        if args.only.lower() in page.name.lower()
    ]
    load = os.getloadavg()
    lines = [
        "## Agent pages — `benchmarks/page_bench.py`",
        "",
        f"PostgreSQL {facts['postgresql']}, {os.cpu_count()} cores; database `{args.database}`: "
        f"{facts['incidents']:,} incidents ({facts['open']:,} open), {facts['users']:,} users. "
        f"Load average at start {load[0]:.1f}, {load[1]:.1f}, {load[2]:.1f}. Ticket pages "
        f"(timeline entries): {histories}; portal pages as `{args.requester}`.",
        "",
        *report_in_process(
            [in_process(page, args) for page in pages]
            + [in_process(page, args) for page in LATER if args.only.lower() in page.name.lower()]
        ),
    ]
    if not args.skip_http:
        cookies = {False: session_cookie(args.agent), True: session_cookie(args.requester)}
        server = Gunicorn(url, workers=args.workers, threads=args.threads, port=args.port)
        with server:
            lines += report_http(
                measure_http(server.port, pages, cookies, args), server, args.reconnect_every
            )
    print("\n".join(lines))


def tickets(agent: str, requester: str) -> tuple[dict[str, str], str]:
    """Per kind, the number of the ticket with the most timeline entries among 500 spread evenly
    over the kind's tickets the agent may see (for the portal, over the requester's incidents):
    a long history, as seeded, whatever the data set's size; and a note of each ticket's
    entries."""
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import Count, QuerySet

    from core.models import TimelineEvent, User
    from core.tickets.kinds import kind_named

    def busiest(tickets: QuerySet) -> tuple[str, int]:  # type: ignore[type-arg]
        every = list(tickets.order_by("id").values_list("id", flat=True))
        ids = every[:: max(1, len(every) // 500)]
        top = (
            TimelineEvent.objects.filter(
                ticket_type=ContentType.objects.get_for_model(tickets.model), ticket_id__in=ids
            )
            .values("ticket_id")
            .annotate(entries=Count("id"))
            .order_by("-entries", "-ticket_id")
            .first()
        )
        if top is None:
            raise SystemExit(f"no {tickets.model.__name__} with a timeline in this database")
        number = tickets.model.objects.values_list("number", flat=True).get(pk=top["ticket_id"])
        return str(number), int(top["entries"])

    viewer = User.objects.get(username=agent)
    chosen = {
        name: busiest(kind_named(name).list_for_user(viewer))
        for name in ("incident", "request", "problem", "change")
    }
    portal = User.objects.get(username=requester)
    chosen["portal_incident"] = busiest(kind_named("incident").list_for_user(portal))
    note = ", ".join(f"{number} ({entries})" for number, entries in chosen.values())
    return {name: number for name, (number, _) in chosen.items()}, note


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


def user_client(username: str) -> object:
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


def in_process(page: Page, args: argparse.Namespace) -> InProcess:
    import time_machine
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    user = args.requester if page.requester else args.agent
    request = page_request(user_client(user), page.path, page.htmx)
    travel = time_machine.travel(time.time() + page.later, tick=True) if page.later else None
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
        page.name,
        statistics.median(cpu),
        len(captured.captured_queries),
        sum(float(q["time"]) for q in captured.captured_queries) * 1000,
        int(getattr(response, "status_code", 0)),
        len(getattr(response, "content", b"")),
    )
    if travel is not None:
        travel.stop()
    log(f"{result}")
    if args.statements:
        for query in captured.captured_queries:
            log(f"  {float(query['time']) * 1000:7.1f} ms  {query['sql'][:400]}")
    return result


def report_in_process(results: list[InProcess]) -> list[str]:
    lines = [
        "In process (Django test client, the agent or, for the portal, the requester; median of "
        "the requests):",
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
    client = user_client(username)
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


def measure_http(
    port: int, pages: list[Page], cookies: dict[bool, str], args: argparse.Namespace
) -> list[Case]:
    cases = []
    for clients in (1, 16):
        for page in pages:
            cookie = cookies[page.requester]
            extra = refresh_headers(port, page.path, cookie) if page.htmx else ""
            cases.append(
                compare(
                    f"{page.name}, {clients} session{'s' if clients > 1 else ''}",
                    port,
                    get_request(page.bare, cookie),
                    get_request(page.path, cookie, extra),
                    clients=clients,
                    seconds=args.seconds,
                    warmup=args.warmup,
                    rounds=args.rounds,
                    reconnect_every=args.reconnect_every,
                )
            )
    return cases


def report_http(cases: list[Case], server: Gunicorn, reconnect_every: int) -> list[str]:
    load = os.getloadavg()
    lines = [
        f"Over HTTP: gunicorn {server.workers} workers x {server.threads} threads, bare view and "
        f"page alternating in rounds, each session reconnecting every {reconnect_every} answers "
        f"(0: never); load average at the end {load[0]:.1f}, {load[1]:.1f}, {load[2]:.1f}.",
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
