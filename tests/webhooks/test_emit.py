"""The emitter: which events go out, in the caller's transaction, for nothing when unsubscribed."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from core.choices import Source
from core.models import OutboxMessage
from core.tickets.events import created_event, details_edited_event
from core.tickets.work import ticket_comment
from core.webhooks.emit import webhook_emit, webhook_emit_for_timeline_event
from core.webhooks.models import WebhookDelivery
from incidents import services as incidents
from incidents.choices import IncidentStatus, ResolutionCode
from problems import services as problems
from tests.factories import IncidentFactory
from tests.problems.factories import KnownErrorFactory
from tests.webhooks.conftest import run_queued, webhook_messages

pytestmark = pytest.mark.django_db


def types_sent():
    return sorted(WebhookDelivery.objects.values_list("event_type", flat=True))


def test_no_subscription_no_rows_and_no_query_once_known(end_user):
    incident = IncidentFactory(requester=end_user)
    event = created_event(
        incident, actor=end_user, source=Source.WEB, to_status=incident.status, fields={}
    )
    with CaptureQueriesContext(connection) as ctx:
        assert webhook_emit_for_timeline_event(event=event, ticket=incident) == 0
    assert ctx.captured_queries == []  # the created_event above found out: nobody subscribed
    incidents.incident_create(requester=end_user, title="Printer on fire")
    assert not WebhookDelivery.objects.exists()
    assert not webhook_messages().exists()


def test_a_new_subscription_gets_the_next_event_at_once(end_user, subscribe):
    incidents.incident_create(requester=end_user, title="Before")  # memo: nobody subscribed
    subscribe("incident.created")
    incidents.incident_create(requester=end_user, title="After")
    assert WebhookDelivery.objects.count() == 1


def test_events_nobody_announces_cost_no_query(end_user):
    incident = IncidentFactory(requester=end_user)
    event = details_edited_event(incident, actor=end_user, source=Source.WEB, fields={})
    with CaptureQueriesContext(connection) as ctx:
        webhook_emit_for_timeline_event(event=event, ticket=incident)
    assert ctx.captured_queries == []


def test_the_payload_is_built_only_when_someone_subscribed(subscribe):
    subscribe("sla.breached")

    def builder():
        raise AssertionError("built for nobody")

    assert webhook_emit(event_type="incident.created", key="k", data=builder) == 0


def test_rolled_back_change_sends_nothing(receiver, subscribe, end_user):
    subscribe("incident.created")

    def change_that_fails() -> None:
        with transaction.atomic():
            incidents.incident_create(requester=end_user, title="Never happened")
            assert WebhookDelivery.objects.count() == 1  # written in the caller's transaction...
            raise RuntimeError("the change fails after the event")

    with pytest.raises(RuntimeError):
        change_that_fails()
    assert not WebhookDelivery.objects.exists()  # ...and gone with it
    assert not webhook_messages().exists()
    assert run_queued() == 0
    assert receiver.received == []


def test_only_subscribed_types_and_active_subscriptions(subscribe, end_user):
    subscribe("incident.status_changed")
    inactive = subscribe("incident.created")
    inactive.is_active = False
    inactive.save()
    incident = incidents.incident_create(requester=end_user, title="VPN drops")
    assert types_sent() == []
    incidents.incident_accept(incident, actor=None)
    delivery = WebhookDelivery.objects.get()
    assert delivery.event_type == "incident.status_changed"
    data = delivery.payload["data"]
    assert (data["from_status"], data["to_status"]) == ("identified", "logged")
    assert data["actor"] is None  # the system


def test_every_subscription_gets_its_own_delivery_and_outbox_row(subscribe, end_user):
    subscribe("incident.created")
    subscribe("incident.created", "incident.status_changed")
    incidents.incident_create(requester=end_user, title="Disk full")
    assert WebhookDelivery.objects.count() == 2
    assert webhook_messages().count() == 2
    assert len(set(WebhookDelivery.objects.values_list("event_id", flat=True))) == 1


def test_incident_resolved_is_sent_with_status_changed(subscribe, end_user, agent_l1, service):
    subscribe("incident.resolved", "incident.status_changed")
    incident = IncidentFactory(requester=end_user, status=IncidentStatus.DIAGNOSED, service=service)
    incidents.incident_resolve(
        incident,
        actor=agent_l1,
        resolution_code=ResolutionCode.FIXED,
        resolution_notes="Restarted the relay.",
    )
    assert types_sent() == ["incident.resolved", "incident.status_changed"]


def test_problem_resolved(subscribe, agent_l1, service):
    subscribe("problem.resolved")
    problem = KnownErrorFactory(requester=agent_l1, service=service)
    problems.problem_resolve(problem, actor=agent_l1, permanent_fix="New certificate pipeline.")
    delivery = WebhookDelivery.objects.get()
    assert delivery.event_type == "problem.resolved"
    assert delivery.payload["data"]["kind"] == "problem"
    assert delivery.payload["data"]["url"].endswith(f"/agent/problems/{problem.number}/")


def test_problem_created(subscribe, agent_l1):
    subscribe("problem.created")
    problem = problems.problem_create(actor=agent_l1, title="Mail relay keeps dropping")
    assert WebhookDelivery.objects.get().payload["data"]["number"] == problem.number


def test_public_replies_are_sent_internal_notes_never(subscribe, end_user, agent_l1):
    subscribe("comment.created")
    incident = IncidentFactory(requester=end_user, status=IncidentStatus.LOGGED)
    incidents.incident_comment(
        incident, author=agent_l1, body="Secret root password is hunter2", is_internal=True
    )
    assert not WebhookDelivery.objects.exists()
    incidents.incident_comment(incident, author=agent_l1, body="We are on it.", is_internal=False)
    delivery = WebhookDelivery.objects.get()
    comment = delivery.payload["data"]["comment"]
    assert comment["body"] == "We are on it."
    assert comment["author"]["username"] == agent_l1.username
    assert "hunter2" not in str(delivery.payload)


def test_payload_holds_no_email_and_no_description(subscribe, end_user):
    subscribe("incident.created")
    incidents.incident_create(
        requester=end_user, title="Laptop broken", description="My home address is 1 Main St"
    )
    text = str(WebhookDelivery.objects.get().payload)
    assert end_user.email not in text
    assert "@" not in text
    assert "Main St" not in text


def test_timeline_events_carry_their_description(subscribe, end_user, agent_l1):
    subscribe("incident.created", "incident.status_changed")
    incident = incidents.incident_create(requester=end_user, title="Printer jam")
    incidents.incident_accept(incident, actor=agent_l1)
    events = [
        delivery.payload["data"]["event"]
        for delivery in WebhookDelivery.objects.order_by("created_at", "id")
    ]
    assert events == [
        {
            "kind": "created",
            "source": "web",
            "description": f"{end_user.get_full_name()} reported the incident",
        },
        {
            "kind": "status_changed",
            "source": "web",
            "description": f"{agent_l1.get_full_name()} changed the status",
        },
    ]


def test_a_reply_by_email_says_so(subscribe, end_user):
    subscribe("comment.created")
    incident = IncidentFactory(requester=end_user, status=IncidentStatus.LOGGED)
    ticket_comment(
        incident, author=end_user, body="Still broken", is_internal=False, source=Source.EMAIL
    )
    data = WebhookDelivery.objects.get().payload["data"]
    assert data["comment"]["source"] == "email"
    assert data["event"]["source"] == "email"
    assert data["source"] == incident.source


def test_the_same_occurrence_emitted_twice_is_queued_once(subscribe):
    subscribe("sla.breached")
    with transaction.atomic():
        assert webhook_emit(event_type="sla.breached", key="sla:1:1:2", data={"n": 1}) == 1
    with transaction.atomic():
        webhook_emit(event_type="sla.breached", key="sla:1:1:2", data={"n": 1})
    assert WebhookDelivery.objects.count() == 1
    assert OutboxMessage.objects.filter(task_name="webhooks.deliver").count() == 1
