"""The rows of the portal's "My incidents" (templates/incidents/portal/list.html places them),
written in Python from the values the list reads (core.web.keyset_list): through the template
engine, 25 rows ran a `url` tag, two badge tags and three filters each, most of the page's CPU
(issue 18). Every value from the database is escaped."""

from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString

from core.templatetags.servicedesk import ago
from core.web.cells import day_time, iso, priority_badge_html, status_badge_html
from core.web.table_rows import number_path, table_row
from incidents.models import Incident

# The values a row shows, after the moment the list sorts by and the id.
ROW_COLUMNS = ("number", "title", "status", "priority", "updated_at")


def rows_html(rows: list[Any]) -> list[SafeString]:
    """Each row's HTML, as the list's template wrote it."""
    path = number_path("incidents:portal_detail")
    return [
        table_row(
            (
                f'<td data-label="Number" class="mono">{escape(row.number)}</td>',
                f'<td data-label="Title" class="col-title"><a href="{path(row.number)}">'
                f"{escape(row.title)}</a></td>",
                f'<td data-label="Status">{status_badge_html(Incident, row.status)}</td>',
                f'<td data-label="Priority">{priority_badge_html(Incident, row.priority)}</td>',
                f'<td data-label="Last update"><time datetime="{iso(row.updated_at)}" '
                f'title="{day_time(row.updated_at)}">{escape(ago(row.updated_at))}</time></td>',
            )
        )
        for row in rows
    ]
