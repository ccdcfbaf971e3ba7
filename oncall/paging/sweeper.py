"""The paging sweeper: works page deadlines and due notifications, each exactly once
(DESIGN.md §5b; modelled on sla/sweeper.py).

Two kinds of due work, each taken in batches ordered by deadline with
`select_for_update(skip_locked=True)`, so concurrent sweepers split the work instead of waiting:

- notifications scheduled for later (a rule's delay) whose time came: queued with their outbox
  row (oncall.paging.delivery.notification_queue, a compare-and-set on the row's status);
- triggered pages whose step wait is over: the next step, another round of the policy while
  `round < repeat`, then the next tier of the snapshot (the ticket is escalated through the
  kernel, once per tier of difference), and at the end "exhausted" with the managers told.

Every move is a compare-and-set on `Page.version`: a sweeper holding a stale copy changes
nothing, and the step's notifications are written only by the sweeper whose move won (with a
unique constraint behind it). A sweeper killed half-way rolls its transaction back, and the next
sweep does the work once. A step that could notify nobody is left at once (logged), never
waited on; a page whose ticket is no longer open ends as resolved.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import InterfaceError, OperationalError, transaction
from django.db.models import F
from django.utils import timezone

from core.choices import Source
from core.exceptions import DomainError
from core.models import SupportGroup, TicketBase
from core.tickets.escalation import ticket_move_tier
from core.tickets.kinds import kind_for_content_type, kind_of
from oncall.models import Page, PageNotification, PageNotificationStatus, PageStatus
from oncall.paging.delivery import notification_queue
from oncall.paging.events import page_event
from oncall.paging.services import page_end
from oncall.paging.steps import managers_tell, step_key, step_run

logger = logging.getLogger(__name__)

Position = tuple[int, int, int]


@dataclass(frozen=True)
class SweepResult:
    queued: int
    moved: int
    more_due: bool

    @property
    def processed(self) -> int:
        return self.queued + self.moved


def sweep(*, now: datetime | None = None, batch_size: int = 200) -> SweepResult:
    """One batch of due notifications, then one batch of due pages (two transactions)."""
    now = now or timezone.now()
    queued, notes_full = queue_due_notifications(now, batch_size)
    moved, pages_full = move_due_pages(now, batch_size)
    return SweepResult(queued=queued, moved=moved, more_due=notes_full or pages_full)


def queue_due_notifications(now: datetime, limit: int) -> tuple[int, bool]:
    """Queue scheduled notifications due by `now` of live pages; (queued, batch was full)."""
    with transaction.atomic():
        rows = list(
            PageNotification.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                status=PageNotificationStatus.SCHEDULED,
                due_at__lte=now,
                page__status=PageStatus.TRIGGERED,
            )
            .select_related("page", "contact_method")
            .order_by("due_at", "id")[:limit]
        )
        tickets = _tickets_of([row.page for row in rows])
        queued = 0
        for row in rows:
            ticket = tickets.get((row.page.ticket_type_id, row.page.ticket_id))
            if ticket is None or not _is_open(ticket):
                # The page itself ends at its next deadline; its later messages go nowhere.
                PageNotification.objects.filter(pk=row.pk).update(
                    status=PageNotificationStatus.CANCELLED, error="The ticket is no longer open."
                )
                continue
            queued += notification_queue(row, ticket, now)
    return queued, len(rows) == limit


def _is_open(ticket: TicketBase) -> bool:
    return getattr(ticket, "status", "") in kind_of(ticket).lifecycle.open


def _tickets_of(pages: list[Page]) -> dict[tuple[int, int], TicketBase]:
    by_type: dict[int, set[int]] = defaultdict(set)
    for page in pages:
        by_type[page.ticket_type_id].add(page.ticket_id)
    found: dict[tuple[int, int], TicketBase] = {}
    for type_id, ids in by_type.items():
        model = kind_for_content_type(type_id).model
        for pk, ticket in model._default_manager.in_bulk(ids).items():
            found[(type_id, pk)] = ticket
    return found


def move_due_pages(now: datetime, limit: int) -> tuple[int, bool]:
    """Move on every triggered page whose wait is over; (moved, batch was full). One page that
    fails is logged and left due (the auditor reports it); the others still move."""
    moved = 0
    with transaction.atomic():
        pages = list(
            Page.objects.select_for_update(skip_locked=True)
            .filter(status=PageStatus.TRIGGERED, next_at__lte=now)
            .order_by("next_at", "id")[:limit]
        )
        for page in pages:
            try:
                with transaction.atomic():
                    moved += page_advance(page, now)
            except (OperationalError, InterfaceError):
                raise
            except Exception:
                logger.exception("paging: page %s could not move on; left due", page.pk)
    return moved, len(pages) == limit


def next_position(page: Page) -> Position | None:
    """Where the page goes after its current step: the next step, the policy again while rounds
    are left, the next tier's first step, or None when nothing is left."""
    tiers = page.policy_snapshot
    tier = tiers[page.tier_index]
    if page.step_index + 1 < len(tier["steps"]):
        return page.tier_index, page.round, page.step_index + 1
    if page.round < int(tier.get("repeat", 0)):
        return page.tier_index, page.round + 1, 0
    if page.tier_index + 1 < len(tiers):
        return page.tier_index + 1, 0, 0
    return None


def _positions(page: Page) -> int:
    return sum(
        len(tier["steps"]) * (int(tier.get("repeat", 0)) + 1) for tier in page.policy_snapshot
    )


def page_advance(page: Page, now: datetime) -> bool:
    """Move a due page on (see the module docstring); True when this call moved or ended it,
    False when someone else had (a stale copy). Call inside a transaction."""
    ticket = _ticket_or_none(page)
    if ticket is None:
        current = Page.objects.filter(pk=page.pk, version=page.version, status=PageStatus.TRIGGERED)
        return bool(
            current.update(
                status=PageStatus.CANCELLED, ended_at=now, next_at=None, version=F("version") + 1
            )
        )
    if not _is_open(ticket):
        label = ticket.get_status_display().lower()  # type: ignore[attr-defined]
        return _end_if_current(
            page,
            status=PageStatus.RESOLVED,
            why=f"{ticket.number} is {label}: the page ended.",
        )
    moved = False
    for _ in range(_positions(page) + 1):
        position = next_position(page)
        if position is None:
            ended = _end_if_current(
                page,
                status=PageStatus.EXHAUSTED,
                why="Nobody acknowledged the page: every step of every tier was paged.",
            )
            if ended:
                _tell_exhausted(page, ticket)
            return ended or moved
        fresh = _move(page, position, now)
        if fresh is None:
            return moved
        moved = True
        if fresh.tier_index != page.tier_index:
            _hand_over(page, fresh, ticket)
            ticket = _ticket_or_none(fresh) or ticket
        page = fresh
        if step_run(page, ticket, now):
            return True
        logger.warning(
            "paging: page %s step %s could notify nobody; moving on at once",
            page.pk,
            step_key(page),
        )
    return moved


def _ticket_or_none(page: Page) -> TicketBase | None:
    model = kind_for_content_type(page.ticket_type_id).model
    return model._default_manager.filter(pk=page.ticket_id).first()


def _end_if_current(page: Page, *, status: str, why: str) -> bool:
    """page_end, but only for the copy of the page that is still current (compare-and-set on
    version, as every move): a stale copy ends nothing."""
    if not Page.objects.filter(pk=page.pk, version=page.version).exists():
        return False
    return page_end(page, status=status, actor=None, source=Source.ONCALL, why=why)


def _move(page: Page, position: Position, now: datetime) -> Page | None:
    """Compare-and-set the page to `position`; the moved page, or None for a stale copy."""
    tier_index, round_, step_index = position
    tier: dict[str, Any] = page.policy_snapshot[tier_index]
    step = tier["steps"][step_index]
    group_id = tier["group_id"]
    if not SupportGroup.objects.filter(pk=group_id).exists():
        group_id = page.support_group_id  # the group was deleted since the snapshot
    next_at = now + timedelta(minutes=int(step["wait_minutes"]))
    key = f"{tier_index}.{round_}.{step_index}"
    won = Page.objects.filter(pk=page.pk, version=page.version, status=PageStatus.TRIGGERED).update(
        tier_index=tier_index,
        round=round_,
        step_index=step_index,
        step_started_at=now,
        next_at=next_at,
        notified_key=key,
        support_group_id=group_id,
        version=F("version") + 1,
    )
    if not won:
        return None
    return Page.objects.get(pk=page.pk)


def _tier_minutes(tier: dict[str, Any]) -> int:
    waits = sum(int(step["wait_minutes"]) for step in tier["steps"])
    return waits * (int(tier.get("repeat", 0)) + 1)


def _hand_over(before: Page, after: Page, ticket: TicketBase) -> None:
    """The page moved to the next tier: escalate the ticket there (one move per tier of
    difference; a refusal is logged and paging goes on) and record it on the timeline."""
    old = before.policy_snapshot[before.tier_index]
    new = after.policy_snapshot[after.tier_index]
    reason = f"Nobody at L{old['tier']} acknowledged the page within {_tier_minutes(old)} min."
    refusal = ""
    current = ticket
    for _ in range(max(0, int(new["tier"]) - int(current.tier))):
        try:
            ticket_move_tier(current, step=1, actor=None, reason=reason, source=Source.ONCALL)
        except DomainError as exc:
            refusal = str(exc)
            logger.warning("paging: page %s could not escalate %s: %s", after.pk, ticket, exc)
            break
        current = _ticket_or_none(after) or current
    message = f"{reason} Paging {new['group']} (L{new['tier']}, {new['policy']})."
    if refusal:
        message += f" The ticket stayed where it was: {refusal}"
    page_event(
        current,
        what="escalated",
        page_id=after.pk,
        step_key=step_key(after),
        from_tier=int(old["tier"]),
        to_tier=int(new["tier"]),
        group=new["group"],
        message=message,
    )


def _tell_exhausted(page: Page, ticket: TicketBase) -> None:
    managers_tell(
        page,
        ticket,
        group_ids=[int(tier["group_id"]) for tier in page.policy_snapshot],
        key="exhausted",
        subject="Nobody acknowledged the page",
        body=f"The page for {page.ticket_number} ({page.ticket_title}) went through every "
        "step of every tier and nobody acknowledged it. It has stopped paging.",
    )
