"""Delivery of page notifications: the outbox rows the sweeper writes and the handlers that send
them (email, Slack-compatible webhook, signed webhook).

`notification_queue` runs in the sweeper's (or page_start's) transaction: a compare-and-set moves
the row from scheduled to queued and writes its outbox row (dedupe key
`page-notification:<id>`), so a notification is queued once however many sweepers see it.

An email is a ticket email (core.tickets.notify's pieces): its Message-ID is decided here,
recorded as a TicketEmail with purpose "page" in the same transaction and kept in the payload,
so a reply "ack" threads to the ticket and a retried send keeps its id. Webhook bodies are built
when sent, from the rows (the method's secret never sits in an outbox payload).

Outcomes: sent (sent_at), or failed (error). A receiver answering 429/5xx or not answering is a
TransientError, retried with the outbox's backoff; once the outbox gives up (its last attempt)
or at once for a 4xx or a refused target, the notification fails and its contact method is
marked failing (failing_since, last_error), so later steps skip it. A notification whose page was
acknowledged or ended while it waited is cancelled, not sent. Email is never re-sent after a
crash mid-send (rerun_interrupted=False); webhooks are (receivers dedupe by the delivery id).
"""

import json
import smtplib
import time
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone

from core.models import OutboxMessage, TicketBase
from core.outbox import TransientError, outbox_enqueue, outbox_task
from core.outgoing_mail import email_message_build, email_payload
from core.single_line import single_line_normalise
from core.tickets.email_thread import (
    EmailPurpose,
    message_id_new,
    thread_of,
    ticket_email_record,
)
from core.tickets.kinds import kind_for_content_type
from core.tickets.notify import NOTIFICATION_HEADERS, email_html, reply_to_for
from core.webhooks.signing import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    webhook_body,
    webhook_signature,
)
from core.webhooks.slack import post_json
from oncall.models import (
    ContactMethod,
    ContactMethodKind,
    Page,
    PageNotification,
    PageNotificationStatus,
    PageStatus,
)
from oncall.paging.links import ACK, RESOLVE, page_link_url

TASK_EMAIL = "oncall.page_email"
TASK_SLACK = "oncall.page_slack"
TASK_WEBHOOK = "oncall.page_webhook"
TASK_WEBHOOK_TEST = "oncall.contact_test_webhook"
TASKS: dict[str, str] = {
    ContactMethodKind.EMAIL: TASK_EMAIL,
    ContactMethodKind.SLACK: TASK_SLACK,
    ContactMethodKind.WEBHOOK: TASK_WEBHOOK,
}
WEBHOOK_EVENT = "page.notification"
# What "Send a test" of a signed webhook posts: the same signing and headers, no page.
WEBHOOK_TEST_EVENT = "page.test"


def delivery_id(notification_id: int) -> str:
    return f"page-notification:{notification_id}"


def page_links(page: Page, person_id: int) -> dict[str, str]:
    return {
        "acknowledge": page_link_url(page_id=page.pk, person_id=person_id, action=ACK),
        "resolve": page_link_url(page_id=page.pk, person_id=person_id, action=RESOLVE),
    }


def page_subject(page: Page) -> str:
    priority = f"P{page.priority} " if page.priority else ""
    return f"PAGE {priority}{page.ticket_title}"


def page_text(page: Page, person_id: int, group_name: str) -> str:
    """The words of a page: ticket, priority, group, the page's message, and the two links."""
    links = page_links(page, person_id)
    kind = kind_for_content_type(page.ticket_type_id)
    lines = [
        f"{page.ticket_number}: {page.ticket_title}",
        f"Priority: P{page.priority}" if page.priority else "Priority: none",
        f"Group: {group_name or '-'}",
    ]
    if page.message:
        lines += ["", page.message]
    lines += [
        "",
        f"Acknowledge: {links['acknowledge']}",
        f"Resolve the page: {links['resolve']}",
        f"Ticket: {kind.agent_url(page.ticket_number)}",
    ]
    return "\n".join(lines)


def _group_name(page: Page) -> str:
    tier = page.policy_snapshot[page.tier_index] if page.policy_snapshot else {}
    return str(tier.get("group", ""))


def notification_queue(notification: PageNotification, ticket: TicketBase, now: datetime) -> bool:
    """Queue a scheduled notification: status queued and its outbox row, in the caller's
    transaction. False when someone else queued (or cancelled) it first."""
    won = PageNotification.objects.filter(
        pk=notification.pk, status=PageNotificationStatus.SCHEDULED
    ).update(status=PageNotificationStatus.QUEUED, queued_at=now)
    if not won:
        return False
    method = notification.contact_method
    if method is None:  # the method was deleted after the row was written
        PageNotification.objects.filter(pk=notification.pk).update(
            status=PageNotificationStatus.SKIPPED, error="The contact method was deleted."
        )
        return False
    key = delivery_id(notification.pk)
    payload: dict[str, Any] = {"notification_id": notification.pk}
    if method.kind == ContactMethodKind.EMAIL:
        page = notification.page
        message_id = message_id_new(ticket)
        thread = thread_of(ticket)
        reply_to = reply_to_for(ticket)
        subject = single_line_normalise(f"[{page.ticket_number}] {page_subject(page)}")
        body = page_text(page, notification.person_id, _group_name(page))
        payload["email"] = email_payload(
            to=[method.address],
            subject=subject,
            body=body,
            html=email_html(subject=subject, body=body),
            message_id=message_id,
            in_reply_to=thread.in_reply_to,
            references=thread.references,
            reply_to=[reply_to] if reply_to else [],
            headers=NOTIFICATION_HEADERS,
        )
    message = outbox_enqueue(task_name=TASKS[method.kind], payload=payload, dedupe_key=key)
    if message is None:
        return False
    if method.kind == ContactMethodKind.EMAIL:
        ticket_email_record(
            ticket,
            message_id=payload["email"]["message_id"],
            purpose=EmailPurpose.PAGE,
            recipients=[method.address],
            outbox_message_id=message.pk,
        )
    PageNotification.objects.filter(pk=notification.pk).update(outbox_message_id=message.pk)
    return True


# --- handlers ---------------------------------------------------------------------------------


def _load(payload: dict[str, Any]) -> PageNotification | None:
    """The queued notification the payload names; None (nothing to do) when it is no longer
    queued, or its page stopped paging meanwhile (then it is cancelled)."""
    notification = (
        PageNotification.objects.select_related("page", "contact_method", "person")
        .filter(pk=int(payload["notification_id"]), status=PageNotificationStatus.QUEUED)
        .first()
    )
    if notification is None:
        return None
    if notification.page.status != PageStatus.TRIGGERED:
        PageNotification.objects.filter(
            pk=notification.pk, status=PageNotificationStatus.QUEUED
        ).update(status=PageNotificationStatus.CANCELLED, error="The page had ended.")
        return None
    if notification.contact_method is None:
        _failed(notification, "The contact method was deleted before the message was sent.")
        return None
    return notification


def _sent(notification: PageNotification) -> None:
    PageNotification.objects.filter(
        pk=notification.pk, status=PageNotificationStatus.QUEUED
    ).update(status=PageNotificationStatus.SENT, sent_at=timezone.now(), error="")


def _failed(notification: PageNotification, error: str) -> None:
    """The notification failed for good: so is its method, until someone fixes it."""
    now = timezone.now()
    PageNotification.objects.filter(
        pk=notification.pk, status=PageNotificationStatus.QUEUED
    ).update(status=PageNotificationStatus.FAILED, error=error[:1000])
    if notification.contact_method_id is not None:
        ContactMethod.objects.filter(
            pk=notification.contact_method_id, failing_since__isnull=True
        ).update(failing_since=now)
        ContactMethod.objects.filter(pk=notification.contact_method_id).update(
            last_error=error[:1000]
        )


def _is_last_attempt(notification: PageNotification) -> bool:
    if notification.outbox_message_id is None:
        return True
    attempts = (
        OutboxMessage.objects.filter(pk=notification.outbox_message_id)
        .values_list("attempts", flat=True)
        .first()
    )
    return attempts is None or attempts + 1 >= settings.OUTBOX_MAX_ATTEMPTS


def _deliver(notification: PageNotification, send: Any) -> None:
    """Run `send()`, then record the outcome; transient errors go back to the outbox."""
    try:
        send()
    except TransientError as exc:
        if _is_last_attempt(notification):
            _failed(notification, f"Gave up after {settings.OUTBOX_MAX_ATTEMPTS} attempts: {exc}")
        raise
    except Exception as exc:
        _failed(notification, f"{type(exc).__name__}: {exc}")
        raise
    _sent(notification)


@outbox_task(TASK_EMAIL, rerun_interrupted=False)
def page_email_task(payload: dict[str, Any]) -> None:
    """Send a page email (payload: notification_id, email)."""
    notification = _load(payload)
    if notification is None:
        return

    def send() -> None:
        message = email_message_build(payload["email"])
        try:
            message.send()
        except (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, OSError) as exc:
            raise TransientError(str(exc)) from exc

    _deliver(notification, send)


def _post(url: str, body: bytes, headers: dict[str, str]) -> None:
    post_json(url, body, headers=headers, timeout=settings.WEBHOOK_TIMEOUT_SECONDS)


@outbox_task(TASK_SLACK, rerun_interrupted=True)
def page_slack_task(payload: dict[str, Any]) -> None:
    """POST {"text": ...} to a person's Slack-compatible incoming webhook."""
    notification = _load(payload)
    if notification is None or notification.contact_method is None:
        return
    page = notification.page
    text = f"*{page_subject(page)}*\n" + page_text(page, notification.person_id, _group_name(page))
    body = json.dumps({"text": text}).encode()
    address = notification.contact_method.address
    _deliver(notification, lambda: _post(address, body, {}))


def webhook_payload(notification: PageNotification) -> dict[str, Any]:
    """The signed webhook's JSON: who is paged for what, and the links to answer."""
    page = notification.page
    person = notification.person
    return {
        "event": WEBHOOK_EVENT,
        "delivery": delivery_id(notification.pk),
        "page": {
            "id": page.pk,
            "reason": page.reason,
            "message": page.message,
            "group": _group_name(page),
            "step": notification.step_key,
            "created_at": page.created_at.isoformat(),
        },
        "ticket": {
            "number": page.ticket_number,
            "title": page.ticket_title,
            "priority": page.priority,
            "url": kind_for_content_type(page.ticket_type_id).agent_url(page.ticket_number),
        },
        "person": {"id": person.pk, "name": str(person), "email": person.email},
        "text": page_text(page, person.pk, _group_name(page)),
        "links": page_links(page, person.pk),
    }


@outbox_task(TASK_WEBHOOK, rerun_interrupted=True)
def page_webhook_task(payload: dict[str, Any]) -> None:
    """POST the signed page JSON to a person's gateway webhook (signed like the outbound
    webhooks: core.webhooks.signing; the delivery id names the notification)."""
    notification = _load(payload)
    if notification is None or notification.contact_method is None:
        return
    method = notification.contact_method
    body = webhook_body(webhook_payload(notification))
    headers = {
        EVENT_HEADER: WEBHOOK_EVENT,
        DELIVERY_HEADER: delivery_id(notification.pk),
        SIGNATURE_HEADER: webhook_signature(
            secret=method.secret, body=body, timestamp=int(time.time())
        ),
    }
    _deliver(notification, lambda: _post(method.address, body, headers))


@outbox_task(TASK_WEBHOOK_TEST, rerun_interrupted=True)
def contact_test_webhook_task(payload: dict[str, Any]) -> None:
    """ "Send a test" of a signed webhook: {"event": "page.test", "delivery", "person", "text"}
    signed and posted exactly like a page, so the gateway's verification is tested too. A
    failure stays on the outbox row; it does not mark the method failing (only pages do)."""
    method = ContactMethod.objects.select_related("person").filter(pk=payload["method_id"]).first()
    if method is None:
        return
    delivery = f"test-{payload['outbox_key']}"
    body = webhook_body(
        {
            "event": WEBHOOK_TEST_EVENT,
            "delivery": delivery,
            "person": {
                "id": method.person_id,
                "name": str(method.person),
                "email": method.person.email,
            },
            "text": str(payload["text"]),
        }
    )
    headers = {
        EVENT_HEADER: WEBHOOK_TEST_EVENT,
        DELIVERY_HEADER: delivery,
        SIGNATURE_HEADER: webhook_signature(
            secret=method.secret, body=body, timestamp=int(time.time())
        ),
    }
    _post(method.address, body, headers)


__all__ = ["contact_test_webhook_task", "page_email_task", "page_slack_task", "page_webhook_task"]
