"""Processing stored mail: compare-and-set claims, rollback and attempts, quarantine, retry.
The pipeline is stubbed (email_intake.pipeline.handle) — its own tests cover what it does."""

from datetime import timedelta

import pytest
from django.utils import timezone

from email_intake import pipeline
from email_intake.choices import InboundOutcome, InboundStatus
from email_intake.fetch import TOO_LARGE_REASON
from email_intake.models import InboundEmail, Mailbox
from email_intake.processing import (
    RetryRefusedError,
    process_inbound,
    process_waiting,
    retry_inbound,
)
from email_intake.store import store_message
from tests.email_intake.conftest import make_message


@pytest.fixture
def mailbox(db: None) -> Mailbox:
    return Mailbox.objects.create(name="desk", address="desk@example.com")


@pytest.fixture
def stored(mailbox: Mailbox) -> InboundEmail:
    inbound, _ = store_message(mailbox, make_message(1))
    return inbound


@pytest.fixture
def handled(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A pipeline that marks every message done and records which it saw."""
    seen: list[int] = []

    def handle(inbound: InboundEmail) -> None:
        assert inbound.status == InboundStatus.PROCESSING
        seen.append(inbound.pk)
        inbound.status = InboundStatus.DONE
        inbound.outcome = InboundOutcome.NEW_TICKET
        inbound.processed_at = timezone.now()
        inbound.save()

    monkeypatch.setattr(pipeline, "handle", handle)
    return seen


@pytest.fixture
def failing(monkeypatch: pytest.MonkeyPatch) -> None:
    def handle(inbound: InboundEmail) -> None:
        inbound.subject = "changed by a pipeline that then failed"
        inbound.save()
        raise ValueError("broken MIME")

    monkeypatch.setattr(pipeline, "handle", handle)


def test_a_message_is_processed_once(stored, handled):
    assert process_inbound(stored.pk) is True
    assert process_inbound(stored.pk) is False

    stored.refresh_from_db()
    assert handled == [stored.pk]
    assert stored.status == InboundStatus.DONE and stored.claimed_at is not None


def test_a_message_claimed_by_a_live_worker_is_left_alone(stored, handled):
    InboundEmail.objects.filter(pk=stored.pk).update(
        status=InboundStatus.PROCESSING, claimed_at=timezone.now()
    )

    assert process_inbound(stored.pk) is False
    assert handled == []


def test_a_message_of_a_dead_worker_is_claimed_again(stored, handled):
    InboundEmail.objects.filter(pk=stored.pk).update(
        status=InboundStatus.PROCESSING, claimed_at=timezone.now() - timedelta(minutes=10)
    )

    assert process_inbound(stored.pk) is True
    assert handled == [stored.pk]


def test_a_failure_rolls_back_counts_the_attempt_and_waits_again(stored, failing):
    assert process_inbound(stored.pk) is True

    stored.refresh_from_db()
    assert stored.status == InboundStatus.PENDING
    assert stored.attempts == 1
    assert stored.reason == "Attempt 1: ValueError: broken MIME"
    assert stored.subject == "Problem number 1"  # the pipeline's write was rolled back


def test_the_last_failed_attempt_quarantines_the_message(stored, failing, settings):
    settings.EMAIL_INTAKE_MAX_ATTEMPTS = 3
    for _ in range(3):
        process_inbound(stored.pk)

    stored.refresh_from_db()
    assert stored.status == InboundStatus.QUARANTINED and stored.attempts == 3
    assert process_inbound(stored.pk) is False  # kept, no longer waiting


def test_a_pipeline_that_leaves_no_outcome_is_a_failure(stored, monkeypatch):
    monkeypatch.setattr(pipeline, "handle", lambda inbound: None)

    process_inbound(stored.pk)

    stored.refresh_from_db()
    assert stored.status == InboundStatus.PENDING and "without an outcome" in stored.reason


def test_process_waiting_takes_the_oldest_first_up_to_the_limit(mailbox, handled):
    rows = [store_message(mailbox, make_message(n))[0] for n in range(3)]

    assert process_waiting(limit=2) == 2
    assert handled == [rows[0].pk, rows[1].pk]
    assert process_waiting(limit=2) == 1


def test_a_message_whose_worker_keeps_dying_ends_quarantined(stored, handled, settings):
    settings.EMAIL_INTAKE_MAX_ATTEMPTS = 3
    InboundEmail.objects.filter(pk=stored.pk).update(
        status=InboundStatus.PROCESSING,
        attempts=2,
        claimed_at=timezone.now() - timedelta(minutes=10),
    )

    assert process_waiting() == 0

    stored.refresh_from_db()
    assert stored.status == InboundStatus.QUARANTINED and stored.attempts == 3
    assert "worker stopped" in stored.reason


def test_retry_releases_a_quarantined_message_and_processes_it(stored, handled, admin_user):
    InboundEmail.objects.filter(pk=stored.pk).update(
        status=InboundStatus.QUARANTINED, attempts=3, reason="Attempt 3: boom"
    )
    stored.refresh_from_db()

    retried = retry_inbound(stored, actor=admin_user)

    assert retried.status == InboundStatus.DONE
    assert retried.released_by == admin_user and retried.attempts == 0
    assert handled == [stored.pk]


def test_retry_refuses_a_message_that_is_not_refused(stored, admin_user):
    with pytest.raises(RetryRefusedError, match="this one is waiting"):
        retry_inbound(stored, actor=admin_user)


def test_retry_refuses_a_message_too_large_to_download(stored, admin_user):
    InboundEmail.objects.filter(pk=stored.pk).update(
        status=InboundStatus.REFUSED, reason=f"{TOO_LARGE_REASON}: 50 MB"
    )
    stored.refresh_from_db()

    with pytest.raises(RetryRefusedError, match="too large to download"):
        retry_inbound(stored, actor=admin_user)
    stored.refresh_from_db()
    assert stored.status == InboundStatus.REFUSED and stored.released_by is None


def test_a_stale_retry_changes_nothing(stored, admin_user):
    InboundEmail.objects.filter(pk=stored.pk).update(status=InboundStatus.QUARANTINED)
    stored.refresh_from_db()
    InboundEmail.objects.filter(pk=stored.pk).update(status=InboundStatus.DONE)

    with pytest.raises(RetryRefusedError, match="Someone else changed"):
        retry_inbound(stored, actor=admin_user)


def test_a_batch_running_long_gives_back_what_it_has_not_started(mailbox, handled, settings):
    settings.EMAIL_INTAKE_CLAIM_SECONDS = 0  # every claim is "about to go stale" at once
    for n in range(3):
        store_message(mailbox, make_message(n))

    assert process_waiting() == 0

    assert handled == []
    assert set(InboundEmail.objects.values_list("status", "claimed_at")) == {
        (InboundStatus.PENDING, None)
    }


def test_a_batch_skips_messages_another_worker_claimed(mailbox, handled):
    rows = [store_message(mailbox, make_message(n))[0] for n in range(2)]
    InboundEmail.objects.filter(pk=rows[0].pk).update(
        status=InboundStatus.PROCESSING, claimed_at=timezone.now()
    )

    assert process_waiting() == 1
    assert handled == [rows[1].pk]
