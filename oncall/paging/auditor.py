"""The paging auditor: pages and notifications stuck past their deadline (after Grafana OnCall's
escalation auditor).

A triggered page whose `next_at` passed more than PAGING_AUDIT_GRACE_SECONDS ago was not moved
on by the sweeper; a notification still scheduled or queued that long after it was due was not
queued or not delivered. Either means a page may not reach anyone: /healthz reports it as
degraded (`paging_health`, registered with core.health), and the beat task `oncall.audit_pages`
logs an error and emails the group's manager (the admins without one), once per stuck page.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from core.leases import last_heartbeat
from core.tickets.kinds import kind_for_content_type
from oncall.models import Page, PageNotification, PageNotificationStatus, PageStatus
from oncall.paging.steps import managers_tell

logger = logging.getLogger(__name__)

STUCK_STATUSES = (PageNotificationStatus.SCHEDULED, PageNotificationStatus.QUEUED)


@dataclass(frozen=True)
class StuckReport:
    page_ids: list[int]
    notification_count: int

    @property
    def is_stuck(self) -> bool:
        return bool(self.page_ids or self.notification_count)


def _cutoff(now: datetime | None) -> datetime:
    return (now or timezone.now()) - timedelta(seconds=settings.PAGING_AUDIT_GRACE_SECONDS)


def stuck_pages(now: datetime | None = None, limit: int = 500) -> StuckReport:
    """Stuck pages (overdue moves, or a notification overdue) and how many notifications."""
    cutoff = _cutoff(now)
    overdue_moves = set(
        Page.objects.filter(status=PageStatus.TRIGGERED, next_at__lt=cutoff).values_list(
            "pk", flat=True
        )[:limit]
    )
    notifications = PageNotification.objects.filter(
        status__in=STUCK_STATUSES, due_at__lt=cutoff, page__status=PageStatus.TRIGGERED
    )
    count = notifications.count()
    overdue_notes = set(notifications.values_list("page_id", flat=True).distinct()[:limit])
    return StuckReport(sorted(overdue_moves | overdue_notes), count)


def paging_health() -> dict[str, Any]:
    """The /healthz check: degraded while anything is stuck."""
    report = stuck_pages()
    seen = last_heartbeat("oncall.sweep_pages")
    return {
        "ok": not report.is_stuck,
        "stuck_pages": len(report.page_ids),
        "stuck_notifications": report.notification_count,
        "last_sweep": seen.isoformat() if seen else None,
    }


def audit(now: datetime | None = None) -> int:
    """Log and tell managers about stuck pages (each page's managers once: a dedupe key)."""
    report = stuck_pages(now)
    if not report.is_stuck:
        return 0
    logger.error(
        "Paging looks stuck: %d page(s) and %d notification(s) more than %ds past their deadline",
        len(report.page_ids),
        report.notification_count,
        settings.PAGING_AUDIT_GRACE_SECONDS,
    )
    for page in Page.objects.filter(pk__in=report.page_ids):
        model = kind_for_content_type(page.ticket_type_id).model
        ticket = model._default_manager.filter(pk=page.ticket_id).first()
        if ticket is None:
            continue
        managers_tell(
            page,
            ticket,
            group_ids=[page.support_group_id] if page.support_group_id else [],
            key="stuck",
            subject="A page is stuck",
            body=f"The page for {page.ticket_number} ({page.ticket_title}) is more than "
            f"{settings.PAGING_AUDIT_GRACE_SECONDS} s past its deadline: the paging sweeper or "
            "the delivery of its messages is not keeping up. Check the paging worker, and "
            "whether the people paged were reached.",
        )
    return len(report.page_ids)
