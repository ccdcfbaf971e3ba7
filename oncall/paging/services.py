"""Writes of pages: start one, acknowledge it, end it. Shared by the ticket page, the API, the
signed acknowledgement link, the email channel and the kernel's triggers (oncall.paging.hooks).

Every write is one transaction with a compare-and-set on the page's status (and `version` for
moves), so two people acknowledging at once, or an acknowledgement racing the sweeper, leave
exactly one outcome. Refusals are domain errors that change nothing.
"""

import logging
from datetime import timedelta
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from core.choices import Source
from core.exceptions import TransitionError, ValidationFailed
from core.models import SupportGroup, TicketBase, User
from core.roles import is_agent
from core.tickets.kinds import kind_for_content_type, kind_of
from core.tickets.paging import ticket_acknowledge_for_page
from oncall.models import (
    Page,
    PageNotification,
    PageNotificationStatus,
    PageReason,
    PageStatus,
)
from oncall.paging.events import page_event
from oncall.paging.snapshot import snapshot_for
from oncall.paging.steps import step_key, step_run

logger = logging.getLogger(__name__)

MAX_MESSAGE = 2000


def page_ticket(page: Page) -> TicketBase:
    """The ticket a page is about (any kind, through the registry)."""
    kind = kind_for_content_type(page.ticket_type_id)
    return kind.model._default_manager.get(pk=page.ticket_id)


def live_page_of(ticket: TicketBase) -> Page | None:
    return Page.objects.filter(
        ticket_type=ContentType.objects.get_for_model(ticket),
        ticket_id=ticket.pk,
        status=PageStatus.TRIGGERED,
    ).first()


def page_start(
    ticket: TicketBase,
    *,
    reason: str,
    actor: User | None = None,
    message: str = "",
    group: SupportGroup | None = None,
) -> Page | None:
    """Start paging for `ticket` with the escalation of `group` (default: the ticket's group)
    from its tier up, and notify the first step now (its due-now notifications are queued in
    this transaction: the first message does not wait for a sweep). A ticket already paged
    keeps its live page (returned as it is; by hand that is refused). By hand (`reason`
    manual) a ticket whose group has no policy is refused with the reason; any other trigger
    then pages nobody (None).
    """
    message = (message or "").strip()
    manual = reason == PageReason.MANUAL
    if manual:
        if actor is None or not is_agent(actor):
            raise TransitionError("Only agents can page the on-call.")
        if len(message) > MAX_MESSAGE:
            raise ValidationFailed({"message": f"At most {MAX_MESSAGE} characters."})
    kind = kind_of(ticket)
    if getattr(ticket, "status", "") not in kind.lifecycle.open:
        if manual:
            label = ticket.get_status_display().lower()  # type: ignore[attr-defined]
            raise TransitionError(f"{ticket.number} is {label}; nobody is paged for it.")
        return None
    group = group or ticket.support_group
    existing = live_page_of(ticket)
    if existing is not None:
        if manual:
            raise TransitionError(
                f"{ticket.number} is already being paged (since "
                f"{existing.created_at.isoformat(timespec='minutes')}); wait for the "
                "acknowledgement or acknowledge it yourself."
            )
        return existing
    snapshot = snapshot_for(ticket, group)
    if not snapshot:
        if manual:
            where = group.name if group else "The ticket"
            raise ValidationFailed(
                {
                    "message": f"{where} has no escalation policy with steps (nor does any "
                    "higher tier); a manager sets one up on the on-call pages."
                }
            )
        return None
    now = timezone.now()
    first = snapshot[0]
    page = Page(
        ticket_type=ContentType.objects.get_for_model(ticket),
        ticket_id=ticket.pk,
        ticket_number=ticket.number,
        ticket_title=ticket.title[:200],
        priority=getattr(ticket, "priority", None),
        support_group_id=first["group_id"],
        reason=reason,
        message=message,
        triggered_by=actor,
        policy_snapshot=snapshot,
        step_started_at=now,
        next_at=now + _wait(first["steps"][0]),
        created_at=now,
    )
    try:
        with transaction.atomic():
            page.save()
    except IntegrityError:
        # Another trigger started the ticket's page meanwhile (one live page per ticket).
        return live_page_of(ticket)
    page_event(
        ticket,
        what="triggered",
        page_id=page.pk,
        actor=actor,
        source=Source.WEB if manual else Source.ONCALL,
        reason=reason,
        tier=first["tier"],
        group=first["group"],
        policy=first["policy"],
        message=f"Paging {first['group']} ({first['policy']}): "
        f"{PageReason(reason).label.lower()}." + (f"\n\n{message}" if message else ""),
    )
    page.notified_key = step_key(page)
    Page.objects.filter(pk=page.pk).update(notified_key=page.notified_key)
    if not step_run(page, ticket, now):
        # Nobody of the first step could be notified: the sweeper moves on at once, not after
        # the step's wait (a logged fallback, never a lost page).
        logger.warning("paging: page %s step %s could notify nobody", page.pk, page.notified_key)
        page.next_at = now
        Page.objects.filter(pk=page.pk).update(next_at=now)
    return page


def _wait(step: dict[str, Any]) -> timedelta:
    return timedelta(minutes=int(step["wait_minutes"]))


def page_acknowledge(page: Page, *, actor: User, source: str = Source.WEB) -> Page:
    """`actor` answers the page: it stops escalating, scheduled notifications are cancelled,
    the ticket is taken by them if unassigned and acknowledged (core.tickets.paging). Refused
    when the page is no longer triggered (someone else answered, or it ended) or for anyone but
    an active agent."""
    if not (actor.is_active and is_agent(actor)):
        raise TransitionError("Only agents can acknowledge a page.")
    now = timezone.now()
    with transaction.atomic():
        won = Page.objects.filter(pk=page.pk, status=PageStatus.TRIGGERED).update(
            status=PageStatus.ACKNOWLEDGED,
            acknowledged_by=actor,
            acknowledged_at=now,
            acknowledged_via=source,
            ended_at=now,
            next_at=None,
            version=F("version") + 1,
        )
        fresh = Page.objects.select_related("acknowledged_by").get(pk=page.pk)
        if not won:
            raise TransitionError(_not_live(fresh))
        PageNotification.objects.filter(page=fresh, status=PageNotificationStatus.SCHEDULED).update(
            status=PageNotificationStatus.CANCELLED
        )
        ticket = page_ticket(fresh)
        page_event(
            ticket,
            what="acknowledged",
            page_id=fresh.pk,
            actor=actor,
            source=source,
            seconds=int((now - fresh.created_at).total_seconds()),
            message=f"{actor} acknowledged the page after {_duration(now - fresh.created_at)}.",
        )
        ticket_acknowledge_for_page(ticket, actor=actor, source=source)
    return fresh


def page_end(page: Page, *, status: str, actor: User | None, source: str, why: str) -> bool:
    """End a triggered page as resolved (its ticket was resolved, or an agent ended it),
    exhausted (nobody answered) or cancelled; an acknowledged page can still be resolved (the
    responder says it is over). False when it had already ended."""
    now = timezone.now()
    endable = [PageStatus.TRIGGERED]
    if status == PageStatus.RESOLVED:
        endable.append(PageStatus.ACKNOWLEDGED)
    with transaction.atomic():
        won = Page.objects.filter(pk=page.pk, status__in=endable).update(
            status=status, ended_at=now, next_at=None, version=F("version") + 1
        )
        if not won:
            return False
        PageNotification.objects.filter(page=page, status=PageNotificationStatus.SCHEDULED).update(
            status=PageNotificationStatus.CANCELLED
        )
        ticket = page_ticket(page)
        what = "exhausted" if status == PageStatus.EXHAUSTED else "resolved"
        page_event(ticket, what=what, page_id=page.pk, actor=actor, source=source, message=why)
    return True


def _not_live(page: Page) -> str:
    if page.status == PageStatus.ACKNOWLEDGED:
        who = page.acknowledged_by or "someone"
        return f"{who} already acknowledged this page."
    return f"This page has ended ({page.get_status_display().lower()})."


def _duration(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"
