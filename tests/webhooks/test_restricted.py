"""Security incidents (restricted: core.tickets.visibility) outside the web pages: webhooks go
only to subscriptions that receive restricted tickets, SLA emails and chat messages only to
people who may see the incident, agents' emails skip those who may not, and escalation lands
in a security group of the next tier."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from core.choices import Role, Tier
from core.models import OutboxMessage, SupportGroup, User
from core.tickets.notify import notify_agent
from core.webhooks.models import WebhookDelivery, WebhookSubscription
from incidents import services
from incidents.choices import Category, Impact, Urgency
from incidents.models import Incident
from sla.sweeper import sweep
from tests.factories import SupportGroupFactory, UserFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def security_groups(db: None) -> dict[int, SupportGroup]:
    return {
        tier: SupportGroupFactory(
            name=f"Security L{tier}", tier=tier, handles_security=True, email=f"sec{tier}@x.test"
        )
        for tier in (Tier.L1, Tier.L2)
    }


@pytest.fixture
def security_agent(security_groups: dict[int, SupportGroup]) -> User:
    user = UserFactory(username="secagent", role=Role.AGENT)
    security_groups[Tier.L1].members.add(user)
    return user


def _report(end_user: User, *, category: str) -> Incident:
    with time_machine.travel(T0, tick=False):
        return services.incident_create(
            requester=end_user,
            title="Unknown admin account created" if category == Category.SECURITY else "Slow",
            category=category,
            impact=Impact.LOW,
            urgency=Urgency.LOW,
        )  # P5: response 5h (warn at 3h45)


def _subscriptions(subscribe) -> tuple[WebhookSubscription, WebhookSubscription]:
    plain = subscribe("incident.created", "sla.warning", "sla.breached")
    soc = subscribe("incident.created", "sla.warning", "sla.breached")
    WebhookSubscription.objects.filter(pk=soc.pk).update(receives_restricted=True)
    return plain, soc


def _delivered(subscription: WebhookSubscription) -> list[tuple[str, str]]:
    return sorted(
        (d.event_type, d.payload["data"]["number"])
        for d in WebhookDelivery.objects.filter(subscription=subscription)
    )


def test_webhooks_about_security_incidents_reach_only_flagged_subscriptions(
    subscribe, end_user, tiers, incident_policies, security_groups
):
    plain, soc = _subscriptions(subscribe)
    normal = _report(end_user, category=Category.SOFTWARE)
    secret = _report(end_user, category=Category.SECURITY)
    sweep(now=T0 + timedelta(hours=4))
    assert _delivered(plain) == [
        ("incident.created", normal.number),
        ("sla.warning", normal.number),
    ]
    assert _delivered(soc) == sorted(
        [
            ("incident.created", normal.number),
            ("incident.created", secret.number),
            ("sla.warning", normal.number),
            ("sla.warning", secret.number),
        ]
    )


def _emails_about(incident: Incident) -> list[list[str]]:
    return [
        sorted(message.payload["to"])
        for message in OutboxMessage.objects.filter(task_name="core.send_email")
        if message.payload["subject"].startswith(f"[{incident.number}] SLA")
    ]


def _chat_about(incident: Incident) -> int:
    return sum(
        incident.number in message.payload["json"]["text"]
        for message in OutboxMessage.objects.filter(task_name="core.post_webhook")
    )


def test_sla_emails_and_chat_reach_only_people_who_may_see_it(
    end_user, agent_l1, tiers, incident_policies, security_groups, security_agent
):
    l1 = tiers[Tier.L1]
    l1.members.add(security_agent)  # in the L1 group and in the security team
    SupportGroup.objects.filter(pk=l1.pk).update(webhook_url="https://chat.example.com/hook")
    normal = _report(end_user, category=Category.SOFTWARE)
    secret = _report(end_user, category=Category.SECURITY)
    Incident.objects.filter(pk__in=[normal.pk, secret.pk]).update(support_group=l1)
    sweep(now=T0 + timedelta(hours=4))  # the warnings, to the group
    assert _emails_about(normal) == [[l1.email]]
    assert _chat_about(normal) == 1
    # Not the group's shared address nor its chat: the L1 outsider may read them.
    assert _emails_about(secret) == [[security_agent.email]]
    assert _chat_about(secret) == 0


def test_a_breached_security_incident_escalates_to_the_security_group_of_the_next_tier(
    end_user, tiers, incident_policies, security_groups, manager
):
    normal = _report(end_user, category=Category.SOFTWARE)
    secret = _report(end_user, category=Category.SECURITY)
    Incident.objects.filter(pk=secret.pk).update(support_group=tiers[Tier.L1])
    sweep(now=T0 + timedelta(hours=5, seconds=1))
    normal.refresh_from_db()
    secret.refresh_from_db()
    assert normal.support_group_id == tiers[Tier.L2].pk
    assert secret.support_group_id == security_groups[Tier.L2].pk
    breach_mail = [to for to in _emails_about(secret) if security_groups[Tier.L2].email in to]
    assert breach_mail and all(tiers[Tier.L2].email not in to for to in _emails_about(secret))


def test_agents_are_emailed_only_about_incidents_they_may_see(end_user, agent_l1, security_agent):
    secret = _report(end_user, category=Category.SECURITY)
    before = OutboxMessage.objects.filter(task_name="core.send_email").count()
    notify_agent(secret, agent_l1, subject="Look", body="Look at this", key="look")
    assert OutboxMessage.objects.filter(task_name="core.send_email").count() == before
    notify_agent(secret, security_agent, subject="Look", body="Look at this", key="look")
    assert OutboxMessage.objects.filter(task_name="core.send_email").count() == before + 1
