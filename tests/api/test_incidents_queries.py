"""Every list endpoint costs the same number of queries for 1 row as for 20 (no N+1), and the
incident list stays within the budget (DESIGN.md §7: ≤ 6)."""

from collections.abc import Callable

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from core.api.tokens import api_token_create
from core.services import attachment_add, comment_add
from incidents.models import Incident
from sla.services import clocks_start
from tests.factories import IncidentFactory, UserFactory

pytestmark = pytest.mark.django_db
INCIDENT_LIST_BUDGET = 6


def count(client: APIClient, url: str) -> tuple[int, int, list[str]]:
    client.get(url)  # warm caches that are per-process (content types), as in a running server
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(queries), len(response.json()["results"]), [q["sql"] for q in queries]


def same_for_1_and_20(client: APIClient, url: str, add_rows: Callable[[int], None]) -> int:
    add_rows(1)
    one, rows_one, _ = count(client, url)
    add_rows(19)
    twenty, rows_twenty, sql = count(client, url)
    assert (rows_one, rows_twenty) == (1, 20)
    assert one == twenty, "queries grow with rows:\n" + "\n".join(sql)
    return twenty


@pytest.fixture
def agent_client(agent_l1):
    client = APIClient()
    secret = api_token_create(user=agent_l1, name="q", scopes=["read"]).secret
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def _incidents(incident_policies, service, agent_l1, l1_group):
    def add(n: int) -> None:
        for _ in range(n):
            incident = IncidentFactory(
                service=service,
                support_group=l1_group,
                assignee=agent_l1,
                requester=UserFactory(),
            )
            clocks_start(incident, kind="incident")

    return add


@pytest.mark.parametrize("query", ["", "?ordering=priority", "?sla_state=on_track&open=true"])
def test_incident_list(agent_client, incident_policies, service, agent_l1, l1_group, query):
    total = same_for_1_and_20(
        agent_client,
        f"/api/v1/incidents/{query}",
        _incidents(incident_policies, service, agent_l1, l1_group),
    )
    assert total <= INCIDENT_LIST_BUDGET


def test_incident_list_for_an_end_user(client_as, end_user):
    client = client_as(end_user)

    def add(n: int) -> None:
        for _ in range(n):
            IncidentFactory(requester=end_user)

    assert same_for_1_and_20(client, "/api/v1/incidents/", add) <= INCIDENT_LIST_BUDGET


def test_incident_list_with_a_session(client_for, agent_l1, incident_policies, service, l1_group):
    client = APIClient()
    client.force_login(agent_l1)
    total = same_for_1_and_20(
        client, "/api/v1/incidents/", _incidents(incident_policies, service, agent_l1, l1_group)
    )
    assert total <= INCIDENT_LIST_BUDGET


@pytest.fixture
def incident(end_user):
    return IncidentFactory(requester=end_user, status="logged")


def test_comment_list(agent_client, incident, agent_l1):
    def add(n: int) -> None:
        for i in range(n):
            comment_add(ticket=incident, author=UserFactory(), body=f"c{i}", is_internal=False)

    same_for_1_and_20(agent_client, f"/api/v1/incidents/{incident.number}/comments/", add)


def test_attachment_list(agent_client, incident):
    def add(n: int) -> None:
        for _ in range(n):
            upload = SimpleUploadedFile("a.txt", b"x")
            attachment_add(ticket=incident, uploaded_by=UserFactory(), upload=upload)

    same_for_1_and_20(agent_client, f"/api/v1/incidents/{incident.number}/attachments/", add)


def test_timeline(agent_client, incident):
    def add(n: int) -> None:
        for i in range(n):
            comment_add(ticket=incident, author=UserFactory(), body=f"c{i}", is_internal=False)

    # Each comment is one event; the page holds only the comment events after the first call.
    from core.models import TimelineEvent

    assert not TimelineEvent.objects.exists()
    same_for_1_and_20(agent_client, f"/api/v1/incidents/{incident.number}/timeline/", add)


def test_token_list(end_user):
    client = APIClient()
    client.force_login(end_user)

    def add(n: int) -> None:
        for i in range(n):
            api_token_create(user=end_user, name=f"t{i}", scopes=["read"])

    same_for_1_and_20(client, "/api/v1/tokens/", add)


def test_no_incident_is_loaded_twice(agent_client, incident_policies, service, agent_l1, l1_group):
    _incidents(incident_policies, service, agent_l1, l1_group)(3)
    _, _, sql = count(agent_client, "/api/v1/incidents/")
    assert sum('FROM "incidents_incident"' in q for q in sql) == 1
    assert Incident.objects.count() == 3
