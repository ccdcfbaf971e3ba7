"""The agent request list's rows as HTML strings, made without the template engine (as the
triage queue's, incidents/views/queue_rows.py: fifty rows of template nodes cost most of the
page). Every value from the database is escaped."""

from html import escape
from urllib.parse import quote

from django.urls import reverse

from core.templatetags.servicedesk import age
from core.web.cells import iso, status_badge_html
from service_requests.models import ServiceRequest

_SLOT = "number-slot"

# What a row shows, as the page query reads it as values (core.web.list_marker).
ROW_FIELDS = (
    "id",
    "number",
    "title",
    "status",
    "catalog_item__name",
    "support_group__name",
    "assignee__first_name",
    "assignee__last_name",
    "assignee__username",
    "requester__first_name",
    "requester__last_name",
    "requester__username",
    "created_at",
    "version",
)


def request_detail_url() -> str:
    """The request page's URL with a slot for the number (one reverse() per page)."""
    return reverse("requests:agent_detail", args=[_SLOT])


def request_row_html(sr: ServiceRequest, sla_html: str, detail_url: str) -> str:
    item = sr.catalog_item.name if sr.catalog_item else ""
    aside = f' <span class="muted">({escape(item)})</span>' if sr.title != item else ""
    group = sr.support_group.name if sr.support_group else "—"
    assignee = sr.assignee.display_name if sr.assignee else "Unassigned"
    return (
        f'<tr><td data-label="Number" class="mono nowrap">{escape(sr.number)}</td>'
        f'<td data-label="Title" class="col-title"><a href="'
        f'{detail_url.replace(_SLOT, quote(sr.number))}">{escape(sr.title)}</a>{aside}</td>'
        f'<td data-label="SLA" class="col-sla">{sla_html}</td>'
        f'<td data-label="Status">{status_badge_html(ServiceRequest, sr.status)}</td>'
        f'<td data-label="Requester">{escape(sr.requester.display_name)}</td>'
        f'<td data-label="Group">{escape(group)}</td>'
        f'<td data-label="Assignee">{escape(assignee)}</td>'
        f'<td data-label="Age" class="nowrap"><time datetime="{iso(sr.created_at)}" data-age>'
        f"{age(sr.created_at)}</time></td></tr>"
    )
