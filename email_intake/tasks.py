"""Celery entry points of the email channel: thin, named, safe to run twice."""

from celery import shared_task
from django.conf import settings

from email_intake.fetch import poll_due_mailboxes
from email_intake.processing import process_waiting


@shared_task(name="email_intake.poll", acks_late=True, ignore_result=True)
def poll_task() -> int:
    """Beat, every EMAIL_INTAKE_POLL_SECONDS: poll each active mailbox whose own interval has
    passed (one poller per mailbox, by lease), then process what waits."""
    stored = sum(result.stored for result in poll_due_mailboxes())
    if process_waiting() >= settings.EMAIL_INTAKE_PROCESS_BATCH:
        process_task.delay()
    return stored


@shared_task(name="email_intake.process", acks_late=True, ignore_result=True)
def process_task() -> int:
    """Process a batch of waiting messages; re-queues itself while a batch comes back full."""
    processed = process_waiting()
    if processed >= settings.EMAIL_INTAKE_PROCESS_BATCH:
        process_task.delay()
    return processed
