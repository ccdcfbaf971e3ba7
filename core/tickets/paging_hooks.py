"""Paging as the kernel knows it: a registry the on-call app fills, so that the kernel, the SLA
sweeper, alert intake and the email channel can start and acknowledge pages without importing
it (import-linter: core, sla and the domain apps never import oncall).

The on-call app registers its `PagingHooks` in OncallConfig.ready(). Without it every call here
is a no-op: a desk without the app pages nobody and loses nothing.

Triggers, all inside the transaction of the change that causes them (a rolled-back change pages
nobody; a committed one has its page row, which the paging sweeper then works):
- `paging_after_events`: every recorded timeline event passes here (core.tickets.events); a
  ticket created at, or raised to, a priority its group's policy pages for starts a page.
- `page_request`: a page asked for explicitly: by hand ("Page the on-call"), by an alert
  integration that pages, by an SLA breach where the policy says so.

The kernel's half of an acknowledgement is core.tickets.paging.ticket_acknowledge_for_page.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import IntegerField, Value

from core.choices import Source
from core.models import TicketBase, TimelineEvent, User


@dataclass(frozen=True)
class PagingHooks:
    """What the on-call app does for the kernel.

    - `request(ticket, *, reason, actor, message)`: start a page for the ticket (reasons are
      oncall.models.PageReason values), or join the live one; returns the page or None when
      nothing pages (no policy, an SLA breach the policy does not page for).
    - `after_events(pairs)`: look at recorded (ticket, event) pairs for priority triggers.
    - `acknowledge_by_email(ticket, person, source)`: a reply "ack" from `person` on the
      ticket's thread; returns None when it acknowledged a live page of theirs, else the
      refusal to tell them.
    - `live_page_tier(kind_name)`: an expression for a query of that kind's tickets (OuterRef
      "pk"): the tier index a ticket's unacknowledged page has reached, else NULL (the queue
      marks paged tickets with it, inside its own query).
    - `groups_paging_on_breach(group_ids)`: of these support groups, those whose active policy
      pages on an SLA breach (the SLA sweeper asks once per batch).
    """

    request: Callable[..., Any]
    after_events: Callable[[Sequence[tuple[TicketBase, TimelineEvent]]], None]
    acknowledge_by_email: Callable[[TicketBase, User, str], str | None]
    live_page_tier: Callable[[str], Any]
    groups_paging_on_breach: Callable[[set[int]], set[int]]


_HOOKS: list[PagingHooks] = []


def paging_register(hooks: PagingHooks) -> None:
    """Register the on-call app's hooks (again replaces them)."""
    _HOOKS[:] = [hooks]


def paging_hooks() -> PagingHooks | None:
    return _HOOKS[0] if _HOOKS else None


def page_request(
    ticket: TicketBase, *, reason: str, actor: User | None = None, message: str = ""
) -> Any:
    hooks = paging_hooks()
    if hooks is None:
        return None
    return hooks.request(ticket, reason=reason, actor=actor, message=message)


def paging_after_events(pairs: Iterable[tuple[TicketBase, TimelineEvent]]) -> None:
    hooks = paging_hooks()
    if hooks is not None:
        hooks.after_events(list(pairs))


def page_acknowledge_by_email(ticket: TicketBase, person: User) -> str | None:
    hooks = paging_hooks()
    if hooks is None:
        return "Paging is not enabled on this desk."
    return hooks.acknowledge_by_email(ticket, person, Source.EMAIL)


def live_page_tier(kind_name: str) -> Any:
    """An annotation for a query of `kind_name` tickets: the tier index of the ticket's
    unacknowledged page (0: its first tier), or NULL; always NULL without the on-call app."""
    hooks = paging_hooks()
    if hooks is None:
        return Value(None, output_field=IntegerField())
    return hooks.live_page_tier(kind_name)


def groups_paging_on_breach(group_ids: set[int]) -> set[int]:
    hooks = paging_hooks()
    if hooks is None or not group_ids:
        return set()
    return hooks.groups_paging_on_breach(group_ids)
