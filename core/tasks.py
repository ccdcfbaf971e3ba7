"""Celery entry points of the shared kernel: the outbox relay, email delivery, auto-close."""

import smtplib
from typing import Any

from celery import shared_task
from django.core.mail import send_mail

from core.outbox import TransientError, outbox_task, relay_outbox
from core.single_line import single_line_normalise
from core.tickets.autoclose import tickets_autoclose
from core.tickets.kinds import kinds


@shared_task(name="core.relay_outbox", acks_late=True, ignore_result=True)
def relay_outbox_task() -> int:
    return relay_outbox()


@shared_task(name="tickets.autoclose", acks_late=True, ignore_result=True)
def autoclose_task(batch_size: int = 500) -> int:
    """Close, for every kind that declares it, tickets left resolved/fulfilled past their
    auto-close days; re-queues itself while a batch came back full."""
    closed, more = 0, False
    for kind in kinds():
        count, full = tickets_autoclose(kind, batch_size=batch_size)
        closed, more = closed + count, more or full
    if more:
        autoclose_task.delay(batch_size)
    return closed


@outbox_task("core.send_email")
def send_email_task(payload: dict[str, Any]) -> None:
    """Send one email: payload {"to": [...], "subject": str, "body": str}. The subject is made
    one line here too, for messages queued before their builder did it: a CR/LF in it would fail
    the message for good (BadHeaderError), not once."""
    recipients = [address for address in payload.get("to", []) if address]
    if not recipients:
        return
    try:
        send_mail(
            subject=single_line_normalise(payload["subject"]),
            message=payload["body"],
            from_email=None,
            recipient_list=recipients,
        )
    except (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, OSError) as exc:
        raise TransientError(str(exc)) from exc


# Registered here so autodiscovery (which imports each app's tasks module) finds it.
from core.api.tasks import purge_idempotency_records_task  # noqa: E402
from core.webhooks.slack import post_webhook_task  # noqa: E402

__all__ = [
    "post_webhook_task",
    "purge_idempotency_records_task",
    "relay_outbox_task",
    "send_email_task",
]
