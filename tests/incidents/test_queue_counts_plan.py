"""A filtered queue's tab counts read a window of open incidents from the partial covering index
`incident_open_window` alone (PostgreSQL): everything the tabs, the visibility rule and the
common filters test is in the index, so the window needs no table rows and no sequential scan
(which at a million incidents may read most of the table before it finds 10,001 open ones)."""

import json
import re

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from psycopg.sql import Literal

from incidents.models import Incident
from incidents.open_tally import tally_counts_statement
from incidents.selectors import QUEUE_TABS, _tab_condition
from tests.factories import IncidentFactory

# Committed rows, so that VACUUM can mark their pages all-visible, as autovacuum does on a
# running desk: without that an index-only scan has no advantage on a small test table, and the
# planner's choice among the open incidents' partial indexes depended on what earlier tests had
# left in the table's statistics.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


def _count_statement(client, path: str, marker: str = "capped_window") -> str:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return next(q["sql"] for q in queries.captured_queries if marker in q["sql"])


def _scans(plan: dict) -> list[tuple[str, str]]:
    found = []
    if "Relation Name" in plan:
        found.append((plan["Node Type"], plan.get("Index Name", "")))
    for child in plan.get("Plans", []):
        found.extend(_scans(child))
    return found


def _a_desk_s_worth(incident: Incident, copies: int = 2000) -> None:
    """Copies of `incident`, one in ten open as on a running desk: among the open incidents'
    partial indexes the planner's choice on a handful of rows is a tie, broken by whatever
    earlier tests left in the table's statistics."""
    rows = []
    for n in range(copies):
        row = Incident(
            **{f.attname: getattr(incident, f.attname) for f in Incident._meta.concrete_fields}
        )
        row.pk = None
        row.number = f"INC-P{n:06d}"
        row.status = incident.status if n % 10 == 0 else "closed"
        rows.append(row)
    Incident.objects.bulk_create(rows, batch_size=500)


def _incident_scans(statement: str) -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) incidents_incident")
    with transaction.atomic(), connection.cursor() as cursor:
        # A small table would be scanned whatever the indexes: ask what the planner does when
        # a scan is costly, as it is at scale.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute(f"EXPLAIN (FORMAT JSON) {statement}")
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return [scan for scan in _scans(plan[0]["Plan"]) if scan[1].startswith("incident")]


@pytest.mark.parametrize(
    "query", ["?tier=1", "?tab=mine&tier=1", "?tab=groups&tier=1", "?tab=unassigned&service=1"]
)
def test_the_count_window_is_read_from_the_open_window_index_alone(
    client_for, agent_l1, service, query
):
    _a_desk_s_worth(IncidentFactory.create_batch(3, service=service)[0])
    statement = _count_statement(client_for(agent_l1), f"/agent/incidents/{query}")
    assert _incident_scans(statement) == [("Index Only Scan", "incident_open_window")]


@pytest.mark.parametrize("query", ["", "?tab=mine"])
def test_unfiltered_the_counts_read_only_the_agent_s_own_restricted_incidents(
    client_for, agent_l1, service, query
):
    """The queue as it opens counts from the tally (incidents.open_tally); of the incidents
    themselves it reads only the open restricted ones the agent asked for, from their index."""
    _a_desk_s_worth(IncidentFactory.create_batch(3, service=service)[0])
    statement = _count_statement(
        client_for(agent_l1), f"/agent/incidents/{query}", "incidents_opentally"
    )
    assert _incident_scans(statement) == [("Index Scan", "incident_open_restricted")]


def test_unfiltered_the_counts_generic_plan_reads_the_partial_index(agent_l1, service):
    """Prepared (core.kept_statements), the tally's statement is planned once for any values
    (a generic plan) once PostgreSQL finds that plan no worse than planning each run. With the
    restriction's category as a parameter, the generic plan could not use the partial index of
    open restricted incidents, so at a million incidents it was planned again on every page
    (about 2 ms); written into the SQL (core.constant_in), the generic plan uses it."""
    _a_desk_s_worth(IncidentFactory.create_batch(3, service=service)[0])
    conditions = {tab: _tab_condition(agent_l1, tab) for tab in QUEUE_TABS}
    statement = tally_counts_statement(agent_l1, conditions)
    numbered = iter(range(1, statement.sql.count("%s") + 1))
    prepared = re.sub("%s", lambda _: f"${next(numbered)}", statement.sql)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute(f"PREPARE tally_counts AS {prepared}")
        values = ", ".join(
            Literal(value).as_string(cursor.connection) for value in statement.params
        )
        cursor.execute(f"EXPLAIN (FORMAT JSON) EXECUTE tally_counts({values})")
        plan = cursor.fetchone()[0]
        cursor.execute("DEALLOCATE tally_counts")
    plan = json.loads(plan) if isinstance(plan, str) else plan
    scans = [scan for scan in _scans(plan[0]["Plan"]) if scan[1].startswith("incident")]
    assert scans == [("Index Scan", "incident_open_restricted")], plan
