"""Pages on the agent workspace: "Pages for me" on /oncall/ and /oncall/my-shifts/ lists the
triggered pages that notified the viewer, with the ticket link and Acknowledge; the incident
queue marks incidents paged and not yet acknowledged, at no extra query."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from oncall.models import Page, PageNotification, PageReason, PageStatus
from oncall.paging.services import page_acknowledge, page_start
from tests.factories import IncidentFactory
from tests.oncall.paging import conftest as paging_fixtures

pytestmark = pytest.mark.django_db

policy = paging_fixtures.policy
reachable = paging_fixtures.reachable


@pytest.fixture
def paged(group, agents, policy, reachable):
    incident = IncidentFactory(support_group=group, tier=group.tier, title="Checkout down")
    page = page_start(incident, reason=PageReason.MANUAL, actor=agents[0], message="Help")
    assert page is not None
    person = PageNotification.objects.get(page=page).person
    return incident, page, person


@pytest.mark.parametrize("route", ["oncall:now", "oncall:my_shifts"])
def test_pages_for_me_lists_my_triggered_pages(client_for, agents, paged, route) -> None:
    incident, page, person = paged
    body = client_for(person).get(reverse(route)).content.decode()
    assert 'id="pages-for-me"' in body
    assert reverse("incidents:agent_detail", args=[incident.number]) in body
    assert f'id="page-for-me-ack-{page.pk}"' in body
    others = [agent for agent in agents if agent != person]
    other_body = client_for(others[0]).get(reverse(route)).content.decode()
    assert f'id="page-for-me-{page.pk}"' not in other_body
    assert "No page is waiting for you." in other_body


def test_acknowledge_from_pages_for_me(client_for, paged) -> None:
    incident, page, person = paged
    client = client_for(person)
    response = client.post(
        reverse("oncall:page_acknowledge", args=[page.pk]), {"next": reverse("oncall:now")}
    )
    assert response.status_code == 302 and response["Location"] == reverse("oncall:now")
    page.refresh_from_db()
    assert page.status == PageStatus.ACKNOWLEDGED and page.acknowledged_by == person
    incident.refresh_from_db()
    assert incident.assignee == person
    assert f'id="page-for-me-{page.pk}"' not in client.get(reverse("oncall:now")).content.decode()


def test_pages_for_me_reads_a_fixed_number_of_queries(client_for, group, agents, paged) -> None:
    _, _, person = paged
    client = client_for(person)
    client.get(reverse("oncall:my_shifts"))
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("oncall:my_shifts"))
    for _ in range(5):
        incident = IncidentFactory(support_group=group, tier=group.tier)
        page_start(incident, reason=PageReason.MANUAL, actor=agents[0])
    assert Page.objects.filter(notifications__person=person).distinct().count() == 6
    with CaptureQueriesContext(connection) as six:
        body = client.get(reverse("oncall:my_shifts")).content.decode()
    assert body.count('<tr id="page-for-me-') == 6
    assert len(six.captured_queries) == len(one.captured_queries)


def test_the_queue_marks_paged_unacknowledged_incidents(client_for, group, agents, paged) -> None:
    incident, page, person = paged
    quiet = IncidentFactory(support_group=group, tier=group.tier)
    client = client_for(agents[0])
    body = client.get(reverse("incidents:agent_list")).content.decode()
    row = body.split(f'id="row-{incident.number}"')[1].split("</tr>")[0]
    assert "Paged" in row
    quiet_row = body.split(f'id="row-{quiet.number}"')[1].split("</tr>")[0]
    assert "Paged" not in quiet_row
    assert "escalated" not in row
    Page.objects.filter(pk=page.pk).update(tier_index=1)  # the page climbed to the next tier
    body = client.get(reverse("incidents:agent_list")).content.decode()
    row = body.split(f'id="row-{incident.number}"')[1].split("</tr>")[0]
    assert "Paged · escalated" in row
    page_acknowledge(page, actor=person)
    body = client.get(reverse("incidents:agent_list"), HTTP_HX_REQUEST="true").content.decode()
    row = body.split(f'id="row-{incident.number}"')[1].split("</tr>")[0]
    assert "Paged" not in row


def test_the_queue_marker_costs_no_query(client_for, group, agents, policy, reachable) -> None:
    client = client_for(agents[0])

    def count() -> int:
        client.get(reverse("incidents:agent_list"), HTTP_HX_REQUEST="true")
        with CaptureQueriesContext(connection) as ctx:
            client.get(reverse("incidents:agent_list"), HTTP_HX_REQUEST="true")
        return len(ctx.captured_queries)

    IncidentFactory(support_group=group, tier=group.tier)
    before = count()
    for _ in range(5):
        incident = IncidentFactory(support_group=group, tier=group.tier)
        page_start(incident, reason=PageReason.MANUAL, actor=agents[0])
    assert count() == before
