"""What pages besides a person: an alert integration that pages (for each new incident it
opens, storm incident included) and an SLA breach where the group's policy pages on breach.
Each starts a page exactly once, in the transaction of its cause, and changes nothing when no
policy pages."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
import time_machine

from core.choices import EventKind, Tier
from core.models import SupportGroup, TimelineEvent, User
from incidents import services as incident_services
from incidents.alerts.models import Integration
from incidents.choices import Impact, Urgency
from incidents.models import Incident
from oncall.models import (
    ContactMethod,
    ContactMethodKind,
    EscalationPolicy,
    EscalationStep,
    NotificationRule,
    Page,
    PageNotification,
    PageReason,
    StepTarget,
)
from sla.sweeper import _page_breaches, sweep
from tests.alerts import conftest as alert_fixtures
from tests.alerts.payloads import alertmanager, am_alert

pytestmark = pytest.mark.django_db

make_hook = alert_fixtures.make_hook
post = alert_fixtures.post


def _paging_hook(make_hook, group: SupportGroup, **options):  # type: ignore[no-untyped-def]
    hook = make_hook(support_group=group, **options)
    Integration.objects.filter(pk=hook.integration.pk).update(pages=True)
    return hook


def test_an_integration_that_pages_pages_each_new_incident_once(
    make_hook, post, group, policy, reachable
) -> None:
    hook = _paging_hook(make_hook, group)
    body = post(hook, alertmanager(am_alert("a1", severity="critical"))).json()
    [number] = body["incidents_created"]
    page = Page.objects.get()
    assert (page.ticket_number, page.reason) == (number, PageReason.ALERT)
    assert page.triggered_by is None
    # The same alert again (Alertmanager re-sends): an occurrence, no second page.
    post(hook, alertmanager(am_alert("a1", severity="critical")))
    assert Page.objects.count() == 1
    events = TimelineEvent.objects.filter(ticket_id=page.ticket_id, kind=EventKind.PAGE)
    assert [e.changes["what"] for e in events] == ["triggered"]


def test_a_priority_page_and_the_integration_share_one_page(
    make_hook, post, group, policy, reachable
) -> None:
    policy.page_priorities = [1, 2, 3, 4, 5]
    policy.save()
    hook = _paging_hook(make_hook, group)
    post(hook, alertmanager(am_alert("b1", severity="critical")))
    page = Page.objects.get()
    assert page.reason == PageReason.PRIORITY  # the first trigger names the page


def test_an_integration_without_pages_pages_nobody(make_hook, post, group, policy) -> None:
    hook = make_hook(support_group=group)
    body = post(hook, alertmanager(am_alert("c1", severity="critical"))).json()
    assert len(body["incidents_created"]) == 1
    assert not Page.objects.exists()


def test_an_integration_that_pages_a_group_without_policy_changes_nothing(
    make_hook, post, group
) -> None:
    hook = _paging_hook(make_hook, group)
    body = post(hook, alertmanager(am_alert("d1", severity="critical"))).json()
    assert len(body["incidents_created"]) == 1
    assert not Page.objects.exists() and not PageNotification.objects.exists()
    assert not TimelineEvent.objects.filter(kind=EventKind.PAGE).exists()


def test_the_storm_incident_is_paged_once(make_hook, post, group, policy, reachable) -> None:
    hook = _paging_hook(make_hook, group, max_new_incidents_per_minute=1)
    alerts = [am_alert(f"s{i}", severity="warning") for i in range(3)]
    body = post(hook, alertmanager(*alerts)).json()
    assert len(body["incidents_created"]) == 2  # one own incident and the storm
    assert Page.objects.count() == 2
    assert set(Page.objects.values_list("ticket_number", flat=True)) == set(
        body["incidents_created"]
    )


# --- SLA breach ----------------------------------------------------------------------------

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _new_p5(end_user: User) -> Incident:
    with time_machine.travel(T0, tick=False):
        return incident_services.incident_create(
            requester=end_user, title="Share is slow", impact=Impact.LOW, urgency=Urgency.LOW
        )  # P5: response 5 h, resolution 40 h; a breach escalates L1 -> L2


def _breach_policy(group: SupportGroup, person: User, *, on_breach: bool) -> EscalationPolicy:
    made = EscalationPolicy.objects.create(
        support_group=group, name=f"{group.name} paging", page_on_breach=on_breach
    )
    step = EscalationStep.objects.create(
        policy=made, position=1, target=StepTarget.PEOPLE, wait_minutes=5
    )
    step.people.add(person)
    method = ContactMethod.objects.create(
        person=person, kind=ContactMethodKind.EMAIL, label="Work", address=person.email
    )
    NotificationRule.objects.create(contact_method=method, delay_minutes=0)
    return made


def _sweep_past_the_breach() -> None:
    sweep(now=T0 + timedelta(hours=4))
    sweep(now=T0 + timedelta(hours=5, seconds=1))
    sweep(now=T0 + timedelta(hours=6))


def test_a_breach_pages_where_the_policy_says_so_once(
    end_user, tiers, incident_policies, agent_l2
) -> None:
    _breach_policy(tiers[Tier.L2], agent_l2, on_breach=True)
    incident = _new_p5(end_user)
    _sweep_past_the_breach()
    incident.refresh_from_db()
    assert incident.support_group == tiers[Tier.L2]
    page = Page.objects.get()
    assert (page.ticket_number, page.reason) == (incident.number, PageReason.SLA_BREACH)
    assert page.policy_snapshot[0]["tier"] == Tier.L2
    assert PageNotification.objects.get(page=page).person == agent_l2
    sweep(now=T0 + timedelta(hours=41))  # the resolution breach too: joins the live page
    assert Page.objects.count() == 1


def test_a_breach_pages_nobody_when_no_policy_pages_on_breach(
    end_user, tiers, incident_policies, agent_l2
) -> None:
    _breach_policy(tiers[Tier.L2], agent_l2, on_breach=False)
    incident = _new_p5(end_user)
    _sweep_past_the_breach()
    incident.refresh_from_db()
    assert incident.tier == Tier.L2  # the breach itself happened
    assert not Page.objects.exists() and not PageNotification.objects.exists()


def test_a_batch_of_breaches_asks_one_query_when_no_policy_pages_on_breach(
    end_user, tiers, incident_policies, agent_l2, django_assert_num_queries
) -> None:
    _breach_policy(tiers[Tier.L2], agent_l2, on_breach=False)
    incidents = [_new_p5(end_user) for _ in range(5)]
    steps = [
        SimpleNamespace(breached=True, clock=SimpleNamespace(ticket_id=incident.pk))
        for incident in incidents
    ]
    tickets = {incident.pk: incident for incident in incidents}
    with django_assert_num_queries(1):
        _page_breaches(steps, tickets)  # type: ignore[arg-type]
    warnings = [SimpleNamespace(breached=False, clock=step.clock) for step in steps]
    with django_assert_num_queries(0):
        _page_breaches(warnings, tickets)  # type: ignore[arg-type]
    assert not Page.objects.exists()


def _failing_request(*args: object, **kwargs: object) -> None:
    raise RuntimeError("the on-call app broke")


def test_a_failing_page_does_not_hold_back_the_breach(
    end_user, tiers, incident_policies, agent_l2, monkeypatch, caplog
) -> None:
    _breach_policy(tiers[Tier.L2], agent_l2, on_breach=True)
    incident = _new_p5(end_user)
    monkeypatch.setattr("sla.sweeper.page_request", _failing_request)
    _sweep_past_the_breach()
    incident.refresh_from_db()
    assert incident.tier == Tier.L2  # the breach and its escalation stand
    assert not Page.objects.exists()
    assert f"Paging for the SLA breach of {incident.number} failed." in caplog.text


def test_a_failing_page_does_not_fail_the_alert_delivery(
    make_hook, post, group, policy, reachable, monkeypatch, caplog
) -> None:
    hook = _paging_hook(make_hook, group)
    monkeypatch.setattr("incidents.alerts.delivery.page_request", _failing_request)
    response = post(hook, alertmanager(am_alert("e1", severity="critical")))
    assert response.status_code in (200, 201, 202)
    [number] = response.json()["incidents_created"]
    assert Incident.objects.filter(number=number).exists() and not Page.objects.exists()
    assert f"Paging for the alert incident {number} failed." in caplog.text


def test_an_incident_reopened_by_its_flapping_alert_is_paged_again(
    make_hook, post, group, policy, reachable, service
) -> None:
    from oncall.paging.sweeper import sweep as paging_sweep

    with time_machine.travel(datetime(2025, 3, 3, 9, tzinfo=UTC), tick=False) as clock:
        hook = _paging_hook(make_hook, group, auto_resolve=True)
        post(hook, alertmanager(am_alert("f1", severity="critical")))
        first = Page.objects.get()
        clock.shift(timedelta(minutes=2))
        recovered = alertmanager(am_alert("f1", status="resolved"), status="resolved")
        assert post(hook, recovered).json()["incidents_resolved"]
        clock.shift(timedelta(minutes=5))
        paging_sweep()  # the step's wait is over and the ticket resolved: the page ends
        first.refresh_from_db()
        assert first.status == "resolved"
        body = post(hook, alertmanager(am_alert("f1", severity="critical"))).json()
    assert body["incidents_reopened"] == [first.ticket_number]
    second = Page.objects.exclude(pk=first.pk).get()
    assert (second.ticket_number, second.reason, second.status) == (
        first.ticket_number,
        PageReason.ALERT,
        "triggered",
    )
