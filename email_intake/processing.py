"""Claim stored messages and run the pipeline on each, at most one worker per message.

A claim is a compare-and-set (pending -> processing, claimed_at now). A message whose claim is
older than EMAIL_INTAKE_CLAIM_SECONDS belongs to a worker that died: it may be claimed again,
and that counts as an attempt, so a message that kills its worker every time ends quarantined
instead of looping. A pipeline exception rolls its work back, counts the attempt and puts the
message back to pending with the error as reason, or quarantines it after
EMAIL_INTAKE_MAX_ATTEMPTS (kept, visible in the refused-mail log, retryable).
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from core.models import User
from email_intake import pipeline
from email_intake.choices import InboundStatus
from email_intake.fetch import TOO_LARGE_REASON
from email_intake.models import InboundEmail

logger = logging.getLogger(__name__)

RETRYABLE = (InboundStatus.HELD, InboundStatus.REFUSED, InboundStatus.QUARANTINED)


class RetryRefusedError(ValueError):
    """The message cannot be retried; the message says why."""


def _stale_before() -> datetime:
    return timezone.now() - timedelta(seconds=settings.EMAIL_INTAKE_CLAIM_SECONDS)


def _release_stale() -> int:
    """Messages whose worker died while processing them: back to pending with the attempt
    counted, or quarantined when that was the last one."""
    stale = InboundEmail.objects.filter(
        status=InboundStatus.PROCESSING, claimed_at__lt=_stale_before()
    )
    reason = "A worker stopped while processing this message."
    quarantined = stale.filter(attempts__gte=settings.EMAIL_INTAKE_MAX_ATTEMPTS - 1).update(
        status=InboundStatus.QUARANTINED, attempts=F("attempts") + 1, claimed_at=None, reason=reason
    )
    released = stale.update(
        status=InboundStatus.PENDING, attempts=F("attempts") + 1, claimed_at=None, reason=reason
    )
    return quarantined + released


def process_inbound(inbound_id: int) -> bool:
    """Claim one waiting message (compare-and-set pending -> processing) and run the pipeline
    on it; False when another worker has it or it is no longer waiting. Never raises for a
    pipeline failure: the failure is recorded on the message."""
    now = timezone.now()
    claimed = (
        InboundEmail.objects.filter(pk=inbound_id)
        .filter(
            Q(status=InboundStatus.PENDING)
            | Q(status=InboundStatus.PROCESSING, claimed_at__lt=_stale_before())
        )
        .update(status=InboundStatus.PROCESSING, claimed_at=now)
    )
    if not claimed:
        return False
    _run_claimed(inbound_id, claimed_at=now)
    return True


def _run_claimed(inbound_id: int, *, claimed_at: datetime) -> None:
    # The mailbox's defaults come along: a new ticket reads them (no query each).
    inbound = InboundEmail.objects.select_related(
        "mailbox", "mailbox__service", "mailbox__support_group", "mailbox__catalog_item"
    ).get(pk=inbound_id)
    try:
        with transaction.atomic():
            pipeline.handle(inbound)
            if inbound.status == InboundStatus.PROCESSING:
                raise RuntimeError("the pipeline left the message without an outcome")
    except Exception as exc:
        logger.exception("Inbound email %s failed in the pipeline.", inbound_id)
        attempts = inbound.attempts + 1
        final = attempts >= settings.EMAIL_INTAKE_MAX_ATTEMPTS
        # Only our own claim is settled: a claim taken over meanwhile is the new holder's.
        InboundEmail.objects.filter(
            pk=inbound_id, status=InboundStatus.PROCESSING, claimed_at=claimed_at
        ).update(
            status=InboundStatus.QUARANTINED if final else InboundStatus.PENDING,
            attempts=attempts,
            claimed_at=None,
            reason=f"Attempt {attempts}: {type(exc).__name__}: {exc}"[:2000],
        )


def _claim_batch(limit: int, now: datetime) -> list[int]:
    """Claim up to `limit` waiting messages, oldest first, in one statement (one commit for
    the batch, not one per message); rows another worker is claiming are skipped."""
    with transaction.atomic():
        ids = list(
            InboundEmail.objects.filter(status=InboundStatus.PENDING)
            .select_for_update(skip_locked=True)
            .order_by("id")
            .values_list("id", flat=True)[:limit]
        )
        InboundEmail.objects.filter(pk__in=ids, status=InboundStatus.PENDING).update(
            status=InboundStatus.PROCESSING, claimed_at=now
        )
    return list(
        InboundEmail.objects.filter(
            pk__in=ids, status=InboundStatus.PROCESSING, claimed_at=now
        ).values_list("id", flat=True)
    )


def process_waiting(limit: int | None = None) -> int:
    """Process up to `limit` waiting messages, oldest first; how many this call handled. A
    batch that runs long gives back what it has not started before its claims go stale."""
    limit = limit or settings.EMAIL_INTAKE_PROCESS_BATCH
    _release_stale()
    now = timezone.now()
    claimed = sorted(_claim_batch(limit, now))
    give_back_after = timedelta(seconds=settings.EMAIL_INTAKE_CLAIM_SECONDS / 2)
    for position, inbound_id in enumerate(claimed):
        if timezone.now() - now > give_back_after:
            InboundEmail.objects.filter(
                pk__in=claimed[position:], status=InboundStatus.PROCESSING, claimed_at=now
            ).update(status=InboundStatus.PENDING, claimed_at=None)
            return position
        _run_claimed(inbound_id, claimed_at=now)
    return len(claimed)


def retry_inbound(inbound: InboundEmail, *, actor: User) -> InboundEmail:
    """An admin's retry of a held, refused or quarantined message: back to pending, attempts
    reset, released_by the admin; processed again at once. RetryRefusedError when it is in another
    state, or was refused as too large (its body was never downloaded)."""
    if inbound.status not in RETRYABLE:
        raise RetryRefusedError(
            f"Only held, refused or quarantined mail can be retried; this one is "
            f"{inbound.get_status_display().lower()}."
        )
    if inbound.reason.startswith(TOO_LARGE_REASON):
        raise RetryRefusedError(
            "This message was too large to download; it is kept on the mail server. Raise "
            "EMAIL_INTAKE_MAX_MESSAGE_BYTES and forward it again, or handle it by hand."
        )
    changed = InboundEmail.objects.filter(pk=inbound.pk, status__in=RETRYABLE).update(
        status=InboundStatus.PENDING,
        attempts=0,
        claimed_at=None,
        reason="",
        released_by=actor,
    )
    if not changed:
        raise RetryRefusedError("Someone else changed this message meanwhile; reload, try again.")
    process_inbound(inbound.pk)
    inbound.refresh_from_db()
    return inbound
