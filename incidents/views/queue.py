"""The triage queue: tabs (unassigned / mine / my groups / all) over the shared IncidentFilterSet,
one page of incidents sorted by time to breach, SLA badges, and the HTMX partial that refreshes
the rows every QUEUE_REFRESH_SECONDS (with the tab counts swapped out of band).

Queries for the list itself, whatever the page size: one aggregate for the tab counts (which is
also the paginator's count), one for the page of incidents, one for their SLA clocks. Whether an
incident is being paged with nobody acknowledging yet (the "Paged" marker, "escalated" once the
page climbed a tier) is a subquery of the page's query (incidents.selectors.with_live_page),
not one more query. The statements are compiled once per shape and kept, with the querysets
they come from (incidents.queue_statements); the page's rows are read as values
(incidents.selectors.QueueItem).
"""

from dataclasses import dataclass
from datetime import datetime
from hashlib import blake2b
from typing import Any, cast

from django.conf import settings
from django.core.paginator import Page
from django.db.models import QuerySet
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.utils import timezone
from django.utils.safestring import SafeString

from core.capped_counts import CappedCount
from core.filtering import NULL_VALUE
from core.models import User
from core.web.access import (
    CountedPaginator,
    HtmxHttpRequest,
    agent_required,
    current_user,
    queue_refresh_seconds,
)
from core.web.list_marker import (
    current_tags,
    etag_of,
    not_modified,
    sent_tags,
    split_etag,
    unchanged_tag,
    valid_until,
)
from incidents.filtersets import DEFAULT_ORDERING, ORDERINGS, IncidentFilterSet
from incidents.models import Incident
from incidents.queue_statements import StatementKey, kept_queryset, statement_key
from incidents.selectors import (
    QUEUE_TABS,
    QueueItem,
    incident_queue_counts,
    incident_queue_items,
    incident_queue_tab,
    incident_scope_key,
    queue_tab_or_default,
    with_live_page,
)
from incidents.views.queue_body import queue_body_html
from incidents.views.queue_filters import only_open, queue_filter_form, queue_filterset
from incidents.views.queue_head import Tab, queue_head
from incidents.views.queue_marker import page_row_states, queue_marker, row_state
from incidents.views.queue_row_memo import made_row
from incidents.views.queue_rows import RowViewer, shown_row
from sla.row_clocks import ClockRow, clock_rows_by_ticket, row_clock_rows, row_clocks
from sla.selectors import TicketSla, ticket_sla


@dataclass(frozen=True)
class QueueRow:
    # The row as the page's query read it; its paged_tier_index: how many tiers a page nobody
    # has acknowledged yet has climbed (0: its first tier), None when there is none (the
    # on-call app's paging; always None without it). Its clocks as their query read them.
    incident: QueueItem
    clock_rows: tuple[ClockRow, ...]
    now: datetime
    # The row as shown (incidents.views.queue_rows) and its fingerprint for the refresh's diff.
    html: str = ""
    digest: str = ""

    @property
    def sla(self) -> TicketSla:
        """The row's SLA at the page's instant (its badge says the same; read by tests)."""
        return ticket_sla(row_clocks(self.clock_rows, {}), self.now)


@dataclass(frozen=True)
class QueueBasis:
    """What both a page and the refresh's 304 check read first: the filters, the tab, the
    counts and the page (its query not yet run), and the key its statements are kept under
    (incidents.queue_statements; None: compiled for this request)."""

    filterset: IncidentFilterSet
    tab: str
    counts: dict[str, CappedCount]
    page: Page[Incident]
    refresh_url: str
    statements: StatementKey | None = None


def queue_basis(request: HtmxHttpRequest, user: User) -> QueueBasis:
    filterset = queue_filterset(request, user)
    tab = queue_tab_or_default(request.GET.get("tab"))
    alias = filterset.queryset.db
    key = statement_key(filterset, alias=alias, scope=incident_scope_key(user), tab=tab)
    filtered = kept_queryset(key, "filtered", lambda: filterset.qs)
    counts = incident_queue_counts(filtered, user=user, key=key, tallied=only_open(filterset))
    listed = kept_queryset(
        key, "listed", lambda: with_live_page(incident_queue_tab(filtered, user=user, tab=tab))
    )
    paginator = CountedPaginator(listed, settings.QUEUE_PAGE_SIZE, count=paged(counts[tab]))
    page = paginator.get_page(request.GET.get("page"))
    return QueueBasis(filterset, tab, counts, page, request.get_full_path(), key)


def paged(count: CappedCount) -> CappedCount:
    """The paginator's count: the tab's, its pages stopping at LIST_COUNT_CAP as every list's
    do (an exact count from the tally may be past it; deep pages cost the database more)."""
    cap = settings.LIST_COUNT_CAP
    return count if count <= cap else CappedCount(cap, True)


def basis_marker(
    basis: QueueBasis, user: User, rows: list[tuple[Any, ...]], clock_rows: list[ClockRow]
) -> str:
    return queue_marker(
        user_id=user.pk,
        refresh_url=basis.refresh_url,
        refresh_seconds=queue_refresh_seconds(),
        counts=basis.counts,
        rows=rows,
        clock_rows=clock_rows,
    )


def queue_context(request: HtmxHttpRequest, user: User, basis: QueueBasis) -> dict[str, Any]:
    """Everything the queue page and its rows partial render, for the request's filters."""
    filterset, tab, counts, page = basis.filterset, basis.tab, basis.counts, basis.page
    incidents = incident_queue_items(cast(QuerySet[Incident], page.object_list), basis.statements)
    ids = [incident.pk for incident in incidents]
    # One narrow query for the clocks of the whole page, whatever its size.
    clock_rows = row_clock_rows(Incident, ids)
    clocks = clock_rows_by_ticket(ids, clock_rows)
    calendars: dict[str | None, dict[str, Any]] = {}
    now = timezone.now()
    refresh_url = basis.refresh_url
    viewer = RowViewer.of(user.pk, refresh_url)
    # One masked token for the claim forms and the page's own forms ({% csrf_token %} reads
    # csrf_token from the context): Django masks it afresh on every get_token(), 32 random draws.
    token = get_token(request)
    csrf = f'<input type="hidden" name="csrfmiddlewaretoken" value="{token}">'
    rows = []
    moves_at = []
    for incident in incidents:
        ticket_clocks = tuple(clocks[incident.pk])
        made = made_row(incident, ticket_clocks, viewer, now, calendars)
        # SafeString itself: mark_safe's look for lazy strings, fifty times a page, costs more.
        shown = SafeString(shown_row(made.html, incident.created_at, csrf))  # escaped in queue_rows
        rows.append(QueueRow(incident, ticket_clocks, now, shown, made.digest))
        moves_at.append(made.moves_at)
    cleaned = filterset.form.cleaned_data
    ordering = cleaned.get("ordering") or DEFAULT_ORDERING
    context = {
        "open_only": bool(cleaned.get("open")) and not cleaned.get("status"),
        "ordering_label": ORDERINGS.get(ordering, ORDERINGS[DEFAULT_ORDERING])[0],
        "filterset": filterset,
        "page": page,
        "rows": rows,
        "tab": tab,
        "tabs": [Tab(key, label, counts[key], key == tab) for key, label in QUEUE_TABS.items()],
        "null_value": NULL_VALUE,
        "count_label": counts[tab].label,
        "refresh_url": refresh_url,
        "refresh_seconds": queue_refresh_seconds(),
        "bulk_max": settings.QUEUE_PAGE_SIZE,
        "csrf_token": token,
        "csrf_input": SafeString(csrf),
        "marker": basis_marker(basis, user, [row_state(i) for i in incidents], clock_rows),
        "text_valid_until": valid_until(moves_at, now),
        # The rows as _rows.html puts them, one a line.
        "rows_html": SafeString("".join(f"{row.html}\n" for row in rows)),
    }
    context.update(queue_head(context, request.GET))
    return context


def queue_etag(context: dict[str, Any]) -> str:
    """The answer's ETag (incidents.views.queue_marker): a fingerprint of what the refresh
    would show, the rows as shown (their digests, in order) and everything the tab bar and the
    summary say; then what that was made from, and until when its texts hold."""
    state = [
        context["refresh_url"],
        context["tab"],
        context["count_label"],
        context["ordering_label"],
        context["open_only"],
        context["filterset"].active_filter_count,
        context["refresh_seconds"],
        [(tab.key, tab.count.label) for tab in context["tabs"]],
        [row.digest for row in context["rows"]],
    ]
    shown = blake2b(repr(state).encode(), digest_size=12).hexdigest()
    return etag_of(shown, context["marker"], context["text_valid_until"])


def unchanged_since(request: HtmxHttpRequest, user: User, basis: QueueBasis) -> str | None:
    """The ETag the refresh sent, when nothing it shows can have changed: its texts still hold
    and the marker of the page's rows, clocks and counts as the database has them now is the
    same. Two narrow queries (the page's rows and their clocks, as values), no row built."""
    current = current_tags(request)
    if not current:
        return None
    rows = page_row_states(cast(QuerySet[Incident], basis.page.object_list), basis.statements)
    marker = basis_marker(basis, user, rows, row_clock_rows(Incident, [row[0] for row in rows]))
    return unchanged_tag(current, marker)


def shown_rows(request: HtmxHttpRequest) -> list[tuple[str, str]]:
    """The rows the refreshing page shows, in order, as static/js/queue.js sends them
    (X-Queue-Rows: "INC-000001:digest,INC-000002:digest"); [] when it sent none."""
    shown = []
    for item in request.headers.get("X-Queue-Rows", "").split(","):
        number, _, digest = item.strip().partition(":")
        if number and digest:
            shown.append((number, digest))
    return shown


def queue_refresh(request: HtmxHttpRequest, context: dict[str, Any]) -> HttpResponse:
    """The refresh: 304 when nothing it would show changed since the page's ETag; only the
    changed rows (swapped out of band, the tab bar and the summary with them) when the page
    shows the same incidents in the same order; otherwise every row."""
    etag = context["etag"]
    shown_now = split_etag(etag.strip('"'))
    if any(shown_now and tag[0] == shown_now[0] for tag in sent_tags(request)):
        return not_modified(etag)
    rows: list[QueueRow] = context["rows"]
    shown = shown_rows(request)
    if shown and [number for number, _ in shown] == [row.incident.number for row in rows]:
        changed = [
            SafeString(row.html.replace("<tr ", '<tr hx-swap-oob="true" ', 1))
            for row, (_, digest) in zip(rows, shown, strict=True)
            if row.digest != digest
        ]
        response = render(
            request, "incidents/agent/_changed_rows.html", {**context, "changed": changed}
        )
        # The rows come out of band; the list itself stays.
        response["HX-Reswap"] = "none"
    else:
        response = render(request, "incidents/agent/_rows.html", {**context, "oob": True})
    response["ETag"] = etag
    return response


@agent_required
def agent_list(request: HtmxHttpRequest) -> HttpResponse:
    """The queue page; an HTMX request (the refresh) gets only the rows (or only what changed,
    or 304), plus the tab bar and the result count swapped out of band."""
    user = current_user(request)
    basis = queue_basis(request, user)
    if request.htmx:
        etag = unchanged_since(request, user, basis)
        if etag is not None:
            return not_modified(etag)
    context = queue_context(request, user, basis)
    context["etag"] = queue_etag(context)
    if request.htmx:
        return queue_refresh(request, context)
    context["filter_form"] = queue_filter_form(request, context["filterset"], context["tab"])
    context["body_html"] = queue_body_html(request, context)
    response = render(request, "incidents/agent/list.html", context)
    response["ETag"] = context["etag"]
    return response
