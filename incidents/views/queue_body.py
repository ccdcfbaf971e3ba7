"""The queue page's body, rendered once per query string and page and kept (issue 18).

Through the template engine, the body around the rows (the quick filters, the bulk bar and its
form, the table's head, the pagination, the keyboard shortcuts' help) cost about a sixth of the
page's CPU, for HTML that reads only the query string, the page number and how many pages there
are, whether the page has rows, and the refresh interval. templates/incidents/agent/
_queue_body.html is rendered once per such key with a slot wherever the page shows something
that changes with the data or the request (the summary, the tab bar, the filter form, the
caption's count, the rows, the ETag, the CSRF token), and every request fills the slots in.

Slots are HTML comments: nothing the template escapes (the query string it writes into links)
can spell one. At most KEPT bodies per process; when full, the memo starts over. A body is never
changed once kept, so threads may share them.
"""

from typing import Any

from django.template.loader import render_to_string
from django.urls import get_script_prefix, get_urlconf
from django.utils.html import escape
from django.utils.safestring import SafeString

from core.process_memos import KeptTexts
from core.web.access import HtmxHttpRequest

KEPT = 256
_kept = KeptTexts(KEPT)

# Filled in with HTML the view made (escaped where it was made).
_HTML_SLOTS = {
    "summary_html": "<!--summary-->",
    "tabs_html": "<!--tabs-->",
    "filter_form": "<!--filters-->",
    "csrf_input": "<!--csrf-->",
}
# Filled in with text, escaped here as the template would have escaped it.
_TEXT_SLOTS = {"count_label": "<!--count-->", "etag": "<!--etag-->"}
_ROWS_SLOT = "<!--rows-->"


def _body(request: HtmxHttpRequest, context: dict[str, Any]) -> str:
    page = context["page"]
    key = (
        request.get_full_path(),
        page.number,
        page.paginator.num_pages,
        bool(context["rows"]),
        context["refresh_seconds"],
        get_urlconf(),
        get_script_prefix(),
    )
    return _kept.get(key, _render, request, context)


def _render(request: HtmxHttpRequest, context: dict[str, Any]) -> str:
    slots = {name: SafeString(slot) for name, slot in {**_HTML_SLOTS, **_TEXT_SLOTS}.items()}
    return render_to_string(
        "incidents/agent/_queue_body.html",
        {**context, **slots, "rows_html": SafeString(_ROWS_SLOT)},
        request=request,
    )


def queue_body_html(request: HtmxHttpRequest, context: dict[str, Any]) -> SafeString:
    """The page's body for `context` (incidents.views.queue.queue_context with its ETag and
    filter form): kept for the request's query string and page, its slots filled in."""
    body = _body(request, context)
    for name, slot in _HTML_SLOTS.items():
        body = body.replace(slot, context[name], 1)
    for name, slot in _TEXT_SLOTS.items():
        body = body.replace(slot, escape(context[name]), 1)
    # The rows last: the other slots are looked for in the body without them.
    return SafeString(body.replace(_ROWS_SLOT, context["rows_html"], 1))
