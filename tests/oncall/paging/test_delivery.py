"""Delivery of page notifications: email threaded to the ticket, a Slack-compatible webhook, a
signed webhook; a receiver that answers 500 or never answers; a 4xx; a page acknowledged while
its message waited."""

import json

import httpx
import pytest

from core.models import OutboxMessage, OutboxStatus
from core.webhooks import outbound
from core.webhooks.signing import DELIVERY_HEADER, SIGNATURE_HEADER, webhook_signature_verify
from oncall.models import (
    ContactMethod,
    ContactMethodKind,
    NotificationRule,
    PageNotification,
    PageNotificationStatus,
    PageReason,
)
from oncall.paging.delivery import page_email_task, page_slack_task, page_webhook_task
from oncall.paging.services import page_acknowledge, page_start
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db

SECRET = "whsec_test"


@pytest.fixture
def public_dns(monkeypatch):
    monkeypatch.setattr(outbound, "resolve", lambda host, port: ["93.184.216.34"])


@pytest.fixture
def receiver(monkeypatch, public_dns):
    """Answers each request with the next status in `statuses` (an exception is raised)."""
    state = {"statuses": [200], "sent": []}

    def answer(request: httpx.Request) -> httpx.Response:
        state["sent"].append(request)
        status = state["statuses"].pop(0) if len(state["statuses"]) > 1 else state["statuses"][0]
        if isinstance(status, Exception):
            raise status
        return httpx.Response(status, text="nope" if status >= 400 else "ok")

    monkeypatch.setattr(outbound, "transport", httpx.MockTransport(answer))
    return state


def paged_by(group, agents, kind, address):
    """Only agents[0] is reachable, through one method of `kind`; the page's first step (the
    schedule's on-call) is replaced by a step naming agents[0]."""
    from oncall.models import EscalationPolicy, EscalationStep, StepTarget

    policy = EscalationPolicy.objects.create(support_group=group, name="Direct")
    EscalationStep.objects.create(
        policy=policy, position=1, target=StepTarget.PEOPLE, wait_minutes=5
    ).people.add(agents[0])
    method = ContactMethod.objects.create(
        person=agents[0], kind=kind, label="Phone", address=address, secret=SECRET
    )
    NotificationRule.objects.create(contact_method=method)
    incident = IncidentFactory(support_group=group, tier=group.tier, priority=1)
    page = page_start(incident, reason=PageReason.MANUAL, actor=agents[1], message="Checkout down")
    notification = PageNotification.objects.get(page=page)
    return incident, page, notification, method


def test_email_is_sent_threaded_and_marked_sent(group, agents, mailoutbox):
    incident, _, notification, _ = paged_by(group, agents, ContactMethodKind.EMAIL, "a@example.com")
    assert page_email_task.run(notification.outbox_message_id) == 1
    notification.refresh_from_db()
    assert notification.status == PageNotificationStatus.SENT and notification.sent_at
    [mail] = mailoutbox
    assert mail.to == ["a@example.com"]
    assert incident.number in mail.subject and "P1" in mail.subject
    assert "Checkout down" in mail.body and "Acknowledge: http" in mail.body
    assert (
        mail.extra_headers["Message-ID"]
        == (
            OutboxMessage.objects.get(pk=notification.outbox_message_id).payload["email"][
                "message_id"
            ]
        )
    )
    assert incident.number.replace("-", "") in mail.extra_headers["In-Reply-To"].replace("-", "")
    # Delivered twice (a duplicated Celery message): sent once.
    assert page_email_task.run(notification.outbox_message_id) == 0
    assert len(mailoutbox) == 1


def test_signed_webhook_carries_the_page_and_verifies(group, agents, receiver):
    incident, page, notification, _ = paged_by(
        group, agents, ContactMethodKind.WEBHOOK, "https://sms.example.com/hook"
    )
    page_webhook_task.run(notification.outbox_message_id)
    [request] = receiver["sent"]
    body = request.content
    assert webhook_signature_verify(
        secret=SECRET, body=body, header=request.headers[SIGNATURE_HEADER]
    )
    assert request.headers[DELIVERY_HEADER] == f"page-notification:{notification.pk}"
    data = json.loads(body)
    assert data["ticket"]["number"] == incident.number and data["ticket"]["priority"] == 1
    assert data["page"]["id"] == page.pk and data["person"]["id"] == agents[0].pk
    assert set(data["links"]) == {"acknowledge", "resolve"}
    assert SECRET not in body.decode()
    notification.refresh_from_db()
    assert notification.status == PageNotificationStatus.SENT


def test_slack_webhook_posts_text(group, agents, receiver):
    incident, _, notification, _ = paged_by(
        group, agents, ContactMethodKind.SLACK, "https://hooks.example.com/T1"
    )
    page_slack_task.run(notification.outbox_message_id)
    [request] = receiver["sent"]
    text = json.loads(request.content)["text"]
    assert incident.number in text and "Acknowledge: http" in text


@pytest.mark.parametrize(
    "failure", [500, httpx.ReadTimeout("no answer")], ids=["answers-500", "never-answers"]
)
def test_a_receiver_that_keeps_failing_is_retried_then_marked_failing(
    group, agents, receiver, settings, failure
):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    receiver["statuses"] = [failure]
    _, _, notification, method = paged_by(
        group, agents, ContactMethodKind.WEBHOOK, "https://sms.example.com/hook"
    )
    message_id = notification.outbox_message_id
    for attempt in range(1, 4):
        page_webhook_task.run(message_id)
        message = OutboxMessage.objects.get(pk=message_id)
        notification.refresh_from_db()
        method.refresh_from_db()
        if attempt < 3:
            assert message.status == OutboxStatus.PENDING  # retried with backoff
            assert notification.status == PageNotificationStatus.QUEUED
            assert method.failing_since is None
            OutboxMessage.objects.filter(pk=message_id).update(available_at=message.created_at)
    assert message.status == OutboxStatus.FAILED
    assert notification.status == PageNotificationStatus.FAILED
    assert "Gave up after 3 attempts" in notification.error
    assert method.failing_since is not None and method.last_error
    assert not method.is_working
    assert len(receiver["sent"]) == 3


def test_a_4xx_fails_at_once(group, agents, receiver):
    receiver["statuses"] = [404]
    _, _, notification, method = paged_by(
        group, agents, ContactMethodKind.WEBHOOK, "https://sms.example.com/hook"
    )
    page_webhook_task.run(notification.outbox_message_id)
    notification.refresh_from_db()
    method.refresh_from_db()
    assert notification.status == PageNotificationStatus.FAILED and "HTTP 404" in notification.error
    assert OutboxMessage.objects.get(pk=notification.outbox_message_id).status == "failed"
    assert method.failing_since is not None


def test_a_private_target_is_refused_without_a_connection(group, agents, monkeypatch):
    sent = []
    monkeypatch.setattr(
        outbound, "transport", httpx.MockTransport(lambda r: sent.append(r) or httpx.Response(200))
    )
    _, _, notification, _ = paged_by(
        group, agents, ContactMethodKind.WEBHOOK, "http://127.0.0.1:9000/hook"
    )
    page_webhook_task.run(notification.outbox_message_id)
    notification.refresh_from_db()
    assert notification.status == PageNotificationStatus.FAILED and "Refused" in notification.error
    assert sent == []


def test_a_message_of_a_page_acknowledged_meanwhile_is_not_sent(group, agents, mailoutbox):
    _, page, notification, _ = paged_by(group, agents, ContactMethodKind.EMAIL, "a@example.com")
    page_acknowledge(page, actor=agents[0])
    page_email_task.run(notification.outbox_message_id)
    notification.refresh_from_db()
    assert notification.status == PageNotificationStatus.CANCELLED
    assert mailoutbox == []


def test_a_method_deleted_before_sending_fails_the_notification(group, agents, receiver):
    _, _, notification, method = paged_by(
        group, agents, ContactMethodKind.WEBHOOK, "https://sms.example.com/hook"
    )
    method.delete()
    page_webhook_task.run(notification.outbox_message_id)
    notification.refresh_from_db()
    assert notification.status == PageNotificationStatus.FAILED
    assert "deleted" in notification.error
    assert receiver["sent"] == []


def test_send_a_test_of_a_signed_webhook_is_signed_like_a_page(group, agents, receiver):
    from core.webhooks.signing import EVENT_HEADER
    from oncall.contact_services import contact_method_test
    from oncall.paging.delivery import contact_test_webhook_task

    method = ContactMethod.objects.create(
        person=agents[0],
        kind=ContactMethodKind.WEBHOOK,
        label="SMS gateway",
        address="https://sms.example.com/hook",
        secret=SECRET,
    )
    contact_method_test(method=method, actor=agents[0])
    message = OutboxMessage.objects.get(task_name="oncall.contact_test_webhook")
    assert contact_test_webhook_task.run(message.pk) == 1
    [request] = receiver["sent"]
    assert request.headers[EVENT_HEADER] == "page.test"
    assert webhook_signature_verify(
        secret=SECRET, body=request.content, header=request.headers[SIGNATURE_HEADER]
    )
    data = json.loads(request.content)
    assert data["event"] == "page.test" and data["person"]["id"] == agents[0].pk
    assert "SMS gateway" in data["text"]
    message.refresh_from_db()
    assert message.status == OutboxStatus.DONE
