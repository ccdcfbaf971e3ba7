"""The rows of the portal's "My requests" (templates/service_requests/portal/list.html places
them), written in Python from the values the list reads (core.web.keyset_list), as
incidents.views.portal_rows writes "My incidents". Every value from the database is escaped."""

from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString

from core.templatetags.servicedesk import ago
from core.web.cells import day_month_year, iso, status_badge_html
from core.web.table_rows import number_path, table_row
from service_requests.models import ServiceRequest

# The values a row shows, after the moment the list sorts by (created_at) and the id.
ROW_COLUMNS = ("number", "title", "status", "updated_at", "catalog_item__name")


def _item_note(row: Any) -> str:
    """The catalogue item's name after a title that is not that name."""
    if row.title == row.catalog_item__name:
        return ""
    return f' <span class="muted">({escape(row.catalog_item__name)})</span>'


def rows_html(rows: list[Any]) -> list[SafeString]:
    """Each row's HTML, as the list's template wrote it."""
    path = number_path("requests:portal_detail")
    return [
        table_row(
            (
                f'<td data-label="Number" class="mono">{escape(row.number)}</td>',
                f'<td data-label="What" class="col-title"><a href="{path(row.number)}">'
                f"{escape(row.title)}</a>{_item_note(row)}</td>",
                f'<td data-label="Status">{status_badge_html(ServiceRequest, row.status)}</td>',
                f'<td data-label="Submitted"><time datetime="{iso(row.created_at)}">'
                f"{day_month_year(row.created_at)}</time></td>",
                f'<td data-label="Last update"><time datetime="{iso(row.updated_at)}">'
                f"{escape(ago(row.updated_at))}</time></td>",
            )
        )
        for row in rows
    ]
