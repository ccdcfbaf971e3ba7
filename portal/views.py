"""The portal home and "My tickets": the requester's tickets of every kind in one list, each
with its status, last update and what to expect next ("we aim to respond by ...")."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from core.keyset import CursorInvalidError
from core.process_memos import KeptTexts
from core.web.access import current_user
from portal.rows import ticket_rows
from portal.selectors import (
    KIND_ALL,
    SHOW_ALL,
    SHOW_CHOICES,
    kind_choices,
    my_tickets_count,
    my_tickets_page,
    my_tickets_recent,
    my_waiting_count,
)

MY_TICKETS_PAGE_SIZE = 25
HOME_RECENT = 5

# The show and kind links of "My tickets", rendered once per query string (their seven
# {% querystring %} tags were a tenth of the page's template time, issue 18). The links drop
# the page and cursors, so a query string is keyed without them. At most LINKS_KEPT per
# process, then all are forgotten: the query string comes from the client.
LINKS_KEPT = 256
_LINKS = KeptTexts(LINKS_KEPT)
_NOT_IN_LINKS = frozenset(("page", "older", "newer"))


def filter_links(request: HttpRequest, show: str, kind: str, kinds: dict[str, str]) -> SafeString:
    """templates/portal/_ticket_filters.html for this request's query string."""
    query = tuple(
        (name, tuple(values)) for name, values in request.GET.lists() if name not in _NOT_IN_LINKS
    )
    key = (query, tuple(kinds.items()))
    html = _LINKS.get(key, _filter_links_html, request, show, kind, kinds)
    return mark_safe(html)  # noqa: S308 (rendered by the template engine, autoescaped)


def _filter_links_html(request: HttpRequest, show: str, kind: str, kinds: dict[str, str]) -> str:
    context = {
        "query": request.GET,
        "show": show,
        "kind": kind,
        "show_choices": SHOW_CHOICES,
        "kind_choices": kinds,
    }
    return render_to_string("portal/_ticket_filters.html", context).strip()


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    context = {
        "rows": ticket_rows(my_tickets_recent(user, limit=HOME_RECENT)),
        "waiting_count": my_waiting_count(user),
    }
    return render(request, "portal/home.html", context)


@login_required
def tickets(request: HttpRequest) -> HttpResponse:
    """My tickets: ?show=all|open|waiting|closed, ?kind=all|<a kind's url_namespace>, and
    ?older= / ?newer= (a cursor, core.keyset); a bad cursor shows the first page with a 400."""
    user = current_user(request)
    show = request.GET.get("show", SHOW_ALL)
    show = show if show in SHOW_CHOICES else SHOW_ALL
    kinds = kind_choices()
    kind = request.GET.get("kind", KIND_ALL)
    kind = kind if kind in kinds else KIND_ALL
    cursor_error, status = "", 200
    try:
        page, items = my_tickets_page(
            user,
            per_page=MY_TICKETS_PAGE_SIZE,
            show=show,
            kind=kind,
            older=request.GET.get("older"),
            newer=request.GET.get("newer"),
        )
    except CursorInvalidError:
        cursor_error, status = "That page link is not valid: here are your latest tickets.", 400
        page, items = my_tickets_page(user, per_page=MY_TICKETS_PAGE_SIZE, show=show, kind=kind)
    context = {
        "page": page,
        "count": my_tickets_count(user, show=show, kind=kind) if items else None,
        "cursor_error": cursor_error,
        "rows": ticket_rows(items),
        "show": show,
        "filter_links": filter_links(request, show, kind, kinds),
        "is_filtered": show != SHOW_ALL or kind != KIND_ALL,
    }
    return render(request, "portal/tickets.html", context, status=status)
