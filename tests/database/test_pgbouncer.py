"""The application behind PgBouncer in transaction pooling (DATABASE_POOLING=transaction): a real
PgBouncer on a free port in front of the suite's PostgreSQL, and real requests through it — an
incident created and accepted over the API, and a streamed CSV export of many rows, read in
keyset chunks (a server-side cursor does not survive the end of its transaction there).

Skipped on SQLite; without pgbouncer it skips, or fails when CI=true.
"""

import contextlib
import copy
import csv
import io
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from core.models import User
from reporting import export
from tests.database.servers import PGBOUNCER, Bouncer, scratch_folder, skip_or_fail
from tests.factories import IncidentFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROWS = 450
CHUNK = 100


@pytest.fixture(scope="module")
def bouncer(django_db_setup: None, django_db_blocker: Any) -> Iterator[Bouncer]:
    if not PGBOUNCER.exists():
        skip_or_fail(f"pgbouncer is not installed at {PGBOUNCER} (apt-get install pgbouncer)")
    with django_db_blocker.unblock():
        target = connection.settings_dict
        host, port = target["HOST"] or "127.0.0.1", int(target["PORT"] or 5432)
    with scratch_folder("sd-pgbouncer-") as folder:
        running = Bouncer(folder, host, port)
        try:
            yield running
        finally:
            running.stop()


@pytest.fixture
def through_bouncer(bouncer: Bouncer, transactional_db: None) -> Iterator[Bouncer]:
    """The default connection goes through PgBouncer, configured as DATABASE_POOLING=transaction
    configures it (config/settings.py), until the test ends."""
    saved = copy.deepcopy(connection.settings_dict)
    connection.close()
    connection.settings_dict.update(
        HOST="127.0.0.1", PORT=str(bouncer.port), DISABLE_SERVER_SIDE_CURSORS=True
    )
    connection.settings_dict["OPTIONS"] = {
        **connection.settings_dict["OPTIONS"],
        "prepare_threshold": None,
    }
    try:
        yield bouncer
    finally:
        with contextlib.suppress(Exception):
            connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)


def _api(user: User) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def test_create_and_act_on_an_incident_through_pgbouncer(
    through_bouncer: Bouncer, agent_l1: User, end_user: User
) -> None:
    before = through_bouncer.stats()
    created = _api(end_user).post("/api/v1/incidents/", {"title": "Printer on fire"}, format="json")
    assert created.status_code == 201, created.content
    assert connection.connection is not None
    assert connection.connection.info.port == through_bouncer.port
    number = created.json()["number"]
    accepted = _api(agent_l1).post(f"/api/v1/incidents/{number}/accept/", {}, format="json")
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["status"] == "logged"
    page = _api(agent_l1).get(f"/api/v1/incidents/{number}/")
    assert page.json()["status"] == "logged"
    after = through_bouncer.stats()
    assert after["total_xact_count"] > before["total_xact_count"]


def test_a_streamed_export_of_many_rows_reads_keyset_chunks_through_pgbouncer(
    through_bouncer: Bouncer, manager: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    requester = UserFactory()
    made = {incident.number for incident in IncidentFactory.create_batch(ROWS, requester=requester)}
    monkeypatch.setattr(export, "CHUNK_SIZE", CHUNK)
    client = _api(manager)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("reporting:export_csv"))
        assert response.streaming
        body = b"".join(response.streaming_content).decode()
    assert connection.connection is not None
    assert connection.connection.info.port == through_bouncer.port
    rows = list(csv.DictReader(io.StringIO(body)))
    assert len(rows) == ROWS
    assert {row["number"] for row in rows} == made
    chunks = [q for q in queries if "LIMIT" in q["sql"] and "sla_slaclock" in q["sql"]]
    assert len(chunks) == ROWS // CHUNK + 1
