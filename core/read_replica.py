"""Reads that may come from a PostgreSQL streaming replica (DATABASE_REPLICA_URL).

Only code that says so reads the replica: reports, dashboards, CSV exports and /metrics run their
queries inside `replica_reads()` (a context manager) or a view decorated with `@reads_replica`;
everything else, and every write, uses the primary. A page that shows what its user has just
written (a ticket after an action, the dashboard's own subscriptions) stays on the primary, since
a replica is always a little behind.

Inside the scope `ReplicaRouter` sends the ORM's reads to the alias chosen when the scope began,
and raw SQL takes `read_connection()`. The choice is the replica when it answers and has replayed
what it received, or lags by at most DATABASE_REPLICA_MAX_LAG seconds; otherwise the primary.
The probe is one short connection (a 0.5 s TCP check first, so a dead host never holds a page for
the 2 s libpq minimum of connect_timeout), cached per process for DATABASE_REPLICA_CHECK_SECONDS
(a replica found down is probed again after DOWN_RECHECK_SECONDS). /healthz reports the same
state (core.health).

Lag is measured as PostgreSQL's documentation suggests, with one correction: `now() -
pg_last_xact_replay_timestamp()` keeps growing while the primary is idle, so a replica whose
replayed WAL position has reached the position it received is caught up (lag 0), whatever that
timestamp says.
"""

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from functools import wraps
from typing import Any, ParamSpec, TypeVar

import psycopg
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.backends.base.base import BaseDatabaseWrapper

REPLICA_ALIAS = "replica"
TCP_PROBE_SECONDS = 0.5
CONNECT_TIMEOUT_SECONDS = 2
DOWN_RECHECK_SECONDS = 30.0

LAG_SQL = """
    SELECT pg_is_in_recovery(),
      COALESCE(pg_last_wal_receive_lsn() <= pg_last_wal_replay_lsn(), false),
      EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp())
"""

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")

_read_alias: ContextVar[str | None] = ContextVar("read_alias", default=None)


@dataclass(frozen=True)
class ReplicaState:
    """What the last probe found: `state` is "ok", "lagging" or "down"; `lag_seconds` is None
    when unknown (down, or nothing replayed yet); `error` says why it is down."""

    state: str
    lag_seconds: float | None = None
    error: str = ""

    @property
    def usable(self) -> bool:
        return self.state == "ok"

    def report(self) -> dict[str, Any]:
        """The /healthz entry."""
        lag = None if self.lag_seconds is None else round(self.lag_seconds, 1)
        if self.state == "ok":
            detail = "replica ok: reports read the replica"
        elif self.state == "lagging":
            shown = "an unknown time" if lag is None else f"{lag} s"
            detail = f"replica lagging {shown}: reports read the primary"
        else:
            detail = f"replica down: reports read the primary ({self.error})"
        return {
            "ok": self.usable,
            "state": self.state,
            "lag_s": lag,
            "max_lag_s": settings.DATABASE_REPLICA_MAX_LAG,
            "reads": REPLICA_ALIAS if self.usable else "primary",
            "detail": detail,
        }


def replica_configured() -> bool:
    return REPLICA_ALIAS in connections.settings


def _tcp_reachable(host: str, port: int) -> None:
    with socket.create_connection((host, port), timeout=TCP_PROBE_SECONDS):
        pass


def _measure(params: dict[str, Any]) -> ReplicaState:
    host = params.get("HOST") or "localhost"
    port = int(params.get("PORT") or 5432)
    if not host.startswith("/"):
        _tcp_reachable(host, port)
    with psycopg.connect(
        dbname=params.get("NAME") or "",
        user=params.get("USER") or None,
        password=params.get("PASSWORD") or None,
        host=host,
        port=port,
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        autocommit=True,
        prepare_threshold=None,
    ) as probe:
        row = probe.execute(LAG_SQL).fetchone()
    assert row is not None
    in_recovery, caught_up, behind = row
    if not in_recovery or caught_up:
        return ReplicaState("ok", 0.0)
    lag = None if behind is None else max(0.0, float(behind))
    if lag is not None and lag <= settings.DATABASE_REPLICA_MAX_LAG:
        return ReplicaState("ok", lag)
    return ReplicaState("lagging", lag)


def probe_replica() -> ReplicaState:
    """Ask the replica now (no cache)."""
    try:
        return _measure(connections.settings[REPLICA_ALIAS])
    except Exception as exc:
        return ReplicaState("down", None, f"{type(exc).__name__}: {exc}"[:300])


class _Memo:
    """The last probe of this process and when it expires."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.state: ReplicaState | None = None
        self.expires = 0.0

    def get(self) -> ReplicaState:
        with self.lock:
            now = time.monotonic()
            if self.state is None or now >= self.expires:
                self.state = probe_replica()
                keep = settings.DATABASE_REPLICA_CHECK_SECONDS
                if self.state.state == "down":
                    keep = max(keep, DOWN_RECHECK_SECONDS)
                self.expires = now + keep
            return self.state

    def forget(self) -> None:
        with self.lock:
            self.state = None


_MEMO = _Memo()


def replica_state() -> ReplicaState | None:
    """The replica's state (probed at most every few seconds), None without a replica."""
    return _MEMO.get() if replica_configured() else None


def forget_replica_state() -> None:
    """Probe again at the next question (tests, and after a configuration change)."""
    _MEMO.forget()


def _chosen_alias() -> str:
    state = replica_state()
    return REPLICA_ALIAS if state is not None and state.usable else DEFAULT_DB_ALIAS


@contextlib.contextmanager
def _reading(alias: str) -> Iterator[str]:
    token = _read_alias.set(alias)
    try:
        yield alias
    finally:
        _read_alias.reset(token)


@contextlib.contextmanager
def replica_reads() -> Iterator[str]:
    """Within: ORM reads and `read_connection()` use the replica when it is usable, else the
    primary. Writes always go to the primary. Yields the alias chosen."""
    with _reading(_chosen_alias()) as alias:
        try:
            yield alias
        except DatabaseError:
            # The replica failed between two probes: ask again before the next reader uses it.
            if alias == REPLICA_ALIAS:
                forget_replica_state()
            raise


def reads_replica(view: Callable[P, R]) -> Callable[P, R]:
    """A view whose reads may come from the replica. Put it inside the decorators that
    authenticate (login_required, manager_required), so the user and session are read from the
    primary. A streamed response keeps the alias chosen for the view while it streams."""

    @wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
        with replica_reads() as alias:
            response = view(*args, **kwargs)
        if getattr(response, "streaming", False):
            stream: Any = response
            stream.streaming_content = streamed_from(alias, stream.streaming_content)
        return response

    return wrapped


def streamed_from(alias: str, items: Iterable[T]) -> Iterator[T]:
    """`items`, each produced with reads on `alias`. The scope is entered per item rather than
    around the whole generator, so it never leaks into the server code between items."""
    iterator = iter(items)
    while True:
        with _reading(alias):
            try:
                item = next(iterator)
            except StopIteration:
                return
        yield item


def streamed_from_replica(items: Iterable[T]) -> Iterator[T]:
    """`items` read from the replica when it is usable (chosen now, kept for the whole stream)."""
    return streamed_from(_chosen_alias(), items)


def read_alias() -> str:
    """The alias reads use here: the scope's choice, or the primary outside any scope."""
    return _read_alias.get() or DEFAULT_DB_ALIAS


def read_connection() -> BaseDatabaseWrapper:
    """The connection for raw SQL reads (reporting.sql), following the scope."""
    return connections[read_alias()]


class ReplicaRouter:
    """Reads inside a replica scope go to its alias; every write, and every read elsewhere, to
    the primary. Objects from the two are the same rows, so relations between them are fine; the
    replica is never migrated (it replays the primary's schema)."""

    def db_for_read(self, model: type[Any], **hints: Any) -> str:
        return read_alias()

    def db_for_write(self, model: type[Any], **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        both = {obj1._state.db, obj2._state.db}
        return True if both <= {DEFAULT_DB_ALIAS, REPLICA_ALIAS, None} else None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        return False if db == REPLICA_ALIAS else None
