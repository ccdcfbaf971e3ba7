"""The replica scope and router (core.read_replica) without a replica server: which alias reads
and writes use, in and out of the scope and while a response streams; the probe of a replica
that does not answer; the settings of DATABASE_REPLICA_URL and DATABASE_POOLING. The same code
against a real streaming replica: tests/database/test_read_replica.py."""

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse

from core import read_replica
from core.keyset_chunks import keyset_chunks
from core.models import User
from core.read_replica import (
    REPLICA_ALIAS,
    ReplicaRouter,
    ReplicaState,
    forget_replica_state,
    read_alias,
    reads_replica,
    replica_reads,
    replica_state,
    streamed_from,
)
from tests.faults.components import free_port

REPO = Path(__file__).resolve().parents[2]
ROUTER = ReplicaRouter()


@pytest.fixture
def usable(monkeypatch: pytest.MonkeyPatch) -> None:
    """A replica the probe finds caught up."""
    monkeypatch.setattr(read_replica, "replica_state", lambda: ReplicaState("ok", 0.0))


@pytest.fixture
def unreachable(settings: Any) -> Iterator[None]:
    """A replica alias on a local port where nothing listens."""
    settings.DATABASE_REPLICA_CHECK_SECONDS = 3600.0
    connections.settings[REPLICA_ALIAS] = {
        **connections[DEFAULT_DB_ALIAS].settings_dict,
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "servicedesk",
        "USER": "postgres",
        "HOST": "127.0.0.1",
        "PORT": str(free_port()),
    }
    forget_replica_state()
    try:
        yield
    finally:
        del connections.settings[REPLICA_ALIAS]
        forget_replica_state()


def test_without_a_replica_every_read_uses_the_primary() -> None:
    assert replica_state() is None
    with replica_reads() as alias:
        assert alias == DEFAULT_DB_ALIAS
        assert ROUTER.db_for_read(User) == DEFAULT_DB_ALIAS


def test_only_reads_inside_the_scope_go_to_a_usable_replica(usable: None) -> None:
    assert ROUTER.db_for_read(User) == DEFAULT_DB_ALIAS
    with replica_reads() as alias:
        assert alias == REPLICA_ALIAS
        assert ROUTER.db_for_read(User) == REPLICA_ALIAS
        assert ROUTER.db_for_write(User) == DEFAULT_DB_ALIAS
    assert read_alias() == DEFAULT_DB_ALIAS
    assert ROUTER.allow_migrate(REPLICA_ALIAS, "core") is False
    assert ROUTER.allow_migrate(DEFAULT_DB_ALIAS, "core") is None


def test_a_streamed_response_reads_the_replica_per_item_and_never_between(usable: None) -> None:
    seen: list[str] = []

    def lines() -> Iterator[bytes]:
        for _ in range(3):
            seen.append(read_alias())
            yield b"line\n"

    @reads_replica
    def view(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
        return StreamingHttpResponse(lines())

    response = view(HttpRequest())
    assert read_alias() == DEFAULT_DB_ALIAS
    between = []
    for _ in response:
        between.append(read_alias())
    assert seen == [REPLICA_ALIAS] * 3
    assert between == [DEFAULT_DB_ALIAS] * 3


def test_streamed_from_stops_cleanly_and_resets_the_scope() -> None:
    items = list(streamed_from(REPLICA_ALIAS, (read_alias() for _ in range(2))))
    assert items == [REPLICA_ALIAS, REPLICA_ALIAS]
    assert read_alias() == DEFAULT_DB_ALIAS


def test_a_replica_that_does_not_answer_is_down_within_a_second(unreachable: None) -> None:
    started = time.monotonic()
    state = replica_state()
    assert time.monotonic() - started < 1.0
    assert state is not None and state.state == "down"
    report = state.report()
    assert (report["ok"], report["reads"]) == (False, "primary")
    assert "down" in report["detail"]
    with replica_reads() as alias:
        assert alias == DEFAULT_DB_ALIAS
    # Kept: the next question does not probe again.
    again = time.monotonic()
    assert replica_state() is state
    assert time.monotonic() - again < 0.05


def test_healthz_reports_the_replica(db: None, unreachable: None, client: Any) -> None:
    check = client.get("/healthz").json()["checks"]["replica"]
    assert (check["ok"], check["state"], check["reads"]) == (False, "down", "primary")


def test_the_states_say_where_reports_read() -> None:
    assert ReplicaState("ok", 0.0).report()["detail"] == "replica ok: reports read the replica"
    lagging = ReplicaState("lagging", 42.04).report()
    assert lagging["detail"] == "replica lagging 42.0 s: reports read the primary"
    assert lagging["lag_s"] == 42.0
    assert "unknown" in ReplicaState("lagging", None).report()["detail"]


def test_keyset_chunks_stop_after_a_short_chunk() -> None:
    rows = list(range(1, 8))
    asked: list[Any] = []

    def fetch(after: int | None, limit: int) -> list[int]:
        asked.append(after)
        return [r for r in rows if after is None or r > after][:limit]

    chunks = list(keyset_chunks(fetch, lambda r: r, chunk_size=3))
    assert chunks == [[1, 2, 3], [4, 5, 6], [7]]
    assert asked == [None, 3, 6]
    with pytest.raises(ValueError, match="chunk_size"):
        list(keyset_chunks(fetch, lambda r: r, chunk_size=0))


def _databases(**env: str) -> subprocess.CompletedProcess[str]:
    code = (
        "import django, json; django.setup(); from django.conf import settings; "
        "print(json.dumps({a: {'cursors': d.get('DISABLE_SERVER_SIDE_CURSORS', False), "
        "'options': d['OPTIONS'], 'test': d.get('TEST', {})} "
        "for a, d in settings.DATABASES.items()}, default=str))"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_replica_and_transaction_pooling_settings() -> None:
    import json

    done = _databases(
        DATABASE_URL="postgres://app@db:6432/servicedesk",
        DATABASE_REPLICA_URL="postgres://app@replica:6432/servicedesk",
        DATABASE_POOLING="transaction",
    )
    assert done.returncode == 0, done.stderr
    databases = json.loads(done.stdout)
    assert set(databases) == {"default", "replica"}
    for alias in ("default", "replica"):
        assert databases[alias]["cursors"] is True
        assert databases[alias]["options"]["prepare_threshold"] is None
    assert databases["replica"]["test"]["MIRROR"] == "default"
    plain = json.loads(_databases(DATABASE_URL="postgres://app@db/servicedesk").stdout)
    assert set(plain) == {"default"}
    assert plain["default"]["cursors"] is False
    # A direct connection prepares the statements the app keeps (core.kept_statements).
    assert plain["default"]["options"]["prepare_threshold"] == 2


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DATABASE_POOLING": "statement"}, "DATABASE_POOLING must be session or transaction"),
        ({"DATABASE_REPLICA_URL": "sqlite:///x.db"}, "DATABASE_REPLICA_URL must be a postgres"),
        ({"DATABASE_REPLICA_MAX_LAG": "-1"}, "must not be negative"),
        ({"DATABASE_REPLICA_MAX_LAG": "soon"}, "DATABASE_REPLICA_MAX_LAG must be a number"),
    ],
)
def test_bad_database_settings_stop_start_up(env: dict[str, str], message: str) -> None:
    done = _databases(DATABASE_URL="postgres://app@db/servicedesk", **env)
    assert done.returncode != 0
    assert message in done.stderr.strip().splitlines()[-1]


def test_a_database_error_on_the_replica_makes_the_next_reader_probe_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from django.db import OperationalError

    forgotten: list[bool] = []
    monkeypatch.setattr(read_replica, "replica_state", lambda: ReplicaState("ok", 0.0))
    monkeypatch.setattr(read_replica, "forget_replica_state", lambda: forgotten.append(True))
    with pytest.raises(OperationalError), replica_reads():
        raise OperationalError("server closed the connection unexpectedly")
    assert forgotten == [True]
    with pytest.raises(ValueError, match="not a database error"), replica_reads():
        raise ValueError("not a database error")
    assert forgotten == [True]
