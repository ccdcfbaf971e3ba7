"""The rows of a problem page's linked incidents table, formatted in Python.

Written here rather than by a template (tests/problems/test_linked_rows.py checks the markup):
through the template language a page of 50 links ran ~50 nodes, two `{% url %}`s, a
`{% csrf_token %}`, a badge tag and a `date` filter per row, about a quarter of the problem
page's CPU. The two URLs are reversed once per page with
a stand-in number, then each row's number is put in its place; the rows are read as values, and
each row's markup is kept under everything it is made of (`ROWS_KEPT`), so a page read again
looks its rows up."""

from collections import namedtuple
from collections.abc import Iterable
from datetime import tzinfo
from functools import partial
from typing import Any, NamedTuple

from django.db import router
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from core.keyset import KeptRowsBy
from core.process_memos import KeptTexts
from core.tickets.describe import choice_label
from core.web.cells import day_month_year, status_badge_html
from core.web.timeline_html import escape
from problems.linked_kind import linked_kind
from problems.models import Problem, ProblemIncident
from problems.selectors import linked_scope_key, page_links

# What a row shows and is paged by (linked_at, pk), read as values: no model instances (three a
# row: the link, its incident, their requester).
ROW_FIELDS = (
    "pk",
    "linked_at",
    "incident__number",
    "incident__title",
    "incident__status",
    "incident__on_hold_reason",
    "incident__requester__first_name",
    "incident__requester__last_name",
    "incident__requester__username",
)

# A ticket number is letters, digits and a dash: this stand-in cannot be part of one.
_NUMBER_SLOT = "NUMBER_SLOT"

_ROW = """
            <tr>
              <td data-label="Incident" class="mono nowrap"><a href="{path}">{number}</a></td>
              <td data-label="Title">{title}</td>
              <td data-label="Status">{badge}{hold}</td>
              <td data-label="Requester">{requester}</td>
              <td data-label="Linked" class="nowrap">{linked}</td>
              <td>
                {unlink}
              </td>
            </tr>
          """
_UNLINK = """
                <form method="post" action="{action}" class="inline-form">
                  {csrf}
                  <button type="submit" class="btn btn-small btn-ghost">Unlink\
<span class="visually-hidden"> {number}</span></button>
                </form>
                """


def _csrf_input(token: str) -> str:
    """What `{% csrf_token %}` writes for the page's token (nothing without one)."""
    # Django's marker for a view exempt from CSRF protection, not a secret.
    if not token or token == "NOTPROVIDED":  # noqa: S105
        return ""
    return f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(token)}">'


def link_rows(links: QuerySet[ProblemIncident]) -> QuerySet[Any]:
    """`links` as the rows `linked_incident_rows` writes: named tuples of ROW_FIELDS."""
    return links.values_list(*ROW_FIELDS, named=True)


# A row as `kept_link_rows` reads it: what values_list(named=True) gives.
LinkRow = namedtuple("LinkRow", ROW_FIELDS)  # type: ignore[misc]


def kept_link_rows(problem: Problem, user: Any) -> KeptRowsBy:
    """The rows of `problem`'s links `user` may see (problems.selectors.page_links), their
    slices' statements kept for every problem (core.keyset.row_slice) under what else their
    SQL is made from: the database and the viewer's scope for the linked kind
    (problems.selectors.linked_scope_key)."""
    alias = router.db_for_read(ProblemIncident)
    return KeptRowsBy(
        ("problem_links", alias, linked_scope_key(user)),
        lambda problem_id: link_rows(page_links(problem_id, user=user)),
        LinkRow._make,
        problem.pk,
    )


def _around(url: str) -> tuple[str, str]:
    """`url`'s escaped text before and after the stand-in number: escaping works character by
    character, so a row's escaped URL is these around its escaped number."""
    before, after = url.split(_NUMBER_SLOT)
    return escape(before), escape(after)


# Each row's markup, kept per process under the row as read and what the page adds to it (its
# URLs' texts, whether it can be unlinked, the reader's zone); the CSRF input is put in after.
ROWS_KEPT = 4096
_ROWS = KeptTexts(ROWS_KEPT)
# Where each row's Unlink form takes the page's CSRF input: escaped values never hold a "<".
_CSRF_SLOT = "<!--csrf-->"


def linked_incident_rows(rows: Iterable[Any], problem: Problem, csrf_token: str) -> SafeString:
    """The `<tr>`s of `rows` (`link_rows`), with an Unlink button while the problem is not
    closed or cancelled."""
    page = _Page(
        path=_around(linked_kind().agent_path(_NUMBER_SLOT)),
        unlink=_around(reverse("problems:unlink", args=[problem.number, _NUMBER_SLOT]))
        if problem.status not in ("closed", "cancelled")
        else None,
        zone=timezone.get_current_timezone(),
    )
    html = "".join([_ROWS.get((page, row), partial(_row, page, row)) for row in rows])
    if page.unlink is not None:
        html = html.replace(_CSRF_SLOT, _csrf_input(csrf_token))
    return mark_safe(html)  # noqa: S308 (every value escaped in _row, the token in _csrf_input)


class _Page(NamedTuple):
    """What every row of one page shares: its link's and Unlink's URL texts around the number
    (no Unlink on a closed or cancelled problem) and the reader's zone."""

    path: tuple[str, str]
    unlink: tuple[str, str] | None
    zone: tzinfo


def _row(page: _Page, row: Any) -> str:
    model = linked_kind().model
    number = escape(row.incident__number)
    hold = ""
    if row.incident__status == "on_hold":
        reason = choice_label(model, "on_hold_reason", row.incident__on_hold_reason)
        hold = f' <span class="muted">{escape(reason)}</span>'
    return _ROW.format(
        path=f"{page.path[0]}{number}{page.path[1]}",
        number=number,
        title=escape(row.incident__title),
        badge=status_badge_html(model, row.incident__status),
        hold=hold,
        requester=escape(
            _display_name(
                row.incident__requester__first_name,
                row.incident__requester__last_name,
                row.incident__requester__username,
            )
        ),
        linked=day_month_year(row.linked_at, page.zone),
        unlink=_UNLINK.format(
            action=f"{page.unlink[0]}{number}{page.unlink[1]}", csrf=_CSRF_SLOT, number=number
        )
        if page.unlink is not None
        else "",
    )


def _display_name(first_name: str, last_name: str, username: str) -> str:
    """User.display_name from the row's columns (its full name as Django joins it, else the
    username)."""
    return f"{first_name} {last_name}".strip() or username
