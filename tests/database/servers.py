"""Throw-away PostgreSQL servers and a PgBouncer for the tests of this folder: each on a free
local port, in a temporary folder that is deleted afterwards.

PostgreSQL refuses to run as root, so as root the servers (and their folders) belong to the
`postgres` user and are started with `runuser -u postgres --`; PgBouncer refuses root as well.
"""

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import psycopg

from tests.conftest import IN_CI
from tests.faults.components import free_port, wait_for_port

PG_BIN = Path("/usr/lib/postgresql/15/bin")
PGBOUNCER = Path("/usr/sbin/pgbouncer")
AS_POSTGRES = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def skip_or_fail(reason: str) -> None:
    """Skip with `reason`, or fail when CI=true (a green CI means these tests ran)."""
    import pytest

    if IN_CI:
        pytest.fail(f"{reason} — required when CI=true", pytrace=False)
    pytest.skip(reason)


def postgres_binaries_missing() -> str:
    names = ("initdb", "pg_ctl", "pg_basebackup", "pg_dump", "psql")
    missing = [name for name in names if not (PG_BIN / name).exists()]
    if missing:
        return f"PostgreSQL 15 server binaries missing in {PG_BIN}: {', '.join(missing)}"
    if AS_POSTGRES and shutil.which("runuser") is None:
        return "running as root needs runuser to start PostgreSQL as the postgres user"
    return ""


@contextlib.contextmanager
def scratch_folder(prefix: str) -> Iterator[Path]:
    """A temporary folder the `postgres` user owns when we run as root."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        if AS_POSTGRES:
            shutil.chown(folder, "postgres", "postgres")
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _run(*command: str | Path, timeout: float = 120) -> None:
    done = subprocess.run(
        [*AS_POSTGRES, *map(str, command)],
        check=False,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{command[0]} failed: {done.stderr.strip() or done.stdout.strip()}")


class Cluster:
    """One PostgreSQL server: a data folder and a port."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()

    def conninfo(self, dbname: str = "postgres") -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname={dbname}"

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 "
            f"-c unix_socket_directories={self.folder} -c max_connections=30 "
            "-c shared_buffers=16MB -c fsync=off"
        )
        _run(PG_BIN / "pg_ctl", "-D", self.folder, "-l", self.folder / "server.log",
             "-o", options, "-w", "-t", "60", "start")  # fmt: skip

    def stop(self) -> None:
        _run(PG_BIN / "pg_ctl", "-D", self.folder, "-m", "immediate", "-w", "stop")

    def destroy(self) -> None:
        with contextlib.suppress(RuntimeError, subprocess.SubprocessError, OSError):
            self.stop()

    def execute(
        self, sql: str, params: tuple[object, ...] = (), dbname: str = "servicedesk"
    ) -> list:
        with psycopg.connect(self.conninfo(dbname), autocommit=True, connect_timeout=5) as conn:
            cursor = conn.execute(sql, params)
            return cursor.fetchall() if cursor.description else []


def start_primary(folder: Path) -> Cluster:
    """A primary that streams WAL (wal_level=replica and a `host replication` trust line)."""
    primary = Cluster(folder / "primary")
    _run(PG_BIN / "initdb", "-D", primary.folder, "-A", "trust", "-U", "postgres")
    with open(primary.folder / "postgresql.conf", "a") as conf:
        conf.write("wal_level = replica\nmax_wal_senders = 5\nhot_standby = on\n")
    with open(primary.folder / "pg_hba.conf", "a") as hba:
        hba.write("host replication all 127.0.0.1/32 trust\n")
    primary.start()
    primary.execute("CREATE DATABASE servicedesk", dbname="postgres")
    return primary


def copy_database(source: dict[str, object], target: Cluster) -> None:
    """The schema and committed rows of the Django database `source` (a settings dict) into
    the target's `servicedesk` database, without owners or grants."""
    dump = subprocess.run(
        [str(PG_BIN / "pg_dump"), "--no-owner", "--no-privileges",
         "-h", str(source["HOST"] or "127.0.0.1"), "-p", str(source["PORT"] or 5432),
         "-U", str(source["USER"] or "postgres"), str(source["NAME"])],
        capture_output=True, timeout=120, check=True,
        env={**os.environ, "PGPASSWORD": str(source.get("PASSWORD") or "")},
    )  # fmt: skip
    subprocess.run(
        [str(PG_BIN / "psql"), "-q", "-v", "ON_ERROR_STOP=1", target.conninfo("servicedesk")],
        input=dump.stdout, capture_output=True, timeout=120, check=True,
    )  # fmt: skip


def start_replica(primary: Cluster, folder: Path) -> Cluster:
    """A hot standby of `primary`, streaming from it (pg_basebackup -R)."""
    replica = Cluster(folder / "replica")
    # A fast checkpoint: the default spreads it over minutes before the copy starts.
    _run(PG_BIN / "pg_basebackup", "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
         "-D", replica.folder, "-R", "-X", "stream", "-c", "fast")  # fmt: skip
    replica.start()
    return replica


def wait_until(predicate, timeout: float = 20.0, what: str = "the condition") -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout} s")
        time.sleep(0.05)


class Bouncer:
    """PgBouncer in transaction pooling in front of a PostgreSQL server (trust auth)."""

    def __init__(self, folder: Path, host: str, port: int) -> None:
        self.folder = folder
        self.port = free_port()
        self.config = folder / "pgbouncer.ini"
        users = folder / "userlist.txt"
        users.write_text('"postgres" ""\n')
        self.config.write_text(
            "[databases]\n"
            f"* = host={host} port={port}\n"
            "[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {self.port}\nunix_socket_dir =\n"
            f"auth_type = trust\nauth_file = {users}\nadmin_users = postgres\n"
            "pool_mode = transaction\ndefault_pool_size = 4\nmax_client_conn = 100\n"
            f"logfile = {folder / 'pgbouncer.log'}\n"
        )
        if AS_POSTGRES:
            for path in (users, self.config):
                shutil.chown(path, "postgres", "postgres")
        self.process = subprocess.Popen(
            [*AS_POSTGRES, str(PGBOUNCER), str(self.config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own group: stopped with runuser's child below
        )
        try:
            wait_for_port(self.port, timeout=10)
        except BaseException:
            self.stop()
            raise

    def stats(self) -> dict[str, int]:
        """Totals over every database from the admin console (SHOW STATS)."""
        conninfo = f"host=127.0.0.1 port={self.port} user=postgres dbname=pgbouncer"
        with psycopg.connect(conninfo, autocommit=True, prepare_threshold=None) as admin:
            cursor = admin.execute("SHOW STATS")
            names = [column.name for column in cursor.description or []]
            totals: dict[str, int] = {}
            for row in cursor.fetchall():
                for name, value in zip(names, row, strict=True):
                    # Counters come as numeric (Decimal) or bigint, by version.
                    if isinstance(value, int | Decimal) and not isinstance(value, bool):
                        totals[name] = totals.get(name, 0) + int(value)
            return totals

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
