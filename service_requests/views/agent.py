"""The agent workspace for requests: the filtered list (with its HTMX refresh), the request page
(the kernel's ticket page, core.web.ticket_page, with the request's answers, fulfilment tasks,
notes, approval and conversion), ticking tasks, and conversion between incidents and requests
(both directions, through core.tickets.conversion and the kind registry).

The page's actions, replies and notes, files, assignment, claiming and tier moves are the
kernel's generic views (core.web.ticket_urls).
"""

from dataclasses import dataclass
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Page
from django.db import router
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from core.exceptions import DomainError, TransitionError, ValidationFailed
from core.models import TicketBase, User
from core.tickets.conversion import (
    conversion_offered,
    conversion_origin,
    conversion_successor,
    ticket_convert,
)
from core.tickets.kinds import TicketKind, kind_named
from core.tickets.panel_rows import LINKED_FROM, LINKED_TO, has_panel_rows
from core.web.access import (
    HtmxHttpRequest,
    agent_required,
    current_user,
    queue_refresh_seconds,
)
from core.web.forms import apply_domain_errors
from core.web.kept_list import filters_key, kept_page
from core.web.list_filters import filter_form_html, kept_filterset
from core.web.list_marker import (
    ROOT,
    code_digest,
    current_tags,
    etag_of,
    list_marker,
    not_modified,
    page_count_label,
    rows_digest,
    unchanged_tag,
    valid_until,
)
from core.web.ticket_page import TicketPage
from service_requests import services
from service_requests.filtersets import (
    DEFAULT_ORDERING,
    ORDERINGS,
    RequestFilterSet,
    catalog_items_token,
)
from service_requests.forms import TaskForm, ToRequestForm
from service_requests.models import RequestTask, ServiceRequest
from service_requests.permissions import can_approve
from service_requests.selectors import request_list_for_user, request_scope_key, tasks_of
from service_requests.views.common import answers_for
from service_requests.views.request_rows import (
    ROW_FIELDS,
    RequestValues,
    request_detail_url,
    request_row_head,
    request_row_html,
)
from sla.badge import BadgeHtml
from sla.row_clocks import ClockRow, clock_rows_by_ticket, row_clock_rows
from sla.row_memo import BadgeRowMemo

# --- List -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestRow:
    sr: RequestValues
    html: str = ""


# The list's rows, kept while their values, clocks and badge stay the same (sla.row_memo). About
# 3 KB each (the HTML and the key's values and clock rows): some 6 MB per process at most.
ROWS = BadgeRowMemo(2048)


def _row_head(sr: RequestValues, detail_url: str, badge: BadgeHtml) -> tuple[str, str]:
    """A row as ROWS keeps it: its HTML up to its age; no fingerprint (the list's refresh
    sends the whole page or nothing)."""
    return request_row_head(sr, badge.html, detail_url), ""


# The list's filters whose SQL is a function of their cleaned value alone: with only these, its
# statements are kept (core.web.kept_list). A filter added to RequestFilterSet is compiled on
# every request until it is named here.
PURE_FILTERS = ("q", "open", "status", "catalog_item", "support_group", "assignee", "ordering")

# What the list's rows are made from (core.web.list_marker): their code, each row as values.
LIST_CODE = code_digest(
    ROOT / "service_requests" / "views" / "agent.py",
    ROOT / "service_requests" / "views" / "request_rows.py",
    ROOT / "core" / "web" / "cells.py",
    ROOT / "sla" / "badge.py",
    ROOT / "sla" / "row_memo.py",
    *sorted((ROOT / "templates" / "service_requests" / "agent").glob("_*.html")),
)


def list_context(
    request: HtmxHttpRequest,
    filterset: RequestFilterSet,
    page: Page[ServiceRequest],
    values: list[tuple[Any, ...]],
    clock_rows: list[ClockRow],
) -> dict[str, Any]:
    """What the list page and its rows partial render, for the request's filters: the page's
    rows from their values (`values_list(*ROW_FIELDS)`), read once for the marker too."""
    rows = [RequestValues._make(row) for row in values]
    clocks = clock_rows_by_ticket([sr.id for sr in rows], clock_rows)
    now = timezone.now()
    detail_url = request_detail_url()
    cleaned = filterset.form.cleaned_data if filterset.form.is_valid() else {}
    ordering = cleaned.get("ordering") or DEFAULT_ORDERING
    calendars: dict[str | None, dict[str, Any]] = {}
    made = [
        ROWS.row(
            (sr, detail_url),
            tuple(clocks[sr.id]),
            now,
            calendars,
            partial(_row_head, sr, detail_url),
        )
        for sr in rows
    ]
    return {
        "filterset": filterset,
        "page": page,
        "rows": [
            RequestRow(sr, mark_safe(request_row_html(row.html, sr.created_at)))  # noqa: S308
            for sr, row in zip(rows, made, strict=True)
        ],
        "open_only": bool(cleaned.get("open")) and not cleaned.get("status"),
        "ordering_label": ORDERINGS.get(ordering, ORDERINGS[DEFAULT_ORDERING])[0],
        "refresh_url": request.get_full_path(),
        "refresh_seconds": queue_refresh_seconds(),
        "until": valid_until((row.moves_at for row in made), now),
    }


@agent_required
def agent_list(request: HtmxHttpRequest) -> HttpResponse:
    """The list page; an HTMX request (the periodic refresh) gets only the rows, with the
    result count swapped out of band, or 304 when the rows it shows are still what it would
    get (its ETag; ages, 24x7 time left and badge states move on in the browser)."""
    user = current_user(request)
    filterset = kept_filterset(RequestFilterSet, request, request_list_for_user(user))
    filters = filters_key(filterset, PURE_FILTERS)
    db_for_read = router.db_for_read(ServiceRequest)
    page, values = kept_page(
        request,
        None
        if filters is None
        else ("request list", db_for_read, request_scope_key(user), filters),
        lambda: filterset.qs,
        model=ServiceRequest,
        per_page=settings.QUEUE_PAGE_SIZE,
        columns=ROW_FIELDS,
    )
    # One narrow query for the clocks of the whole page, whatever its size.
    clock_rows = row_clock_rows(ServiceRequest, [row[0] for row in values])
    marker = list_marker(
        LIST_CODE,
        user.pk,
        request.get_full_path(),
        queue_refresh_seconds(),
        page_count_label(page),
        rows_digest(values, clock_rows),
    )
    if request.htmx:
        unchanged = unchanged_tag(current_tags(request), marker)
        if unchanged is not None:
            return not_modified(unchanged)
    context = list_context(request, filterset, page, values, clock_rows)
    context["etag"] = etag_of(marker, marker, context["until"])
    if request.htmx:
        response = render(request, "service_requests/agent/_rows.html", {**context, "oob": True})
    else:
        context["filter_form"] = filter_form_html(
            request,
            "service_requests/agent/_filters.html",
            {"filterset": filterset, "open_only": context["open_only"]},
            options_token=catalog_items_token(),
        )
        response = render(request, "service_requests/agent/list.html", context)
    response["ETag"] = context["etag"]
    return response


# --- Request page ---------------------------------------------------------------------------


class RequestPage(TicketPage):
    kind_name = "request"
    template = "service_requests/agent/detail.html"

    def extra_context(self, ticket: ServiceRequest, bound: dict[str, Form]) -> dict[str, Any]:
        return {
            "answers": answers_for(ticket),
            "tasks": tasks_of(ticket),
            "can_approve": can_approve(self.user, ticket),
            "origin": conversion_origin(self.user, ticket)
            if has_panel_rows(ticket, LINKED_FROM)
            else None,
            "successor": conversion_successor(self.user, ticket)
            if has_panel_rows(ticket, LINKED_TO)
            else None,
            **self.conversion_context(ticket, bound),
        }

    def conversion_context(self, ticket: ServiceRequest, bound: dict[str, Form]) -> dict[str, Any]:
        """The "Convert to an incident" form (the incident kind's), while it may be offered."""
        if not conversion_offered(self.user, ticket, "incident"):
            return {}
        target = kind_named("incident")
        form_class = _conversion_form(target)
        form = bound.get(str(form_class.prefix)) or form_class(initial={"version": ticket.version})
        return {"convert_into": target, "convert_form": form}


@agent_required
@require_POST
def agent_task(request: HttpRequest, number: str, task_id: int) -> HttpResponse:
    page = RequestPage(request)
    sr = page.get(number)
    task = get_object_or_404(RequestTask, pk=task_id, request=sr)
    form = TaskForm(request.POST)
    done = form.is_valid() and form.cleaned_data["done"]
    try:
        services.request_task_set_done(task, actor=page.user, done=done)
    except TransitionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{'Done' if done else 'Reopened'}: {task.title}")
    return page.back(number)


# --- Conversion -----------------------------------------------------------------------------


def _conversion_form(target: TicketKind) -> type[Form]:
    assert target.conversion is not None and target.conversion.form is not None
    form: type[Form] = target.conversion.form
    return form


def _convert(origin: TicketBase, into: str, actor: User, form: Form) -> TicketBase:
    """Run the conversion with the target kind's options from a valid form."""
    options = {name: value for name, value in form.cleaned_data.items() if name != "version"}
    return ticket_convert(
        origin,
        into=into,
        actor=actor,
        expected_version=form.cleaned_data["version"],
        **options,
    )


def _said(error: DomainError) -> str:
    if isinstance(error, ValidationFailed):
        return " ".join(error.errors.values())
    return str(error)


@agent_required
@require_POST
def agent_to_incident(request: HttpRequest, number: str) -> HttpResponse:
    """Convert this request into an incident; the request is cancelled, the two are linked, and
    the incident's page opens. An invalid form comes back on the request page."""
    page = RequestPage(request)
    sr = page.get(number)
    target = kind_named("incident")
    form = _conversion_form(target)(request.POST)
    if not form.is_valid():
        return page.render(sr, {str(form.prefix): form})
    try:
        created = _convert(sr, target.name, page.user, form)
    except ValidationFailed as exc:
        apply_domain_errors(form, exc, {})
        return page.render(sr, {str(form.prefix): form})
    except DomainError as exc:
        messages.error(request, str(exc))
        return page.back(number)
    messages.success(request, f"{sr.number} was converted to incident {created.number}.")
    return redirect(target.agent_path(created.number))


@agent_required
@require_POST
def incident_to_request(request: HttpRequest, number: str) -> HttpResponse:
    """Convert an incident into a request for the chosen catalog item (posted from the request
    panel of the incident page: service_requests.templatetags); the incident is cancelled as
    converted to a request, the two are linked, and the request's page opens."""
    user = current_user(request)
    origin_kind = kind_named("incident")
    incident = origin_kind.get_for_user(user, number)
    form = ToRequestForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose the catalog item the request is for.")
        return redirect(origin_kind.agent_path(number))
    try:
        created = _convert(incident, "request", user, form)
    except DomainError as exc:
        messages.error(request, _said(exc))
        return redirect(origin_kind.agent_path(number))
    messages.success(request, f"{incident.number} was converted to request {created.number}.")
    return redirect("requests:agent_detail", number=created.number)
