"""Reads of service requests and the catalog, always scoped to the viewer.

Agents see every request, requesters only their own, approvers only the requests sent to them
(or to a group they belong to) for approval. Something out of scope is a 404, never a 403.
"""

from copy import copy
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from core.config_memo import ConfigMemo
from core.kept_objects import kept_related
from core.models import User
from core.roles import is_agent
from core.selectors import kept_ticket_numbered
from service_requests.choices import RequestStatus
from service_requests.models import (
    CatalogCategory,
    CatalogField,
    CatalogItem,
    RequestTask,
    ServiceRequest,
)
from service_requests.permissions import approver_group_ids

_RELATED = ("requester", "assignee", "support_group", "service", "catalog_item")


def request_list_for_user(user: User) -> QuerySet[ServiceRequest]:
    requests = ServiceRequest.objects.select_related(*_RELATED)
    if is_agent(user):
        return requests
    return requests.filter(requester=user)


def request_scope_key(user: User) -> tuple[Any, ...]:
    """What `request_list_for_user(user)`'s statement depends on: every request for an agent,
    else the user's own."""
    return ("agent",) if is_agent(user) else ("requester", user.pk)


def request_get_for_user(user: User, number: str) -> ServiceRequest:
    """The request numbered `number` that `user` may see (else a 404), its statement kept
    (core.kept_objects) under the viewer's scope, the number filled in, and so prepared by
    PostgreSQL (issue 18)."""
    request: ServiceRequest = kept_ticket_numbered(
        ServiceRequest,
        request_scope_key(user),
        lambda: request_list_for_user(user),
        number,
        "request",
    )
    return request


def request_list_for_approver(user: User) -> QuerySet[ServiceRequest]:
    """Every request this person approves or approved (as the manager it was sent to, or as a
    member of its approver group), never their own."""
    scope = Q(approver=user)
    groups = approver_group_ids(user)
    if groups:
        scope |= Q(approver_group__in=sorted(groups))
    return (
        ServiceRequest.objects.select_related(*_RELATED, "decided_by")
        .filter(scope)
        .exclude(requester=user)
    )


def request_pending_for_approver(user: User) -> QuerySet[ServiceRequest]:
    """What waits for this person's decision, oldest first."""
    return (
        request_list_for_approver(user)
        .filter(status=RequestStatus.AWAITING_APPROVAL)
        .order_by("created_at", "id")
    )


def request_get_for_approver(user: User, number: str) -> ServiceRequest:
    try:
        return request_list_for_approver(user).get(number=number)
    except ServiceRequest.DoesNotExist as exc:
        raise Http404(f"No request {number}.") from exc


def tasks_of(request: ServiceRequest) -> list[RequestTask]:
    """The request's checklist (the request itself was read through a scoped selector), its
    statement kept (core.kept_objects.kept_related)."""
    return kept_related(RequestTask, "request", request, select=("done_by",), order=("order", "id"))


# Each catalog item's questions, kept per process until a question changes (core.config_memo:
# at once in this process, in the others at their next recheck). Every request page reads them
# to show its answers: a statement and its rows, about a twelfth of the page's CPU (issue 18).
CATALOG_FIELDS_MEMO = ConfigMemo("request-catalog-fields", ["requests.CatalogField"])


def fields_of(item: CatalogItem) -> list[CatalogField]:
    """The item's questions in order, each a copy of the kept one with `item` as its item (the
    kept ones are shared by the process's threads and never changed)."""
    kept = CATALOG_FIELDS_MEMO.get(
        item.pk, lambda: tuple(kept_related(CatalogField, "item", item, order=("order", "id")))
    )
    fields = []
    for field in kept:
        own = copy(field)
        own.item = item
        fields.append(own)
    return fields


def catalog_categories() -> list[CatalogCategory]:
    """Active categories that have active items, each with its active items (two queries)."""
    items = CatalogItem.objects.filter(is_active=True).order_by("order", "name")
    categories = (
        CatalogCategory.objects.filter(is_active=True, items__is_active=True)
        .distinct()
        .order_by("order", "name")
        .prefetch_related(Prefetch("items", queryset=items, to_attr="active_items"))
    )
    return list(categories)


def catalog_item_get(slug: str) -> CatalogItem:
    """An active item of an active category, for the portal (404 otherwise)."""
    try:
        return CatalogItem.objects.select_related("category", "support_group").get(
            slug=slug, is_active=True, category__is_active=True
        )
    except CatalogItem.DoesNotExist as exc:
        raise Http404(f"No catalog item {slug}.") from exc


def catalog_items_for_conversion() -> QuerySet[CatalogItem]:
    return (
        CatalogItem.objects.filter(is_active=True)
        .select_related("category")
        .order_by("category__order", "category__name", "order", "name")
    )


def open_task_titles(request: ServiceRequest) -> tuple[str, ...]:
    """Titles of the request's fulfilment tasks not done yet, in order."""
    return tuple(
        request.tasks.filter(is_done=False).order_by("order", "id").values_list("title", flat=True)
    )
