"""The agent problem list's rows as HTML strings, made without the template engine from the page
query's values (as the request list's, service_requests/views/request_rows.py): fifty rows of
template nodes and badge tags, over model instances read a second time, were most of the page.
The markup is what the list's template wrote (tests/problems/test_problem_rows.py compares the
two). Every value from the database is escaped."""

from datetime import datetime
from html import escape
from typing import NamedTuple
from urllib.parse import quote

from django.urls import reverse

from core.templatetags.servicedesk import age
from core.web.cells import iso, priority_badge_html, status_badge_html
from problems.models import Problem

_SLOT = "number-slot"


class ProblemValues(NamedTuple):
    """What a row shows, as the page query reads it (`values_list(*ROW_FIELDS)`)."""

    id: int
    number: str
    title: str
    priority: int
    status: str
    service__name: str | None
    incident_count: int
    assignee__first_name: str | None
    assignee__last_name: str | None
    assignee__username: str | None
    created_at: datetime
    version: int


ROW_FIELDS = ProblemValues._fields


def problem_detail_url() -> str:
    """The problem page's URL with a slot for the number (one reverse() per page)."""
    return reverse("problems:agent_detail", args=[_SLOT])


def _assignee(problem: ProblemValues) -> str:
    """core.models.User.display_name from the columns, or "Unassigned"."""
    if problem.assignee__username is None:
        return "Unassigned"
    full = f"{problem.assignee__first_name or ''} {problem.assignee__last_name or ''}".strip()
    return full or problem.assignee__username


def problem_row_html(problem: ProblemValues, detail_url: str) -> str:
    """One row, with the whitespace the template's loop wrote around it. The count is written
    as it is: the project does not group thousands (USE_THOUSAND_SEPARATOR is off)."""
    number = escape(problem.number)
    url = detail_url.replace(_SLOT, quote(problem.number))
    service = escape(problem.service__name) if problem.service__name else "—"
    return (
        f'\n    <tr>\n      <td data-label="Number" class="mono nowrap">{number}</td>\n'
        f'      <td data-label="Title" class="col-title"><a href="{url}">'
        f"{escape(problem.title)}</a></td>\n"
        f'      <td data-label="Priority">{priority_badge_html(Problem, problem.priority)}</td>\n'
        f'      <td data-label="Status">{status_badge_html(Problem, problem.status)}</td>\n'
        f'      <td data-label="Service">{service}</td>\n'
        f'      <td data-label="Incidents">{problem.incident_count}</td>\n'
        f'      <td data-label="Assignee">{escape(_assignee(problem))}</td>\n'
        f'      <td data-label="Age" class="nowrap"><time datetime="{iso(problem.created_at)}" '
        f"data-age>{age(problem.created_at)}</time></td>\n    </tr>\n    "
    )
