"""The problem page's linked-incidents panel shows the first LINKED_INCIDENTS_PAGE_SIZE links
(oldest first) with a capped count and a "More linked incidents" keyset link through the rest;
the page's statements and rendered rows do not grow with the number of links (nor with the
timeline entry each link adds)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from problems.services import problem_link_incident
from tests.problems.factories import ProblemFactory

pytestmark = pytest.mark.django_db

PAGE = 4


@pytest.fixture(autouse=True)
def _small_pages(settings):
    settings.LINKED_INCIDENTS_PAGE_SIZE = PAGE
    settings.TIMELINE_PAGE_SIZE = PAGE


@pytest.fixture
def problem_with_links(agent_l1, service, make_incident):
    def make(count: int):
        problem = ProblemFactory(requester=agent_l1, service=service)
        incidents = [make_incident() for _ in range(count)]
        for incident in incidents:
            problem_link_incident(problem, incident=incident, actor=agent_l1)
        return problem, [incident.number for incident in incidents]

    return make


def _url(problem) -> str:
    return reverse("problems:agent_detail", args=[problem.number])


def _numbers(response) -> list[str]:
    return [row.incident__number for row in response.context["links"]]


def test_more_linked_incidents_pages_through_every_link_once(
    client_for, agent_l1, problem_with_links
):
    problem, numbers = problem_with_links(10)
    client = client_for(agent_l1)
    response = client.get(_url(problem))
    body = response.content.decode()
    assert "(10, 10 open)" in body
    assert len(response.context["events"]) == PAGE
    pages = [_numbers(response)]
    while response.context["linked"].next_url:
        next_url = response.context["linked"].next_url
        assert next_url.endswith("#linked-incidents") and "links_after=" in next_url
        response = client.get(next_url.split("#")[0])
        assert response.status_code == 200
        assert 'id="linked-incidents-first"' in response.content.decode()
        pages.append(_numbers(response))
    assert [number for page in pages for number in page] == numbers
    assert [len(page) for page in pages] == [4, 4, 2]


def test_the_counts_are_exact_past_the_cap(client_for, agent_l1, problem_with_links, settings):
    """The problem page counts its links from the link tally (problems.link_tally)."""
    settings.LIST_COUNT_CAP = 5
    problem, _ = problem_with_links(7)
    body = client_for(agent_l1).get(_url(problem)).content.decode()
    assert "(7, 7 open)" in body


def test_a_forged_cursor_answers_400_with_the_first_links(client_for, agent_l1, problem_with_links):
    problem, numbers = problem_with_links(6)
    response = client_for(agent_l1).get(_url(problem), {"links_after": "1.timeline_older.1"})
    assert response.status_code == 400
    assert 'id="linked-incidents-cursor-error"' in response.content.decode()
    assert _numbers(response) == numbers[:PAGE]


def test_statements_do_not_grow_with_the_links(client_for, agent_l1, problem_with_links):
    client = client_for(agent_l1)
    few, _ = problem_with_links(3)
    many, _ = problem_with_links(300)
    counts = []
    for problem in (few, many, few, many):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(_url(problem))
        assert response.status_code == 200
        assert len(response.context["links"]) <= PAGE
        assert len(response.context["events"]) <= PAGE
        counts.append(len(queries))
    assert counts[2] == counts[3], counts
