"""Reads of changes, scoped to the viewer. Agents see every change; a requester sees, read-only,
the changes linked to their own tickets (an incident the change caused, or an incident of a
problem the change fixes); anyone else sees none (a 404)."""

from typing import Any

from django.db import router
from django.db.models import CharField, F, IntegerField, Q, QuerySet, Value

from changes.models import Change, ChangeApproval, ChangeIncident, ChangeProblem, ChangeTemplate
from changes.permissions import can_work_changes
from core.kept_objects import kept_related
from core.kept_statements import kept_rows_by
from core.models import ConfigurationItem, Service, User
from core.selectors import kept_ticket_numbered
from core.tickets.kinds import find_kind, kind_named


def _linked_to_requester(user: User) -> Q:
    return Q(incident_links__incident__requester=user) | Q(
        problem_links__problem__links__incident__requester=user
    )


def change_list_for_user(user: User) -> QuerySet[Change]:
    base = Change.objects.select_related(
        "requester",
        "assignee",
        "support_group",
        "service",
        "configuration_item",
        "template",
        "approval_group",
    )
    if can_work_changes(user):
        return base
    if not user.is_authenticated:
        return Change.objects.none()
    visible = Change.objects.filter(_linked_to_requester(user)).values("pk")
    return base.filter(pk__in=visible)


def change_get_for_user(user: User, number: str) -> Change:
    """The change numbered `number` that `user` may see (else a 404), its statement kept
    (core.kept_objects) under the viewer's scope, the number filled in: its seven joins took
    longer to plan than to run, and a kept statement is prepared by PostgreSQL (issue 18)."""
    scope = ("agent",) if can_work_changes(user) else ("requester", user.pk)
    change: Change = kept_ticket_numbered(
        Change, scope, lambda: change_list_for_user(user), number, "change"
    )
    return change


def change_approvals(change: Change) -> list[ChangeApproval]:
    """Who decided on the change, and how, first decision first; the statement kept
    (core.kept_objects.kept_related)."""
    return kept_related(
        ChangeApproval, "change", change, select=("approver",), order=("decided_at", "id")
    )


def change_touched_names(change: Change) -> tuple[list[str], list[str]]:
    """The names of the services and of the configuration items the change touches (beyond
    its main ones), each in its model's order (a service's name; an item's service's, then its
    own): what the change page lists. One statement for both, kept under the database, the
    change's id filled in (core.kept_statements.kept_rows_by): building the two joins cost more
    CPU than running them, and each statement costs its own round trip."""
    rows = kept_rows_by(("change touches", router.db_for_read(Change)), _touched, change.pk)
    services = [name for touched, name, _ in rows if touched == _SERVICE]
    items = [name for touched, name, _ in rows if touched == _ITEM]
    return services, items


_SERVICE, _ITEM = 0, 1


def _touched(change_id: Any) -> QuerySet[Any]:
    services = (
        Service.objects.filter(changes__id=change_id)
        .annotate(touched=Value(_SERVICE, IntegerField()), owner=Value("", CharField()))
        .order_by()
        .values_list("touched", "name", "owner")
    )
    items = (
        ConfigurationItem.objects.filter(changes__id=change_id)
        .annotate(touched=Value(_ITEM, IntegerField()), owner=F("service__name"))
        .order_by()
        .values_list("touched", "name", "owner")
    )
    return services.union(items, all=True).order_by("touched", "owner", "name")


def change_problem_links(change: Change, *, user: User) -> QuerySet[ChangeProblem]:
    """The problems the change fixes that `user` may see (the problem kind's selector decides)."""
    visible = kind_named("problem").list_for_user(user).values("pk")
    return (
        change.problem_links.filter(problem_id__in=visible)
        .select_related("problem", "linked_by")
        .order_by("linked_at", "id")
    )


def change_incident_links(change: Change, *, user: User) -> QuerySet[ChangeIncident]:
    """The incidents the change caused that `user` may see (a security incident may be out of
    their sight: the incident kind's selector decides)."""
    visible = kind_named("incident").list_for_user(user).values("pk")
    return (
        change.incident_links.filter(incident_id__in=visible)
        .select_related("incident", "linked_by")
        .order_by("linked_at", "id")
    )


def changes_for_ticket(user: User, ticket: Any) -> QuerySet[Change]:
    """The changes linked to a problem (that fix it) or an incident (that caused it), for the
    Changes panel on their pages (agents only)."""
    if not can_work_changes(user):
        return Change.objects.none()
    kind = find_kind(ticket)
    if kind is None or kind.name not in ("problem", "incident"):
        return Change.objects.none()
    link = "problem_links__problem" if kind.name == "problem" else "incident_links__incident"
    return (
        Change.objects.filter(**{link: ticket})
        .select_related(None)
        .only("number", "title", "status", "change_type", "planned_start")
        .order_by("-created_at", "-id")
    )


def change_templates_for_user(user: User) -> QuerySet[ChangeTemplate]:
    """The templates standard changes are raised from, active and retired, by name (agents read
    them all; the API's ChangeTemplateFilterSet narrows the list to the active ones unless
    asked otherwise)."""
    if not can_work_changes(user):
        return ChangeTemplate.objects.none()
    return ChangeTemplate.objects.select_related("service").order_by("name", "pk")


def requester_linked_tickets(user: User, change: Change) -> list[Any]:
    """For the portal page: the requester's own tickets through which they see the change (the
    incidents it caused, and those of the problems it fixes)."""
    # Typed loosely: the incident model is reached through the registry, not imported.
    manager: Any = kind_named("incident").model._default_manager
    incidents = manager.filter(requester=user)
    caused = incidents.filter(change_links__change=change)
    fixed = incidents.filter(problem_links__problem__change_links__change=change)
    return list((caused | fixed).distinct().order_by("number").only("number", "title", "status"))
