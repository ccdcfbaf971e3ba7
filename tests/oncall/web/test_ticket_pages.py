"""The Paging panel on every kind's agent ticket page: page the on-call by hand, see who was
notified through what, acknowledge or end the page; refusals change nothing; out of scope is a
404; the portal shows nothing; the panel costs the same queries whatever the number of pages."""

import re
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.models import SupportGroup, TimelineEvent, User
from incidents.choices import IncidentStatus
from oncall.models import (
    EscalationPolicy,
    Page,
    PageNotification,
    PageNotificationStatus,
    PageReason,
    PageStatus,
)
from oncall.paging.services import page_acknowledge, page_start
from oncall.paging.steps import step_notify
from tests.factories import IncidentFactory
from tests.oncall.paging import conftest as paging_fixtures
from tests.problems.factories import ProblemFactory

pytestmark = pytest.mark.django_db

# The paging tests' fixtures: an L1 policy (schedule, then the group), everyone reachable.
policy = paging_fixtures.policy
reachable = paging_fixtures.reachable


def _detail(incident) -> str:
    return reverse("incidents:agent_detail", args=[incident.number])


def _start_url(kind: str, number: str) -> str:
    return reverse("oncall:ticket_page_start", args=[kind, number])


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def incident(group: SupportGroup):
    return IncidentFactory(support_group=group, tier=group.tier)


def test_the_panel_offers_paging_by_hand(client_for, agents, incident, policy) -> None:
    body = client_for(agents[0]).get(_detail(incident)).content.decode()
    assert 'id="paging"' in body
    assert f"Nobody has been paged for {incident.number}." in body
    assert 'id="page-oncall-form"' in body
    assert _start_url("incident", incident.number) in body
    # The group choice lists only groups that can page, the ticket's group chosen.
    select = re.search(r'<select name="page-support_group".*?</select>', body, re.DOTALL)
    assert select is not None
    assert f'<option value="{incident.support_group_id}" selected>' in select.group(0)
    assert select.group(0).count("<option") == 2  # "The ticket's group" and the one group


def test_paging_by_hand_starts_a_page_and_shows_who_was_notified(
    client_for, agents, incident, policy, reachable
) -> None:
    client = client_for(agents[0])
    response = client.post(
        _start_url("incident", incident.number),
        {"page-message": "Checkout is down", "page-support_group": ""},
    )
    assert response.status_code == 302 and response["Location"] == _detail(incident)
    assert any("Paging the on-call" in text for text in _messages(response))
    page = Page.objects.get()
    assert page.reason == PageReason.MANUAL and page.triggered_by == agents[0]
    assert page.message == "Checkout is down"
    notified = PageNotification.objects.get(page=page)
    body = client.get(_detail(incident)).content.decode()
    assert "Paged by hand" in body and agents[0].display_name in body
    assert "Checkout is down" in body
    assert "policy “L1 paging” · step 1 of 2" in body
    assert notified.person.display_name in body and "Work" in body
    assert f'id="page-ack-{page.pk}"' in body and f'id="page-end-{page.pk}"' in body
    # A live page: no second "Page the on-call" form.
    assert 'id="page-oncall-form"' not in body


def test_paging_refusals_change_nothing(client_for, agents, incident, group) -> None:
    client = client_for(agents[0])
    events = TimelineEvent.objects.count()
    response = client.post(_start_url("incident", incident.number), {"page-message": "x"})
    assert response.status_code == 302
    assert any("no escalation policy" in text for text in _messages(response))
    too_long = client.post(_start_url("incident", incident.number), {"page-message": "x" * 2001})
    assert any("Nobody was paged" in text for text in _messages(too_long))
    other = SupportGroup.objects.create(name="No policy here", tier=1)
    chosen = client.post(
        _start_url("incident", incident.number), {"page-support_group": str(other.pk)}
    )
    assert any("Nobody was paged" in text for text in _messages(chosen))
    assert not Page.objects.exists() and not PageNotification.objects.exists()
    assert TimelineEvent.objects.count() == events


def test_paging_a_paged_or_closed_ticket_is_refused(
    client_for, agents, incident, group, policy, reachable
) -> None:
    client = client_for(agents[0])
    client.post(_start_url("incident", incident.number), {"page-message": "first"})
    again = client.post(_start_url("incident", incident.number), {"page-message": "again"})
    assert any("already being paged" in text for text in _messages(again))
    assert Page.objects.count() == 1
    closed = IncidentFactory(support_group=group, tier=group.tier, status=IncidentStatus.CLOSED)
    response = client.post(_start_url("incident", closed.number), {})
    assert any("nobody is paged for it" in text for text in _messages(response))
    assert Page.objects.count() == 1
    assert "Closed tickets are not paged." in client.get(_detail(closed)).content.decode()


def test_acknowledge_from_the_panel(client_for, agents, incident, policy, reachable) -> None:
    page = page_start(incident, reason=PageReason.MANUAL, actor=agents[0])
    assert page is not None
    person = PageNotification.objects.get(page=page).person
    client = client_for(person)
    url = reverse("oncall:page_acknowledge", args=[page.pk])
    response = client.post(url, {"next": _detail(incident)})
    assert response.status_code == 302 and response["Location"] == _detail(incident)
    page.refresh_from_db()
    assert page.status == PageStatus.ACKNOWLEDGED and page.acknowledged_by == person
    assert page.acknowledged_via == "web"
    body = client.get(_detail(incident)).content.decode()
    assert f"Acknowledged by <strong>{person.display_name}</strong>" in body and "via Web" in body
    other = next(agent for agent in agents if agent != person)
    refused = client_for(other).post(url)
    assert any("already acknowledged" in text for text in _messages(refused))
    page.refresh_from_db()
    assert page.acknowledged_by == person


def test_end_paging_from_the_panel(client_for, agents, incident, policy, reachable) -> None:
    page = page_start(incident, reason=PageReason.MANUAL, actor=agents[0])
    assert page is not None
    client = client_for(agents[1])
    url = reverse("oncall:page_end", args=[page.pk])
    response = client.post(url)
    assert response.status_code == 302
    page.refresh_from_db()
    assert page.status == PageStatus.RESOLVED
    assert not PageNotification.objects.filter(status=PageNotificationStatus.SCHEDULED).exists()
    again = client.post(url)
    assert any("already ended" in text for text in _messages(again))
    # Ended: the panel offers paging again.
    assert 'id="page-oncall-form"' in client.get(_detail(incident)).content.decode()


def test_out_of_scope_is_404(client_for, agents, incident, end_user, policy, reachable) -> None:
    page = page_start(incident, reason=PageReason.MANUAL, actor=agents[0])
    assert page is not None
    requester = client_for(incident.requester)
    for url in (
        _start_url("incident", incident.number),
        reverse("oncall:page_acknowledge", args=[page.pk]),
        reverse("oncall:page_end", args=[page.pk]),
    ):
        assert requester.post(url).status_code == 404
    agent = client_for(agents[0])
    assert agent.post(_start_url("nothing", incident.number)).status_code == 404
    assert agent.post(_start_url("incident", "INC-999999")).status_code == 404
    assert agent.post(reverse("oncall:page_acknowledge", args=[page.pk + 99])).status_code == 404
    assert agent.get(reverse("oncall:page_acknowledge", args=[page.pk])).status_code == 405
    page.refresh_from_db()
    assert page.status == PageStatus.TRIGGERED


def test_the_portal_shows_nothing_about_pages(client_for, agents, incident, policy, reachable):
    page_start(incident, reason=PageReason.MANUAL, actor=agents[0], message="Wake up")
    body = (
        client_for(incident.requester)
        .get(reverse("incidents:portal_detail", args=[incident.number]))
        .content.decode()
    )
    assert 'id="paging"' not in body and "Wake up" not in body and "paged" not in body.lower()


def test_every_kind_has_the_panel(client_for, agents, group, policy, reachable) -> None:
    problem = ProblemFactory(requester=agents[0], support_group=group)
    client = client_for(agents[0])
    body = client.get(reverse("problems:agent_detail", args=[problem.number])).content.decode()
    assert 'id="paging"' in body and _start_url("problem", problem.number) in body
    response = client.post(_start_url("problem", problem.number), {"page-message": "RCA now"})
    assert response["Location"] == reverse("problems:agent_detail", args=[problem.number])
    assert Page.objects.get().ticket_number == problem.number


def _panel_queries(client, incident) -> int:
    client.get(_detail(incident))
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(_detail(incident))
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _page_and_ack(incident, agent: User, *, steps: int) -> None:
    page = page_start(incident, reason=PageReason.MANUAL, actor=agent)
    assert page is not None
    for step in range(1, steps):
        # Every step notifies again: more notification rows per page.
        Page.objects.filter(pk=page.pk).update(step_index=1, round=step)
        page.step_index, page.round = 1, step
        step_notify(page, timezone.now() + timedelta(minutes=step))
    page_acknowledge(page, actor=agent)


def test_the_panel_costs_the_same_queries_for_one_page_or_many(
    client_for, agents, incident, policy, reachable
) -> None:
    client = client_for(agents[0])
    _page_and_ack(incident, agents[0], steps=1)
    one = _panel_queries(client, incident)
    for _ in range(4):
        _page_and_ack(incident, agents[0], steps=3)
    assert Page.objects.count() == 5 and PageNotification.objects.count() > 20
    assert _panel_queries(client, incident) == one


def test_inactive_policy_groups_are_not_offered(client_for, agents, incident, policy) -> None:
    EscalationPolicy.objects.filter(pk=policy.pk).update(is_active=False)
    body = client_for(agents[0]).get(_detail(incident)).content.decode()
    select = re.search(r'<select name="page-support_group".*?</select>', body, re.DOTALL)
    assert select is not None
    assert f'<option value="{incident.support_group_id}"' not in select.group(0)


def test_user_fixture_is_an_agent(agents: list[User]) -> None:
    assert all(agent.is_active for agent in agents)


def _paging_choices(client, incident) -> str:
    body = client.get(_detail(incident)).content.decode()
    select = re.search(r'<select name="page-support_group".*?</select>', body, re.DOTALL)
    assert select is not None
    return select.group(0)


def test_the_groups_to_page_follow_policy_changes(client_for, agents, incident, policy) -> None:
    # The list is memoised per process: a policy turned off (or on) shows at once.
    client = client_for(agents[0])
    assert f'<option value="{incident.support_group_id}"' in _paging_choices(client, incident)
    policy.is_active = False
    policy.save()
    assert f'<option value="{incident.support_group_id}"' not in _paging_choices(client, incident)
    policy.is_active = True
    policy.save()
    assert f'<option value="{incident.support_group_id}"' in _paging_choices(client, incident)


def test_the_kept_form_starts_on_each_tickets_own_group(
    client_for, agents, incident, policy, l2_group
) -> None:
    # The form's fields are kept with the groups, per group the form starts on.
    client = client_for(agents[0])
    elsewhere = IncidentFactory(support_group=l2_group, tier=l2_group.tier)
    group_option = f'<option value="{incident.support_group_id}"'
    assert f"{group_option} selected>" in _paging_choices(client, incident)
    assert f"{group_option}>" in _paging_choices(client, elsewhere)
    assert f"{group_option} selected>" in _paging_choices(client, incident)


def test_the_kept_form_follows_a_renamed_group(client_for, agents, incident, policy) -> None:
    client = client_for(agents[0])
    assert "Service Desk L1" in _paging_choices(client, incident)
    group = incident.support_group
    group.name = "First line"
    group.save()
    choices = _paging_choices(client, incident)
    assert "First line" in choices and "Service Desk L1" not in choices
