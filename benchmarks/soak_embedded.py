"""Soak `make run`'s stack: runstack under light API load for hours; every task must get done.

    .venv/bin/python benchmarks/soak_embedded.py              # 6 hours (the budget)
    .venv/bin/python benchmarks/soak_embedded.py --minutes 10  # a short run

It makes a var dir (or reuses --var-dir), runs `migrate` and `seed_demo` there, starts
`manage.py runstack` on a free port (SQLite + the embedded filesystem broker, exactly as `make
run`), and drives a few requests a second with agent1's API token: creates an incident, reads it
back and lists the queue. Every --sample-seconds it records each process group of the stack (web,
worker, sla, beat: resident memory, main pid), the broker's queue files and the outbox rows the
soak made by status; every --report-minutes it prints a table. At the end it stops the load, waits
up to --drain-seconds for the outbox, stops the stack with SIGTERM and prints the summary.

Exit code 1 on any process death or restart (runstack's "stack |" lines, or runstack itself
exiting), any outbox row of the soak not done (lost or failed) or any failed request; 0 otherwise.
Emails go to Django's dummy backend unless --email-backend says otherwise: the console backend
would write every email of the run into the log.
"""

import argparse
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# What the calling shell may have set for another setup; the soak runs the embedded default.
SCRUBBED_ENV = ("DATABASE_URL", "CELERY_BROKER_URL", "CELERY_TASK_ALWAYS_EAGER", "CACHE_URL")
DJANGO_SETTINGS = "config.settings"
HEALTHY_WITHIN_SECONDS = 120.0
STOP_WITHIN_SECONDS = 30.0
DEATH_LINE = re.compile(r"^stack\s+\| (\S+) (was killed by \S+|exited \(-?\d+\))")
OPEN_STATUSES = ("pending", "dispatched", "running")


@dataclass
class Group:
    """One child of runstack (its session): name, main pids seen, memory samples in MB."""

    name: str
    pids: list[int] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)


@dataclass
class Stack:
    """The running runstack: its process, address, var dir and log."""

    process: "subprocess.Popen[bytes]"
    base: str
    var_dir: Path
    log: Path


@dataclass
class Soak:
    started: float
    requests: int = 0
    errors: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    created: int = 0
    groups: dict[str, Group] = field(default_factory=dict)
    queue_files_max: int = 0
    outbox: dict[str, int] = field(default_factory=dict)
    overdue_max: int = 0
    deaths: list[str] = field(default_factory=list)


def main() -> int:
    args = _arguments()
    var_dir = args.var_dir or Path(tempfile.mkdtemp(prefix="soak-embedded-"))
    var_dir.mkdir(parents=True, exist_ok=True)
    env = {key: value for key, value in os.environ.items() if key not in SCRUBBED_ENV}
    env.update(
        SERVICEDESK_VAR_DIR=str(var_dir),
        DJANGO_SETTINGS_MODULE=DJANGO_SETTINGS,
        EMAIL_BACKEND=args.email_backend,
        PYTHONUNBUFFERED="1",
    )
    os.environ.update(env)
    for name in SCRUBBED_ENV:
        os.environ.pop(name, None)
    manage = [sys.executable, str(ROOT / "manage.py")]
    for command in (["migrate", "--noinput", "-v", "0"], ["seed_demo"]):
        subprocess.run([*manage, *command], cwd=ROOT, env=env, check=True, capture_output=True)
    token = _token()
    port = args.port or _free_port()
    log = var_dir / "soak-runstack.log"
    seconds = args.minutes * 60 if args.minutes else args.hours * 3600
    _say(f"soak: {seconds / 60:.0f} min, var dir {var_dir}, port {port}, log {log}")
    with log.open("ab") as out:
        process = subprocess.Popen(
            [*manage, "runstack", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    stack = Stack(process, f"http://127.0.0.1:{port}", var_dir, log)
    _say(f"soak: runstack pid {process.pid}")
    soak = Soak(started=time.time())
    try:
        _wait_healthy(stack)
        soak.started = time.time()
        _drive(soak, stack, token, seconds, args)
        _drain(soak, stack, args.drain_seconds)
    finally:
        stopped = _stop(process)
    _read_deaths(soak, log)
    if not stopped:
        soak.deaths.append(f"runstack did not stop cleanly (exit {process.returncode})")
    _say(_report(soak, final=True))
    lost = sum(soak.outbox.get(status, 0) for status in (*OPEN_STATUSES, "failed"))
    return 1 if soak.deaths or lost or soak.errors else 0


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hours", type=float, default=6.0)
    parser.add_argument("--minutes", type=float, default=0.0, help="overrides --hours")
    parser.add_argument("--var-dir", type=Path, default=None, help="reuse this var dir")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--rate", type=float, default=1.0, help="incidents created per second")
    parser.add_argument("--sample-seconds", type=float, default=10.0)
    parser.add_argument("--report-minutes", type=float, default=10.0)
    parser.add_argument("--drain-seconds", type=float, default=120.0)
    parser.add_argument("--email-backend", default="django.core.mail.backends.dummy.EmailBackend")
    return parser.parse_args()


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _token() -> str:
    import logging

    import django

    django.setup()
    # One log line per request would bury the reports.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    from core.api.tokens import api_token_create
    from core.models import User

    agent = User.objects.get(username="agent1")
    name = f"soak-{int(time.time())}"
    return api_token_create(user=agent, name=name, scopes=["read", "write"]).secret


def _wait_healthy(stack: Stack) -> None:
    base = stack.base
    deadline = time.monotonic() + HEALTHY_WITHIN_SECONDS
    while time.monotonic() < deadline:
        if stack.process.poll() is not None:
            code = stack.process.returncode
            raise SystemExit(f"runstack exited with {code} before it was healthy")
        try:
            if httpx.get(f"{base}/healthz", timeout=3).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"{base}/healthz did not answer 200 within {HEALTHY_WITHIN_SECONDS:.0f} s")


# --- load -----------------------------------------------------------------------------------


def _drive(soak: Soak, stack: Stack, token: str, seconds: float, args: argparse.Namespace) -> None:
    """Create, read and list at --rate until the time is up or runstack exits."""
    end = soak.started + seconds
    next_sample = next_report = time.time()
    period = 1.0 / args.rate
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=stack.base, headers=headers, timeout=10) as client:
        while time.time() < end and stack.process.poll() is None:
            tick = time.monotonic()
            _round_trip(soak, client)
            now = time.time()
            if now >= next_sample:
                _sample(soak, stack)
                next_sample = now + args.sample_seconds
            if now >= next_report:
                _read_deaths(soak, stack.log)
                _say(_report(soak, final=False))
                next_report = now + args.report_minutes * 60
            time.sleep(max(0.0, period - (time.monotonic() - tick)))
    if stack.process.poll() is not None:
        soak.deaths.append(f"runstack exited on its own ({stack.process.returncode})")


def _round_trip(soak: Soak, client: httpx.Client) -> None:
    number = soak.created + 1
    created = _request(
        soak, client, "POST", "/api/v1/incidents/", {"title": f"Soak incident {number}"}
    )
    if created is None:
        return
    soak.created += 1
    _request(soak, client, "GET", f"/api/v1/incidents/{created['number']}/", None)
    _request(soak, client, "GET", "/api/v1/incidents/?page_size=20", None)


def _request(
    soak: Soak, client: httpx.Client, method: str, path: str, body: dict[str, str] | None
) -> dict[str, str] | None:
    soak.requests += 1
    started = time.monotonic()
    try:
        response = client.request(method, path, json=body)
    except httpx.HTTPError as exc:
        soak.errors.append(f"{method} {path}: {type(exc).__name__}: {exc}")
        return None
    soak.latencies.append(time.monotonic() - started)
    if response.status_code >= 300:
        soak.errors.append(f"{method} {path}: HTTP {response.status_code} {response.text[:200]}")
        return None
    answer: dict[str, str] = response.json()
    return answer


# --- observation ----------------------------------------------------------------------------


def _sample(soak: Soak, stack: Stack) -> None:
    for name, (leader, rss_mb) in _stack_groups(stack.process.pid).items():
        group = soak.groups.setdefault(name, Group(name))
        if leader not in group.pids:
            group.pids.append(leader)
        group.rss_mb.append(rss_mb)
    queue = stack.var_dir / "celery" / "queue"
    if queue.is_dir():
        soak.queue_files_max = max(soak.queue_files_max, len(list(queue.glob("*.msg"))))
    _count_outbox(soak)


def _stack_groups(runstack_pid: int) -> dict[str, tuple[int, float]]:
    """Each child of runstack (it starts each in its own session): its role, its pid and the
    resident memory of its whole session (gunicorn's workers, Celery's pool) in MB."""
    processes = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            rss = re.search(r"VmRSS:\s+(\d+) kB", (entry / "status").read_text())
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if rss:
            processes.append((int(entry.name), int(stat[1]), int(stat[3]), int(rss[1]), command))
    groups: dict[str, tuple[int, float]] = {}
    for pid, ppid, _, _, command in processes:
        if ppid == runstack_pid:
            rss_kb = sum(member[3] for member in processes if member[2] == pid)
            groups[_role(command)] = (pid, rss_kb / 1024)
    return groups


def _role(command: str) -> str:
    if "gunicorn" in command:
        return "web"
    if " beat " in command:
        return "beat"
    if "-n sla@" in command:
        return "sla"
    return "worker"


def _count_outbox(soak: Soak) -> None:
    from datetime import UTC, datetime, timedelta

    from django.db import connection
    from django.db.models import Count

    from core.models import OutboxMessage

    since = datetime.fromtimestamp(soak.started, tz=UTC)
    rows = OutboxMessage.objects.filter(created_at__gte=since)
    soak.outbox = dict(rows.values_list("status").annotate(n=Count("id")).order_by())
    overdue = rows.filter(
        status__in=OPEN_STATUSES, created_at__lt=datetime.now(tz=UTC) - timedelta(seconds=60)
    ).count()
    soak.overdue_max = max(soak.overdue_max, overdue)
    connection.close()


def _read_deaths(soak: Soak, log: Path) -> None:
    lines = log.read_text(errors="replace").splitlines() if log.exists() else []
    found = [line for line in lines if DEATH_LINE.match(line)]
    soak.deaths = [*found, *(d for d in soak.deaths if not DEATH_LINE.match(d))]


def _drain(soak: Soak, stack: Stack, seconds: float) -> None:
    """After the load: wait (bounded) until no outbox row of the soak is still open."""
    deadline = time.time() + seconds
    while time.time() < deadline and stack.process.poll() is None:
        _sample(soak, stack)
        if not any(soak.outbox.get(status) for status in OPEN_STATUSES):
            return
        time.sleep(2)


def _stop(stack: subprocess.Popen[bytes]) -> bool:
    """SIGTERM runstack (it stops its children); True if it exited cleanly in time."""
    if stack.poll() is not None:
        return False
    stack.send_signal(signal.SIGTERM)
    try:
        stack.wait(STOP_WITHIN_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(stack.pid, signal.SIGKILL)
        stack.wait()
        return False
    return stack.returncode == 0


# --- report ---------------------------------------------------------------------------------


def _report(soak: Soak, *, final: bool) -> str:
    elapsed = time.time() - soak.started
    latencies = sorted(soak.latencies)
    p50 = statistics.median(latencies) * 1000 if latencies else 0.0
    p99 = latencies[int(len(latencies) * 0.99)] * 1000 if latencies else 0.0
    title = "FINAL" if final else "progress"
    lines = [
        f"--- soak {title} after {elapsed / 60:.1f} min ---",
        f"requests {soak.requests} ({soak.requests / max(elapsed, 1):.1f}/s), errors "
        f"{len(soak.errors)}, p50 {p50:.0f} ms, p99 {p99:.0f} ms, max "
        f"{(latencies[-1] * 1000 if latencies else 0):.0f} ms; incidents created {soak.created}",
        f"outbox rows of the soak: {dict(sorted(soak.outbox.items()))}; open > 60 s at worst: "
        f"{soak.overdue_max}; broker queue files at worst: {soak.queue_files_max}",
        f"{'process':<8} {'main pids':<20} {'RSS MB first':>12} {'last':>8} {'max':>8}",
    ]
    for name in ("web", "worker", "sla", "beat"):
        group = soak.groups.get(name)
        if group is None or not group.rss_mb:
            lines.append(f"{name:<8} {'(not seen)':<20}")
            continue
        pids = ",".join(str(pid) for pid in group.pids)
        lines.append(
            f"{name:<8} {pids:<20} {group.rss_mb[0]:>12.0f} {group.rss_mb[-1]:>8.0f} "
            f"{max(group.rss_mb):>8.0f}"
        )
    lines.append(f"deaths/restarts: {len(soak.deaths)}")
    lines.extend(f"  {death}" for death in soak.deaths[:10])
    lines.extend(f"  error: {error}" for error in soak.errors[:5])
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
