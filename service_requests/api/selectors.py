"""Reads behind the request API, built on service_requests.selectors (the same scopes as the
HTML pages) with the extra related rows the API output shows, so a page of any size costs the
same number of queries.

Approvers who are not agents see a request only through the approval routes (retrieve, approve,
reject, timeline), exactly as the portal's approval pages show it to them.
"""

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from core.models import User
from service_requests.models import (
    CatalogField,
    CatalogItem,
    CatalogTask,
    RequestTask,
    ServiceRequest,
)
from service_requests.selectors import (
    request_get_for_approver,
    request_list_for_user,
    request_pending_for_approver,
)

# Shown by the API output beyond what the shared selectors already join.
_API_RELATED = ("approver", "approver_group", "decided_by")


def api_request_list_for_user(user: User) -> QuerySet[ServiceRequest]:
    """Agents: every request; anyone else: their own (request_list_for_user)."""
    return request_list_for_user(user).select_related(*_API_RELATED)


def api_request_get_for_user(user: User, number: str) -> ServiceRequest:
    try:
        return api_request_list_for_user(user).get(number=number)
    except ServiceRequest.DoesNotExist as exc:
        raise Http404(f"No request {number}.") from exc


def api_request_get_for_user_or_approver(user: User, number: str) -> ServiceRequest:
    """A request the user may see, or else one sent to them for approval (404 otherwise)."""
    try:
        return api_request_get_for_user(user, number)
    except Http404:
        return request_get_for_approver(user, number)


def api_request_pending_for_approver(user: User) -> QuerySet[ServiceRequest]:
    """What waits for this person's decision, oldest first."""
    return request_pending_for_approver(user).select_related(*_API_RELATED)


def api_request_tasks(request: ServiceRequest) -> QuerySet[RequestTask]:
    """The checklist of a request the caller has read through a scoped selector."""
    return request.tasks.select_related("done_by").order_by("order", "id")


def api_request_task_get(request: ServiceRequest, task_id: int) -> RequestTask:
    try:
        return api_request_tasks(request).get(pk=task_id)
    except RequestTask.DoesNotExist as exc:
        raise Http404(f"{request.number} has no task {task_id}.") from exc


def catalog_item_list() -> QuerySet[CatalogItem]:
    """What can be requested: active items of active categories, each with its questions and
    its fulfilment checklist (three queries per page)."""
    return (
        CatalogItem.objects.filter(is_active=True, category__is_active=True)
        .select_related("category", "support_group", "service")
        .prefetch_related(
            Prefetch("fields", queryset=CatalogField.objects.order_by("order", "id")),
            Prefetch("tasks", queryset=CatalogTask.objects.order_by("order", "id")),
        )
        .order_by("order", "name", "id")
    )
