"""Web worker memory under mixed load (DESIGN.md §7: one web worker ≤ 200 MB RSS, growth ≤ 10 %
after warm-up over 30 minutes; issue 18 part 6).

gunicorn runs with the production settings (config.settings_production: DEBUG off, the manifest
static storage, Redis for the cache and the Celery broker on --redis) through api_bench.py's
Gunicorn helper, with worker recycling off (--max-requests 0) so that a leak shows instead of
being reset every 2,000 requests. Optionally (--celery) a Celery worker on the same broker runs
the tasks the load causes (outbox relay, emails, webhooks) and is sampled too.

Virtual users, each a thread with its own session and a think time between requests:
- agents: open the incident queue, refresh it (HTMX, with the ETag of the previous answer) every
  few seconds, open a ticket from it (sometimes a request, problem or change), comment on it
  (internal note), sometimes claim it;
- requesters: the portal home, "My tickets", one of their tickets, sometimes a reply;
- API clients (token): the incident list by time to breach, an incident, sometimes a create;
- a manager: the dashboard and its tiles.

Every --sample-seconds the resident memory (VmRSS of /proc/<pid>/status) of each gunicorn worker
(and of the Celery processes) is recorded. The report gives per worker the first sample, the one
at the end of the warm-up, the last, the maximum and the growth after the warm-up, and per kind of
request the count, errors and latency percentiles.

Usage: .venv/bin/python benchmarks/worker_memory.py [--database sd_1m_bench] [--minutes 30]
       [--warmup-minutes 5] [--workers 2] [--threads 4] [--port 0] [--redis URL] [--celery]
Writes a Markdown section to stdout (progress to stderr).
"""

import argparse
import html
import os
import random
import re
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from _setup import ROOT, use_database
from api_bench import HOST, Gunicorn, create_body, data_set_facts, make_token, revoke

SECRET_KEY = "worker-memory-benchmark-only-secret-key-0123456789-abcdefgh"
TICKET_LINK = re.compile(r'href="/agent/(incidents|requests|problems|changes)/([A-Z]{3}-\d+)/"')
PORTAL_LINK = re.compile(r'href="(/portal/(?:incidents|requests)/[A-Z]{3}-\d+/)"')
DASHBOARD_TILE = re.compile(r'hx-get="(/manager/dashboard/tiles/[^"]+)"')


def log(message: str) -> None:
    sys.stderr.write(f"[worker_memory {time.strftime('%H:%M:%S')}] {message}\n")
    sys.stderr.flush()


# --- what the load did --------------------------------------------------------------------


@dataclass
class Tally:
    """Requests per kind: latencies in ms, errors (status ≥ 400 or no answer) and the first."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    first_errors: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, started: float, status: int, detail: str = "") -> None:
        with self.lock:
            self.latencies[kind].append((time.perf_counter() - started) * 1000)
            if status >= 400 or status == 0:
                self.errors[kind] += 1
                self.first_errors.setdefault(kind, f"{status} {detail}"[:200])


class Session:
    """One browser (or API client): a requests.Session against the server, tallied per kind."""

    def __init__(self, base: str, tally: Tally, cookie: str = "", token: str = "") -> None:
        import requests

        self.base = base
        self.tally = tally
        self.http = requests.Session()
        if cookie:
            self.http.cookies.set("sessionid", cookie, domain=HOST)
        if token:
            self.http.headers["Authorization"] = f"Bearer {token}"

    def call(self, kind: str, method: str, path: str, **options: object) -> tuple[int, str, dict]:  # type: ignore[type-arg]
        started = time.perf_counter()
        try:
            answer = self.http.request(method, self.base + path, timeout=60, **options)  # type: ignore[arg-type]
        except Exception as exc:
            self.tally.record(kind, started, 0, repr(exc))
            return 0, "", {}
        self.tally.record(kind, started, answer.status_code, path)
        return answer.status_code, answer.text, dict(answer.headers)

    def post_form(self, kind: str, path: str, data: dict[str, str]) -> int:
        token = self.http.cookies.get("csrftoken", "")
        status, _, _ = self.call(
            kind, "POST", path, data=data, headers={"X-CSRFToken": token}, allow_redirects=False
        )
        return status


# --- virtual users ------------------------------------------------------------------------


def agent_loop(session: Session, stop: threading.Event, pace: float) -> None:
    """Queue, a few refreshes, a ticket (mostly an incident), a comment, sometimes a claim."""
    others = ("/agent/requests/", "/agent/problems/", "/agent/changes/")
    while not stop.is_set():
        _, page, headers = session.call("queue", "GET", "/agent/incidents/")
        etag = headers.get("ETag", "")
        for _ in range(random.randint(1, 4)):
            if stop.wait(pace * random.uniform(1.5, 3.0)):
                return
            refresh = {"HX-Request": "true", **({"If-None-Match": etag} if etag else {})}
            _, _, answer = session.call(
                "queue refresh", "GET", "/agent/incidents/", headers=refresh
            )
            etag = answer.get("ETag", etag)
        if random.random() < 0.4:
            _, page, _ = session.call("other lists", "GET", random.choice(others))
        links = TICKET_LINK.findall(page)
        if not links:
            stop.wait(pace)
            continue
        kind, number = random.choice(links[:20])
        ticket = f"/agent/{kind}/{number}/"
        if stop.wait(pace * random.uniform(0.5, 1.5)):
            return
        session.call("ticket page", "GET", ticket)
        if random.random() < 0.5 and not stop.wait(pace * random.uniform(2, 4)):
            body = {
                "body": f"Checked by worker_memory at {time.strftime('%H:%M:%S')}.",
                "visibility": "internal",
            }
            if session.post_form("comment", ticket + "comment/", body) in (200, 302, 303):
                session.call("ticket page", "GET", ticket)
        if random.random() < 0.1:
            session.post_form("claim", ticket + "claim/", {})
        stop.wait(pace * random.uniform(0.5, 1.5))


def requester_loop(session: Session, stop: threading.Event, pace: float) -> None:
    """Portal home, "My tickets", one of them, sometimes a reply."""
    while not stop.is_set():
        session.call("portal", "GET", "/portal/")
        if stop.wait(pace * random.uniform(1, 2)):
            return
        _, page, _ = session.call("portal lists", "GET", "/portal/tickets/")
        links = PORTAL_LINK.findall(page)
        if links and not stop.wait(pace * random.uniform(1, 2)):
            ticket = random.choice(links)
            session.call("portal ticket", "GET", ticket)
            if random.random() < 0.2 and not stop.wait(pace * random.uniform(2, 4)):
                body = {"body": "Any news? (worker_memory)"}
                session.post_form("portal reply", ticket + "reply/", body)
        stop.wait(pace * random.uniform(2, 4))


def api_loop(session: Session, stop: threading.Event, pace: float) -> None:
    """The incident list by time to breach, one incident, sometimes a create."""
    import json

    while not stop.is_set():
        _, text, _ = session.call("api list", "GET", "/api/v1/incidents/?ordering=breach")
        try:
            numbers = [row["number"] for row in json.loads(text).get("results", [])]
        except (ValueError, AttributeError):
            numbers = []
        if numbers and not stop.wait(pace * random.uniform(0.5, 1.5)):
            session.call("api detail", "GET", f"/api/v1/incidents/{random.choice(numbers)}/")
        if random.random() < 0.3:
            session.call(
                "api create",
                "POST",
                "/api/v1/incidents/",
                data=create_body("worker_memory: printer offline"),
                headers={"Content-Type": "application/json"},
            )
        stop.wait(pace * random.uniform(1, 2))


def manager_loop(session: Session, stop: threading.Event, pace: float) -> None:
    """The dashboard and its tiles (as the browser loads them), at a manager's pace."""
    while not stop.is_set():
        _, page, _ = session.call("dashboard", "GET", "/manager/dashboard/")
        for tile in sorted(set(DASHBOARD_TILE.findall(page))):
            session.call(
                "dashboard tiles", "GET", html.unescape(tile), headers={"HX-Request": "true"}
            )
        stop.wait(pace * random.uniform(20, 40))


# --- memory -------------------------------------------------------------------------------


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def children(pid: int) -> list[int]:
    """The child processes of `pid` (of any of its threads)."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return sorted(found)


def sample(processes: dict[str, Callable[[], list[int]]]) -> dict[str, float]:
    """RSS in MB per process, named `<group> <pid>`."""
    return {f"{group} {pid}": rss_mb(pid) for group, pids in processes.items() for pid in pids()}


# --- the run ------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", default="sd_1m_bench")
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--warmup-minutes", type=float, default=5.0)
    parser.add_argument("--sample-seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--port", type=int, default=0, help="0: a free port")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--agents", type=int, default=4)
    parser.add_argument("--requesters", type=int, default=3)
    parser.add_argument("--api-clients", type=int, default=2)
    parser.add_argument("--managers", type=int, default=1)
    parser.add_argument("--pace", type=float, default=1.0, help="think time scale, seconds")
    parser.add_argument("--celery", action="store_true", help="also run and sample a worker")
    args = parser.parse_args()

    var_dir = f"/tmp/worker_memory_var_{args.port or 'any'}"
    environment = {
        "DJANGO_SETTINGS_MODULE": "config.settings_production",
        "SECRET_KEY": SECRET_KEY,
        "SECURE_COOKIES": "0",
        "SECURE_HSTS_SECONDS": "0",
        "CACHE_URL": args.redis,
        "CELERY_BROKER_URL": args.redis,
        "SERVICEDESK_VAR_DIR": var_dir,
        "DEBUG": "0",
        "AXES_ENABLED": "0",
        "API_THROTTLE_USER": "",
        "API_THROTTLE_ANON": "",
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
    }
    os.environ.update(environment)
    url = use_database(args.database)
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)
    facts = data_set_facts()
    log(f"data set: {facts}")
    token, agent_id = make_token("agent1")
    celery = start_celery(url, environment) if args.celery else None
    try:
        server = Gunicorn(
            url,
            workers=args.workers,
            threads=args.threads,
            port=args.port,
            max_requests=0,
            env={**environment, "DJANGO_SETTINGS_MODULE": "config.settings_production"},
        )
        with server:
            result = drive(server, celery, token, args)
    finally:
        revoke(agent_id)
        if celery is not None:
            celery.terminate()
            celery.wait(timeout=60)
    print("\n".join(report(result, facts, args, server)))


def start_celery(url: str, environment: dict[str, str]) -> subprocess.Popen[bytes]:
    command = [
        str(ROOT / ".venv" / "bin" / "celery"),
        "-A",
        "config",
        "worker",
        "-Q",
        "default,sla,paging",
        "--concurrency",
        "1",
        "--loglevel",
        "WARNING",
    ]
    log_path = Path("/tmp/worker_memory_celery.log")
    log(f"celery worker (log {log_path})")
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, **environment, "DATABASE_URL": url, "PYTHONPATH": str(ROOT)},
        stdout=log_path.open("wb"),
        stderr=subprocess.STDOUT,
    )


def logged_in(username: str) -> str:
    """A session key for `username`, stored in the database the server reads."""
    from django.test import Client

    from core.models import User

    client = Client()
    client.force_login(User.objects.get(username=username))
    return str(client.cookies["sessionid"].value)


def requesters(count: int) -> list[str]:
    """Requesters with the most open incidents: their "My tickets" is long and has tickets."""
    from django.db.models import Count

    from incidents.models import Incident

    rows = (
        Incident.objects.filter(requester__is_staff=False)
        .values("requester__username")
        .annotate(n=Count("id"))
        .order_by("-n")[:count]
    )
    return [row["requester__username"] for row in rows]


@dataclass
class Result:
    samples: list[tuple[float, dict[str, float]]]
    tally: Tally
    seconds: float


def drive(
    server: Gunicorn, celery: subprocess.Popen[bytes] | None, token: str, args: argparse.Namespace
) -> Result:
    base = f"http://{HOST}:{server.port}"
    tally = Tally()
    stop = threading.Event()
    agents = ("agent1", "agent2", "agent3", "manager")
    users: list[tuple[Callable[..., None], Session]] = [
        (agent_loop, Session(base, tally, cookie=logged_in(agents[n % len(agents)])))
        for n in range(args.agents)
    ]
    users += [
        (requester_loop, Session(base, tally, cookie=logged_in(name)))
        for name in requesters(args.requesters)
    ]
    users += [(api_loop, Session(base, tally, token=token)) for _ in range(args.api_clients)]
    users += [
        (manager_loop, Session(base, tally, cookie=logged_in("manager")))
        for _ in range(args.managers)
    ]
    master = server.process.pid  # type: ignore[union-attr]
    processes: dict[str, Callable[[], list[int]]] = {"web": lambda: children(master)}
    if celery is not None:
        processes["celery"] = lambda: [celery.pid, *children(celery.pid)]
    threads = [
        threading.Thread(target=loop, args=(session, stop, args.pace), daemon=True)
        for loop, session in users
    ]
    log(f"{len(threads)} virtual users for {args.minutes} minutes")
    started = time.monotonic()
    for thread in threads:
        thread.start()
        time.sleep(0.2)
    samples = []
    end = started + args.minutes * 60
    while time.monotonic() < end:
        at = time.monotonic() - started
        now = sample(processes)
        samples.append((at, now))
        served = sum(len(v) for v in tally.latencies.values())
        errors = sum(tally.errors.values())
        log(
            f"{at / 60:5.1f} min: {served} requests, {errors} errors; RSS MB "
            + ", ".join(f"{name}={mb:.0f}" for name, mb in now.items())
        )
        time.sleep(max(0.0, min(args.sample_seconds, end - time.monotonic())))
    samples.append((time.monotonic() - started, sample(processes)))
    stop.set()
    for thread in threads:
        thread.join(timeout=90)
    return Result(samples, tally, time.monotonic() - started)


# --- report -------------------------------------------------------------------------------


def report(
    result: Result, facts: dict[str, object], args: argparse.Namespace, server: Gunicorn
) -> list[str]:
    load = os.getloadavg()
    warm = args.warmup_minutes * 60
    names = sorted({name for _, rss in result.samples for name in rss})
    lines = [
        "## Web worker memory under mixed load — `benchmarks/worker_memory.py`",
        "",
        f"PostgreSQL {facts['postgresql']}, {os.cpu_count()} cores; database `{args.database}`: "
        f"{facts['incidents']:,} incidents ({facts['open']:,} open), {facts['users']:,} users. "
        f"gunicorn {server.workers} workers x {server.threads} threads, production settings, "
        f"no worker recycling; {args.agents} agents, {args.requesters} requesters, "
        f"{args.api_clients} API clients, {args.managers} manager(s), think time scale "
        f"{args.pace:g} s; {result.seconds / 60:.1f} minutes, RSS sampled every "
        f"{args.sample_seconds:g} s, warm-up {args.warmup_minutes:g} min. Load average at the "
        f"end {load[0]:.1f}, {load[1]:.1f}, {load[2]:.1f}.",
        "",
        "| process | start MB | after warm-up MB | end MB | max MB | growth after warm-up |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name in names:
        series = [(at, rss[name]) for at, rss in result.samples if rss.get(name)]
        if not series:
            continue
        after = next((mb for at, mb in series if at >= warm), series[-1][1])
        end = series[-1][1]
        growth = (end - after) / after if after else 0.0
        lines.append(
            f"| {name} | {series[0][1]:.0f} | {after:.0f} | {end:.0f} | "
            f"{max(mb for _, mb in series):.0f} | {growth:+.1%} |"
        )
    tally = result.tally
    lines += [
        "",
        "| requests | count | errors | p50 ms | p95 ms | max ms |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for kind in sorted(tally.latencies):
        values = sorted(tally.latencies[kind])
        p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
        lines.append(
            f"| {kind} | {len(values)} | {tally.errors.get(kind, 0)} | "
            f"{statistics.median(values):.0f} | {p95:.0f} | {values[-1]:.0f} |"
        )
    total = sum(len(v) for v in tally.latencies.values())
    lines += [
        "",
        f"{total:,} requests ({total / result.seconds:.1f}/s), "
        f"{sum(tally.errors.values())} errors.",
    ]
    lines += [f"- first {kind} error: {error}" for kind, error in tally.first_errors.items()]
    return [*lines, ""]


if __name__ == "__main__":
    main()
