"""The queue's tab bar and result summary as HTML made without the template engine.

Both are on every page and every refresh that sends rows (swapped out of band), and through
the template engine they cost about a tenth of the page's CPU (issue 18: a loop of four tabs,
each with a `querystring` tag and two filters, and the summary's loop over the tabs again).
They are written here as the templates they replaced wrote them (tests/agent/test_queue_head.py
compares the two); every value is escaped.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page
from django.http import QueryDict
from django.template.defaultfilters import pluralize
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from core.capped_counts import CappedCount

_TABS_OPEN = '\n<nav id="queue-tabs" class="queue-tabs" aria-label="Queues"'
_SUMMARY_OPEN = '<p class="muted queue-summary" id="result-count"'
_OOB = ' hx-swap-oob="true"'
_IS_CURRENT = " is-current"
_ARIA_CURRENT = ' aria-current="page"'


@dataclass(frozen=True)
class Tab:
    key: str
    label: str
    count: CappedCount
    current: bool


def tabs_html(tabs: Sequence[Tab], query: QueryDict) -> str:
    """The tab bar: a link per tab that keeps every filter of `query` (the request's) but the
    page, with its count (as `{% querystring tab=… page=None %}` wrote it)."""
    params = query.copy()
    params.pop("page", None)
    items = []
    for tab in tabs:
        params["tab"] = tab.key
        current, link = tab.current, escape(f"?{params.urlencode()}")
        items.append(
            f'\n    <li><a id="tab-{escape(tab.key)}" class="queue-tab'
            f'{_IS_CURRENT if current else ""}" href="{link}"'
            f"{_ARIA_CURRENT if current else ''}>{escape(tab.label)} "
            f'<span class="tab-count">{escape(tab.count.label)}</span>'
            f'<span class="visually-hidden"> incident{pluralize(tab.count)}</span></a></li>\n    '
        )
    return f"{_TABS_OPEN}>\n  <ul>\n    {''.join(items)}\n  </ul>\n</nav>\n"


def summary_html(context: dict[str, Any], tabs: Sequence[Tab]) -> str:
    """The line under the title: how many incidents, in which tab, filtered or not, sorted
    how, refreshed how often."""
    page: Page[Any] = context["page"]
    refresh_seconds = context["refresh_seconds"]
    parts = [
        f"{_SUMMARY_OPEN}>{escape(context['count_label'])} ",
        "open " if context["open_only"] else "",
        f"incident{pluralize(page.paginator.count)}",
        *(f" in “{escape(tab.label)}”" for tab in tabs if tab.current and tab.key != "all"),
        " matching your filters" if context["filterset"].active_filter_count else "",
        f" · sorted by {escape(str(context['ordering_label']).lower())}",
        f" · refreshes every {escape(refresh_seconds)} seconds" if refresh_seconds else "",
        "</p>\n",
    ]
    return "".join(parts)


def queue_head(context: dict[str, Any], query: QueryDict) -> dict[str, SafeString]:
    """The tab bar and the summary for the page (`tabs_html`, `summary_html`) and as a
    refresh swaps them out of band (`…_oob_html`)."""
    tabs = context["tabs"]
    bar, summary = tabs_html(tabs, query), summary_html(context, tabs)
    return {
        "tabs_html": mark_safe(bar),  # noqa: S308 (escaped above)
        "tabs_oob_html": mark_safe(bar.replace(_TABS_OPEN, _TABS_OPEN + _OOB, 1)),  # noqa: S308
        "summary_html": mark_safe(summary),  # noqa: S308
        "summary_oob_html": mark_safe(  # noqa: S308
            summary.replace(_SUMMARY_OPEN, _SUMMARY_OPEN + _OOB, 1)
        ),
    }
