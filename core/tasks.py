"""Celery entry points of the shared kernel: the outbox relay, email delivery, auto-close,
the worker heartbeat."""

import smtplib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from celery import shared_task
from django.core.mail import get_connection

from core.leases import heartbeat
from core.outbox import TransientError, outbox_task
from core.outbox_relay import relay_outbox
from core.outgoing_mail import email_message_build
from core.tickets.autoclose import tickets_autoclose
from core.tickets.kinds import kinds


@shared_task(name="core.relay_outbox", acks_late=True, ignore_result=True)
def relay_outbox_task() -> int:
    return relay_outbox()


@shared_task(name="core.heartbeat", acks_late=True, ignore_result=True)
def heartbeat_task() -> None:
    """Beat sends this to the default queue; /healthz reads when a worker last ran it."""
    heartbeat("worker")


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


_SMTP: ContextVar[Any] = ContextVar("outbox_smtp_connection", default=None)


@contextmanager
def _one_smtp_connection() -> Iterator[None]:
    """One mail connection for a whole batch of emails (one SMTP login, not one per message).
    A server that refuses the connection is left to each send, which retries it transiently."""
    connection = get_connection()
    try:
        connection.open()
    except (smtplib.SMTPException, OSError):
        yield
        return
    token = _SMTP.set(connection)
    try:
        yield
    finally:
        _SMTP.reset(token)
        connection.close()


# Never re-sent after a crash mid-send: a duplicate email cannot be taken back.
@outbox_task("core.send_email", rerun_interrupted=False, batch_context=_one_smtp_connection)
def send_email_task(payload: dict[str, Any]) -> None:
    """Send one email: payload {"to": [...], "subject": str, "body": str} plus, optionally,
    "html", "message_id", "in_reply_to", "references", "reply_to" and allowed "headers"
    (core.outgoing_mail). Every header is made one line here too, for messages queued before
    their builder did it: a CR/LF in one would fail the message for good (BadHeaderError)."""
    message = email_message_build(payload, connection=_SMTP.get())
    if not message.to:
        return
    try:
        message.send()
    except (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, OSError) as exc:
        raise TransientError(str(exc)) from exc


# Registered here so autodiscovery (which imports each app's tasks module) finds it.
from core.api.tasks import purge_idempotency_records_task  # noqa: E402
from core.webhooks.slack import post_webhook_task  # noqa: E402

__all__ = [
    "heartbeat_task",
    "post_webhook_task",
    "purge_idempotency_records_task",
    "relay_outbox_task",
    "send_email_task",
]
