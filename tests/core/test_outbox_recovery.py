"""DESIGN.md §8 "recover in seconds": lost messages, killed workers, database errors, a singleton
relay in bounded batches."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import OperationalError
from django.utils import timezone

from config.celery import app
from core.leases import lease_release, lease_take
from core.models import OutboxMessage, OutboxStatus
from core.outbox import INTERRUPTED_ERROR, outbox_enqueue, run_outbox_message
from core.outbox_relay import RELAY_LEASE, relay_outbox
from core.tasks import send_email_task
from tests.brokers import drain

pytestmark = pytest.mark.django_db


def _email(to: str = "a@example.com") -> OutboxMessage:
    message = outbox_enqueue(
        task_name="core.send_email", payload={"to": [to], "subject": "s", "body": "b"}
    )
    assert message is not None
    return message


def _run_published(published: list[tuple[str, list]]) -> None:
    app.loader.import_default_modules()
    for task_name, args in published:
        app.tasks[task_name].run(*args)


def _worker_died_while_running(message: OutboxMessage, seconds_ago: float) -> None:
    """What a SIGKILLed worker leaves behind: the row claimed, started, never finished."""
    started = timezone.now() - timedelta(seconds=seconds_ago)
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=OutboxStatus.RUNNING, started_at=started, dispatched_at=started
    )


def test_a_lost_message_is_dispatched_again_within_30_seconds(use_broker, settings):
    assert settings.OUTBOX_REDISPATCH_AFTER_SECONDS <= 30
    use_broker("memory://")
    drain()
    message = _email()
    assert relay_outbox() == 1
    drain()  # the broker lost it
    assert relay_outbox() == 0  # not yet: it may still be on its way
    with time_machine.travel(timezone.now() + timedelta(seconds=31)):
        assert relay_outbox() == 1
    _run_published(drain())
    message.refresh_from_db()
    assert message.status == OutboxStatus.DONE
    assert len(mail.outbox) == 1


def test_an_email_interrupted_mid_send_is_never_sent_again(use_broker, settings):
    use_broker("memory://")
    drain()
    message = _email()
    _worker_died_while_running(message, seconds_ago=settings.OUTBOX_RUNNING_LEASE_SECONDS - 5)
    assert relay_outbox() == 0  # within the lease: the worker may still be sending it
    _worker_died_while_running(message, seconds_ago=settings.OUTBOX_RUNNING_LEASE_SECONDS + 1)
    assert relay_outbox() == 1
    _run_published(drain())
    message.refresh_from_db()
    assert message.status == OutboxStatus.FAILED
    assert message.last_error == INTERRUPTED_ERROR
    assert mail.outbox == []


def test_an_email_retried_after_a_transient_error_is_not_taken_for_an_interrupted_one():
    message = _email()

    def refused(payload: dict) -> None:
        from core.outbox import TransientError

        raise TransientError("421 try later")

    run_outbox_message(message.pk, refused, rerun_interrupted=False)
    message.refresh_from_db()
    assert message.status == OutboxStatus.PENDING and message.started_at is None
    send_email_task.run(message.pk)
    message.refresh_from_db()
    assert message.status == OutboxStatus.DONE and len(mail.outbox) == 1


def test_a_database_error_in_the_task_is_retried_not_dropped(monkeypatch):
    message = _email()
    real = OutboxMessage.objects.filter
    failures = iter([OperationalError("server closed the connection unexpectedly")])

    def flaky_filter(*args, **kwargs):
        error = next(failures, None)
        if error is not None:
            raise error
        return real(*args, **kwargs)

    class RetryRequestedError(Exception):
        pass

    retried = []

    def retry(**kwargs):
        retried.append(kwargs)
        return RetryRequestedError()

    monkeypatch.setattr(OutboxMessage.objects, "filter", flaky_filter)
    monkeypatch.setattr(send_email_task, "retry", retry)
    with pytest.raises(RetryRequestedError):
        send_email_task.run([message.pk])
    [call] = retried
    assert isinstance(call["exc"], OperationalError) and call["countdown"] >= 1
    message.refresh_from_db()
    assert message.status == OutboxStatus.PENDING  # untouched: the retry will run it
    send_email_task.run([message.pk])
    message.refresh_from_db()
    assert message.status == OutboxStatus.DONE


def test_the_relay_is_a_singleton(use_broker):
    use_broker("memory://")
    drain()
    _email()
    assert lease_take(RELAY_LEASE, seconds=60, holder="another-relay")
    assert relay_outbox() == 0  # another relay is at work: return at once
    lease_release(RELAY_LEASE, holder="another-relay")
    assert relay_outbox() == 1


def test_a_relay_that_died_holding_the_lease_blocks_only_until_it_expires(use_broker, settings):
    use_broker("memory://")
    drain()
    _email()
    assert lease_take(RELAY_LEASE, seconds=settings.OUTBOX_RELAY_LEASE_SECONDS, holder="dead")
    assert relay_outbox() == 0
    later = timezone.now() + timedelta(seconds=settings.OUTBOX_RELAY_LEASE_SECONDS + 1)
    with time_machine.travel(later):
        assert relay_outbox() == 1


def test_rows_go_out_in_batches_per_task_and_the_broker_queue_stays_bounded(use_broker, settings):
    settings.OUTBOX_TASK_BATCH_SIZE = 50
    settings.OUTBOX_MAX_IN_FLIGHT = 120
    use_broker("memory://")
    drain()
    messages = OutboxMessage.objects.bulk_create(
        [
            OutboxMessage(
                task_name="core.send_email",
                payload={"to": [f"u{i}@example.com"], "subject": "s", "body": "b"},
                available_at=timezone.now(),
                created_at=timezone.now(),
            )
            for i in range(200)
        ]
    )
    assert relay_outbox() == 120  # no more than OUTBOX_MAX_IN_FLIGHT wait in the broker
    published = drain()
    assert [len(args[0]) for _name, args in published] == [50, 50, 20]
    assert relay_outbox() == 0  # still 120 in flight: nothing more
    _run_published(published)
    assert relay_outbox() == 80
    _run_published(drain())
    assert OutboxMessage.objects.filter(status=OutboxStatus.DONE).count() == len(messages)
    assert len(mail.outbox) == 200


def test_one_batch_of_emails_uses_one_mail_connection(monkeypatch):
    opened = []
    from django.core.mail.backends.locmem import EmailBackend

    real_open = EmailBackend.open

    def counting_open(self):  # type: ignore[no-untyped-def]
        opened.append(self)
        return real_open(self)

    monkeypatch.setattr(EmailBackend, "open", counting_open)
    ids = [_email(f"u{i}@example.com").pk for i in range(5)]
    assert send_email_task.run(ids) == 5
    assert len(mail.outbox) == 5
    assert len(opened) == 1
