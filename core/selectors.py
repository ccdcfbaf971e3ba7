"""Reads shared by every ticket kind, scoped to the viewer."""

from collections.abc import Callable, Hashable, Iterable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import router
from django.db.models import QuerySet
from django.http import Http404

from core.config_memo import ConfigMemo
from core.kept_objects import kept_objects_by
from core.models import Attachment, TicketBase, TimelineEvent, User
from core.roles import is_agent
from core.tickets.panel_rows import panel_rows_keep, panel_rows_probes


def timeline_for_user(
    *, ticket: TicketBase, user: User, actors: bool = True
) -> QuerySet[TimelineEvent]:
    """The ticket's events in order; requesters see only public ones. Without `actors`, each
    event's actor is not read with it: `with_actors` gives them from memory."""
    related = ("actor", "comment", "attachment") if actors else ("comment", "attachment")
    # The kind in the SQL (core.constant_in): its own generic plan, not one planned each time.
    events = TimelineEvent.objects.filter(
        ticket_type_id__equals_constant=ContentType.objects.get_for_model(ticket).pk,
        ticket_id=ticket.pk,
    ).select_related(*related)
    if not is_agent(user):
        events = events.filter(is_public=True)
    return events.order_by("created_at", "id")


# The people timeline entries name, by id, per process (core.config_memo): read with every
# page's entries, the join with the users' table made PostgreSQL hash the whole table (1.6 ms of
# 1.7 at 2,000 users) for a dozen rows, and plan the statement again on every request (issue
# 18). Forgotten when a user is saved (but for a sign-in's last_login); at most ACTORS_KEPT.
ACTORS_MEMO = ConfigMemo("timeline-actors", ["core.User"])
ACTORS_KEPT = 10_000


def with_actors(events: list[TimelineEvent]) -> list[TimelineEvent]:
    """`events` (read by `timeline_for_user(actors=False)`) each with its actor, as
    select_related would have set it: from memory, those not kept read in one query. The
    people are shared between requests: treat them as read-only."""
    kept: dict[int, User] = ACTORS_MEMO.get("actors", dict)
    wanted = {event.actor_id for event in events if event.actor_id is not None}
    people = {pk: person for pk in wanted if (person := kept.get(pk)) is not None}
    missing = wanted - people.keys()
    if missing:
        read = {person.pk: person for person in User.objects.filter(pk__in=missing)}
        if len(kept) + len(read) > ACTORS_KEPT:
            kept.clear()
        kept.update(read)
        people.update(read)
    actor = TimelineEvent.actor.field
    for event in events:
        if event.actor_id in people:
            actor.set_cached_value(event, people[event.actor_id])
    return events


def timeline_key(*, ticket: TicketBase, user: User) -> Hashable:
    """What the statement of `timeline_for_user(ticket=ticket, user=user)` is made from (to
    keep it, core.keyset.KeptRows): the database, the ticket's kind and id and whether the
    viewer sees internal entries."""
    return (
        "timeline",
        router.db_for_read(TimelineEvent),
        ContentType.objects.get_for_model(ticket).pk,
        ticket.pk,
        is_agent(user),
    )


def attachments_for_user(*, ticket: TicketBase, user: User) -> QuerySet[Attachment]:
    files = Attachment.objects.filter(
        ticket_type=ContentType.objects.get_for_model(ticket), ticket_id=ticket.pk
    )
    if not is_agent(user):
        files = files.filter(is_internal=False)
    return files.order_by("created_at", "id")


def user_refs(user_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """People as tickets refer to them (core.api.serializers.UserRefSerializer's shape: id,
    username, display name), by id, in one narrow query: for lists that name requesters and
    assignees without loading User objects. Anyone named on a ticket the viewer may see may be
    named to them; no email."""
    ids = [user_id for user_id in set(user_ids) if user_id is not None]
    if not ids:
        return {}
    rows = User.objects.filter(pk__in=ids).values_list("id", "username", "first_name", "last_name")
    return {
        user_id: {
            "id": user_id,
            "username": username,
            "display_name": f"{first} {last}".strip() or username,
        }
        for user_id, username, first, last in rows
    }


def kept_ticket_numbered(
    model: type[TicketBase],
    scope: Hashable,
    visible: Callable[[], QuerySet[Any]],
    number: str,
    label: str,
) -> Any:
    """The ticket numbered `number` among `visible()` (`model`'s tickets the viewer may see),
    else a 404 ("No {label} {number}."). Its statement is kept (core.kept_objects.kept_objects_by)
    under the kind's model, the database and `scope` (which must name everything the viewer's
    `visible()` depends on), the number filled in: a ticket page's own read joins five to seven
    tables, which took more CPU to build and compile, and on PostgreSQL longer to plan, than
    to run (issue 18). The same statement answers whether each panel of the ticket's page has
    rows (core.tickets.panel_rows), which the page asked in a statement of its own before."""
    probes = panel_rows_probes(model)
    key = ("ticket", model._meta.label, router.db_for_read(model), scope, probes.panels)
    found = kept_objects_by(
        key, lambda n: visible().filter(number=n).annotate(**probes.annotations), number
    )
    if not found:
        raise Http404(f"No {label} {number}.")
    ticket = found[0]
    panel_rows_keep(ticket, probes)
    return ticket
