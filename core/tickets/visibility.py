"""Restricted tickets (security incidents): who may see one, in the database and in memory.

A kind declares which of its tickets are restricted (`TicketKind.restriction`). An agent sees a
restricted ticket only when they are a manager or an admin, a member of an active support group
that handles security (`SupportGroup.handles_security`), its assignee or its requester. To every
other agent it does not exist: the kind's selectors leave it out of lists, counts and searches
(and a page or API call naming it is a 404), emails and chat messages about it skip them, and
webhooks announce it only to subscriptions that receive restricted tickets. End users are
already limited to their own tickets by the kinds' selectors; reporting's aggregate numbers
count every ticket (reports are for managers, who see them all).
"""

from collections.abc import Iterable
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from core.choices import Role
from core.models import SupportGroup, TicketBase, User
from core.roles import ROLE_GROUP_NAMES, is_manager
from core.tickets.kinds import Restriction, find_kind


def _security_memberships(user_id: Any) -> QuerySet[Any]:
    """The user's memberships in active groups that handle security (a subquery); `user_id`
    may be an OuterRef."""
    memberships: QuerySet[Any] = SupportGroup.members.through.objects.filter(
        user_id=user_id,
        supportgroup__handles_security=True,
        supportgroup__is_active=True,
    )
    return memberships


def hides_restricted(restriction: Restriction | None, user: User) -> bool:
    """Whether a kind's selector hides some of its restricted tickets from agent `user`
    (`restricted_condition` is not None), without building the condition."""
    return restriction is not None and not is_manager(user)


def restricted_condition(restriction: Restriction | None, user: User) -> Q | None:
    """What a kind's selector adds for an agent so that restricted tickets they may not see are
    left out; None when nothing is hidden from them (no restriction, or a manager).

    One condition in the selector's own statement: membership of a security group is an EXISTS
    evaluated there, so lists and counts cost no extra query and a change of membership applies
    at the next request.
    """
    if restriction is None or not hides_restricted(restriction, user):
        return None
    return (
        ~restriction.rows
        | Q(assignee_id=user.pk)
        | Q(requester_id=user.pk)
        | Q(Exists(_security_memberships(user.pk)))
    )


def reads_every_restricted(user: User) -> Q:
    """The part of `restricted_condition` that lets `user` see every restricted ticket, for a
    statement over something other than the tickets (incidents.open_tally): their membership
    of a group that handles security, an EXISTS evaluated in that statement."""
    return Q(Exists(_security_memberships(user.pk)))


def is_restricted(ticket: TicketBase) -> bool:
    """Whether `ticket` is restricted by its kind (False for a model that is no kind)."""
    kind = find_kind(ticket)
    return bool(kind and kind.restriction and kind.restriction.applies(ticket))


def is_security_member(user: User) -> bool:
    """Whether `user` belongs to an active group that handles security (one query, then
    remembered on the user object for the request)."""
    cached: bool | None = getattr(user, "_handles_security", None)
    if cached is None:
        cached = bool(user.is_active) and _security_memberships(user.pk).exists()
        setattr(user, "_handles_security", cached)  # noqa: B010 — a per-request memo
    return cached


def can_see(user: User, ticket: TicketBase) -> bool:
    """Whether an agent may see `ticket` as far as restriction goes (the kind's selector also
    applies its own rules; this is for code that holds a ticket and a person, like emails).
    Requester and assignee cost no query."""
    if not is_restricted(ticket):
        return True
    if user.pk in (ticket.requester_id, ticket.assignee_id):
        return True
    return is_manager(user) or is_security_member(user)


def readers_of_every_restricted(user_ids: Iterable[int]) -> set[int]:
    """Of these users, the active ones who see every restricted ticket: managers, admins and
    security group members (one query, for batches such as the SLA sweeper's emails)."""
    ids = set(user_ids)
    if not ids:
        return set()
    privileged = (
        Q(is_superuser=True)
        | Q(groups__name__in=[ROLE_GROUP_NAMES[Role.MANAGER], ROLE_GROUP_NAMES[Role.ADMIN]])
        | Q(Exists(_security_memberships(OuterRef("pk"))))
    )
    rows = User.objects.filter(privileged, pk__in=ids, is_active=True).values_list("pk", flat=True)
    return set(rows)
