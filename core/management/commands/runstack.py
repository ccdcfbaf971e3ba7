"""`manage.py runstack`: the web app, two Celery workers and Celery beat in one terminal.

This is what `make run` starts on the embedded default (SQLite + our filesystem broker,
core/broker), so a newcomer needs no server. The `worker` serves the `default` queue (the outbox
relay, emails, webhooks); the `sla` worker serves only the `sla` and `paging` queues (two slots),
so an SLA or paging sweep never waits behind a relay backlog, as in docker-compose.yml. Guarantees:

- the web port is checked first: a port already taken is a clear error, not a half-started stack;
- each child's output is prefixed with its name (`web | …`, `worker | …`, `beat | …`);
- the banner (URL, demo logins, "Ctrl-C to stop") appears only once /healthz answers 200, that is
  once the database and the broker both answer;
- Ctrl-C (SIGINT), SIGTERM or SIGHUP stops them all: each gets SIGTERM (a graceful stop for
  gunicorn and a warm shutdown for Celery), and whatever is left after STOP_TIMEOUT_SECONDS is
  killed with its whole process group; a second Ctrl-C kills at once;
- a worker or beat that dies on its own is restarted, after 1 s, then after twice as long at each
  quick crash up to 60 s, and after 1 s again once it had run for a minute (`restart_delay`); each
  death and restart is logged. The web app keeps serving meanwhile: the outbox keeps what the
  workers have not done yet, and the broker puts back what a killed worker had taken;
- if the web app dies on its own, it is the foreground: the others are stopped and the command
  exits non-zero naming it.

The web server is gunicorn, not `runserver`: it is the server production runs (docker-compose.yml),
so static files (whitenoise), threads and graceful shutdown behave here as they will there, and it
stops cleanly on SIGTERM. Children run in their own sessions so that a Ctrl-C in the terminal
reaches only this command, which then stops each child exactly once.
"""

import errno
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO, Any

import httpx
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

STOP_TIMEOUT_SECONDS = 10.0
RESTART_FIRST_DELAY_SECONDS = 1.0
RESTART_MAX_DELAY_SECONDS = 60.0
# A process that ran this long before dying was healthy: its next restart is quick again.
RESTART_STABLE_AFTER_SECONDS = 60.0
READY_TIMEOUT_SECONDS = 90.0
POLL_SECONDS = 0.25
DEMO_PASSWORD = "demo"  # noqa: S105 — the documented password of the seeded demo accounts
DEMO_LOGINS: tuple[tuple[str, str], ...] = (
    ("admin", "administrator (Django admin too)"),
    ("manager", "manager"),
    ("agent1", "agent, L1 (Service Desk)"),
    ("agent2", "agent, L2 (Application Support)"),
    ("agent3", "agent, L3 (Engineering)"),
    ("user", "end user (portal)"),
)
# Addresses that mean "every interface": the health check and the banner use loopback instead.
ANY_ADDRESS = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}  # noqa: S104


@dataclass
class Child:
    """One supervised process; `pump` copies its output to ours, line by line, with a prefix.

    A restartable child that died waits for `restart_at` (monotonic) before it starts again."""

    name: str
    command: list[str]
    restartable: bool
    process: "subprocess.Popen[bytes]"
    pump: threading.Thread = field(init=False)
    started_at: float = field(default_factory=time.monotonic)
    delay: float = 0.0
    restarts: int = 0
    restart_at: float | None = None


def restart_delay(previous: float, uptime: float) -> float:
    """Seconds to wait before restarting a child that died after `uptime` seconds.

    1 s the first time and after a minute of good running; doubled at each quick crash, up to a
    minute, so a child that cannot start costs a log line a minute, not a busy loop."""
    if previous <= 0 or uptime >= RESTART_STABLE_AFTER_SECONDS:
        return RESTART_FIRST_DELAY_SECONDS
    return min(previous * 2, RESTART_MAX_DELAY_SECONDS)


def url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def port_in_use(host: str, port: int) -> bool:
    """Whether something already listens on host:port (SO_REUSEADDR, as the servers bind)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return True
            raise CommandError(f"Cannot listen on {url_host(host)}:{port}: {exc}") from exc
    return False


def prepare_folders() -> None:
    """Create what the filesystem broker, beat and uploads need (kombu does not create them),
    and STATIC_ROOT, which whitenoise warns about while it is missing and DEBUG is off."""
    folders = [
        Path(settings.CELERY_BEAT_SCHEDULE_FILENAME).parent,
        Path(settings.MEDIA_ROOT),
        Path(settings.STATIC_ROOT),
    ]
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        options: dict[str, Any] = settings.CELERY_BROKER_TRANSPORT_OPTIONS
        for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
            if options.get(key):
                folders.append(Path(options[key]))
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)


class Command(BaseCommand):
    help = "Run the web app (gunicorn), the Celery workers and Celery beat until Ctrl-C."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--host",
            default=settings.RUNSTACK_HOST,
            help="Address to listen on (env HOST, default 127.0.0.1).",
        )
        parser.add_argument(
            "--port",
            type=int,
            default=settings.RUNSTACK_PORT,
            help="Port to listen on (env PORT, default 8000).",
        )
        parser.add_argument(
            "--ready-timeout",
            type=float,
            default=READY_TIMEOUT_SECONDS,
            help="Seconds to wait for /healthz before giving up.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        host: str = options["host"]
        port: int = options["port"]
        if port_in_use(host, port):
            raise CommandError(
                f"Port {port} on {url_host(host)} is already in use (is another `make run` "
                f"running?). Stop it, or pick another port: PORT={port + 1} make run"
            )
        prepare_folders()
        # One log line per health probe would bury the children's output.
        logging.getLogger("httpx").setLevel(logging.WARNING)
        self._signals = 0
        # Re-entrant: the signal handler may print while the main thread holds the lock.
        self._output_lock = threading.RLock()
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, self._on_signal)

        children: list[Child] = []
        try:
            for name, command in self._commands(host, port):
                children.append(self._start(name, command, restartable=name != "web"))
            died = self._wait_until_ready(children, host, port, options["ready_timeout"])
            if died is None and not self._signals:
                self._banner(host, port)
                died = self._supervise(children)
        finally:
            self._stop(children)
        if died is not None:
            raise CommandError(
                f"{died.name} {_exit_description(died.process.returncode)} on its own; "
                "stopped the others (see its output above)."
            )
        self._say("Stopped web, workers and beat.")

    # --- children -----------------------------------------------------------------------------

    def _commands(self, host: str, port: int) -> list[tuple[str, list[str]]]:
        python = sys.executable
        log_level = settings.RUNSTACK_CELERY_LOG_LEVEL
        return [
            (
                "web",
                [
                    python, "-m", "gunicorn", "config.wsgi:application",
                    "--bind", f"{url_host(host)}:{port}",
                    "--workers", "2", "--threads", "4",
                    "--timeout", "60", "--graceful-timeout", str(int(STOP_TIMEOUT_SECONDS) - 2),
                    "--access-logfile", "-", "--error-logfile", "-",
                    # gunicorn's control socket is one path per user: two stacks would collide.
                    "--no-control-socket",
                ],
            ),
            (
                "worker",
                [
                    python, "-m", "celery", "-A", "config", "worker", "-n", "default@%h",
                    "-Q", "default", "--concurrency", "2", "--loglevel", log_level,
                    # Two local workers on separate queues: nothing to gossip or mingle about,
                    # and on the filesystem broker every heartbeat would be a file.
                    "--without-gossip", "--without-mingle", "--without-heartbeat",
                ],
            ),
            (
                "sla",
                [
                    # The SLA and paging sweeps: one slot each, never behind the relay.
                    python, "-m", "celery", "-A", "config", "worker", "-n", "sla@%h",
                    "-Q", "sla,paging", "--concurrency", "2", "--loglevel", log_level,
                    "--without-gossip", "--without-mingle", "--without-heartbeat",
                ],
            ),
            (
                "beat",
                [
                    python, "-m", "celery", "-A", "config", "beat", "--loglevel", log_level,
                    "--schedule", str(settings.CELERY_BEAT_SCHEDULE_FILENAME),
                ],
            ),
        ]  # fmt: skip

    def _start(self, name: str, command: list[str], *, restartable: bool) -> Child:
        child = Child(
            name=name, command=command, restartable=restartable, process=self._spawn(command)
        )
        self._pump_output(child)
        return child

    def _spawn(self, command: list[str]) -> "subprocess.Popen[bytes]":
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        return subprocess.Popen(  # noqa: S603 — our own interpreter and fixed arguments
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )

    def _pump_output(self, child: Child) -> None:
        stdout = child.process.stdout
        assert stdout is not None
        child.pump = threading.Thread(
            target=self._pump, args=(child.name, stdout), name=f"pump-{child.name}", daemon=True
        )
        child.pump.start()

    def _pump(self, name: str, stream: IO[bytes]) -> None:
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            self._say(f"{name:<6} | {line}")
        stream.close()

    def _say(self, text: str) -> None:
        with self._output_lock:
            self.stdout.write(text)
            self.stdout.flush()

    # --- lifecycle ----------------------------------------------------------------------------

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self._signals += 1
        if self._signals == 1:
            self._say(f"\n{signal.Signals(signum).name}: stopping (Ctrl-C again to force)...")

    def _tend(self, children: list[Child]) -> Child | None:
        """One supervision pass: restart what is due, schedule restarts for restartable children
        that died; return the first dead child that may not be restarted (the web app)."""
        now = time.monotonic()
        for child in children:
            if child.restart_at is not None:
                if now >= child.restart_at:
                    self._restart(child)
                continue
            if child.process.poll() is None:
                continue
            if not child.restartable:
                return child
            self._schedule_restart(child, now)
        return None

    def _schedule_restart(self, child: Child, now: float) -> None:
        # A Celery worker's pool processes share its process group: none may outlive it.
        _signal_group(child.process.pid, signal.SIGKILL)
        uptime = now - child.started_at
        child.delay = restart_delay(child.delay, uptime)
        child.restart_at = now + child.delay
        self._say(
            f"{'stack':<6} | {child.name} {_exit_description(child.process.returncode)} after "
            f"{uptime:.0f} s; restarting it in {child.delay:.0f} s"
        )

    def _restart(self, child: Child) -> None:
        child.pump.join(timeout=2)
        child.process = self._spawn(child.command)
        child.started_at = time.monotonic()
        child.restart_at = None
        child.restarts += 1
        self._pump_output(child)
        self._say(
            f"{'stack':<6} | {child.name} restarted (pid {child.process.pid}, "
            f"restart {child.restarts})"
        )

    def _wait_until_ready(
        self, children: list[Child], host: str, port: int, timeout: float
    ) -> Child | None:
        """Poll /healthz until it answers 200; return a child that died meanwhile, if any."""
        url = f"http://{url_host(ANY_ADDRESS.get(host, host))}:{port}/healthz"
        deadline = time.monotonic() + timeout
        last = "no answer yet"
        while not self._signals:
            died = self._tend(children)
            if died is not None:
                return died
            try:
                response = httpx.get(url, timeout=3)
            except httpx.HTTPError as exc:
                last = f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code == 200:
                    return None
                last = f"HTTP {response.status_code}: {response.text[:300]}"
            if time.monotonic() > deadline:
                raise CommandError(f"{url} did not answer 200 within {timeout:.0f} s ({last}).")
            time.sleep(POLL_SECONDS * 2)
        return None

    def _supervise(self, children: list[Child]) -> Child | None:
        while not self._signals:
            died = self._tend(children)
            if died is not None:
                return died
            time.sleep(POLL_SECONDS)
        return None

    def _stop(self, children: list[Child]) -> None:
        """SIGTERM each live child, wait, then kill what is left, process groups included."""
        for child in children:
            if child.process.poll() is None:
                _signal_process(child.process.pid, signal.SIGTERM)
        forced_at = self._signals + 1
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        while any(child.process.poll() is None for child in children):
            if time.monotonic() > deadline or self._signals > forced_at:
                break
            time.sleep(POLL_SECONDS)
        for child in children:
            if child.process.poll() is None:
                self._say(f"{child.name:<6} | did not stop in time; killing it")
            # Gunicorn workers and Celery pool processes share their parent's process group;
            # killing the group leaves no orphan behind even if the parent was killed.
            _signal_group(child.process.pid, signal.SIGKILL)
            child.process.wait()
        for child in children:
            child.pump.join(timeout=2)

    def _banner(self, host: str, port: int) -> None:
        base = f"http://{url_host(ANY_ADDRESS.get(host, host))}:{port}"
        from core.models import User
        from core.views import agent_start_path

        existing = set(
            User.objects.filter(username__in=[name for name, _ in DEMO_LOGINS]).values_list(
                "username", flat=True
            )
        )
        rule = "=" * 72
        lines = [
            rule,
            f"  Service desk is running at {base}/",
            "",
            f"    portal (end users)     {base}/portal/",
            f"    agent workspace        {base}{agent_start_path()}",
            f"    admin                  {base}/admin/",
            f"    health                 {base}/healthz",
            "",
        ]
        logins = [(name, role) for name, role in DEMO_LOGINS if name in existing]
        if logins:
            lines.append(f"  Demo logins (password for all: {DEMO_PASSWORD}):")
            lines.extend(f"    {name:<10} {role}" for name, role in logins)
        else:
            lines.append("  No demo accounts yet: run `python manage.py seed_demo` to create them.")
        lines += ["", "  Ctrl-C to stop.", rule]
        self._say("\n".join(lines))


def _exit_description(code: int) -> str:
    return f"was killed by {signal.Signals(-code).name}" if code < 0 else f"exited ({code})"


def _signal_process(pid: int, signum: signal.Signals) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        return


def _signal_group(pgid: int, signum: signal.Signals) -> None:
    try:
        os.killpg(pgid, signum)
    except (ProcessLookupError, PermissionError):
        return
