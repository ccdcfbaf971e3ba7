"""Converting a misfiled ticket into another kind (an incident that is really a request, and
back), through the registry: no kind imports another.

A kind that can receive conversions declares `Conversion.create_from` (open one of its tickets
from another kind's, with the options its form asks for); a kind that can be converted declares
the cancel reason it gets, per target kind. `ticket_convert` runs both in one transaction: the
new ticket is opened by its kind (its creation event says where it came from), the old one is
cancelled through the lifecycle, a core TicketLink records old -> new. Nothing is copied: the
new ticket's page shows the old ticket's timeline (`conversion_origin`).
"""

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from core.choices import Source
from core.exceptions import TransitionError
from core.links import link_add, linked_from, linked_to
from core.models import TicketBase, TimelineEvent, User
from core.roles import is_agent
from core.selectors import timeline_for_user
from core.tickets.kinds import TicketKind, find_kind, kind_named, kind_of
from core.tickets.work import ticket_cancel


def ticket_convert(
    origin: TicketBase,
    *,
    into: str,
    actor: User,
    expected_version: int | None = None,
    source: str = Source.WEB,
    **options: Any,
) -> TicketBase:
    """Turn `origin` into a new ticket of the kind named `into` (agents only) and return it.

    `options` are what the target kind asks for (a catalog item, an impact and urgency). The
    origin is cancelled with its kind's reason for that target; a stale `expected_version`, an
    origin that can no longer be cancelled, or a pair of kinds with no conversion is refused and
    nothing is written.
    """
    origin_kind = kind_of(origin)
    target = kind_named(into)
    if not is_agent(actor):
        raise TransitionError(f"Only agents can convert {origin_kind.noun}s.")
    reason = origin_kind.conversion.cancel_reasons.get(into) if origin_kind.conversion else None
    create_from = target.conversion.create_from if target.conversion else None
    if reason is None or create_from is None:
        raise TransitionError(f"{origin_kind.label}s cannot be converted into {target.noun}s.")
    with transaction.atomic():
        created: TicketBase = create_from(
            origin,
            actor=actor,
            source=source,
            message=(
                f"Converted from {origin_kind.label.lower()} {origin.number}; "
                "its history is shown here."
            ),
            **options,
        )
        ticket_cancel(
            origin,
            actor=actor,
            cancel_reason=reason,
            note=f"Converted to {target.label.lower()} {created.number}.",
            expected_version=expected_version,
            source=source,
        )
        link_add(source=origin, target=created)
    return created


def conversion_offered(user: User, ticket: TicketBase, into: str) -> bool:
    """Whether a page should offer `user` to convert `ticket` into the kind named `into` now:
    the two kinds convert that way (the target with a form for its options), the user is an
    agent and the ticket's lifecycle would cancel it now. `ticket_convert` decides again."""
    kind = kind_of(ticket)
    target = kind_named(into)
    if kind.conversion is None or into not in kind.conversion.cancel_reasons:
        return False
    if target.conversion is None or target.conversion.form is None or not is_agent(user):
        return False
    legal = kind.lifecycle.legal_actions(ticket, kind.guard_context(ticket, "cancel"))
    return any(transition.action == "cancel" for transition in legal)


@dataclass(frozen=True)
class LinkedTicket:
    """The other side of a conversion, as this viewer may see it."""

    ticket: TicketBase
    kind: TicketKind
    events: list[TimelineEvent]

    @property
    def agent_path(self) -> str:
        return self.kind.agent_path(self.ticket.number)

    @property
    def portal_path(self) -> str:
        """The requester's page of the other ticket ("" for a kind requesters do not follow)."""
        return self.kind.portal_path(self.ticket.number) if self.kind.has_portal else ""


def _scoped(user: User, ticket: TicketBase | None) -> tuple[TicketBase, TicketKind] | None:
    if ticket is None:
        return None
    kind = find_kind(ticket)
    if kind is None:
        return None
    visible = kind.list_for_user(user).filter(pk=ticket.pk).first()
    return (visible, kind) if visible is not None else None


def conversion_origin(
    user: User, ticket: TicketBase, *, public_only: bool = False
) -> LinkedTicket | None:
    """The ticket this one was converted from, with its timeline (read-only history), if the
    user may see it."""
    origins = linked_from(ticket)
    found = _scoped(user, origins[0] if origins else None)
    if found is None:
        return None
    origin, kind = found
    events = timeline_for_user(ticket=origin, user=user)
    if public_only:
        events = events.filter(is_public=True)
    return LinkedTicket(origin, kind, list(events))


def conversion_successor(user: User, ticket: TicketBase) -> LinkedTicket | None:
    """The ticket this one was converted to (no timeline: it has its own page)."""
    targets = linked_to(ticket)
    found = _scoped(user, targets[0] if targets else None)
    if found is None:
        return None
    return LinkedTicket(found[0], found[1], [])
