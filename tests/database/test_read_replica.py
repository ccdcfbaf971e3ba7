"""Reports against a real streaming replica (core.read_replica): a throw-away primary holding a
copy of the test database's schema, and a hot standby made from it with `pg_basebackup -R`, each
on a free port. The replica alias points at the standby while this module runs.

Incidents are copied onto the throw-away primary only, so a report that counts them tells where
it read: the test database (the primary the app writes to) has one, the replica has more once
it has replayed them. Skipped on SQLite and without the PostgreSQL server binaries; a failure
when CI=true.
"""

import contextlib
import csv
import io
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import count
from typing import Any

import psycopg
import pytest
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from psycopg import sql
from psycopg.types.json import Jsonb

from core.models import OutboxMessage, User
from core.read_replica import REPLICA_ALIAS, forget_replica_state, probe_replica
from incidents.models import Incident
from reporting.services import _send_one, subscription_create
from tests.database.servers import (
    Cluster,
    copy_database,
    postgres_binaries_missing,
    scratch_folder,
    skip_or_fail,
    start_primary,
    start_replica,
    wait_until,
)
from tests.factories import IncidentFactory, ServiceFactory

# Transactional: no test transaction is held open on the replica (a standby cannot be flushed;
# its alias mirrors the default one, so it is not).
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, databases=["default", REPLICA_ALIAS]),
]

COPY_NUMBERS = count(1)


@dataclass
class Pair:
    primary: Cluster
    replica: Cluster

    def replayed(self) -> bool:
        (position,) = self.primary.execute("SELECT pg_current_wal_lsn()::text")[0]
        (done,) = self.replica.execute(
            "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (position,)
        )[0]
        return bool(done)


@pytest.fixture(scope="module")
def pair(django_db_setup: None, django_db_blocker: Any) -> Iterator[Pair]:
    """The two servers, and the `replica` alias on the standby for this module's tests (added
    before their test cases start, which check the databases a test declares)."""
    missing = postgres_binaries_missing()
    if missing:
        skip_or_fail(missing)
    with django_db_blocker.unblock():
        source = dict(connection.settings_dict)
    with scratch_folder("sd-replica-") as folder:
        primary = start_primary(folder)
        replica: Cluster | None = None
        try:
            copy_database(source, primary)
            replica = start_replica(primary, folder)
            connections.settings[REPLICA_ALIAS] = {
                **source,
                "NAME": "servicedesk",
                "USER": "postgres",
                "PASSWORD": "",
                "HOST": "127.0.0.1",
                "PORT": str(replica.port),
                "OPTIONS": {"connect_timeout": 2},
                # Never flushed nor created by the test run: it replays its primary.
                "TEST": {**source["TEST"], "MIRROR": "default"},
            }
            yield Pair(primary, replica)
        finally:
            with contextlib.suppress(Exception):
                connections[REPLICA_ALIAS].close()
            with contextlib.suppress(AttributeError):
                delattr(connections._connections, REPLICA_ALIAS)
            connections.settings.pop(REPLICA_ALIAS, None)
            forget_replica_state()
            if replica is not None:
                replica.destroy()
            primary.destroy()


@pytest.fixture
def replica(pair: Pair, settings: Any) -> Pair:
    settings.DATABASE_REPLICA_MAX_LAG = 30.0
    settings.DATABASE_REPLICA_CHECK_SECONDS = 3600.0
    forget_replica_state()
    return pair


def _copy_to_primary(pair: Pair, incident: Incident, copies: int) -> list[str]:
    """Insert `copies` copies of the incident's row on the throw-away primary only (foreign keys
    unchecked: its people and groups live in the test database). Returns their numbers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM incidents_incident WHERE id = %s", [incident.pk])
        names = [column.name for column in cursor.description]
        values = list(cursor.fetchone())
    numbers = []
    rows: list[list[Any]] = []
    for _ in range(copies):
        n = next(COPY_NUMBERS)
        row = dict(zip(names, values, strict=True))
        row["id"] = 800_000 + n
        row["number"] = f"INC-8{n:05d}"
        numbers.append(row["number"])
        rows.append([Jsonb(v) if isinstance(v, dict | list) else v for v in row.values()])
    insert = sql.SQL("INSERT INTO incidents_incident ({}) VALUES ({})").format(
        sql.SQL(", ").join(map(sql.Identifier, names)),
        sql.SQL(", ").join(sql.Placeholder() * len(names)),
    )
    with psycopg.connect(pair.primary.conninfo("servicedesk"), autocommit=False) as conn:
        conn.execute("SET session_replication_role = replica")
        for values_row in rows:
            conn.execute(insert, values_row)
        conn.commit()
    return numbers


def _open_on_metrics(client: Client, incident: Incident) -> float:
    body = client.get(reverse("reporting:metrics")).content.decode()
    pattern = (
        r'^servicedesk_open_tickets\{kind="incident",status="'
        + re.escape(incident.status)
        + r'",priority="P?'
        + str(incident.priority)
        + r'"\} (\S+)$'
    )
    found = re.search(pattern, body, re.MULTILINE)
    assert found, body[:2000]
    return float(found.group(1))


def _health(client: Client) -> dict[str, Any]:
    return client.get("/healthz").json()


@pytest.fixture
def signed_in(manager: User) -> Client:
    client = Client()
    client.force_login(manager)
    return client


def test_metrics_and_the_export_read_the_replica(replica: Pair, signed_in: Client) -> None:
    incident = IncidentFactory()
    numbers = _copy_to_primary(replica, incident, copies=2)
    wait_until(replica.replayed, what="the replica replaying the copies")
    on_replica = connections[REPLICA_ALIAS]
    with CaptureQueriesContext(on_replica) as replica_queries:
        seen = _open_on_metrics(signed_in, incident)
    # The replica has the copies made on its primary (and more, from earlier tests), never the
    # one incident of the test database.
    assert seen >= 2
    assert len(replica_queries) > 0
    with CaptureQueriesContext(on_replica) as replica_queries:
        response = signed_in.get(reverse("reporting:export_csv"))
        body = b"".join(response.streaming_content).decode()
    exported = {row["number"] for row in csv.DictReader(io.StringIO(body))}
    assert set(numbers) <= exported
    assert incident.number not in exported
    assert len(replica_queries) > 0
    check = _health(signed_in)["checks"]["replica"]
    assert (check["ok"], check["state"], check["reads"]) == (True, "ok", "replica")


def test_the_slo_pages_and_the_weekly_summary_read_the_replica(
    replica: Pair, signed_in: Client, manager: User
) -> None:
    on_replica = connections[REPLICA_ALIAS]
    with CaptureQueriesContext(on_replica) as replica_queries:
        assert signed_in.get(reverse("slo:list")).status_code == 200
    assert len(replica_queries) > 0
    # The service exists in the test database only: the page, reading the replica, finds none.
    service = ServiceFactory()
    with CaptureQueriesContext(on_replica) as replica_queries:
        assert signed_in.get(reverse("slo:service", args=[service.pk])).status_code == 404
    assert len(replica_queries) > 0
    subscription = subscription_create(user=manager, weekday=0, hour=7)
    now = timezone.now()
    with CaptureQueriesContext(on_replica) as replica_queries:
        assert _send_one(subscription, slot=now, now=now)
    assert len(replica_queries) > 0
    # The claim and the email are written to the primary.
    assert OutboxMessage.objects.filter(dedupe_key__startswith="report-summary:").count() == 1


def test_a_caught_up_replica_of_an_idle_primary_is_not_lagging(
    replica: Pair, settings: Any
) -> None:
    """`now() - pg_last_xact_replay_timestamp()` grows while nothing is written; a replica
    that has replayed what it received is caught up anyway."""
    # One committed transaction, so the replica has a last replayed one (a fresh standby has none).
    replica.primary.execute("SELECT txid_current()")
    wait_until(replica.replayed, what="the replica catching up")
    settings.DATABASE_REPLICA_MAX_LAG = 0.0
    (idle,) = replica.replica.execute(
        "SELECT EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())"
    )[0]
    assert idle is not None and float(idle) > 0
    state = probe_replica()
    assert (state.state, state.lag_seconds) == ("ok", 0.0)


def test_a_lagging_replica_sends_reports_to_the_primary_and_healthz_says_so(
    replica: Pair, signed_in: Client, settings: Any
) -> None:
    incident = IncidentFactory()
    _copy_to_primary(replica, incident, copies=1)
    wait_until(replica.replayed, what="the replica replaying the first copy")
    replica.replica.execute("SELECT pg_wal_replay_pause()")
    try:
        _copy_to_primary(replica, incident, copies=1)
        wait_until(
            lambda: replica.replica.execute(
                "SELECT pg_last_wal_receive_lsn() > pg_last_wal_replay_lsn()"
            )[0][0],
            what="the replica receiving WAL it does not replay",
        )
        behind = _open_on_metrics(signed_in, incident)
        # Within the allowed lag (30 s) the paused replica still serves: without the new copy.
        assert behind >= 1
        settings.DATABASE_REPLICA_MAX_LAG = 0.0
        # /healthz gives the lag to a tenth of a second: let it grow past that first.
        time.sleep(0.5)
        forget_replica_state()
        with CaptureQueriesContext(connections[REPLICA_ALIAS]) as replica_queries:
            assert _open_on_metrics(signed_in, incident) == 1.0  # the test database's one
        assert len(replica_queries) == 0
        health = _health(signed_in)
        check = health["checks"]["replica"]
        assert (health["status"], check["ok"], check["state"]) == ("degraded", False, "lagging")
        # (degraded also for the worker heartbeat no test process sends; the check says why)
        assert check["reads"] == "primary"
        assert check["lag_s"] > 0
        assert "lagging" in check["detail"] and "primary" in check["detail"]
    finally:
        replica.replica.execute("SELECT pg_wal_replay_resume()")
    wait_until(replica.replayed, what="the replica replaying after the pause")
    forget_replica_state()
    assert _open_on_metrics(signed_in, incident) == behind + 1


def test_a_replica_that_is_down_sends_reports_to_the_primary_and_healthz_says_so(
    replica: Pair, signed_in: Client
) -> None:
    incident = IncidentFactory()
    replica.replica.stop()
    try:
        forget_replica_state()
        with contextlib.suppress(Exception):
            connections[REPLICA_ALIAS].close()
        assert _open_on_metrics(signed_in, incident) == 1.0
        response = signed_in.get(reverse("reporting:export_csv"))
        exported = {
            row["number"]
            for row in csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode()))
        }
        assert exported == {incident.number}
        check = _health(signed_in)["checks"]["replica"]
        assert (check["ok"], check["state"], check["reads"]) == (False, "down", "primary")
        assert "down" in check["detail"]
    finally:
        replica.replica.start()
