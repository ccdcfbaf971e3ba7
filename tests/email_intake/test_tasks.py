"""The beat task polls due mailboxes and processes what they brought, once."""

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from email_intake import pipeline
from email_intake.choices import InboundOutcome, InboundStatus
from email_intake.models import InboundEmail
from email_intake.tasks import poll_task, process_task
from tests.email_intake.conftest import make_message


@pytest.fixture
def done_pipeline(monkeypatch: pytest.MonkeyPatch) -> None:
    def handle(inbound: InboundEmail) -> None:
        inbound.status = InboundStatus.DONE
        inbound.outcome = InboundOutcome.NEW_TICKET
        inbound.processed_at = timezone.now()
        inbound.save()

    monkeypatch.setattr(pipeline, "handle", handle)


def test_poll_task_stores_and_processes_once(imap_mailbox, dovecot, done_pipeline):
    dovecot.append_many([make_message(n) for n in range(3)])

    assert poll_task() == 3
    assert poll_task() == 0  # not due again yet; nothing new anyway

    assert InboundEmail.objects.filter(status=InboundStatus.DONE).count() == 3


def test_process_task_requeues_itself_while_batches_come_back_full(
    imap_mailbox, dovecot, done_pipeline, settings, monkeypatch
):
    settings.EMAIL_INTAKE_PROCESS_BATCH = 2
    from email_intake.store import store_message

    for n in range(3):
        store_message(imap_mailbox, make_message(n))
    queued: list[int] = []
    monkeypatch.setattr(process_task, "delay", lambda: queued.append(1))

    assert process_task() == 2
    assert queued == [1]
    assert process_task() == 1
    assert queued == [1]


def test_the_beat_entry_exists():
    entry = django_settings.CELERY_BEAT_SCHEDULE["email_intake.poll"]
    assert entry["task"] == "email_intake.poll" == poll_task.name
    assert entry["options"]["expires"] >= 30
