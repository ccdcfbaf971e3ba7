"""The real processes benchmarks/faults.py breaks: a PostgreSQL cluster of its own, a TCP proxy in
front of it, a slow-able webhook receiver, gunicorn, two Celery workers and beat.

Everything listens on free local ports and lives in one temporary folder; `Stack.stop()` ends
every process it started, whatever state it is in. The proxy and the receiver run in child
processes, so their threads never compete with the load generator for this process's GIL (a
stall there would show up as server latency).

The proxy is in the application's path only with `through_proxy=True`: a Python proxy adds a
thread hand-off to every query round trip, which on a busy 2-core machine made the worker's
email batches ten times slower than the same code connected directly. So the faults run on a
direct connection, and the proxy is put in the path for the one fault that needs it (R3b).
"""

import contextlib
import json
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing.connection import Connection
from multiprocessing.sharedctypes import Synchronized
from pathlib import Path
from typing import Any

from _setup import ROOT
from api_bench import Gunicorn

from tests.faults.components import RedisServer, TcpProxy, free_port, wait_for_port

PG_BIN_CANDIDATES = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


def _pg_binary(name: str) -> str:
    for folder in PG_BIN_CANDIDATES:
        if (folder / name).exists():
            return str(folder / name)
    found = shutil.which(name)
    if found is None:
        raise SystemExit(f"{name} not found (install PostgreSQL server binaries)")
    return found


class PostgresCluster:
    """`initdb` into a temporary folder; started and stopped with `pg_ctl`. PostgreSQL refuses to
    run as root, so as root the cluster belongs to (and runs as) the `postgres` user."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder / "pgdata"
        self.port = free_port()
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def _run(self, *command: str, timeout: float = 60) -> None:
        subprocess.run([*self.as_user, *command], check=True, timeout=timeout, capture_output=True)

    def create(self) -> None:
        self.folder.mkdir(mode=0o700)
        if self.as_user:
            shutil.chown(self.folder, "postgres", "postgres")
            shutil.chown(self.folder.parent, "postgres", "postgres")
        self._run(_pg_binary("initdb"), "-D", str(self.folder), "-A", "trust", "-U", "postgres")
        self.start()
        subprocess.run(
            ["psql", self.admin_url, "-q", "-c", "CREATE DATABASE servicedesk"],
            check=True,
            timeout=30,
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.folder}"
            " -c max_connections=200 -c shared_buffers=128MB"
        )
        self._run(
            _pg_binary("pg_ctl"), "-D", str(self.folder), "-l", str(self.folder / "server.log"),
            "-o", options, "-w", "-t", "60", "start",
        )  # fmt: skip

    def stop(self) -> None:
        self._run(_pg_binary("pg_ctl"), "-D", str(self.folder), "-m", "fast", "-w", "stop")

    @property
    def admin_url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, port: int | None = None) -> str:
        return f"postgres://postgres@127.0.0.1:{port or self.port}/servicedesk"

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            self.stop()


# --- the TCP proxy, in a child process ---------------------------------------------------------


def _proxy_main(target_port: int, commands: Connection) -> None:
    proxy = TcpProxy("127.0.0.1", target_port)
    commands.send(proxy.port)
    while True:
        command = commands.recv() if commands.poll(1.0) else None
        if command == "cut":
            proxy.cut()
        elif command == "restore":
            proxy.restore()
        elif command == "close":
            proxy.close()
            return
        if command:
            commands.send("ok")


class ProxyProcess:
    """tests.faults.components.TcpProxy run in a child process, driven through a pipe."""

    def __init__(self, target_port: int) -> None:
        self._commands, child = multiprocessing.Pipe()
        self.process = multiprocessing.Process(
            target=_proxy_main, args=(target_port, child), daemon=True
        )
        self.process.start()
        self.port = int(self._commands.recv())

    def _send(self, command: str) -> None:
        self._commands.send(command)
        if not self._commands.poll(10):
            raise TimeoutError(f"the proxy did not confirm {command!r}")
        self._commands.recv()

    def cut(self) -> None:
        self._send("cut")

    def restore(self) -> None:
        self._send("restore")

    def close(self) -> None:
        with contextlib.suppress(OSError, TimeoutError, EOFError):
            self._send("close")
        self.process.join(5)
        if self.process.is_alive():
            self.process.kill()


# --- the webhook receiver, in a child process --------------------------------------------------


def _receiver_main(port: int, log_path: str, delay: Any, in_flight: Any) -> None:
    log = Path(log_path).open("a", buffering=1)  # noqa: SIM115 — open for the process's life

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with in_flight.get_lock():
                in_flight.value += 1
            try:
                time.sleep(delay.value)
                try:
                    event_id = json.loads(body).get("id", "")
                except ValueError:
                    event_id = "invalid-json"
                delivery = self.headers.get("X-ServiceDesk-Delivery", "")
                log.write(f"{time.time():.3f} {delivery} {event_id}\n")
                self.send_response(204)
                self.end_headers()
            finally:
                with in_flight.get_lock():
                    in_flight.value -= 1

        def log_message(self, format: str, *args: object) -> None:
            return

    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


class WebhookReceiver:
    """Answers 204 after `delay` seconds and logs `time delivery-id event-id` per POST."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.log_path = folder / "webhooks.log"
        self.log_path.touch()
        self._delay: Synchronized[float] = multiprocessing.Value("d", 0.0)
        self._in_flight: Synchronized[int] = multiprocessing.Value("i", 0)
        self.process = multiprocessing.Process(
            target=_receiver_main,
            args=(self.port, str(self.log_path), self._delay, self._in_flight),
            daemon=True,
        )
        self.process.start()
        wait_for_port(self.port)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def slow_down(self, seconds: float) -> None:
        self._delay.value = seconds

    @property
    def in_flight(self) -> int:
        return int(self._in_flight.value)

    def received(self) -> list[tuple[float, str, str]]:
        rows = []
        for line in self.log_path.read_text().splitlines():
            stamp, delivery, event = line.split(" ", 2)
            rows.append((float(stamp), delivery, event))
        return rows

    def stop(self) -> None:
        self.process.kill()
        self.process.join(5)


# --- Celery processes --------------------------------------------------------------------------


class CeleryProcess:
    """A Celery worker or beat in its own process group, so a SIGKILL takes its children too."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], folder: Path) -> None:
        self.name, self.args, self.env, self.folder = name, args, env, folder
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self, **extra_env: str) -> None:
        self.starts += 1
        log = (self.folder / f"{self.name}.log").open("ab")
        self.process = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "celery"), "-A", "config", *self.args],
            cwd=ROOT,
            env={**self.env, **extra_env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self) -> None:
        """SIGKILL the whole process group: the worker and its pool children at once."""
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)
        self.process = None

    def stop(self) -> None:
        """A warm shutdown (SIGTERM), then SIGKILL after 30 s."""
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        self.process = None


class Stack:
    """Redis, PostgreSQL (optionally through a proxy), webhook receiver, gunicorn, workers and
    beat."""

    def __init__(self, *, through_proxy: bool = False) -> None:
        self.through_proxy = through_proxy
        self.folder = Path(tempfile.mkdtemp(prefix="faults-bench-"))
        self.redis = RedisServer()
        self.postgres = PostgresCluster(self.folder)
        self.proxy: ProxyProcess | None = None
        self.receiver: WebhookReceiver | None = None
        self.gunicorn: Gunicorn | None = None
        self.celery: dict[str, CeleryProcess] = {}
        self.mail_folder = self.folder / "mail"
        self.env: dict[str, str] = {}

    def start_servers(self) -> None:
        """Redis, PostgreSQL, proxy and receiver: what the setup needs before the app runs."""
        self.redis.start()
        self.postgres.create()
        self.proxy = ProxyProcess(self.postgres.port)
        self.receiver = WebhookReceiver(self.folder)
        self.mail_folder.mkdir()
        (self.folder / "var" / "celery").mkdir(parents=True)
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "PYTHONPATH": str(ROOT),
            "DEBUG": "0",
            "SECRET_KEY": "faults-bench-" + "x" * 40,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": self.postgres.url(self.proxy.port if self.through_proxy else None),
            "DB_CONN_MAX_AGE": "60",
            "CELERY_BROKER_URL": f"{self.redis.url}/0",
            "CACHE_URL": f"{self.redis.url}/1",
            "SERVICEDESK_VAR_DIR": str(self.folder / "var"),
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(self.mail_folder),
            "SLA_SWEEP_INTERVAL_SECONDS": "5",
            "WORKER_HEARTBEAT_SECONDS": "5",
            "WEBHOOK_TIMEOUT_SECONDS": "5",
            "WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",
            "LOG_LEVEL": "WARNING",
        }

    def start_app(self) -> None:
        self.gunicorn = Gunicorn(self.env["DATABASE_URL"], workers=3, threads=4)
        self.gunicorn.log_path = self.folder / "gunicorn.log"
        # Throttles stay on (their cache reads are what a Redis outage used to break).
        self.gunicorn.env.update(
            {k: v for k, v in self.env.items() if k not in {"API_THROTTLE_USER", "AXES_ENABLED"}}
        )
        self.gunicorn.env.update(API_THROTTLE_USER="1200/minute", API_THROTTLE_ANON="60/minute")
        self.gunicorn.__enter__()
        level = ["--loglevel", "WARNING"]
        definitions = {
            "worker-default": ["worker", "-Q", "default", "-c", "2", "-n", "default@%h", *level],
            "worker-sla": ["worker", "-Q", "sla", "-c", "1", "-n", "sla@%h", *level],
            "beat": ["beat", "-s", str(self.folder / "beat-schedule"), *level],
        }
        for name, args in definitions.items():
            self.celery[name] = CeleryProcess(name, args, self.env, self.folder)
            self.celery[name].start()

    def add_celery(self, name: str, args: list[str]) -> CeleryProcess:
        process = CeleryProcess(name, args, self.env, self.folder)
        self.celery[name] = process
        process.start()
        return process

    @property
    def web_port(self) -> int:
        assert self.gunicorn is not None
        return self.gunicorn.port

    def stop(self) -> None:
        for process in self.celery.values():
            with contextlib.suppress(Exception):
                process.stop()
        if self.gunicorn is not None:
            with contextlib.suppress(Exception):
                self.gunicorn.__exit__(None, None, None)
        for closer in (
            self.receiver.stop if self.receiver else None,
            self.proxy.close if self.proxy else None,
            self.postgres.destroy,
            self.redis.stop,
        ):
            if closer is not None:
                with contextlib.suppress(Exception):
                    closer()
        if os.environ.get("FAULTS_KEEP_FOLDER"):
            sys.stderr.write(f"kept {self.folder}\n")
        else:
            shutil.rmtree(self.folder, ignore_errors=True)
