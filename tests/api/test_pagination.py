"""Keyset cursor pagination over every ordering, including the nullable time to breach."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.filtersets import ORDERINGS
from incidents.models import Incident
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(client_as, agent_l1):
    return client_as(agent_l1)


@pytest.fixture
def incidents(end_user):
    now = timezone.now()
    made = []
    for i in range(23):
        due = None if i % 4 == 0 else now + timedelta(minutes=(i % 3) * 10)  # ties and NULLs
        made.append(
            IncidentFactory(
                requester=end_user,
                priority=1 + i % 3,
                sla_due_at=due,
                identified_at=now - timedelta(hours=i % 5),
            )
        )
    return made


def walk(client, url: str) -> tuple[list[str], list[str]]:
    """All numbers following `next` links, then back again following `previous` links."""
    forward: list[str] = []
    pages = []
    while url:
        body = client.get(url).json()
        assert "error" not in body, body
        pages.append(body)
        forward.extend(row["number"] for row in body["results"])
        url = body["next"]
    backward: list[str] = []
    url = pages[-1]["previous"]
    while url:
        body = client.get(url).json()
        backward = [row["number"] for row in body["results"]] + backward
        url = body["previous"]
    return forward, backward


@pytest.mark.parametrize("ordering", list(ORDERINGS))
def test_pages_cover_the_list_once_in_order(agent, incidents, ordering):
    expected = list(
        Incident.objects.order_by(*ORDERINGS[ordering][1]).values_list("number", flat=True)
    )
    forward, backward = walk(agent, f"/api/v1/incidents/?ordering={ordering}&page_size=5")
    assert forward == expected
    last_page_size = len(expected) % 5 or 5
    assert backward == expected[: len(expected) - last_page_size]


def test_first_page_has_no_previous_link(agent, incidents):
    body = agent.get("/api/v1/incidents/?page_size=10").json()
    assert body["previous"] is None
    assert body["next"] is not None
    assert len(body["results"]) == 10


def test_rows_added_meanwhile_do_not_shift_pages(agent, incidents, end_user):
    first = agent.get("/api/v1/incidents/?ordering=newest&page_size=5").json()
    IncidentFactory(requester=end_user)  # newest: would push everything down with offsets
    second = agent.get(first["next"]).json()
    expected = list(
        Incident.objects.order_by("-created_at", "-id").values_list("number", flat=True)
    )
    last_seen = first["results"][-1]["number"]
    following = expected[expected.index(last_seen) + 1 :][:5]
    assert [row["number"] for row in second["results"]] == following


def test_a_cursor_from_another_ordering_is_refused(agent, incidents):
    cursor_url = agent.get("/api/v1/incidents/?ordering=priority&page_size=5").json()["next"]
    cursor = cursor_url.split("cursor=")[1].split("&")[0]
    response = agent.get(f"/api/v1/incidents/?ordering=oldest&cursor={cursor}")
    assert response.status_code == 400
    assert "cursor" in response.json()["error"]["fields"]


def test_empty_list(agent):
    body = agent.get("/api/v1/incidents/").json()
    assert body == {"next": None, "previous": None, "results": []}
