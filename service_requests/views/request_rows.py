"""The agent request list's rows as HTML strings, made without the template engine (as the
triage queue's, incidents/views/queue_rows.py: fifty rows of template nodes cost most of the
page), from the page query's values: the list reads its rows once, as the marker's values
(core.web.list_marker), not again as model instances with their related rows (some 250
instances a page). Every value from the database is escaped."""

from datetime import datetime
from html import escape
from typing import NamedTuple
from urllib.parse import quote

from django.urls import reverse

from core.templatetags.servicedesk import age
from core.web.cells import iso, status_badge_html
from service_requests.models import ServiceRequest

_SLOT = "number-slot"


class RequestValues(NamedTuple):
    """What a row shows, as the page query reads it (`values_list(*ROW_FIELDS)`)."""

    id: int
    number: str
    title: str
    status: str
    catalog_item__name: str | None
    support_group__name: str | None
    assignee__first_name: str | None
    assignee__last_name: str | None
    assignee__username: str | None
    requester__first_name: str
    requester__last_name: str
    requester__username: str
    created_at: datetime
    version: int


ROW_FIELDS = RequestValues._fields


def _person(first_name: str, last_name: str, username: str) -> str:
    """core.models.User.display_name, from the columns."""
    return f"{first_name} {last_name}".strip() or username


def request_detail_url() -> str:
    """The request page's URL with a slot for the number (one reverse() per page)."""
    return reverse("requests:agent_detail", args=[_SLOT])


def request_row_head(sr: RequestValues, sla_html: str, detail_url: str) -> str:
    """The row's HTML up to its age (what every minute moves: request_row_html puts it in)."""
    item = sr.catalog_item__name or ""
    aside = f' <span class="muted">({escape(item)})</span>' if sr.title != item else ""
    group = "—" if sr.support_group__name is None else sr.support_group__name
    assignee = "Unassigned"
    if sr.assignee__username is not None:
        assignee = _person(
            sr.assignee__first_name or "", sr.assignee__last_name or "", sr.assignee__username
        )
    requester = _person(sr.requester__first_name, sr.requester__last_name, sr.requester__username)
    return (
        f'<tr><td data-label="Number" class="mono nowrap">{escape(sr.number)}</td>'
        f'<td data-label="Title" class="col-title"><a href="'
        f'{detail_url.replace(_SLOT, quote(sr.number))}">{escape(sr.title)}</a>{aside}</td>'
        f'<td data-label="SLA" class="col-sla">{sla_html}</td>'
        f'<td data-label="Status">{status_badge_html(ServiceRequest, sr.status)}</td>'
        f'<td data-label="Requester">{escape(requester)}</td>'
        f'<td data-label="Group">{escape(group)}</td>'
        f'<td data-label="Assignee">{escape(assignee)}</td>'
        f'<td data-label="Age" class="nowrap"><time datetime="{iso(sr.created_at)}" data-age>'
    )


def request_row_html(head: str, created_at: datetime) -> str:
    """A row made by request_row_head, its age now."""
    return f"{head}{age(created_at)}</time></td></tr>"
