"""Writes of the reporting app: weekly summary subscriptions, and sending the ones due.

Reporting never writes tickets; these are its only writes.
"""

import logging
from datetime import datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from core.exceptions import DomainError, ValidationFailed
from core.models import User
from core.outbox import outbox_enqueue
from core.read_replica import replica_reads
from core.time_zones import zone_of
from reporting.digest import summary_email
from reporting.filters import PARAMETERS, ReportFilter
from reporting.models import ReportSubscription
from reporting.permissions import can_view_reports

logger = logging.getLogger(__name__)

SUMMARY_DAYS = 7
PERIOD_PARAMETERS = ("start", "end")


def _dimensions(filters: dict[str, Any]) -> dict[str, Any]:
    """Validated dimensions (no period) as stored on a subscription."""
    given = set(filters)
    unknown = sorted((given - set(PARAMETERS)) | (given & set(PERIOD_PARAMETERS)))
    if unknown:
        raise ValidationFailed(
            {"filters": f"Unknown or not allowed: {', '.join(unknown)} (the period is 7 days)."}
        )
    try:
        return ReportFilter.from_params(filters).dimensions()
    except ValidationFailed as exc:
        raise ValidationFailed(
            {f"filters.{name}": message for name, message in exc.errors.items()}
        ) from exc


def subscription_create(
    *, user: User, weekday: int, hour: int, filters: dict[str, Any] | None = None
) -> ReportSubscription:
    """Subscribe a manager or admin to a weekly summary. Refuses other roles (DomainError) and
    bad slots or filters (ValidationFailed); nothing is stored then."""
    if not can_view_reports(user):
        raise DomainError("Only managers and admins can subscribe to report summaries.")
    errors = {}
    if not 0 <= weekday <= 6:
        errors["weekday"] = "Give 0 (Monday) to 6 (Sunday)."
    if not 0 <= hour <= 23:
        errors["hour"] = "Give an hour from 0 to 23."
    if not user.email:
        errors["user"] = "Your account has no email address."
    if errors:
        raise ValidationFailed(errors)
    dims = _dimensions(filters or {})
    return ReportSubscription.objects.create(
        user=user, weekday=weekday, hour=hour, filters=dims, created_at=timezone.now()
    )


def subscription_delete(*, subscription: ReportSubscription, actor: User) -> None:
    """Unsubscribe: the owner only (callers fetch the row through
    reporting.selectors.subscription_get_for_user, so someone else's is a 404 before this)."""
    if subscription.user_id != actor.pk:
        raise DomainError("You can only remove your own subscriptions.")
    subscription.delete()


def last_slot(subscription: ReportSubscription, now: datetime) -> datetime:
    """The latest instant at or before `now` that is the subscription's weekday and hour in
    the site's time zone."""
    local = timezone.localtime(now)
    days_back = (local.weekday() - subscription.weekday) % 7
    day = local.date() - timedelta(days=days_back)
    slot = timezone.make_aware(datetime.combine(day, time(subscription.hour)))
    if slot > now:
        slot = timezone.make_aware(
            datetime.combine(day - timedelta(days=7), time(subscription.hour))
        )
    return slot


def reports_send_due(*, now: datetime | None = None) -> int:
    """Queue the weekly email of every subscription whose slot has passed since it was last
    sent (or created). Each is claimed with a compare-and-set on last_sent_at and its email
    written to the outbox in the same transaction, so concurrent or repeated runs send each
    week once. Returns how many were queued."""
    now = now or timezone.now()
    sent = 0
    candidates = ReportSubscription.objects.select_related("user").filter(user__is_active=True)
    for subscription in candidates.iterator(chunk_size=200):
        slot = last_slot(subscription, now)
        if slot <= (subscription.last_sent_at or subscription.created_at):
            continue
        if _send_one(subscription, slot=slot, now=now):
            sent += 1
    return sent


def _send_one(subscription: ReportSubscription, *, slot: datetime, now: datetime) -> bool:
    user = subscription.user
    with transaction.atomic():
        claimed = ReportSubscription.objects.filter(
            pk=subscription.pk, last_sent_at=subscription.last_sent_at
        ).update(last_sent_at=now)
        if not claimed:
            return False
        if not can_view_reports(user) or not user.email:
            logger.info(
                "report subscription %s skipped: user may not read reports", subscription.pk
            )
            return False
        try:
            report = ReportFilter.from_params(subscription.filters, now=now)
        except ValidationFailed as exc:
            logger.warning("report subscription %s has stale filters: %s", subscription.pk, exc)
            return False
        report = report.with_period(now - timedelta(days=SUMMARY_DAYS), now)
        # The summary's dates read in the subscriber's zone, as their pages do.
        # Its figures are a report like the dashboard's: read from the replica when usable.
        with timezone.override(zone_of(user)), replica_reads():
            subject, body = summary_email(report)
        outbox_enqueue(
            task_name="core.send_email",
            payload={"to": [user.email], "subject": subject, "body": body},
            dedupe_key=f"report-summary:{subscription.pk}:{slot.isoformat()}",
        )
    return True
