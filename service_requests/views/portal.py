"""The end-user portal for requests: browse the catalog, fill in an item's form, follow my
requests. A request's page is the kernel's requester page (core.web.portal_page) with the
request's template and its two moves, withdrawing it and confirming it was fulfilled.

Always the requester's view, whoever is signed in: only the person's own requests, only public
timeline events and files.
"""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import router
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from core.exceptions import ValidationFailed
from core.roles import is_agent
from core.web.access import current_user
from core.web.forms import (
    ConfirmForm,
    apply_domain_errors,
)
from core.web.keyset_list import keyset_list
from core.web.portal_page import PortalAction, PortalTicketPage
from service_requests import services
from service_requests.choices import CancelReason, RequestStatus
from service_requests.forms import RequestForm, WithdrawForm
from service_requests.models import ServiceRequest
from service_requests.selectors import (
    catalog_categories,
    catalog_item_get,
    fields_of,
    request_list_for_user,
    request_pending_for_approver,
    tasks_of,
)
from service_requests.views.common import answers_for
from service_requests.views.portal_rows import ROW_COLUMNS, rows_html

PORTAL_PAGE_SIZE = 25


def _pending_count(request: HttpRequest) -> int:
    return request_pending_for_approver(current_user(request)).count()


@login_required
def catalog(request: HttpRequest) -> HttpResponse:
    """Every active item, by category."""
    context = {"categories": catalog_categories(), "pending_approvals": _pending_count(request)}
    return render(request, "service_requests/portal/catalog.html", context)


@login_required
def catalog_item(request: HttpRequest, slug: str) -> HttpResponse:
    """The item's page and its form; a valid submission creates the request."""
    item = catalog_item_get(slug)
    specs = fields_of(item)
    form = RequestForm(
        request.POST or None, specs=specs, may_look_up_people=is_agent(current_user(request))
    )
    if request.method == "POST" and form.is_valid():
        raw = {spec.key: request.POST.get(spec.key, "") for spec in specs}
        try:
            created = services.request_create(
                requester=current_user(request),
                item=item,
                answers=raw,
                details=form.cleaned_data["details"],
            )
        except ValidationFailed as exc:
            apply_domain_errors(form, exc, {})
        else:
            messages.success(
                request,
                f"{created.number} submitted."
                + (" It goes to its approver first." if item.needs_approval else ""),
            )
            return redirect("requests:portal_detail", number=created.number)
    return render(
        request,
        "service_requests/portal/item.html",
        {"item": item, "form": form, "tasks": list(item.tasks.all())},
    )


@login_required
def portal_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    mine = keyset_list(
        request,
        # What request_list_for_user(user)'s statement depends on: whether they are an agent.
        ("portal requests", router.db_for_read(ServiceRequest), is_agent(user), user.pk),
        lambda: request_list_for_user(user).filter(requester=user),
        kind="request",
        field="created_at",
        columns=ROW_COLUMNS,
        per_page=PORTAL_PAGE_SIZE,
    )
    return render(
        request,
        "service_requests/portal/list.html",
        {
            "mine": mine,
            "rows_html": rows_html(mine.rows),
            "pending_approvals": _pending_count(request),
        },
        status=mine.status,
    )


class RequestPortalPage(PortalTicketPage):
    kind_name = "request"
    template = "service_requests/portal/detail.html"
    actions = (
        PortalAction(
            "withdraw",
            "cancel",
            WithdrawForm,
            "{number} is withdrawn.",
            data=lambda data: {"cancel_reason": CancelReason.WITHDRAWN, "note": data["note"]},
        ),
        PortalAction(
            "confirm",
            "close",
            ConfirmForm,
            "Thanks for confirming. {number} is closed.",
            statuses=frozenset({RequestStatus.FULFILLED}),
        ),
    )

    def extra_context(self, ticket: ServiceRequest, bound: dict[str, Form]) -> dict[str, Any]:
        tasks = tasks_of(ticket)
        return {
            "answers": answers_for(ticket),
            "tasks": tasks,
            "tasks_done": sum(1 for task in tasks if task.is_done),
        }
