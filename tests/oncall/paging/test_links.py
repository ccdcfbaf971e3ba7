"""The signed one-click link: GET only shows, POST acts as the person; bad, foreign and expired
tokens are refused and change nothing."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from incidents.choices import IncidentStatus
from oncall.models import Page, PageReason, PageStatus
from oncall.paging.links import ACK, RESOLVE, page_link_token
from oncall.paging.services import page_start
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def page(group, agents, policy, reachable):
    incident = IncidentFactory(support_group=group, tier=group.tier)
    return page_start(incident, reason=PageReason.MANUAL, actor=agents[0], message="Disk full")


def url(page_id, person_id, action, *, token_page=None):
    token = page_link_token(page_id=token_page or page_id, person_id=person_id, action=action)
    return reverse("oncall:page_link", kwargs={"page_id": page_id, "token": token})


def test_get_shows_the_page_and_changes_nothing(client, page, agents):
    response = client.get(url(page.pk, agents[1].pk, ACK))
    assert response.status_code == 200
    assert page.ticket_number in response.content.decode()
    assert b'method="post"' in response.content and b"csrfmiddlewaretoken" in response.content
    page.refresh_from_db()
    assert page.status == PageStatus.TRIGGERED


def test_post_acknowledges_as_the_person(client, page, agents):
    response = client.post(url(page.pk, agents[1].pk, ACK))
    assert response.status_code == 200
    page.refresh_from_db()
    assert page.status == PageStatus.ACKNOWLEDGED and page.acknowledged_by == agents[1]
    assert page.acknowledged_via == "web"
    again = client.post(url(page.pk, agents[2].pk, ACK))
    assert again.status_code == 409 and "already acknowledged" in again.content.decode()
    page.refresh_from_db()
    assert page.acknowledged_by == agents[1]


def test_resolve_acknowledges_first_and_leaves_the_ticket_as_it_is(client, page, agents):
    response = client.post(url(page.pk, agents[1].pk, RESOLVE))
    assert response.status_code == 200
    page.refresh_from_db()
    assert page.status == PageStatus.RESOLVED and page.acknowledged_by == agents[1]
    ticket = type(page).objects.get(pk=page.pk)
    from incidents.models import Incident

    incident = Incident.objects.get(pk=ticket.ticket_id)
    assert incident.status == IncidentStatus.LOGGED  # accepted by the ack, not resolved


def test_resolve_after_an_acknowledgement(client, page, agents):
    client.post(url(page.pk, agents[1].pk, ACK))
    client.post(url(page.pk, agents[1].pk, RESOLVE))
    page.refresh_from_db()
    assert page.status == PageStatus.RESOLVED


@pytest.mark.parametrize(
    "bad",
    ["garbage", "eyJwIjoxfQ:1abc:def"],
)
def test_a_bad_token_is_400_and_changes_nothing(client, page, bad):
    path = reverse("oncall:page_link", kwargs={"page_id": page.pk, "token": bad})
    for method in (client.get, client.post):
        response = method(path)
        assert response.status_code == 400
        assert "not valid" in response.content.decode()
    page.refresh_from_db()
    assert page.status == PageStatus.TRIGGERED


def test_a_token_of_another_page_is_refused(client, page, agents, group):
    other = page_start(
        IncidentFactory(support_group=group, tier=group.tier),
        reason=PageReason.MANUAL,
        actor=agents[0],
    )
    response = client.post(url(page.pk, agents[1].pk, ACK, token_page=other.pk))
    assert response.status_code == 400
    assert Page.objects.filter(status=PageStatus.TRIGGERED).count() == 2


def test_an_expired_token_is_410(client, page, agents, settings):
    path = url(page.pk, agents[1].pk, ACK)
    later = timezone.now() + timedelta(hours=settings.PAGING_LINK_HOURS, minutes=1)
    with time_machine.travel(later):
        response = client.post(path)
    assert response.status_code == 410 and "expired" in response.content.decode()
    page.refresh_from_db()
    assert page.status == PageStatus.TRIGGERED


def test_the_post_needs_the_csrf_token(page, agents):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(url(page.pk, agents[1].pk, ACK))
    assert response.status_code == 403
    page.refresh_from_db()
    assert page.status == PageStatus.TRIGGERED


def test_a_person_who_is_not_an_agent_is_refused(client, page, end_user):
    response = client.post(url(page.pk, end_user.pk, ACK))
    assert response.status_code == 409
    page.refresh_from_db()
    assert page.status == PageStatus.TRIGGERED
