"""The agent incident page reads a panel's rows only when the ticket has some: with nothing
linked, paged or attached, the panels' tables are read once, in the ticket's own statement
(core.tickets.panel_rows' EXISTS annotations); once rows exist, each panel reads them and shows
them."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.links import link_add
from problems.models import ProblemIncident
from tests.factories import IncidentFactory
from tests.problems.factories import ProblemFactory

pytestmark = pytest.mark.django_db

PANEL_TABLES = ("core_ticketlink", "problems_problemincident", "changes_changeincident")


def _statements(client, incident) -> list[str]:
    url = reverse("incidents:agent_detail", args=[incident.number])
    client.get(url)  # warm what each process keeps (content types, roles)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return [query["sql"] for query in ctx.captured_queries]


def test_empty_panels_cost_no_statement_and_full_ones_are_read(client_for, agent_l1):
    client = client_for(agent_l1)
    incident = IncidentFactory()
    reading = [sql for sql in _statements(client, incident) if any(t in sql for t in PANEL_TABLES)]
    # Only the incident's own read asks, with an EXISTS per panel table.
    assert len(reading) == 1 and reading[0].startswith('SELECT "incidents_incident"')
    assert all(f'EXISTS(SELECT 1 AS "a" FROM "{table}"' in reading[0] for table in PANEL_TABLES)

    origin = IncidentFactory()
    link_add(source=origin, target=incident)
    problem = ProblemFactory()
    ProblemIncident.objects.create(
        problem=problem, incident=incident, linked_by=agent_l1, linked_at=timezone.now()
    )
    statements = _statements(client, incident)
    assert any("core_ticketlink" in sql and "EXISTS" not in sql for sql in statements)
    assert any("problems_problemincident" in sql and "EXISTS" not in sql for sql in statements)
    page = client.get(reverse("incidents:agent_detail", args=[incident.number])).content.decode()
    assert problem.number in page
